//===- Ops.cpp - The reference implementations of the plan's ops ---------===//
//
// The ATen calls that implement each op of docs/plan.md, and the table
// that maps op names to them, generated from the compiler's op registry
// (PlanOps.inc, by dream-opgen). Parameter shapes are checked against the
// attributes and the input before ATen sees them, so that a wrong plan is
// reported in the plan's terms rather than as an ATen internal message.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Ops.h"

#include "OpTable.h"

#include "dream/NativeOp.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace dream::rt {
namespace {

[[noreturn]] void fail(const std::string &problem) { throw PlanError(problem); }

std::vector<int64_t> perSample(const at::Tensor &t) {
  std::vector<int64_t> sizes = t.sizes().vec();
  sizes.erase(sizes.begin());
  return sizes;
}

std::string paramName(const OpArgs &a, size_t i) {
  const ParamRef &p = a.step.params[i];
  return p.value >= 0 ? "operand " + std::to_string(p.value)
                      : "'" + p.name + "'";
}

/// "out 64, in 32, k 3": what an expected parameter shape follows from.
std::string
because(std::initializer_list<std::pair<const char *, int64_t>> facts) {
  std::string text;
  for (const auto &[name, value] : facts)
    text += (text.empty() ? "" : ", ") + std::string(name) + " " +
            std::to_string(value);
  return text;
}

void expectParam(const OpArgs &a, size_t i,
                 const std::vector<int64_t> &expected, const std::string &why) {
  if (i >= a.params.size() || a.params[i].sizes().vec() == expected)
    return;
  fail("parameter " + paramName(a, i) + " has shape " +
       formatShape(a.params[i].sizes().vec()) + ", expected " +
       formatShape(expected) + " (" + why + ")");
}

void expectRank(const OpArgs &a, int64_t rank, const char *perSampleForm) {
  if (a.inputs[0].dim() != rank)
    fail("expects a " + std::string(perSampleForm) + " input per sample, got " +
         formatShape(perSample(a.inputs[0])));
}

at::Tensor optionalParam(const OpArgs &a, size_t i) {
  return i < a.params.size() ? a.params[i] : at::Tensor();
}

/// The reference implementations, named as the ops they run (the
/// generated table, PlanOps.inc, refers to them by those names).
namespace reference {

//===--- Convolutions and dense layers ------------------------------------===//

/// What every convolution reads: its attributes, and the check that its
/// weight has `weightShape` and its optional bias `out` elements.
struct Convolution {
  int64_t out, k, stride, pad;

  Convolution(const OpArgs &a, int64_t rank, const char *layout)
      : out(intAttr(a.step, "out")), k(intAttr(a.step, "k")),
        stride(intAttr(a.step, "stride", 1)), pad(intAttr(a.step, "pad")) {
    expectRank(a, rank, layout);
  }

  void expectParams(const OpArgs &a, const char *inName, int64_t in,
                    std::vector<int64_t> weightShape) const {
    std::string why = because({{"out", out}, {inName, in}, {"k", k}});
    expectParam(a, 0, weightShape, why);
    expectParam(a, 1, {out}, why);
  }
};

at::Tensor conv(const OpArgs &a) {
  Convolution c(a, 4, "[C, H, W]");
  const at::Tensor &x = a.inputs[0];
  c.expectParams(a, "in", x.size(1), {c.out, x.size(1), c.k, c.k});
  return at::conv2d(x, a.params[0], optionalParam(a, 1), {c.stride, c.stride},
                    {c.pad, c.pad});
}

at::Tensor deconv(const OpArgs &a) {
  Convolution c(a, 4, "[C, H, W]");
  const at::Tensor &x = a.inputs[0];
  c.expectParams(a, "in", x.size(1), {x.size(1), c.out, c.k, c.k});
  return at::conv_transpose2d(x, a.params[0], optionalParam(a, 1),
                              {c.stride, c.stride}, {c.pad, c.pad});
}

/// Convolution along the sequence of an [L, D] input.
at::Tensor conv1d(const OpArgs &a) {
  Convolution c(a, 3, "[L, D]");
  const at::Tensor &x = a.inputs[0];
  c.expectParams(a, "D", x.size(2), {c.out, x.size(2), c.k});
  return at::conv1d(x.transpose(1, 2), a.params[0], optionalParam(a, 1),
                    {c.stride}, {c.pad})
      .transpose(1, 2);
}

at::Tensor dense(const OpArgs &a) {
  const at::Tensor &x = a.inputs[0];
  int64_t out = intAttr(a.step, "out");
  bool bias = boolAttr(a.step, "bias", a.params.size() == 2);
  if (bias != (a.params.size() == 2))
    fail(std::string("attribute bias is ") + (bias ? "true" : "false") +
         " but the step lists " + std::to_string(a.params.size()) +
         " parameter(s)");
  std::string why = because({{"out", out}, {"in", x.size(-1)}});
  expectParam(a, 0, {out, x.size(-1)}, why);
  expectParam(a, 1, {out}, why);
  return at::linear(x, a.params[0], optionalParam(a, 1));
}

//===--- Sequences
//---------------------------------------------------------===//

/// Token ids [B, L] look up rows of the table; a distribution [B, L, V]
/// over the vocabulary (a differentiable bridge's) gives their expectation.
at::Tensor embed(const OpArgs &a) {
  const at::Tensor &x = a.inputs[0];
  const at::Tensor &weight = a.params[0];
  int64_t vocab = intAttr(a.step, "vocab", weight.size(0));
  int64_t dim = intAttr(a.step, "dim", weight.size(-1));
  expectParam(a, 0, {vocab, dim}, because({{"vocab", vocab}, {"dim", dim}}));
  if (x.scalar_type() == at::kLong)
    return at::embedding(weight, x);
  if (!x.is_floating_point() || x.dim() != 3 || x.size(2) != vocab)
    fail("expects token ids (int64) or a distribution [L, " +
         std::to_string(vocab) + "] over the vocabulary");
  return at::matmul(x, weight);
}

at::Tensor posembed(const OpArgs &a) {
  expectParam(a, 0, perSample(a.inputs[0]), "the input's shape");
  return a.inputs[0] + a.params[0];
}

void checkLstmParams(const OpArgs &a, int64_t input, int64_t hidden,
                     int64_t layers, int64_t directions) {
  if (static_cast<int64_t>(a.params.size()) != layers * directions * 4)
    fail("an lstm of " + std::to_string(layers) + " layer(s) and " +
         std::to_string(directions) + " direction(s) takes " +
         std::to_string(layers * directions * 4) + " parameters, not " +
         std::to_string(a.params.size()));
  size_t i = 0;
  for (int64_t layer = 0; layer < layers; ++layer) {
    int64_t in = layer == 0 ? input : hidden * directions;
    std::string why =
        because({{"layer", layer}, {"in", in}, {"hidden", hidden}});
    for (int64_t d = 0; d < directions; ++d) {
      expectParam(a, i++, {4 * hidden, in}, why);
      expectParam(a, i++, {4 * hidden, hidden}, why);
      expectParam(a, i++, {4 * hidden}, why);
      expectParam(a, i++, {4 * hidden}, why);
    }
  }
}

/// A batch-first LSTM from zero states; the output is the whole sequence.
at::Tensor lstm(const OpArgs &a) {
  expectRank(a, 3, "[L, D]");
  const at::Tensor &x = a.inputs[0];
  int64_t hidden = intAttr(a.step, "hidden");
  int64_t layers = intAttr(a.step, "layers", 1);
  bool bidirectional = boolAttr(a.step, "bidirectional", false);
  int64_t directions = bidirectional ? 2 : 1;
  checkLstmParams(a, x.size(2), hidden, layers, directions);
  at::Tensor zeros =
      at::zeros({layers * directions, x.size(0), hidden}, x.options());
  auto [output, h, c] =
      at::lstm(x, {zeros, zeros}, a.params, /*has_biases=*/true, layers,
               /*dropout=*/0.0, a.training, bidirectional,
               /*batch_first=*/true);
  return output;
}

/// Softmax over the keys of `scores` [B, heads, L, L], without the keys
/// that `padding` [B, L] marks. A sequence that is all padding has no key:
/// its weights are all zero (it attends to nothing), as in PyTorch's
/// scaled_dot_product_attention. Its scores are left unmasked first, so
/// that neither the softmax nor its gradient meets a row of -inf.
at::Tensor maskedSoftmax(const at::Tensor &scores, const at::Tensor &padding) {
  int64_t batch = padding.size(0), length = padding.size(1);
  at::Tensor noKey = padding.all(1).view({batch, 1, 1, 1});
  at::Tensor ignored = padding.view({batch, 1, 1, length})
                           .logical_and(noKey.logical_not());
  return at::softmax(scores.masked_fill(
                         ignored, -std::numeric_limits<float>::infinity()),
                     -1)
      .masked_fill(noKey, 0.0);
}

/// Multi-head self-attention as in nn.MultiheadAttention, with the token
/// input's padding as key_padding_mask when the sequence is as long
/// (BERT's attention mask; a [CLS]-prepended or image sequence has none).
at::Tensor selfAttention(const OpArgs &a, const at::Tensor &x, int64_t heads,
                         double dropout) {
  const std::vector<at::Tensor> &p = a.params;
  int64_t batch = x.size(0), length = x.size(1), width = x.size(2);
  int64_t headWidth = width / heads;
  at::Tensor qkv = at::linear(x, p[0], p[1])
                       .view({batch, length, 3, heads, headWidth})
                       .permute({2, 0, 3, 1, 4});
  at::Tensor scores = at::matmul(qkv[0], qkv[1].transpose(-2, -1)) /
                      std::sqrt(static_cast<double>(headWidth));
  bool padded = a.padding.defined() && a.padding.size(0) == batch &&
                a.padding.size(1) == length;
  at::Tensor weights = dropoutWith(
      padded ? maskedSoftmax(scores, a.padding.to(scores.device()))
             : at::softmax(scores, -1),
      dropout, a.generator);
  at::Tensor context = at::matmul(weights, qkv[2])
                           .transpose(1, 2)
                           .reshape({batch, length, width});
  return at::linear(context, p[2], p[3]);
}

/// nn.TransformerEncoderLayer(batch_first=True, activation="gelu") with
/// the step's norm_first (false: BERT's post-norm; true: ViT's pre-norm)
/// and layer-norm eps.
at::Tensor transformer(const OpArgs &a) {
  expectRank(a, 3, "[L, D]");
  const at::Tensor &x = a.inputs[0];
  const std::vector<at::Tensor> &p = a.params;
  int64_t width = x.size(2), heads = intAttr(a.step, "heads");
  int64_t ff = intAttr(a.step, "ff", p[4].size(0));
  if (width % heads != 0)
    fail("width " + std::to_string(width) + " is not divisible by " +
         std::to_string(heads) + " heads");
  std::string why = because({{"D", width}, {"ff", ff}});
  std::vector<std::vector<int64_t>> shapes = {{3 * width, width},
                                              {3 * width},
                                              {width, width},
                                              {width},
                                              {ff, width},
                                              {ff},
                                              {width, ff},
                                              {width},
                                              {width},
                                              {width},
                                              {width},
                                              {width}};
  for (size_t i = 0; i < shapes.size(); ++i)
    expectParam(a, i, shapes[i], why);
  double dropout = a.training ? numberAttr(a.step, "dropout", 0.1) : 0.0;
  double eps = numberAttr(a.step, "eps", 1e-5);
  auto norm1 = [&](const at::Tensor &t) {
    return at::layer_norm(t, {width}, p[8], p[9], eps);
  };
  auto norm2 = [&](const at::Tensor &t) {
    return at::layer_norm(t, {width}, p[10], p[11], eps);
  };
  auto attend = [&](const at::Tensor &t) {
    return dropoutWith(selfAttention(a, t, heads, dropout), dropout,
                       a.generator);
  };
  auto feed = [&](const at::Tensor &t) {
    at::Tensor inner =
        dropoutWith(at::gelu(at::linear(t, p[4], p[5])), dropout, a.generator);
    return dropoutWith(at::linear(inner, p[6], p[7]), dropout, a.generator);
  };
  if (boolAttr(a.step, "norm_first", false)) {
    at::Tensor h = x + attend(norm1(x));
    return h + feed(norm2(h));
  }
  at::Tensor h = norm1(x + attend(x));
  return norm2(h + feed(h));
}

/// Prepends the learned token to every sequence: [L, D] -> [L+1, D].
at::Tensor cls(const OpArgs &a) {
  expectRank(a, 3, "[L, D]");
  const at::Tensor &x = a.inputs[0];
  expectParam(a, 0, {x.size(2)}, because({{"D", x.size(2)}}));
  return at::cat({a.params[0].expand({x.size(0), 1, x.size(2)}), x}, 1);
}

at::Tensor last(const OpArgs &a) {
  expectRank(a, 3, "[L, D]");
  return a.inputs[0].select(1, -1);
}

//===--- Normalisation and regularisation ---------------------------------===//

at::Tensor batchnorm(const OpArgs &a) {
  const at::Tensor &x = a.inputs[0];
  if (x.dim() < 2)
    fail("expects a [C, ...] input per sample");
  std::string why = because({{"channels", x.size(1)}});
  for (size_t i = 0; i < 4; ++i)
    expectParam(a, i, {x.size(1)}, why);
  const std::vector<at::Tensor> &p = a.params;
  at::Tensor y = at::batch_norm(x, p[0], p[1], p[2], p[3], a.training,
                                numberAttr(a.step, "momentum", 0.1),
                                numberAttr(a.step, "eps", 1e-5),
                                /*cudnn_enabled=*/true);
  // ATen's CPU backward (LibTorch 2.11) reads an incoming gradient laid out
  // otherwise than the input in the wrong order where a spatial side of 1
  // makes the layout ambiguous: a patchify after the norm hands it such a
  // gradient, and the input's gradient comes out permuted (dream-smith seed
  // 4513; docs/reliability.md). It is given a contiguous one.
  auto sides = x.sizes().slice(2);
  if (y.requires_grad() && std::find(sides.begin(), sides.end(), 1) != sides.end())
    y.register_hook([](const at::Tensor &g) { return g.contiguous(); });
  return y;
}

at::Tensor layernorm(const OpArgs &a) {
  int64_t width = a.inputs[0].size(-1);
  std::string why = because({{"D", width}});
  expectParam(a, 0, {width}, why);
  expectParam(a, 1, {width}, why);
  return at::layer_norm(a.inputs[0], {width}, a.params[0], a.params[1],
                        numberAttr(a.step, "eps", 1e-5));
}

at::Tensor rmsnorm(const OpArgs &a) {
  int64_t width = a.inputs[0].size(-1);
  expectParam(a, 0, {width}, because({{"D", width}}));
  return at::rms_norm(a.inputs[0], {width}, a.params[0],
                      numberAttr(a.step, "eps", 1e-6));
}

at::Tensor dropout(const OpArgs &a) {
  return a.training
             ? dropoutWith(a.inputs[0], numberAttr(a.step, "p"), a.generator)
             : a.inputs[0];
}

/// Zeroes positions along dim 1 of `x`.
at::Tensor applyKeepMask(const at::Tensor &x, double ratio,
                         at::Generator generator) {
  at::Tensor keep = randomKeepMask(x.size(0), x.size(1), ratio, generator);
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  shape[1] = x.size(1);
  return x * keep.view(shape).to(x.device(), x.scalar_type());
}

at::Tensor mask(const OpArgs &a) {
  std::string masking = stringAttr(a.step, "masking", "train");
  if (masking == "off" || (masking == "train" && !a.training))
    return a.inputs[0];
  // `always` in evaluation masks the same positions on every call.
  at::Generator generator =
      a.training ? a.generator : at::make_generator<at::CPUGeneratorImpl>(0);
  return applyKeepMask(a.inputs[0], numberAttr(a.step, "ratio"), generator);
}

//===--- Elementwise and structural ---------------------------------------===//

at::Tensor softmax(const OpArgs &a) { return at::softmax(a.inputs[0], -1); }
at::Tensor relu(const OpArgs &a) { return at::relu(a.inputs[0]); }
at::Tensor gelu(const OpArgs &a) { return at::gelu(a.inputs[0]); }
at::Tensor silu(const OpArgs &a) { return at::silu(a.inputs[0]); }
at::Tensor tanh(const OpArgs &a) { return at::tanh(a.inputs[0]); }
at::Tensor sigmoid(const OpArgs &a) { return at::sigmoid(a.inputs[0]); }
at::Tensor softplus(const OpArgs &a) { return at::softplus(a.inputs[0]); }

at::Tensor add(const OpArgs &a) {
  at::Tensor sum = a.inputs[0];
  for (size_t i = 1; i < a.inputs.size(); ++i)
    sum = sum + a.inputs[i];
  return sum;
}

at::Tensor maxpool(const OpArgs &a) {
  expectRank(a, 4, "[C, H, W]");
  int64_t k = intAttr(a.step, "k"), stride = intAttr(a.step, "stride", k);
  int64_t pad = intAttr(a.step, "pad");
  return at::max_pool2d(a.inputs[0], {k, k}, {stride, stride}, {pad, pad});
}

at::Tensor avgpool(const OpArgs &a) {
  expectRank(a, 4, "[C, H, W]");
  int64_t k = intAttr(a.step, "k"), stride = intAttr(a.step, "stride", k);
  int64_t pad = intAttr(a.step, "pad");
  return at::avg_pool2d(a.inputs[0], {k, k}, {stride, stride}, {pad, pad});
}

/// Global pooling: [C, H, W] -> [C] over the positions of each channel,
/// and [L, D] -> [D] over the sequence (the compiler's shape rule).
at::Tensor pool(const OpArgs &a) {
  const at::Tensor &x = a.inputs[0];
  if (x.dim() < 3)
    fail("global pooling needs at least two dimensions per sample, got " +
         formatShape(perSample(x)));
  at::Tensor positions = x.dim() == 3 ? x.transpose(1, 2) : x.flatten(2);
  return stringAttr(a.step, "kind", "avg") == "max" ? positions.amax(-1)
                                                    : positions.mean(-1);
}

at::Tensor flatten(const OpArgs &a) { return a.inputs[0].flatten(1); }

at::Tensor reshape(const OpArgs &a) {
  std::vector<int64_t> shape = {-1};
  for (int64_t d : a.step.attrs.at("shape").get<std::vector<int64_t>>())
    shape.push_back(d);
  return a.inputs[0].reshape(shape);
}

at::Tensor upsample(const OpArgs &a) {
  const at::Tensor &x = a.inputs[0];
  int64_t f = intAttr(a.step, "factor");
  if (x.dim() == 4)
    return at::upsample_nearest2d(x, {x.size(2) * f, x.size(3) * f});
  if (x.dim() == 3)
    return at::upsample_nearest1d(x, {x.size(2) * f});
  fail("expects a [C, L] or [C, H, W] input per sample, got " +
       formatShape(perSample(x)));
}

/// [C, H, W] -> [N, C*p*p]: row-major patches, each flattened as (C, p, p).
at::Tensor patchify(const OpArgs &a) {
  expectRank(a, 4, "[C, H, W]");
  const at::Tensor &x = a.inputs[0];
  int64_t p = intAttr(a.step, "patch");
  int64_t batch = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  if (h % p != 0 || w % p != 0)
    fail("patch " + std::to_string(p) + " does not divide " +
         formatShape(perSample(x)));
  return x.reshape({batch, c, h / p, p, w / p, p})
      .permute({0, 2, 4, 1, 3, 5})
      .reshape({batch, (h / p) * (w / p), c * p * p});
}

/// The inverse of patchify; the image size is the step's output shape.
at::Tensor unpatchify(const OpArgs &a) {
  expectRank(a, 3, "[N, C*p*p]");
  const at::Tensor &x = a.inputs[0];
  int64_t p = intAttr(a.step, "patch"), c = intAttr(a.step, "ch");
  const std::vector<int64_t> &image = a.step.shape;
  if (image.size() != 3 || image[0] != c || image[1] % p || image[2] % p ||
      x.size(1) != (image[1] / p) * (image[2] / p) || x.size(2) != c * p * p)
    fail("cannot turn " + formatShape(perSample(x)) + " into " +
         formatShape(image) + " with patch " + std::to_string(p) + " and " +
         std::to_string(c) + " channels");
  int64_t h = image[1], w = image[2];
  return x.reshape({x.size(0), h / p, w / p, c, p, p})
      .permute({0, 3, 1, 4, 2, 5})
      .reshape({x.size(0), c, h, w});
}

at::Tensor argmax(const OpArgs &a) { return a.inputs[0].argmax(-1); }

/// One-hot of the argmax forward; backward, the gradient of the softmax
/// (the straight-through estimator).
at::Tensor straight_through(const OpArgs &a) {
  const at::Tensor &scores = a.inputs[0];
  at::Tensor soft = at::softmax(scores, -1);
  at::Tensor hard =
      at::one_hot(scores.argmax(-1), scores.size(-1)).to(soft.scalar_type());
  return hard + (soft - soft.detach());
}

/// An op a library registered (dream/NativeOp.h); its result must have the
/// shape its shape function promised dreamc.
at::Tensor native(const OpArgs &a) {
  std::string name = a.step.attrs.at("callee").get<std::string>();
  const NativeForward *forward = findNativeForward(name);
  if (!forward)
    fail("native op '" + name +
         "' is not registered by any library this trainer loaded; compile "
         "the network with `dreamc --load LIBRARY` so that the trainer links "
         "the library that defines it");
  if (!*forward)
    fail("native op '" + name + "' was registered without a forward function");
  at::Tensor out = (*forward)(a.inputs);
  if (!out.defined() || out.dim() == 0 || out.size(0) != a.inputs[0].size(0) ||
      perSample(out) != a.step.shape)
    fail("native op '" + name + "' returned " +
         (out.defined() ? formatShape(out.sizes().vec()) : "no tensor") +
         ", but its shape function promised [N] + " +
         formatShape(a.step.shape));
  return out;
}

at::Tensor concat(const OpArgs &a) {
  return at::cat(a.inputs, intAttr(a.step, "dim") + 1);
}

at::Tensor stop_gradient(const OpArgs &a) { return a.inputs[0].detach(); }
/// The executor records the value for `trainer dream` (Model::runStep).
at::Tensor observe(const OpArgs &a) { return a.inputs[0]; }

} // namespace reference

} // namespace

const std::vector<OpDef> &opTable() {
  static const std::vector<OpDef> table = {
#include "dream/Runtime/PlanOps.inc"
  };
  return table;
}

at::Tensor runReferenceOp(const OpArgs &args) {
  const OpDef *def = findOp(args.step.op);
  if (!def || !def->run)
    fail("no reference implementation of '" + args.step.op + "'");
  return def->run(args);
}

at::Tensor randomKeepMask(int64_t batch, int64_t positions, double ratio,
                          at::Generator generator) {
  auto kept =
      static_cast<int64_t>(static_cast<double>(positions) * (1 - ratio));
  at::Tensor order =
      at::rand({batch, positions}, generator)
          .argsort(/*stable=*/true, /*dim=*/1, /*descending=*/false);
  at::Tensor keep = at::ones({batch, positions});
  return keep.scatter_(1, order.narrow(1, 0, positions - kept), 0.0);
}

/// The [B, ...] keep mask of maskPieces, broadcastable against inputs of
/// shape `shape`.
at::Tensor pieceKeepMask(at::IntArrayRef shape, double ratio,
                         at::Generator generator) {
  int64_t batch = shape[0], rank = static_cast<int64_t>(shape.size());
  if (rank == 2)
    return randomKeepMask(batch, shape[1], ratio, generator);
  if (rank == 3)
    return randomKeepMask(batch, shape[1], ratio, generator)
        .view({batch, shape[1], 1});
  const int64_t p = 4;
  int64_t h = shape[rank - 2], w = shape[rank - 1];
  int64_t rows = (h + p - 1) / p, columns = (w + p - 1) / p;
  at::Tensor pixels =
      randomKeepMask(batch, rows * columns, ratio, generator)
          .view({batch, rows, columns})
          .repeat_interleave(p, 1)
          .repeat_interleave(p, 2)
          .narrow(1, 0, h)
          .narrow(2, 0, w);
  std::vector<int64_t> view(shape.size(), 1);
  view[0] = batch;
  view[rank - 2] = h;
  view[rank - 1] = w;
  return pixels.reshape(view);
}

at::Tensor maskPieces(const at::Tensor &inputs, double ratio,
                      at::Generator generator) {
  return inputs *
         pieceKeepMask(inputs.sizes(), ratio, generator).to(inputs.device());
}

at::Tensor dropoutWith(const at::Tensor &x, double p, at::Generator generator) {
  if (p <= 0)
    return x;
  at::Tensor keep = at::empty(x.sizes(), at::kFloat)
                        .bernoulli_(1 - p, generator)
                        .to(x.device(), x.scalar_type());
  return x * keep / (1 - p);
}

} // namespace dream::rt
