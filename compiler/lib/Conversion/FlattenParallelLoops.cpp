//===- FlattenParallelLoops.cpp - Loops shaped as grid x block ------------===//
//
// gpu-map-parallel-loops maps the dimensions of an outer `scf.parallel` to
// blockIdx.x/y/z, those of a nested one to threadIdx.x/y/z, and runs any
// further dimension sequentially. Parallel-loop lowering of a linalg op
// gives one loop of up to four dimensions, so mapped as is every block has
// one thread. Collapsing the loop into one dimension and tiling it by the
// block size gives the usual 1-D launch: tile index → block, position in
// the tile → thread, with a bounds guard in the last block.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace dream {
#define GEN_PASS_DEF_FLATTENPARALLELLOOPS
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

/// Replaces `loop` by a one-dimensional loop over the same iterations and
/// returns the new loop.
scf::ParallelOp collapseToOneDimension(scf::ParallelOp loop) {
  if (loop.getNumLoops() == 1)
    return loop;
  std::vector<unsigned> allDimensions(loop.getNumLoops());
  std::iota(allDimensions.begin(), allDimensions.end(), 0);
  // collapseParallelLoops builds the new loop right before the old one and
  // erases the old one; the op after it finds the new loop again.
  Operation *next = loop->getNextNode();
  IRRewriter rewriter(loop.getContext());
  collapseParallelLoops(rewriter, loop, {allDimensions});
  return cast<scf::ParallelOp>(next->getPrevNode());
}

/// Puts a sequential loop nest inside a one-iteration parallel loop, which
/// becomes a kernel with a single thread.
void wrapInParallelLoop(scf::ForOp loop) {
  OpBuilder builder(loop);
  Location loc = loop.getLoc();
  Value zero = builder.create<arith::ConstantIndexOp>(loc, 0);
  Value one = builder.create<arith::ConstantIndexOp>(loc, 1);
  auto wrapper = builder.create<scf::ParallelOp>(loc, zero, one, one);
  loop->moveBefore(wrapper.getBody()->getTerminator());
}

struct FlattenParallelLoopsPass
    : dream::impl::FlattenParallelLoopsBase<FlattenParallelLoopsPass> {
  using FlattenParallelLoopsBase::FlattenParallelLoopsBase;

  void runOnOperation() override {
    if (blockSize <= 0) {
      getOperation().emitError("block-size must be positive, not ")
          << blockSize;
      return signalPassFailure();
    }
    Region &body = getOperation().getBody();
    // Only top-level loops: nested ones run inside the kernel they are in.
    llvm::SmallVector<scf::ForOp> sequential(body.getOps<scf::ForOp>());
    llvm::SmallVector<scf::ParallelOp> parallel(body.getOps<scf::ParallelOp>());
    // A one-thread kernel is one block of one thread: no tiling.
    for (scf::ForOp loop : sequential)
      wrapInParallelLoop(loop);
    for (scf::ParallelOp loop : parallel) {
      // Loop-carried reductions would need a cross-thread combine, which
      // the GPU mapping does not build; linalg lowering never makes them.
      if (loop.getNumReductions() != 0) {
        loop.emitOpError("with reductions cannot be mapped to the GPU");
        return signalPassFailure();
      }
      scf::tileParallelLoop(collapseToOneDimension(loop), {blockSize},
                            /*noMinMaxBounds=*/true);
    }
  }
};

} // namespace
