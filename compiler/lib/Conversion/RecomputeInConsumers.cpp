//===- RecomputeInConsumers.cpp - Compute a cheap value where it is read --===//
//
// A pointwise value that two generics read is stored whole by the first
// loop nest and read back by the others: one write and one read of every
// element per extra consumer, and a buffer as large as the value. For a
// body of a few arithmetic ops, computing it again inside each consumer is
// cheaper than that memory traffic, and the buffer goes away.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace dream {
#define GEN_PASS_DEF_RECOMPUTEINCONSUMERS
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

/// The most ops (its yield aside) a producer's body may have to be
/// computed again per consumer: enough for a softmax's exp(x - max) or a
/// norm's (x - mean) * rstd, small against a round trip through memory.
constexpr size_t kMaxRecomputedOps = 8;

/// Whether `use` can compute its producer's value itself, once per element:
/// an input of a generic with as many loops that reads it through a
/// permutation, not a broadcast.
bool canRecomputeAt(OpOperand &use, linalg::GenericOp producer) {
  auto consumer = dyn_cast<linalg::GenericOp>(use.getOwner());
  return consumer && consumer.isDpsInput(&use) &&
         consumer.getNumLoops() == producer.getNumLoops() &&
         consumer.getMatchingIndexingMap(&use).isPermutation() &&
         linalg::areElementwiseOpsFusable(&use);
}

bool worthRecomputing(linalg::GenericOp producer) {
  if (!producer.hasPureTensorSemantics() || producer.getNumResults() != 1 ||
      producer.getNumParallelLoops() != producer.getNumLoops() ||
      producer->use_empty() ||
      producer.payloadUsesValueFromOperand(producer.getDpsInitOperand(0)) ||
      producer.getBody()->getOperations().size() - 1 > kMaxRecomputedOps)
    return false;
  return llvm::all_of(producer->getUses(), [&](OpOperand &use) {
    return canRecomputeAt(use, producer);
  });
}

/// Fuses `producer` into each of its consumers and erases it.
LogicalResult recomputeInConsumers(RewriterBase &rewriter,
                                   linalg::GenericOp producer) {
  while (!producer->use_empty()) {
    OpOperand &use = *producer->getUses().begin();
    Operation *consumer = use.getOwner();
    rewriter.setInsertionPoint(consumer);
    FailureOr<linalg::ElementwiseOpFusionResult> fused =
        linalg::fuseElementwiseOps(rewriter, &use);
    if (failed(fused))
      return producer.emitError("could not fuse into ") << *consumer;
    // Only the consumer's results are replaced. The fused op also yields
    // the producer's value, for its other users; that result stays unused
    // and is erased below, each of them computing the value itself.
    for (Value result : consumer->getResults())
      rewriter.replaceAllUsesWith(result, fused->replacements.lookup(result));
    rewriter.eraseOp(consumer);
  }
  rewriter.eraseOp(producer);
  return success();
}

struct RecomputeInConsumers
    : dream::impl::RecomputeInConsumersBase<RecomputeInConsumers> {
  void runOnOperation() override {
    // First, so that a consumer reading the value twice computes it once.
    if (failed(dream::eraseUnusedOperandsAndResults(getOperation())))
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    // Each fusion replaces consumers, which may be candidates themselves:
    // look for the next candidate afresh. Each round removes one generic.
    while (true) {
      linalg::GenericOp next;
      getOperation().walk([&](linalg::GenericOp op) {
        if (!worthRecomputing(op))
          return WalkResult::advance();
        next = op;
        return WalkResult::interrupt();
      });
      if (!next)
        break;
      if (failed(recomputeInConsumers(rewriter, next)))
        return signalPassFailure();
    }
    if (failed(dream::eraseUnusedOperandsAndResults(getOperation())))
      signalPassFailure();
  }
};

} // namespace

LogicalResult dream::eraseUnusedOperandsAndResults(Operation *root) {
  RewritePatternSet patterns(root->getContext());
  linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
  return applyPatternsAndFoldGreedily(root, std::move(patterns));
}
