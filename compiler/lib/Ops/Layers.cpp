//===- Layers.cpp - Ops with parameters, run by LibTorch ------------------===//
//
// Convolutions, dense maps, embeddings, recurrent and attention layers.
// Their parameters follow PyTorch's layers (names, shapes, initialisers),
// so that a checkpoint maps onto nn.Module weights; their FLOPs count a
// multiply-add as two.
//
//===----------------------------------------------------------------------===//

#include "Entry.h"

#include "llvm/Support/FormatVariadic.h"

using namespace dream;
using namespace dream::ops;

namespace {

using C = ConstValue;
const auto I = [](int64_t v) { return C::ofInt(v); };
const auto F = [](double v) { return C::ofFloat(v); };
const auto B = [](bool v) { return C::ofBool(v); };

/// The attributes of a strided window op in a plan step.
std::vector<PlanAttr> windowAttrs() {
  return {must("out", ParamKind::Int), must("k", ParamKind::Int),
          may("stride", ParamKind::Int), may("pad", ParamKind::Int)};
}

//===--- Convolutions -----------------------------------------------------===//

OpSpec conv() {
  return Entry("conv", OpClass::Heavy,
               "2-D convolution; pad -1 keeps the size ('same' padding)")
      .takes({sizeParam("out"), sizeParam("k", 3), sizeParam("stride", 1),
              withDefault("pad", I(-1), ValueRange::atLeast(-1))})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkRank(inputs, 3, "an image [C, H, W]"))
          return *error;
        int64_t k = intArg(args, "k"), stride = intArg(args, "stride");
        int64_t pad = intArg(args, "pad");
        if (pad == -1) {
          // k / 2 on each side keeps the size only for an odd kernel.
          if (k % 2 == 0)
            return ShapeResult::fail(
                "with 'same' padding (pad -1) needs an odd kernel, not " +
                    std::to_string(k) + "; give pad explicitly",
                "k");
          pad = k / 2;
        }
        const auto &s = inputs[0].shape;
        auto h = windowOut(s[1], k, stride, pad);
        auto w = windowOut(s[2], k, stride, pad);
        if (!h || !w)
          return ShapeResult::fail("kernel " + std::to_string(k) +
                                       " is larger than the padded input " +
                                       inputs[0].str(),
                                   "k");
        return ShapeResult::ok(
            TensorType::floats({intArg(args, "out"), *h, *w}));
      })
      .owns(
          [](const ArgMap &args, const TensorType &in) {
            int64_t out = intArg(args, "out"), k = intArg(args, "k");
            int64_t c = in.shape[0];
            return std::vector<ParamInfo>{
                {"weight", {out, c, k, k}, "uniform", c * k * k, false},
                {"bias", {out}, "uniform", c * k * k, false}};
          },
          1, 2)
      .flops([](const ArgMap &args, const TensorType &in,
                const TensorType &out) {
        return 2 * in.shape[0] * countArg(args, "k") * countArg(args, "k") *
               out.elementCount();
      })
      .attributes([](ArgMap args, const TensorType &) {
        if (args.at("pad").intValue < 0)
          args["pad"] = C::ofInt(args.at("k").intValue / 2);
        return args;
      })
      .plan(windowAttrs())
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv("F.conv2d({0}, {1}, {2}, stride={3}, padding={4})",
                             c.x(), c.param(0), c.param(1),
                             c.attr("stride", "1"), c.attr("pad", "0"));
      })
      .build();
}

OpSpec deconv() {
  return Entry("deconv", OpClass::Heavy, "2-D transposed convolution")
      .takes({sizeParam("out"), sizeParam("k", 2), sizeParam("stride", 2),
              withDefault("pad", I(0), ValueRange::atLeast(0))})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
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
      })
      .owns(
          [](const ArgMap &args, const TensorType &in) {
            // nn.ConvTranspose2d stores [in, out, k, k] and computes its
            // fan-in from dimension 1, as this does.
            int64_t out = intArg(args, "out"), k = intArg(args, "k");
            int64_t c = in.shape[0];
            return std::vector<ParamInfo>{
                {"weight", {c, out, k, k}, "uniform", out * k * k, false},
                {"bias", {out}, "uniform", out * k * k, false}};
          },
          1, 2)
      .flops([](const ArgMap &args, const TensorType &in, const TensorType &) {
        return 2 * in.elementCount() * countArg(args, "k") * countArg(args, "k") *
               countArg(args, "out");
      })
      .plan(windowAttrs())
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv(
            "F.conv_transpose2d({0}, {1}, {2}, stride={3}, padding={4})", c.x(),
            c.param(0), c.param(1), c.attr("stride", "1"), c.attr("pad", "0"));
      })
      .build();
}

OpSpec conv1d() {
  return Entry("conv1d", OpClass::Heavy, "1-D convolution over a sequence")
      .takes({sizeParam("out"), sizeParam("k", 3), sizeParam("stride", 1),
              withDefault("pad", I(0), ValueRange::atLeast(0))})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
          return *error;
        auto length = windowOut(inputs[0].shape[0], intArg(args, "k"),
                                intArg(args, "stride"), intArg(args, "pad"));
        if (!length)
          return ShapeResult::fail("kernel is longer than the sequence " +
                                       inputs[0].str(),
                                   "k");
        return ShapeResult::ok(
            TensorType::floats({*length, intArg(args, "out")}));
      })
      .owns(
          [](const ArgMap &args, const TensorType &in) {
            int64_t out = intArg(args, "out"), k = intArg(args, "k");
            int64_t d = in.shape[1];
            return std::vector<ParamInfo>{
                {"weight", {out, d, k}, "uniform", d * k, false},
                {"bias", {out}, "uniform", d * k, false}};
          },
          1, 2)
      .flops([](const ArgMap &args, const TensorType &in,
                const TensorType &out) {
        return 2 * in.shape[1] * countArg(args, "k") * out.elementCount();
      })
      .plan(windowAttrs())
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv("F.conv1d({0}.transpose(1, 2), {1}, {2}, "
                             "stride={3}, padding={4}).transpose(1, 2)",
                             c.x(), c.param(0), c.param(1),
                             c.attr("stride", "1"), c.attr("pad", "0"));
      })
      .build();
}

//===--- Dense maps and embeddings ----------------------------------------===//

OpSpec dense() {
  return Entry("dense", OpClass::Heavy, "affine map of the last dimension")
      .takes({sizeParam("out"), withDefault("bias", B(true))})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkFloat(inputs))
          return *error;
        if (inputs[0].rank() == 0 || inputs[0].rank() > 2)
          return ShapeResult::fail(
              "expects a vector [D] or a sequence [L, D], but its input is " +
              inputs[0].str() + "; flatten or pool it first");
        TensorType out = inputs[0];
        out.shape.back() = intArg(args, "out");
        return ShapeResult::ok(out);
      })
      .owns(
          [](const ArgMap &args, const TensorType &in) {
            int64_t out = intArg(args, "out"), d = in.shape.back();
            std::vector<ParamInfo> params = {
                {"weight", {out, d}, "uniform", d, false}};
            if (args.at("bias").boolValue)
              params.push_back({"bias", {out}, "uniform", d, false});
            return params;
          },
          1, 2)
      .flops([](const ArgMap &, const TensorType &in, const TensorType &out) {
        return 2 * in.shape.back() * out.elementCount();
      })
      .exportAs([](const ExportContext &c) {
        return "F.linear(" + c.x() + ", " + c.param(0) + ", " + c.param(1) +
               ")";
      })
      .build();
}

/// Token ids [L] -> [L, dim]. In the dialect also a distribution [L, V]
/// over the op's vocabulary, which a differentiable bridge feeds an encoder
/// (the `vocab` attribute says V; source programs cannot give one).
OpSpec embed() {
  return Entry("embed", OpClass::Heavy,
               "token ids (or distributions over the vocabulary) to vectors")
      .takes({sizeParam("dim")})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
        const TensorType &in = inputs[0];
        bool distribution = !in.isTokens() && in.rank() == 2 &&
                            in.vocab != 0 && in.shape[1] == in.vocab;
        if (!in.isTokens() && !distribution)
          return ShapeResult::fail("expects tokens, but its input is " +
                                   in.str());
        return ShapeResult::ok(
            TensorType::floats({inputs[0].shape[0], intArg(args, "dim")}));
      })
      .owns(
          [](const ArgMap &args, const TensorType &in) {
            return std::vector<ParamInfo>{
                {"weight",
                 {in.embeddingVocabulary(), intArg(args, "dim")},
                 "normal",
                 0,
                 false}};
          },
          1, 1)
      // A table lookup multiplies nothing; a distribution (a differentiable
      // bridge's) multiplies the table.
      .flops([](const ArgMap &, const TensorType &in, const TensorType &out) {
        return in.isTokens() ? int64_t(0)
                             : 2 * in.shape.back() * out.elementCount();
      })
      .attributes([](ArgMap args, const TensorType &input) {
        args["vocab"] = C::ofInt(input.embeddingVocabulary());
        return args;
      })
      .plan({may("dim", ParamKind::Int), may("vocab", ParamKind::Int)})
      .exportAs([](const ExportContext &c) {
        return "_embed(" + c.x() + ", " + c.param(0) + ")";
      })
      .build();
}

OpSpec posembed() {
  return Entry("posembed", OpClass::Pointwise,
               "adds a learned position embedding")
      .shape([](const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
          return *error;
        return ShapeResult::ok(inputs[0]);
      })
      .owns(
          [](const ArgMap &, const TensorType &in) {
            return std::vector<ParamInfo>{
                {"weight", in.shape, "normal_0.02", 0, false}};
          },
          1, 1)
      .exportAs([](const ExportContext &c) {
        return c.x() + " + " + c.param(0);
      })
      .build();
}

OpSpec cls() {
  return Entry("cls", OpClass::Layout,
               "prepends a learned token (ViT's [CLS]): [L, D] -> [L+1, D]")
      .shape([](const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
          return *error;
        return ShapeResult::ok(
            TensorType::floats({inputs[0].shape[0] + 1, inputs[0].shape[1]}));
      })
      .owns(
          [](const ArgMap &, const TensorType &in) {
            return std::vector<ParamInfo>{
                {"weight", {in.shape[1]}, "normal_0.02", 0, false}};
          },
          1, 1)
      .exportAs([](const ExportContext &c) {
        return "_cls(" + c.x() + ", " + c.param(0) + ")";
      })
      .build();
}

//===--- Recurrent and attention layers -----------------------------------===//

OpSpec lstm() {
  return Entry("lstm", OpClass::Heavy, "LSTM over a sequence")
      .takes({sizeParam("hidden"), sizeParam("layers", 1),
              withDefault("bidirectional", B(false))})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
          return *error;
        int64_t width = intArg(args, "hidden") *
                        (args.at("bidirectional").boolValue ? 2 : 1);
        return ShapeResult::ok(TensorType::floats({inputs[0].shape[0], width}));
      })
      .owns(
          [](const ArgMap &args, const TensorType &in) {
            int64_t hidden = intArg(args, "hidden");
            int64_t directions = args.at("bidirectional").boolValue ? 2 : 1;
            std::vector<ParamInfo> params;
            for (int64_t layer = 0; layer < intArg(args, "layers"); ++layer) {
              int64_t width = layer == 0 ? in.shape[1] : hidden * directions;
              for (int64_t d = 0; d < directions; ++d) {
                std::string suffix =
                    "_l" + std::to_string(layer) + (d ? "_reverse" : "");
                params.push_back({"weight_ih" + suffix,
                                  {4 * hidden, width},
                                  "uniform",
                                  hidden,
                                  false});
                params.push_back({"weight_hh" + suffix,
                                  {4 * hidden, hidden},
                                  "uniform",
                                  hidden,
                                  false});
                params.push_back(
                    {"bias_ih" + suffix, {4 * hidden}, "uniform", hidden, false});
                params.push_back(
                    {"bias_hh" + suffix, {4 * hidden}, "uniform", hidden, false});
              }
            }
            return params;
          },
          4, -1)
      .flops([](const ArgMap &args, const TensorType &in, const TensorType &) {
        int64_t hidden = countArg(args, "hidden"), length = in.shape[0];
        int64_t width = in.shape[1], flops = 0;
        int64_t directions = countArg(args, "bidirectional") ? 2 : 1;
        for (int64_t layer = 0; layer < countArg(args, "layers"); ++layer) {
          flops += directions * length * 2 * 4 * hidden * (width + hidden);
          width = hidden * directions;
        }
        return flops;
      })
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv("_lstm({0}, {1}, {2}, {3}, {4}, {5})", c.x(),
                             c.paramList(), c.attr("hidden", "0"),
                             c.attr("layers", "1"),
                             c.attr("bidirectional", "False"), c.training);
      })
      .build();
}

OpSpec transformer() {
  return Entry("transformer", OpClass::Heavy,
               "transformer encoder layer: post-norm (BERT) or, with "
               "norm_first, pre-norm (ViT)")
      .takes({sizeParam("heads"),
              withDefault("ff", I(0), ValueRange::atLeast(0)),
              withDefault("dropout", F(0.0), ValueRange::fraction()),
              withDefault("norm_first", B(false)),
              withDefault("eps", F(1e-5), ValueRange::positive())})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
          return *error;
        int64_t width = inputs[0].shape[1], heads = intArg(args, "heads");
        if (width % heads != 0)
          return ShapeResult::fail("width " + std::to_string(width) +
                                       " is not divisible by " +
                                       std::to_string(heads) + " heads",
                                   "heads");
        return ShapeResult::ok(inputs[0]);
      })
      .owns(
          [](const ArgMap &args, const TensorType &in) {
            int64_t d = in.shape[1];
            int64_t ff = intArg(args, "ff") > 0 ? intArg(args, "ff") : 4 * d;
            return std::vector<ParamInfo>{
                {"self_attn.in_proj_weight", {3 * d, d}, "xavier_uniform", d,
                 false},
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
          },
          12, 12)
      .flops([](const ArgMap &args, const TensorType &in, const TensorType &) {
        int64_t length = in.shape[0], width = in.shape[1];
        int64_t ff = countArg(args, "ff");
        return length * (2 * 4 * width * width + 2 * 2 * width * ff) +
               2 * 2 * length * length * width;
      })
      .attributes([](ArgMap args, const TensorType &input) {
        if (args.at("ff").intValue == 0)
          args["ff"] = C::ofInt(4 * input.shape.back());
        return args;
      })
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv(
            "_transformer({0}, {1}, {2}, {3}, {4}, {5}, {6}, pad)", c.x(),
            c.paramList(), c.attr("heads", "1"), c.attr("dropout", "0.1"),
            c.training, c.attr("norm_first", "False"), c.attr("eps", "1e-05"));
      })
      .build();
}

} // namespace

std::vector<OpSpec> ops::layerOps() {
  return {conv(), deconv(), conv1d(), dense(), embed(),
          posembed(), cls(), lstm(), transformer()};
}
