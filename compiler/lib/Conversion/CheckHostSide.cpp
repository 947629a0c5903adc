//===- CheckHostSide.cpp - GPU host functions leave buffer data alone -----===//
//
// The GPU pipeline allocates every buffer in device memory; an access from
// the host would crash there. This check turns such code into a compile
// error at the op.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace dream {
#define GEN_PASS_DEF_CHECKHOSTSIDE
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

bool touchesBufferData(Operation *op) {
  return isa<memref::LoadOp, memref::StoreOp, memref::CopyOp,
             linalg::LinalgOp>(op);
}

struct CheckHostSidePass : dream::impl::CheckHostSideBase<CheckHostSidePass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([](Operation *op) {
      if (!touchesBufferData(op))
        return WalkResult::advance();
      op->emitError("accesses device memory from the host: this op was not "
                    "moved into a GPU kernel");
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
