// A native op for dreamc: gate(x, g) = x * sigmoid(g), the gating of a GLU,
// on two tensors of one shape. Built as a shared library against the
// installed dreamc (CMakeLists.txt) and loaded with `dreamc --load`.
#include <dream/NativeOp.h>

namespace {

/// Per-sample shapes in, the output's shape (or why not) out.
dream::ShapeOrError gateShape(const std::vector<dream::Shape> &inputs) {
  if (inputs[0] != inputs[1])
    return {{}, "needs its value and its gate in one shape, but they "
                "differ in shape"};
  return {inputs[0], ""};
}

/// On batched tensors; LibTorch's autograd gives the gradient.
at::Tensor gateForward(const std::vector<at::Tensor> &inputs) {
  return inputs[0] * at::sigmoid(inputs[1]);
}

} // namespace

DREAM_NATIVE_OP(gate, 2, gateShape, gateForward,
                "x * sigmoid(g) of two tensors of one shape");
