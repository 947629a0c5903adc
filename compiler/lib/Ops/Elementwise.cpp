//===- Elementwise.cpp - Pointwise ops and normalisations -----------------===//
//
// The ops that fused kernels compute: dreamc generates their forward from
// the body GenerateKernels.cpp gives each one and derives the backward.
// Random ones (dropout, masking) stay with the runtime's generator.
//
//===----------------------------------------------------------------------===//

#include "Entry.h"

#include "llvm/Support/FormatVariadic.h"

using namespace dream;
using namespace dream::ops;

namespace {

using C = ConstValue;

/// A pointwise op of one input, exported as one PyTorch call.
OpSpec unary(std::string name, std::string summary, std::string pytorch) {
  return Entry(std::move(name), OpClass::Pointwise, std::move(summary))
      .shape(sameShape)
      .exportAs(callOn(std::move(pytorch)))
      .build();
}

//===--- Normalisations ---------------------------------------------------===//

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

OpSpec batchnorm() {
  return Entry("batchnorm", OpClass::Normalization,
               "batch normalisation over the channels of an image")
      .shape([](const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkRank(inputs, 3, "an image [C, H, W]"))
          return *error;
        return ShapeResult::ok(inputs[0]);
      })
      .owns(batchnormParams, 4, 4)
      // The dialect adds PyTorch's epsilon and momentum.
      .plan({may("eps", ParamKind::Float), may("momentum", ParamKind::Float)})
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv(
            "_batch_norm({0}, {3}, {4}, {1}, {2}, {5}, {6}, {7})", c.x(),
            c.param(0), c.param(1), c.param(2), c.param(3), c.training,
            c.attr("momentum", "0.1"), c.attr("eps", "1e-05"));
      })
      .build();
}

OpSpec layernorm() {
  return Entry("layernorm", OpClass::Normalization,
               "layer normalisation over the last dimension")
      .takes({withDefault("eps", C::ofFloat(1e-5), ValueRange::positive())})
      .shape(sameShape)
      .owns(layernormParams, 2, 2)
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv("F.layer_norm({0}, ({0}.shape[-1],), {1}, {2}, {3})",
                             c.x(), c.param(0), c.param(1),
                             c.attr("eps", "1e-05"));
      })
      .build();
}

bool isImage(const TensorType &input) { return input.rank() == 3; }

OpSpec norm() {
  return Entry("norm", OpClass::Normalization,
               "batchnorm on images, layernorm on sequences and vectors")
      .shape(sameShape)
      .owns(
          [](const ArgMap &args, const TensorType &in) {
            return isImage(in) ? batchnormParams(args, in)
                               : layernormParams(args, in);
          },
          2, 4)
      .alias([](const TensorType &input) -> std::string {
        return isImage(input) ? "batchnorm" : "layernorm";
      })
      .build();
}

OpSpec rmsnorm() {
  return Entry("rmsnorm", OpClass::Normalization,
               "RMS normalisation over the last dimension: x / rms(x) * weight")
      .takes({withDefault("eps", C::ofFloat(1e-6), ValueRange::positive())})
      .shape(sameShape)
      .owns(
          [](const ArgMap &, const TensorType &in) {
            return std::vector<ParamInfo>{
                {"weight", {in.shape.back()}, "ones", 0, false}};
          },
          1, 1)
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv("F.rms_norm({0}, ({0}.shape[-1],), {1}, {2})",
                             c.x(), c.param(0), c.attr("eps", "1e-06"));
      })
      .build();
}

OpSpec softmax() {
  return Entry("softmax", OpClass::Normalization,
               "softmax over the last dimension")
      .shape(sameShape)
      .exportAs([](const ExportContext &c) {
        return "torch.softmax(" + c.x() + ", -1)";
      })
      .build();
}

//===--- Random ops -------------------------------------------------------===//

OpSpec dropout() {
  return Entry("dropout", OpClass::Pointwise,
               "zeroes elements with probability p while training")
      .takes({withDefault("p", C::ofFloat(0.1), ValueRange::fraction())})
      .shape(sameShape)
      .lowersTo(Lowering::LibTorch)
      .plan({must("p", ParamKind::Float)})
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv("F.dropout({0}, {1}, {2})", c.x(),
                             c.attr("p", "0.1"), c.training);
      })
      .build();
}

OpSpec mask() {
  return Entry("mask", OpClass::Pointwise,
               "zeroes a random fraction of sequence positions")
      .takes({withDefault("ratio", C::ofFloat(0.75), ValueRange::fraction())})
      .shape(sameShape)
      .lowersTo(Lowering::LibTorch)
      // The dialect adds the masking mode of the connection that owns it.
      .plan({must("ratio", ParamKind::Float),
             may("masking", ParamKind::Word, {"train", "always", "off"})})
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv("_mask({0}, {1}, {2}, {3})", c.x(),
                             c.attr("ratio", "0.75"),
                             c.attr("masking", "\"train\""), c.training);
      })
      .build();
}

OpSpec sum() {
  return Entry("sum", OpClass::Pointwise, "adds the tensors of a tuple")
      .variadic()
      .shape([](const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
        return inferAdd(inputs);
      })
      .alias([](const TensorType &) -> std::string { return "add"; })
      .build();
}

} // namespace

std::vector<OpSpec> ops::elementwiseOps() {
  return {batchnorm(),
          layernorm(),
          rmsnorm(),
          norm(),
          softmax(),
          unary("relu", "max(x, 0)", "F.relu"),
          unary("gelu", "Gaussian error linear unit", "F.gelu"),
          unary("silu", "x * sigmoid(x)", "F.silu"),
          unary("tanh", "hyperbolic tangent", "torch.tanh"),
          unary("sigmoid", "logistic function", "torch.sigmoid"),
          unary("softplus", "log(1 + exp(x)), a smooth relu", "F.softplus"),
          dropout(),
          mask(),
          sum()};
}
