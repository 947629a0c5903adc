// A native-op library that dreamc must refuse: its op is named like a
// builtin (test/Frontend/Errors/load-op-library.test).
#include "dream/NativeOp.h"

DREAM_NATIVE_OP(
    relu, 1,
    [](const std::vector<dream::Shape> &in) {
      return dream::ShapeOrError{in[0], ""};
    },
    [](const std::vector<at::Tensor> &in) { return in[0].clamp_min(0); },
    "a second relu");
