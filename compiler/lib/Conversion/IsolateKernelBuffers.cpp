//===- IsolateKernelBuffers.cpp - Arguments and results do not alias ------===//
//
// The runtime passes LibTorch tensors it still needs (saved for the backward
// pass, shared with the reference path) as kernel arguments, and wraps each
// result buffer in a tensor that frees it. So a kernel must neither write
// into an argument nor return one buffer twice: one-shot bufferization
// would do the first for a `linalg.generic` whose `outs` is an argument, and
// the second whenever two results are the same SSA value (which
// canonicalisation readily makes of a copy).
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace dream {
#define GEN_PASS_DEF_ISOLATEKERNELBUFFERS
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

/// Marks every tensor argument `bufferization.writable = false`, so that
/// bufferization copies before writing.
void makeArgumentsReadOnly(func::FuncOp function) {
  auto readOnly = BoolAttr::get(function.getContext(), false);
  for (BlockArgument argument : function.getArguments())
    if (isa<TensorType>(argument.getType()))
      function.setArgAttr(
          argument.getArgNumber(),
          bufferization::BufferizationDialect::kWritableAttrName, readOnly);
}

/// Returns a copy in a new buffer of each tensor result that is an
/// argument or an earlier result.
void makeResultsDistinct(func::ReturnOp ret) {
  OpBuilder builder(ret);
  llvm::SmallPtrSet<Value, 4> returned;
  for (OpOperand &result : ret->getOpOperands()) {
    Value value = result.get();
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type)
      continue;
    if (isa<BlockArgument>(value) || !returned.insert(value).second)
      result.set(builder.create<bufferization::AllocTensorOp>(
          ret.getLoc(), type, /*dynamicSizes=*/ValueRange(), /*copy=*/value));
  }
}

struct IsolateKernelBuffersPass
    : dream::impl::IsolateKernelBuffersBase<IsolateKernelBuffersPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    // Private functions are only called from kernels; bufferization
    // analyses their call sites together with them.
    if (!function.isPublic() || function.isExternal())
      return;
    makeArgumentsReadOnly(function);
    function.walk(makeResultsDistinct);
  }
};

} // namespace
