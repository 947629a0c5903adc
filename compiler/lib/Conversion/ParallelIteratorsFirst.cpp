//===- ParallelIteratorsFirst.cpp - Parallel loops outermost --------------===//
//
// A GPU kernel is made from one `scf.parallel`; parallel-loop lowering only
// puts the outermost run of parallel iterators in it. Moving the reductions
// innermost makes that run all of them: each thread then owns one output
// element and accumulates it alone, so no atomics are needed.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

namespace dream {
#define GEN_PASS_DEF_PARALLELITERATORSFIRST
#include "Passes.h.inc"
} // namespace dream

namespace {

/// The loop order with parallel iterators first, each group in its
/// original order; empty when that is the current order.
llvm::SmallVector<unsigned> parallelFirstOrder(mlir::linalg::GenericOp op) {
  llvm::SmallVector<unsigned> parallel, reduction;
  for (auto [index, type] : llvm::enumerate(op.getIteratorTypesArray()))
    (mlir::linalg::isParallelIterator(type) ? parallel : reduction)
        .push_back(index);
  llvm::append_range(parallel, reduction);
  for (auto [position, loop] : llvm::enumerate(parallel))
    if (position != loop)
      return parallel;
  return {};
}

struct ParallelIteratorsFirstPass
    : dream::impl::ParallelIteratorsFirstBase<ParallelIteratorsFirstPass> {
  void runOnOperation() override {
    mlir::IRRewriter rewriter(&getContext());
    llvm::SmallVector<mlir::linalg::GenericOp> generics;
    getOperation().walk(
        [&](mlir::linalg::GenericOp op) { generics.push_back(op); });
    for (mlir::linalg::GenericOp op : generics) {
      llvm::SmallVector<unsigned> order = parallelFirstOrder(op);
      if (order.empty())
        continue;
      rewriter.setInsertionPoint(op);
      if (mlir::failed(
              mlir::linalg::interchangeGenericOp(rewriter, op, order))) {
        op.emitOpError("cannot move its parallel iterators outermost");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
