//===- FuseSiblingReductions.cpp - One pass for independent reductions ----===//
//
// A derived batch-norm backward sums several products over the same
// [N, C, H, W] tensors into per-channel values: sum(dy), sum(dy * (x - mean)),
// ... Each sum is its own generic, so each reads the big tensors again,
// although none needs another's result. Merged into one generic with one
// result per sum, they read them once. Producer-consumer fusion cannot do
// this: the sums are siblings, not a chain.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/IR/IRMapping.h"

namespace dream {
#define GEN_PASS_DEF_FUSESIBLINGREDUCTIONS
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

bool isReduction(linalg::GenericOp op) {
  return op.hasPureTensorSemantics() && op.getNumReductionLoops() > 0;
}

/// Whether `a` and `b` iterate the same loops: the same iterator types, and
/// one input value read by both through the same permutation, which fixes
/// every loop's range to that value's dimensions.
bool sameIterationSpace(linalg::GenericOp a, linalg::GenericOp b) {
  if (a.getIteratorTypesArray() != b.getIteratorTypesArray())
    return false;
  for (OpOperand *x : a.getDpsInputOperands()) {
    AffineMap map = a.getMatchingIndexingMap(x);
    if (!map.isPermutation())
      continue;
    for (OpOperand *y : b.getDpsInputOperands())
      if (y->get() == x->get() && b.getMatchingIndexingMap(y) == map)
        return true;
  }
  return false;
}

/// Whether `candidate` can join `group` (in block order, all before it):
/// same loops, no dependence on a member, and no member's result used
/// before `candidate`, where the merged op will stand.
bool canJoin(ArrayRef<linalg::GenericOp> group, linalg::GenericOp candidate) {
  if (!sameIterationSpace(group.front(), candidate))
    return false;
  Block *block = candidate->getBlock();
  BackwardSliceOptions options;
  options.filter = [&](Operation *op) { return op->getBlock() == block; };
  llvm::SetVector<Operation *> slice;
  getBackwardSlice(candidate.getOperation(), &slice, options);
  for (linalg::GenericOp member : group) {
    if (slice.contains(member))
      return false;
    for (Operation *user : member->getUsers()) {
      Operation *owner = block->findAncestorOpInBlock(*user);
      if (owner && owner->isBeforeInBlock(candidate))
        return false;
    }
  }
  return true;
}

/// Replaces `group` by one generic at the last member's place: the members'
/// inputs, then their inits, and their bodies one after the other.
void merge(ArrayRef<linalg::GenericOp> group) {
  SmallVector<Value> inputs, inits;
  SmallVector<AffineMap> inputMaps, initMaps;
  SmallVector<Type> resultTypes;
  for (linalg::GenericOp member : group) {
    for (OpOperand *input : member.getDpsInputOperands()) {
      inputs.push_back(input->get());
      inputMaps.push_back(member.getMatchingIndexingMap(input));
    }
    for (OpOperand &init : member.getDpsInitsMutable()) {
      inits.push_back(init.get());
      initMaps.push_back(member.getMatchingIndexingMap(&init));
    }
    llvm::append_range(resultTypes, member->getResultTypes());
  }
  SmallVector<AffineMap> maps = inputMaps;
  llvm::append_range(maps, initMaps);
  linalg::GenericOp first = group.front(), last = group.back();
  OpBuilder builder(last);
  auto merged = builder.create<linalg::GenericOp>(
      last.getLoc(), resultTypes, inputs, inits, maps,
      first.getIteratorTypesArray(),
      [&](OpBuilder &body, Location loc, ValueRange args) {
        ValueRange inputArgs = args.take_front(inputs.size());
        ValueRange initArgs = args.drop_front(inputs.size());
        SmallVector<Value> yields;
        for (linalg::GenericOp member : group) {
          IRMapping mapping;
          Block &old = *member.getBody();
          size_t numInputs = member.getNumDpsInputs();
          size_t numInits = member.getNumDpsInits();
          for (size_t i = 0; i < numInputs; ++i)
            mapping.map(old.getArgument(i), inputArgs[i]);
          for (size_t i = 0; i < numInits; ++i)
            mapping.map(old.getArgument(numInputs + i), initArgs[i]);
          inputArgs = inputArgs.drop_front(numInputs);
          initArgs = initArgs.drop_front(numInits);
          for (Operation &op : old.without_terminator())
            body.clone(op, mapping);
          for (Value yielded : old.getTerminator()->getOperands())
            yields.push_back(mapping.lookupOrDefault(yielded));
        }
        body.create<linalg::YieldOp>(loc, yields);
      });
  ValueRange results = merged->getResults();
  for (linalg::GenericOp member : group) {
    size_t count = member->getNumResults();
    member->replaceAllUsesWith(results.take_front(count));
    results = results.drop_front(count);
    member->erase();
  }
}

struct FuseSiblingReductions
    : dream::impl::FuseSiblingReductionsBase<FuseSiblingReductions> {
  void runOnOperation() override {
    SmallVector<Block *> blocks;
    getOperation().walk([&](Block *block) { blocks.push_back(block); });
    for (Block *block : blocks) {
      SmallVector<linalg::GenericOp> left;
      for (auto op : block->getOps<linalg::GenericOp>())
        if (isReduction(op))
          left.push_back(op);
      // Greedily, in block order: the first reduction left and every later
      // one that can join it.
      while (!left.empty()) {
        SmallVector<linalg::GenericOp> group = {left.front()};
        SmallVector<linalg::GenericOp> rest;
        for (linalg::GenericOp candidate : llvm::drop_begin(left)) {
          if (canJoin(group, candidate))
            group.push_back(candidate);
          else
            rest.push_back(candidate);
        }
        if (group.size() > 1)
          merge(group);
        left = std::move(rest);
      }
    }
    // The members often read the same tensors: one operand each.
    if (failed(dream::eraseUnusedOperandsAndResults(getOperation())))
      signalPassFailure();
  }
};

} // namespace
