//===- Builtins.cpp - The primitive ops and their shape rules -------------===//

#include "dream/Ops/Builtins.h"

#include <cmath>

using namespace dream;

//===----------------------------------------------------------------------===//
// Shape rules
//===----------------------------------------------------------------------===//

namespace {

int64_t intArg(const ArgMap &args, const char *name) {
  return args.at(name).intValue;
}

std::optional<ShapeResult> checkRank(llvm::ArrayRef<TensorType> inputs,
                                     size_t rank, const char *what) {
  const TensorType &in = inputs[0];
  if (in.isTokens())
    return ShapeResult::fail(std::string("expects ") + what +
                             ", but its input is " + in.str() +
                             "; embed the tokens first");
  if (in.rank() != rank)
    return ShapeResult::fail(std::string("expects ") + what +
                             ", but its input is " + in.str());
  return std::nullopt;
}

std::optional<ShapeResult> checkFloat(llvm::ArrayRef<TensorType> inputs) {
  if (inputs[0].isTokens())
    return ShapeResult::fail("expects float activations, but its input is " +
                             inputs[0].str() + "; embed the tokens first");
  return std::nullopt;
}

ShapeResult sameShape(const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkFloat(inputs))
    return *error;
  return ShapeResult::ok(inputs[0]);
}

/// Output size of a strided window: (in + 2 pad - k) / stride + 1.
std::optional<int64_t> windowOut(int64_t in, int64_t k, int64_t stride,
                                 int64_t pad) {
  int64_t span = in + 2 * pad - k;
  if (span < 0)
    return std::nullopt;
  return span / stride + 1;
}

ShapeResult inferConv(const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 3, "an image [C, H, W]"))
    return *error;
  int64_t k = intArg(args, "k"), stride = intArg(args, "stride");
  int64_t pad = intArg(args, "pad");
  if (pad == -1) {
    // k / 2 on each side keeps the size only for an odd kernel.
    if (k % 2 == 0)
      return ShapeResult::fail("with 'same' padding (pad -1) needs an odd "
                               "kernel, not " +
                                   std::to_string(k) + "; give pad explicitly",
                               "k");
    pad = k / 2;
  }
  const auto &s = inputs[0].shape;
  auto h = windowOut(s[1], k, stride, pad), w = windowOut(s[2], k, stride, pad);
  if (!h || !w)
    return ShapeResult::fail("kernel " + std::to_string(k) +
                                 " is larger than the padded input " +
                                 inputs[0].str(),
                             "k");
  return ShapeResult::ok(TensorType::floats({intArg(args, "out"), *h, *w}));
}

ShapeResult inferDeconv(const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 3, "an image [C, H, W]"))
    return *error;
  int64_t k = intArg(args, "k"), stride = intArg(args, "stride");
  int64_t pad = intArg(args, "pad");
  const auto &s = inputs[0].shape;
  int64_t h = (s[1] - 1) * stride - 2 * pad + k;
  int64_t w = (s[2] - 1) * stride - 2 * pad + k;
  if (h <= 0 || w <= 0 || h > kMaxDim || w > kMaxDim)
    return ShapeResult::fail("gives an empty or oversized output", "pad");
  return ShapeResult::ok(TensorType::floats({intArg(args, "out"), h, w}));
}

ShapeResult inferConv1d(const ArgMap &args,
                        llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
    return *error;
  auto length = windowOut(inputs[0].shape[0], intArg(args, "k"),
                          intArg(args, "stride"), intArg(args, "pad"));
  if (!length)
    return ShapeResult::fail("kernel is longer than the sequence " +
                                 inputs[0].str(),
                             "k");
  return ShapeResult::ok(TensorType::floats({*length, intArg(args, "out")}));
}

ShapeResult inferBatchNorm(const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 3, "an image [C, H, W]"))
    return *error;
  return ShapeResult::ok(inputs[0]);
}

ShapeResult inferWindowPool(const ArgMap &args,
                            llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 3, "an image [C, H, W]"))
    return *error;
  int64_t k = intArg(args, "k");
  int64_t stride = intArg(args, "stride") > 0 ? intArg(args, "stride") : k;
  const auto &s = inputs[0].shape;
  auto h = windowOut(s[1], k, stride, 0), w = windowOut(s[2], k, stride, 0);
  if (!h || !w)
    return ShapeResult::fail("window " + std::to_string(k) +
                                 " is larger than the input " +
                                 inputs[0].str(),
                             "k");
  return ShapeResult::ok(TensorType::floats({s[0], *h, *w}));
}

ShapeResult inferGlobalPool(const ArgMap &,
                            llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkFloat(inputs))
    return *error;
  const auto &s = inputs[0].shape;
  if (s.size() == 3)
    return ShapeResult::ok(TensorType::floats({s[0]}));
  if (s.size() == 2)
    return ShapeResult::ok(TensorType::floats({s[1]}));
  return ShapeResult::fail("expects an image [C, H, W] or a sequence [L, D], "
                           "but its input is " +
                           inputs[0].str());
}

ShapeResult inferLast(const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
    return *error;
  return ShapeResult::ok(TensorType::floats({inputs[0].shape[1]}));
}

ShapeResult inferFlatten(const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkFloat(inputs))
    return *error;
  int64_t count = inputs[0].elementCount();
  if (count > kMaxDim)
    return ShapeResult::fail("flattening " + inputs[0].str() +
                             " gives more than 2^31 features");
  return ShapeResult::ok(TensorType::floats({count}));
}

ShapeResult inferDense(const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkFloat(inputs))
    return *error;
  if (inputs[0].rank() == 0 || inputs[0].rank() > 2)
    return ShapeResult::fail("expects a vector [D] or a sequence [L, D], but "
                             "its input is " +
                             inputs[0].str() + "; flatten or pool it first");
  TensorType out = inputs[0];
  out.shape.back() = intArg(args, "out");
  return ShapeResult::ok(out);
}

/// Token ids [L] -> [L, dim]. In the dialect also a distribution [L, V]
/// over the op's vocabulary, which a differentiable bridge feeds an encoder
/// (the `vocab` attribute says V; source programs cannot give one).
ShapeResult inferEmbed(const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
  const TensorType &in = inputs[0];
  bool distribution = !in.isTokens() && in.rank() == 2 && in.vocab != 0 &&
                      in.shape[1] == in.vocab;
  if (!in.isTokens() && !distribution)
    return ShapeResult::fail("expects tokens, but its input is " + in.str());
  return ShapeResult::ok(
      TensorType::floats({inputs[0].shape[0], intArg(args, "dim")}));
}

ShapeResult inferSequenceSame(const ArgMap &,
                              llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
    return *error;
  return ShapeResult::ok(inputs[0]);
}

ShapeResult inferLstm(const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
    return *error;
  int64_t width = intArg(args, "hidden") *
                  (args.at("bidirectional").boolValue ? 2 : 1);
  return ShapeResult::ok(TensorType::floats({inputs[0].shape[0], width}));
}

ShapeResult inferTransformer(const ArgMap &args,
                             llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
    return *error;
  int64_t width = inputs[0].shape[1], heads = intArg(args, "heads");
  if (width % heads != 0)
    return ShapeResult::fail("width " + std::to_string(width) +
                                 " is not divisible by " +
                                 std::to_string(heads) + " heads",
                             "heads");
  return ShapeResult::ok(inputs[0]);
}

ShapeResult inferCls(const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
    return *error;
  return ShapeResult::ok(
      TensorType::floats({inputs[0].shape[0] + 1, inputs[0].shape[1]}));
}

ShapeResult inferArgmax(const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 2, "scores [L, V] over a vocabulary"))
    return *error;
  return ShapeResult::ok(
      TensorType::tokens(inputs[0].shape[0], inputs[0].shape[1]));
}

ShapeResult inferScores(const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 2, "scores [L, V] over a vocabulary"))
    return *error;
  return ShapeResult::ok(inputs[0]);
}

ShapeResult inferUpsample(const ArgMap &args,
                          llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 3, "an image [C, H, W]"))
    return *error;
  int64_t f = intArg(args, "factor");
  const auto &s = inputs[0].shape;
  if (s[1] * f > kMaxDim || s[2] * f > kMaxDim)
    return ShapeResult::fail("gives an oversized image", "factor");
  return ShapeResult::ok(TensorType::floats({s[0], s[1] * f, s[2] * f}));
}

ShapeResult inferPatchify(const ArgMap &args,
                          llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 3, "an image [C, H, W]"))
    return *error;
  int64_t p = intArg(args, "patch");
  const auto &s = inputs[0].shape;
  if (s[1] % p != 0 || s[2] % p != 0)
    return ShapeResult::fail("image " + inputs[0].str() +
                                 " is not divisible into " + std::to_string(p) +
                                 "x" + std::to_string(p) + " patches",
                             "patch");
  return ShapeResult::ok(
      TensorType::floats({(s[1] / p) * (s[2] / p), s[0] * p * p}));
}

ShapeResult inferUnpatchify(const ArgMap &args,
                            llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 2, "patches [N, C*P*P]"))
    return *error;
  int64_t p = intArg(args, "patch"), ch = intArg(args, "ch");
  int64_t n = inputs[0].shape[0], d = inputs[0].shape[1];
  auto side = static_cast<int64_t>(std::llround(std::sqrt(double(n))));
  if (side * side != n)
    return ShapeResult::fail(std::to_string(n) +
                             " patches do not form a square grid");
  if (d != ch * p * p)
    return ShapeResult::fail("patch width " + std::to_string(d) +
                                 " is not ch * patch * patch = " +
                                 std::to_string(ch * p * p),
                             "ch");
  return ShapeResult::ok(TensorType::floats({ch, side * p, side * p}));
}

ShapeResult inferConcat(const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
  int64_t dim = intArg(args, "dim");
  const TensorType &first = inputs[0];
  if (auto error = checkFloat(inputs))
    return *error;
  if (dim < 0 || dim >= static_cast<int64_t>(first.rank()))
    return ShapeResult::fail("dimension " + std::to_string(dim) +
                                 " is out of range for " + first.str(),
                             "dim");
  TensorType out = first;
  for (size_t i = 1; i < inputs.size(); ++i) {
    const TensorType &next = inputs[i];
    bool compatible = !next.isTokens() && next.rank() == first.rank();
    for (size_t d = 0; compatible && d < first.rank(); ++d)
      compatible = static_cast<int64_t>(d) == dim ||
                   next.shape[d] == first.shape[d];
    if (!compatible)
      return ShapeResult::fail("cannot concatenate " + first.str() + " and " +
                               next.str() + " along dimension " +
                               std::to_string(dim));
    out.shape[dim] += next.shape[dim];
  }
  return ShapeResult::ok(out);
}

ShapeResult inferSum(const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
  return inferAdd(inputs);
}

ShapeResult inferReshape(const ArgMap &args,
                         llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkFloat(inputs))
    return *error;
  std::vector<int64_t> shape;
  for (const ConstValue &item : args.at("shape").items)
    shape.push_back(item.intValue);
  TensorType out = TensorType::floats(shape);
  if (shape.empty() || out.elementCount() != inputs[0].elementCount())
    return ShapeResult::fail("cannot reshape " + inputs[0].str() + " (" +
                                 std::to_string(inputs[0].elementCount()) +
                                 " elements) to " + out.str(),
                             "shape");
  return ShapeResult::ok(out);
}

ParamSpec required(std::string name, ParamKind kind,
                   std::optional<ValueRange> range = std::nullopt) {
  return {std::move(name), kind, std::nullopt, {}, range};
}
ParamSpec withDefault(std::string name, ConstValue value,
                      std::optional<ValueRange> range = std::nullopt) {
  ParamKind kind = value.kind == ConstValue::Kind::Int     ? ParamKind::Int
                   : value.kind == ConstValue::Kind::Float ? ParamKind::Float
                   : value.kind == ConstValue::Kind::Bool  ? ParamKind::Bool
                                                           : ParamKind::Word;
  return {std::move(name), kind, std::move(value), {}, range};
}
/// A size such as a channel count, kernel or stride: from 1 to kMaxDim.
ParamSpec sizeParam(std::string name, std::optional<int64_t> byDefault = {}) {
  if (byDefault)
    return withDefault(std::move(name), ConstValue::ofInt(*byDefault),
                       ValueRange::size());
  return required(std::move(name), ParamKind::Int, ValueRange::size());
}
ParamSpec oneOf(std::string name, std::vector<std::string> choices) {
  ConstValue first = ConstValue::ofWord(choices.front());
  return {std::move(name), ParamKind::Word, first, std::move(choices)};
}

OpSpec op(std::string name, std::vector<ParamSpec> params, OpClass opClass,
          ShapeRule infer, std::string summary, unsigned arity = 1,
          ParamRule owned = nullptr) {
  return {{std::move(name), std::move(params)}, arity, opClass,
          std::move(infer), std::move(summary), std::move(owned)};
}

//===----------------------------------------------------------------------===//
// Parameter rules: the shapes and initialisers of PyTorch's layers
//===----------------------------------------------------------------------===//

std::vector<ParamInfo> convParams(const ArgMap &args, const TensorType &in) {
  int64_t out = intArg(args, "out"), k = intArg(args, "k"), c = in.shape[0];
  return {{"weight", {out, c, k, k}, "uniform", c * k * k, false},
          {"bias", {out}, "uniform", c * k * k, false}};
}

std::vector<ParamInfo> deconvParams(const ArgMap &args, const TensorType &in) {
  // nn.ConvTranspose2d stores [in, out, k, k] and computes its fan-in from
  // dimension 1, as this does.
  int64_t out = intArg(args, "out"), k = intArg(args, "k"), c = in.shape[0];
  return {{"weight", {c, out, k, k}, "uniform", out * k * k, false},
          {"bias", {out}, "uniform", out * k * k, false}};
}

std::vector<ParamInfo> conv1dParams(const ArgMap &args, const TensorType &in) {
  int64_t out = intArg(args, "out"), k = intArg(args, "k"), d = in.shape[1];
  return {{"weight", {out, d, k}, "uniform", d * k, false},
          {"bias", {out}, "uniform", d * k, false}};
}

std::vector<ParamInfo> denseParams(const ArgMap &args, const TensorType &in) {
  int64_t out = intArg(args, "out"), d = in.shape.back();
  std::vector<ParamInfo> params = {{"weight", {out, d}, "uniform", d, false}};
  if (args.at("bias").boolValue)
    params.push_back({"bias", {out}, "uniform", d, false});
  return params;
}

std::vector<ParamInfo> embedParams(const ArgMap &args, const TensorType &in) {
  return {{"weight", {in.embeddingVocabulary(), intArg(args, "dim")},
           "normal", 0, false}};
}

std::vector<ParamInfo> posembedParams(const ArgMap &, const TensorType &in) {
  return {{"weight", in.shape, "normal_0.02", 0, false}};
}

std::vector<ParamInfo> clsParams(const ArgMap &, const TensorType &in) {
  return {{"weight", {in.shape[1]}, "normal_0.02", 0, false}};
}

std::vector<ParamInfo> lstmParams(const ArgMap &args, const TensorType &in) {
  int64_t hidden = intArg(args, "hidden");
  int64_t directions = args.at("bidirectional").boolValue ? 2 : 1;
  std::vector<ParamInfo> params;
  for (int64_t layer = 0; layer < intArg(args, "layers"); ++layer) {
    int64_t width = layer == 0 ? in.shape[1] : hidden * directions;
    for (int64_t d = 0; d < directions; ++d) {
      std::string suffix =
          "_l" + std::to_string(layer) + (d ? "_reverse" : "");
      params.push_back(
          {"weight_ih" + suffix, {4 * hidden, width}, "uniform", hidden, false});
      params.push_back({"weight_hh" + suffix, {4 * hidden, hidden}, "uniform",
                        hidden, false});
      params.push_back(
          {"bias_ih" + suffix, {4 * hidden}, "uniform", hidden, false});
      params.push_back(
          {"bias_hh" + suffix, {4 * hidden}, "uniform", hidden, false});
    }
  }
  return params;
}

std::vector<ParamInfo> transformerParams(const ArgMap &args,
                                         const TensorType &in) {
  int64_t d = in.shape[1];
  int64_t ff = intArg(args, "ff") > 0 ? intArg(args, "ff") : 4 * d;
  return {{"self_attn.in_proj_weight", {3 * d, d}, "xavier_uniform", d, false},
          {"self_attn.in_proj_bias", {3 * d}, "zeros", 0, false},
          {"self_attn.out_proj.weight", {d, d}, "uniform", d, false},
          {"self_attn.out_proj.bias", {d}, "zeros", 0, false},
          {"linear1.weight", {ff, d}, "uniform", d, false},
          {"linear1.bias", {ff}, "uniform", d, false},
          {"linear2.weight", {d, ff}, "uniform", ff, false},
          {"linear2.bias", {d}, "uniform", ff, false},
          {"norm1.weight", {d}, "ones", 0, false},
          {"norm1.bias", {d}, "zeros", 0, false},
          {"norm2.weight", {d}, "ones", 0, false},
          {"norm2.bias", {d}, "zeros", 0, false}};
}

std::vector<ParamInfo> batchnormParams(const ArgMap &, const TensorType &in) {
  int64_t c = in.shape[0];
  return {{"weight", {c}, "ones", 0, false},
          {"bias", {c}, "zeros", 0, false},
          {"running_mean", {c}, "zeros", 0, true},
          {"running_var", {c}, "ones", 0, true}};
}

std::vector<ParamInfo> layernormParams(const ArgMap &, const TensorType &in) {
  int64_t d = in.shape.back();
  return {{"weight", {d}, "ones", 0, false}, {"bias", {d}, "zeros", 0, false}};
}

/// `norm` is batchnorm on images and layernorm otherwise.
std::vector<ParamInfo> normParams(const ArgMap &args, const TensorType &in) {
  return in.rank() == 3 ? batchnormParams(args, in)
                        : layernormParams(args, in);
}

std::vector<OpSpec> makeOps() {
  using C = ConstValue;
  auto I = [](int64_t v) { return C::ofInt(v); };
  auto F = [](double v) { return C::ofFloat(v); };
  auto B = [](bool v) { return C::ofBool(v); };
  return {
      op("conv",
         {sizeParam("out"), sizeParam("k", 3), sizeParam("stride", 1),
          withDefault("pad", I(-1), ValueRange::atLeast(-1))},
         OpClass::Heavy, inferConv,
         "2-D convolution; pad -1 keeps the size ('same' padding)", 1,
         convParams),
      op("deconv",
         {sizeParam("out"), sizeParam("k", 2), sizeParam("stride", 2),
          withDefault("pad", I(0), ValueRange::atLeast(0))},
         OpClass::Heavy, inferDeconv, "2-D transposed convolution", 1,
         deconvParams),
      op("conv1d",
         {sizeParam("out"), sizeParam("k", 3), sizeParam("stride", 1),
          withDefault("pad", I(0), ValueRange::atLeast(0))},
         OpClass::Heavy, inferConv1d, "1-D convolution over a sequence", 1,
         conv1dParams),
      op("batchnorm", {}, OpClass::Normalization, inferBatchNorm,
         "batch normalisation over the channels of an image", 1,
         batchnormParams),
      op("layernorm", {withDefault("eps", F(1e-5), ValueRange::positive())},
         OpClass::Normalization, sameShape,
         "layer normalisation over the last dimension", 1, layernormParams),
      op("norm", {}, OpClass::Normalization, sameShape,
         "batchnorm on images, layernorm on sequences and vectors", 1,
         normParams),
      op("relu", {}, OpClass::Pointwise, sameShape, "max(x, 0)"),
      op("gelu", {}, OpClass::Pointwise, sameShape,
         "Gaussian error linear unit"),
      op("silu", {}, OpClass::Pointwise, sameShape, "x * sigmoid(x)"),
      op("tanh", {}, OpClass::Pointwise, sameShape, "hyperbolic tangent"),
      op("sigmoid", {}, OpClass::Pointwise, sameShape, "logistic function"),
      op("dropout", {withDefault("p", F(0.1), ValueRange::fraction())},
         OpClass::Pointwise, sameShape,
         "zeroes elements with probability p while training"),
      op("maxpool",
         {sizeParam("k", 2),
          withDefault("stride", I(0), ValueRange::atLeast(0))},
         OpClass::Layout, inferWindowPool,
         "max over k x k windows; stride 0 means k"),
      op("avgpool",
         {sizeParam("k", 2),
          withDefault("stride", I(0), ValueRange::atLeast(0))},
         OpClass::Layout, inferWindowPool,
         "mean over k x k windows; stride 0 means k"),
      op("pool", {oneOf("kind", {"avg", "max"})}, OpClass::Reduction,
         inferGlobalPool, "global pooling: [C, H, W] -> [C], [L, D] -> [D]"),
      op("last", {}, OpClass::Layout, inferLast,
         "the last step of a sequence: [L, D] -> [D]"),
      op("flatten", {}, OpClass::Layout, inferFlatten,
         "all dimensions into one"),
      op("reshape", {required("shape", ParamKind::IntList, ValueRange::size())},
         OpClass::Layout, inferReshape, "the same elements in another shape"),
      op("dense", {sizeParam("out"), withDefault("bias", B(true))},
         OpClass::Heavy, inferDense, "affine map of the last dimension", 1,
         denseParams),
      op("embed", {sizeParam("dim")}, OpClass::Heavy, inferEmbed,
         "token ids (or distributions over the vocabulary) to vectors", 1,
         embedParams),
      op("posembed", {}, OpClass::Pointwise, inferSequenceSame,
         "adds a learned position embedding", 1, posembedParams),
      op("cls", {}, OpClass::Layout, inferCls,
         "prepends a learned token (ViT's [CLS]): [L, D] -> [L+1, D]", 1,
         clsParams),
      op("lstm",
         {sizeParam("hidden"), sizeParam("layers", 1),
          withDefault("bidirectional", B(false))},
         OpClass::Heavy, inferLstm, "LSTM over a sequence", 1, lstmParams),
      op("transformer",
         {sizeParam("heads"), withDefault("ff", I(0), ValueRange::atLeast(0)),
          withDefault("dropout", F(0.0), ValueRange::fraction()),
          withDefault("norm_first", B(false)),
          withDefault("eps", F(1e-5), ValueRange::positive())},
         OpClass::Heavy, inferTransformer,
         "transformer encoder layer: post-norm (BERT) or, with norm_first, "
         "pre-norm (ViT)", 1,
         transformerParams),
      op("softmax", {}, OpClass::Normalization, sameShape,
         "softmax over the last dimension"),
      op("argmax", {}, OpClass::Reduction, inferArgmax,
         "the index of the largest score at each position; passes no "
         "gradient"),
      op("straight_through", {}, OpClass::Reduction, inferScores,
         "one-hot of the largest score at each position; its gradient is "
         "softmax's (the straight-through estimator)"),
      op("upsample", {sizeParam("factor", 2)}, OpClass::Layout, inferUpsample,
         "nearest-neighbour upsampling"),
      op("patchify", {sizeParam("patch")}, OpClass::Layout, inferPatchify,
         "an image into a sequence of flattened patches"),
      op("unpatchify", {sizeParam("patch"), sizeParam("ch")}, OpClass::Layout,
         inferUnpatchify, "patches back into an image"),
      op("mask", {withDefault("ratio", F(0.75), ValueRange::fraction())},
         OpClass::Pointwise, sameShape,
         "zeroes a random fraction of sequence positions"),
      op("concat", {withDefault("dim", I(0))}, OpClass::Layout, inferConcat,
         "joins a tuple of tensors along a dimension", kVariadic),
      op("sum", {}, OpClass::Pointwise, inferSum, "adds the tensors of a tuple",
         kVariadic),
  };
}

} // namespace

ShapeResult dream::inferAdd(llvm::ArrayRef<TensorType> operands) {
  for (const TensorType &operand : operands) {
    if (operand.isTokens())
      return ShapeResult::fail("cannot add token ids " + operand.str());
    if (operand != operands.front())
      return ShapeResult::fail("cannot add " + operands.front().str() +
                               " and " + operand.str() +
                               ": merged branches must have the same shape");
  }
  return ShapeResult::ok(operands.front());
}

llvm::ArrayRef<OpSpec> dream::allOps() {
  static const std::vector<OpSpec> ops = makeOps();
  return ops;
}

const OpSpec *dream::lookupOp(llvm::StringRef name) {
  for (const OpSpec &spec : allOps())
    if (spec.signature.name == name)
      return &spec;
  return lookupNativeOp(name);
}
