//===- NativeOpSignature.h - What dreamc knows of a native op ---*- C++ -*-===//
//
// A native op is written in C++ against LibTorch and registered by a shared
// library (dream/NativeOp.h). This header is the part the compiler needs:
// its name, how many tensors it takes and its shape function. It is free
// of LibTorch, so dreamc reads it without LibTorch's headers; dreamc finds
// the signatures through dream_native_op_signatures() after loading a
// library with `--load`.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_NATIVEOPSIGNATURE_H
#define DREAM_NATIVEOPSIGNATURE_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dream {

/// A per-sample shape: the batch dimension left out ([C, H, W], [L, D]).
using Shape = std::vector<int64_t>;

/// The output shape of an op, or (when `error` is set) why its inputs do
/// not fit, in words that complete "'op' ...": "needs two tensors of one
/// shape, not [8, 28, 28] and [4, 28, 28]".
struct ShapeOrError {
  Shape shape;
  std::string error;
};

using NativeShapeFunction =
    std::function<ShapeOrError(const std::vector<Shape> &inputs)>;

struct NativeOpSignature {
  std::string name;
  /// Float tensors it takes: 1, or a tuple of `arity` (`(a, b) -> op`).
  unsigned arity = 1;
  NativeShapeFunction shape;
  std::string summary;
};

} // namespace dream

/// Every op the loaded libraries registered, in registration order (defined
/// by libdreamrt).
extern "C" const std::vector<dream::NativeOpSignature> *
dream_native_op_signatures();

#endif // DREAM_NATIVEOPSIGNATURE_H
