//===- CollapseContiguousLoops.cpp - Fewer, longer loops ------------------===//
//
// An NCHW elementwise op iterates 4 loops, the innermost 28 long: LLVM
// unrolls that loop completely before its loop vectoriser sees it, and the
// straight-line code that remains stays scalar. Where consecutive loops walk
// every operand contiguously (all of C, H, W for an elementwise op; H, W for
// a per-channel broadcast or reduction), one loop over their product does
// the same work, is long enough to vectorise, and indexes with fewer
// multiplications.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace dream {
#define GEN_PASS_DEF_COLLAPSECONTIGUOUSLOOPS
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

/// The maximal runs of consecutive loops of one iterator type that every
/// indexing map of `op` either walks contiguously or ignores; runs of one
/// loop are left out.
llvm::SmallVector<ReassociationIndices>
contiguousLoopRuns(linalg::LinalgOp op) {
  if (!isa<linalg::GenericOp>(op.getOperation()) ||
      !op.hasPureTensorSemantics())
    return {};
  llvm::SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // MLIR 19's collapsing rewrites a constant index such as the `(0)` of a
  // total reduction's output into a loop index, which is wrong: only
  // collapse maps that are plain (projected) permutations of the loops.
  if (!llvm::all_of(maps,
                    [](AffineMap map) { return map.isProjectedPermutation(); }))
    return {};
  llvm::SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  llvm::SmallVector<ReassociationIndices> runs;
  ReassociationIndices run = {0};
  auto closeRun = [&] {
    if (run.size() > 1)
      runs.push_back(run);
  };
  for (int64_t loop = 1, e = op.getNumLoops(); loop < e; ++loop) {
    ReassociationIndices extended = run;
    extended.push_back(loop);
    if (iterators[loop] == iterators[run.front()] &&
        linalg::areDimSequencesPreserved(maps, {extended})) {
      run = std::move(extended);
      continue;
    }
    closeRun();
    run = {loop};
  }
  closeRun();
  return runs;
}

struct CollapseContiguousLoopsPass
    : dream::impl::CollapseContiguousLoopsBase<CollapseContiguousLoopsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateCollapseDimensions(patterns, contiguousLoopRuns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
