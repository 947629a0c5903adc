//===- NativeOp.h - Registering an op written against LibTorch --*- C++ -*-===//
//
// The extension API: a shared library built against the installed dreamc
// (find_package(dreamc), target dreamc::runtime) registers ops with
//
//   DREAM_NATIVE_OP(gate, 2, gateShape, gateForward,
//                   "x * sigmoid(g) of two tensors of one shape");
//
// `dreamc --load libops.so` then accepts `(x, g) -> gate` in .dream files,
// checks shapes with the shape function and links the library into the
// trainer, whose executor runs the forward function on batched tensors;
// LibTorch's autograd differentiates it. Native ops own no parameters and
// are never fused. See docs/extending.md.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_NATIVEOP_H
#define DREAM_NATIVEOP_H

#include "dream/NativeOpSignature.h"

#include <ATen/ATen.h>

namespace dream {

/// The op on batched tensors ([N, ...] each), in the order of the tuple.
using NativeForward =
    std::function<at::Tensor(const std::vector<at::Tensor> &inputs)>;

/// Adds an op to the registry; for DREAM_NATIVE_OP. dreamc checks what was
/// registered when it loads the library (a name, arity 1 or more, a shape
/// function, no second op of the name, no clash with a builtin op).
bool registerNativeOp(std::string name, unsigned arity,
                      NativeShapeFunction shape, NativeForward forward,
                      std::string summary);

/// The forward function of the op called `name` (empty if it was registered
/// without one), or null if no op has the name.
const NativeForward *findNativeForward(const std::string &name);

} // namespace dream

/// Registers op NAME (an identifier) when the library is loaded; the rest
/// are the shape function, the forward function and a summary (variadic,
/// so that lambdas with commas pass through).
#define DREAM_NATIVE_OP(NAME, ARITY, ...)                                     \
  static const bool dreamNativeOp_##NAME =                                    \
      ::dream::registerNativeOp(#NAME, ARITY, __VA_ARGS__)

#endif // DREAM_NATIVEOP_H
