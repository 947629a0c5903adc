//===- Shaping.cpp - Pooling, layout and token ops ------------------------===//
//
// Ops that move, pool or pick values without parameters of their own. The
// runtime runs them with LibTorch; their FLOPs count one per output
// element.
//
//===----------------------------------------------------------------------===//

#include "Entry.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace dream;
using namespace dream::ops;

namespace {

using C = ConstValue;

//===--- Pooling ----------------------------------------------------------===//

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

/// maxpool or avgpool: `kind` is "max" or "avg".
OpSpec windowPool(const std::string &kind, std::string summary) {
  return Entry(kind + "pool", OpClass::Layout, std::move(summary))
      .takes({sizeParam("k", 2),
              withDefault("stride", C::ofInt(0), ValueRange::atLeast(0))})
      .shape(inferWindowPool)
      // A stride of 0 means the window.
      .attributes([](ArgMap args, const TensorType &) {
        if (args.at("stride").intValue == 0)
          args["stride"] = args.at("k");
        return args;
      })
      .plan({must("k", ParamKind::Int), may("stride", ParamKind::Int),
             may("pad", ParamKind::Int)})
      .exportAs([kind](const ExportContext &c) -> std::string {
        return llvm::formatv("F.{0}_pool2d({1}, {2}, {3}, {4})", kind, c.x(),
                             c.attr("k", "2"),
                             c.attr("stride", c.attr("k", "2")),
                             c.attr("pad", "0"));
      })
      .build();
}

OpSpec pool() {
  return Entry("pool", OpClass::Reduction,
               "global pooling: [C, H, W] -> [C], [L, D] -> [D]")
      .takes({oneOf("kind", {"avg", "max"})})
      .shape([](const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkFloat(inputs))
          return *error;
        const auto &s = inputs[0].shape;
        if (s.size() == 3)
          return ShapeResult::ok(TensorType::floats({s[0]}));
        if (s.size() == 2)
          return ShapeResult::ok(TensorType::floats({s[1]}));
        return ShapeResult::fail("expects an image [C, H, W] or a sequence "
                                 "[L, D], but its input is " +
                                 inputs[0].str());
      })
      .exportAs([](const ExportContext &c) {
        return "_pool(" + c.x() + ", " + c.attr("kind", "\"avg\"") + ")";
      })
      .build();
}

//===--- Layout -----------------------------------------------------------===//

OpSpec last() {
  return Entry("last", OpClass::Layout,
               "the last step of a sequence: [L, D] -> [D]")
      .shape([](const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkRank(inputs, 2, "a sequence [L, D]"))
          return *error;
        return ShapeResult::ok(TensorType::floats({inputs[0].shape[1]}));
      })
      .exportAs([](const ExportContext &c) { return c.x() + "[:, -1]"; })
      .build();
}

OpSpec flatten() {
  return Entry("flatten", OpClass::Layout, "all dimensions into one")
      .shape([](const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkFloat(inputs))
          return *error;
        int64_t count = inputs[0].elementCount();
        if (count > kMaxDim)
          return ShapeResult::fail("flattening " + inputs[0].str() +
                                   " gives more than 2^31 features");
        return ShapeResult::ok(TensorType::floats({count}));
      })
      .exportAs([](const ExportContext &c) { return c.x() + ".flatten(1)"; })
      .build();
}

OpSpec reshape() {
  return Entry("reshape", OpClass::Layout, "the same elements in another shape")
      .takes({required("shape", ParamKind::IntList, ValueRange::size())})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkFloat(inputs))
          return *error;
        std::vector<int64_t> shape;
        for (const ConstValue &item : args.at("shape").items)
          shape.push_back(item.intValue);
        TensorType out = TensorType::floats(shape);
        if (shape.empty() || out.elementCount() != inputs[0].elementCount())
          return ShapeResult::fail(
              "cannot reshape " + inputs[0].str() + " (" +
                  std::to_string(inputs[0].elementCount()) + " elements) to " +
                  out.str(),
              "shape");
        return ShapeResult::ok(out);
      })
      .exportAs([](const ExportContext &c) {
        return c.x() + ".reshape((-1,) + " + c.attr("shape", "()") + ")";
      })
      .build();
}

OpSpec upsample() {
  return Entry("upsample", OpClass::Layout, "nearest-neighbour upsampling")
      .takes({sizeParam("factor", 2)})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkRank(inputs, 3, "an image [C, H, W]"))
          return *error;
        int64_t f = intArg(args, "factor");
        const auto &s = inputs[0].shape;
        if (s[1] * f > kMaxDim || s[2] * f > kMaxDim)
          return ShapeResult::fail("gives an oversized image", "factor");
        return ShapeResult::ok(TensorType::floats({s[0], s[1] * f, s[2] * f}));
      })
      .plan({must("factor", ParamKind::Int)})
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv(
            "F.interpolate({0}, scale_factor={1}, mode=\"nearest\")", c.x(),
            c.attr("factor", "2"));
      })
      .build();
}

OpSpec patchify() {
  return Entry("patchify", OpClass::Layout,
               "an image into a sequence of flattened patches")
      .takes({sizeParam("patch")})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
        if (auto error = checkRank(inputs, 3, "an image [C, H, W]"))
          return *error;
        int64_t p = intArg(args, "patch");
        const auto &s = inputs[0].shape;
        if (s[1] % p != 0 || s[2] % p != 0)
          return ShapeResult::fail("image " + inputs[0].str() +
                                       " is not divisible into " +
                                       std::to_string(p) + "x" +
                                       std::to_string(p) + " patches",
                                   "patch");
        return ShapeResult::ok(
            TensorType::floats({(s[1] / p) * (s[2] / p), s[0] * p * p}));
      })
      .exportAs([](const ExportContext &c) {
        return "_patchify(" + c.x() + ", " + c.attr("patch", "1") + ")";
      })
      .build();
}

OpSpec unpatchify() {
  return Entry("unpatchify", OpClass::Layout, "patches back into an image")
      .takes({sizeParam("patch"), sizeParam("ch")})
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
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
      })
      .exportAs([](const ExportContext &c) -> std::string {
        return llvm::formatv("_unpatchify({0}, {1}, {2}, {3}, {4})", c.x(),
                             c.attr("patch", "1"), c.attr("ch", "1"),
                             c.shape[1], c.shape[2]);
      })
      .build();
}

OpSpec concat() {
  return Entry("concat", OpClass::Layout,
               "joins a tuple of tensors along a dimension")
      .takes({withDefault("dim", C::ofInt(0))})
      .variadic()
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
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
            return ShapeResult::fail("cannot concatenate " + first.str() +
                                     " and " + next.str() +
                                     " along dimension " + std::to_string(dim));
          out.shape[dim] += next.shape[dim];
        }
        return ShapeResult::ok(out);
      })
      .plan({must("dim", ParamKind::Int)})
      .exportAs([](const ExportContext &c) {
        // The plan's dimensions are per sample; PyTorch's count the batch.
        std::string e = "torch.cat([";
        for (const std::string &input : c.inputs)
          e += input + ", ";
        return e + "], " + std::to_string(std::stoi(c.attr("dim", "0")) + 1) +
               ")";
      })
      .build();
}

//===--- Token bridges ----------------------------------------------------===//

ShapeResult inferScores(const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkRank(inputs, 2, "scores [L, V] over a vocabulary"))
    return *error;
  return ShapeResult::ok(inputs[0]);
}

OpSpec argmax() {
  return Entry("argmax", OpClass::Reduction,
               "the index of the largest score at each position; passes no "
               "gradient")
      .shape([](const ArgMap &args, llvm::ArrayRef<TensorType> inputs) {
        ShapeResult scores = inferScores(args, inputs);
        if (!scores.type)
          return scores;
        return ShapeResult::ok(
            TensorType::tokens(inputs[0].shape[0], inputs[0].shape[1]));
      })
      .exportAs([](const ExportContext &c) { return c.x() + ".argmax(-1)"; })
      .build();
}

OpSpec straightThrough() {
  return Entry("straight_through", OpClass::Reduction,
               "one-hot of the largest score at each position; its gradient "
               "is softmax's (the straight-through estimator)")
      .shape(inferScores)
      .exportAs(callOn("_straight_through"))
      .build();
}

} // namespace

std::vector<OpSpec> ops::shapingOps() {
  return {windowPool("max", "max over k x k windows; stride 0 means k"),
          windowPool("avg", "mean over k x k windows; stride 0 means k"),
          pool(),
          last(),
          flatten(),
          reshape(),
          upsample(),
          patchify(),
          unpatchify(),
          concat(),
          argmax(),
          straightThrough()};
}
