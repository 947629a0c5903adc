//===- SplitReductions.cpp - Reductions over many GPU threads -------------===//
//
// Parallel-loop lowering makes a reduction one `scf.parallel` over its
// outputs around an `scf.for` nest over the reduced dimensions (a total
// reduction: the nest alone), accumulating into each output with a load, a
// combining op and a store. On the GPU that is one thread per output: a
// batch norm's per-channel statistics are 64 threads, each summing N·H·W
// terms. This pass splits such a loop in two:
//
//   partial loop: over outputs × K chunks. Thread (output, k) combines the
//     terms k, k + K, k + 2K, ... of the flattened reduced extent E in a
//     register, from the combiner's neutral element, and stores the result
//     in a partial buffer. Neighbouring threads take neighbouring terms, so
//     their loads are coalesced.
//   combining loop: over outputs, folds the K partials into the output in
//     order, with the same combining op, as the original loop folded terms.
//
// K = clamp(ceil(E / terms-per-thread), 1, max-threads / outputs) is
// computed on the host, so the grid grows with the reduced extent (the
// batch) up to about max-threads threads. Only loops with a static number
// of outputs are split (a dynamic one grows with the batch already), and
// only when the split may give two or more chunks.
//
// Accuracy: the combining op and its accumulator type are the original
// ones (f64 for f32 sums after dream-widen-sum-accumulators), and a sum of
// K partial sums of E/K terms each has a smaller error bound than one
// running sum of E terms.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace dream {
#define GEN_PASS_DEF_SPLITREDUCTIONS
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

/// An output the loop nest accumulates into: `store(combine(load), M[I])`
/// where `load` reads M[I] and nothing else reads it.
struct Accumulator {
  memref::LoadOp load;
  Operation *combine;
  memref::StoreOp store;
  TypedAttr neutral;

  /// The value combined with the accumulator.
  Value term() {
    Value lhs = combine->getOperand(0);
    return lhs == load.getResult() ? combine->getOperand(1) : lhs;
  }
};

/// A reduction as parallel-loop lowering leaves it.
struct Reduction {
  scf::ParallelOp outputs; ///< Null for a total reduction.
  SmallVector<scf::ForOp> loops; ///< Reduced dimensions, outermost first.
  SmallVector<Accumulator> accumulators;

  Operation *root() {
    return outputs ? outputs.getOperation() : loops.front().getOperation();
  }
  Block &body() { return *loops.back().getBody(); }
};

/// Whether `value` is defined outside `root`, so the host may use it.
bool definedAbove(Value value, Operation *root) {
  return !root->isAncestor(value.getParentRegion()->getParentOp());
}

/// Whether `loop` counts from 0 by 1 to a bound known outside `root`,
/// without loop-carried values.
bool isPlainLoop(scf::ForOp loop, Operation *root) {
  return loop.getInitArgs().empty() &&
         getConstantIntValue(loop.getLowerBound()) == 0 &&
         getConstantIntValue(loop.getStep()) == 1 &&
         definedAbove(loop.getUpperBound(), root);
}

/// The only op of `block` besides its terminator, if it is an scf.for.
scf::ForOp onlyLoop(Block &block) {
  if (block.getOperations().size() != 2)
    return nullptr;
  return dyn_cast<scf::ForOp>(block.front());
}

/// The accumulator that `store` ends, if it is one.
std::optional<Accumulator> matchAccumulator(memref::StoreOp store,
                                            Reduction &reduction) {
  Operation *combine = store.getValueToStore().getDefiningOp();
  if (!combine || combine->getBlock() != &reduction.body() ||
      combine->getNumOperands() != 2 || !combine->hasOneUse())
    return std::nullopt;
  std::optional<TypedAttr> neutral = arith::getNeutralElement(combine);
  if (!neutral)
    return std::nullopt;
  for (Value operand : combine->getOperands()) {
    auto load = operand.getDefiningOp<memref::LoadOp>();
    if (load && load->getBlock() == &reduction.body() && load->hasOneUse() &&
        load.getMemRef() == store.getMemRef() &&
        llvm::equal(load.getIndices(), store.getIndices()))
      return Accumulator{load, combine, store, *neutral};
  }
  return std::nullopt;
}

/// Whether every index of `store` names the same output in each iteration
/// of the reduced loops: an output loop's index or a value from outside.
bool indexesAnOutput(memref::StoreOp store, Reduction &reduction) {
  return llvm::all_of(store.getIndices(), [&](Value index) {
    if (definedAbove(index, reduction.root()))
      return true;
    auto argument = dyn_cast<BlockArgument>(index);
    return reduction.outputs && argument &&
           argument.getOwner() == reduction.outputs.getBody();
  });
}

/// Finds the accumulators of the innermost body; false if it does anything
/// else with memory than reading inputs and accumulating.
bool matchAccumulators(Reduction &reduction) {
  llvm::SmallPtrSet<Operation *, 8> accumulatorLoads;
  llvm::SmallPtrSet<Value, 4> accumulated;
  for (Operation &op : reduction.body().without_terminator()) {
    auto store = dyn_cast<memref::StoreOp>(op);
    if (!store)
      continue;
    std::optional<Accumulator> accumulator = matchAccumulator(store, reduction);
    if (!accumulator || !indexesAnOutput(store, reduction) ||
        !accumulated.insert(store.getMemRef()).second)
      return false;
    accumulatorLoads.insert(accumulator->load);
    reduction.accumulators.push_back(*accumulator);
  }
  for (Operation &op : reduction.body().without_terminator()) {
    if (isa<memref::StoreOp>(op) || accumulatorLoads.contains(&op))
      continue;
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      if (accumulated.contains(load.getMemRef()))
        return false;
    } else if (!isMemoryEffectFree(&op)) {
      return false;
    }
  }
  return !reduction.accumulators.empty();
}

/// `op` as a reduction: a zero-based unit-step scf.parallel whose body is a
/// plain scf.for nest, or such a nest alone.
std::optional<Reduction> matchReduction(Operation &op) {
  Reduction reduction;
  scf::ForOp loop = dyn_cast<scf::ForOp>(op);
  if (auto parallel = dyn_cast<scf::ParallelOp>(op)) {
    if (parallel.getNumReductions() != 0 ||
        !llvm::all_of(parallel.getLowerBound(),
                      [](Value v) { return getConstantIntValue(v) == 0; }) ||
        !llvm::all_of(parallel.getStep(),
                      [](Value v) { return getConstantIntValue(v) == 1; }))
      return std::nullopt;
    reduction.outputs = parallel;
    loop = onlyLoop(*parallel.getBody());
  }
  for (; loop; loop = onlyLoop(*loop.getBody())) {
    reduction.loops.push_back(loop);
    if (!isPlainLoop(loop, reduction.root()))
      return std::nullopt;
  }
  if (reduction.loops.empty() || !matchAccumulators(reduction))
    return std::nullopt;
  return reduction;
}

/// The number of outputs if it is static (1 for a total reduction).
std::optional<int64_t> staticOutputCount(Reduction &reduction) {
  int64_t count = 1;
  if (reduction.outputs)
    for (Value bound : reduction.outputs.getUpperBound()) {
      std::optional<int64_t> extent = getConstantIntValue(bound);
      if (!extent)
        return std::nullopt;
      count *= *extent;
    }
  return count;
}

/// Fills `mapping` with the reduced loops' indices for the flat index
/// `flat` of their iteration space, innermost fastest.
void delinearize(OpBuilder &b, Location loc, Reduction &reduction, Value flat,
                 IRMapping &mapping) {
  for (scf::ForOp loop : llvm::reverse(llvm::drop_begin(reduction.loops))) {
    Value extent = loop.getUpperBound();
    mapping.map(loop.getInductionVar(),
                b.create<arith::RemUIOp>(loc, flat, extent));
    flat = b.create<arith::DivUIOp>(loc, flat, extent);
  }
  mapping.map(reduction.loops.front().getInductionVar(), flat);
}

/// Builds the partial loop: partials[outputs..., k] = the k-th chunk's
/// terms combined.
void buildPartialLoop(OpBuilder &b, Location loc, Reduction &reduction,
                      Value extent, Value chunks, ValueRange partials) {
  SmallVector<Value> upper;
  if (reduction.outputs)
    llvm::append_range(upper, reduction.outputs.getUpperBound());
  upper.push_back(chunks);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  SmallVector<Value> lower(upper.size(), zero), steps(upper.size(), one);
  b.create<scf::ParallelOp>(
      loc, lower, upper, steps, [&](OpBuilder &pb, Location pl, ValueRange ivs) {
        SmallVector<Value> neutrals;
        for (Accumulator &acc : reduction.accumulators)
          neutrals.push_back(pb.create<arith::ConstantOp>(pl, acc.neutral));
        Value chunk = ivs.back();
        auto terms = pb.create<scf::ForOp>(
            pl, chunk, extent, chunks, neutrals,
            [&](OpBuilder &fb, Location fl, Value flat, ValueRange values) {
              IRMapping mapping;
              if (reduction.outputs)
                mapping.map(reduction.outputs.getInductionVars(),
                            ivs.drop_back());
              delinearize(fb, fl, reduction, flat, mapping);
              llvm::SmallPtrSet<Operation *, 8> skipped;
              for (auto [acc, value] :
                   llvm::zip(reduction.accumulators, values)) {
                mapping.map(acc.load.getResult(), value);
                skipped.insert(acc.load);
                skipped.insert(acc.store);
              }
              for (Operation &op : reduction.body().without_terminator())
                if (!skipped.contains(&op))
                  fb.clone(op, mapping);
              SmallVector<Value> next;
              for (Accumulator &acc : reduction.accumulators)
                next.push_back(mapping.lookup(acc.combine->getResult(0)));
              fb.create<scf::YieldOp>(fl, next);
            });
        for (auto [partial, value] : llvm::zip(partials, terms.getResults()))
          pb.create<memref::StoreOp>(pl, value, partial, ivs);
      });
}

/// Builds the loop over the chunks that folds the partials of the output
/// `outputIvs` into it.
void buildFold(OpBuilder &b, Location loc, Reduction &reduction,
               ValueRange outputIvs, Value chunks, ValueRange partials) {
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  b.create<scf::ForOp>(
      loc, zero, chunks, one, ValueRange{},
      [&](OpBuilder &fb, Location fl, Value chunk, ValueRange) {
        IRMapping mapping;
        if (reduction.outputs)
          mapping.map(reduction.outputs.getInductionVars(), outputIvs);
        SmallVector<Value> partialIndices = llvm::to_vector(outputIvs);
        partialIndices.push_back(chunk);
        for (auto [acc, partial] : llvm::zip(reduction.accumulators, partials)) {
          SmallVector<Value> indices;
          for (Value index : acc.store.getIndices())
            indices.push_back(mapping.lookupOrDefault(index));
          Value memref = acc.store.getMemRef();
          mapping.map(acc.load.getResult(),
                      fb.create<memref::LoadOp>(fl, memref, indices));
          mapping.map(acc.term(),
                      fb.create<memref::LoadOp>(fl, partial, partialIndices));
          Operation *combined = fb.clone(*acc.combine, mapping);
          fb.create<memref::StoreOp>(fl, combined->getResult(0), memref,
                                     indices);
        }
        fb.create<scf::YieldOp>(fl);
      });
}

/// Replaces `reduction` by a partial loop and a combining loop over
/// `chunks` chunks of its `extent` terms.
void split(Reduction &reduction, Value extent, Value chunks) {
  Operation *root = reduction.root();
  OpBuilder b(root);
  Location loc = root->getLoc();
  SmallVector<int64_t> shape;
  if (reduction.outputs)
    for (Value bound : reduction.outputs.getUpperBound())
      shape.push_back(*getConstantIntValue(bound));
  shape.push_back(ShapedType::kDynamic);
  SmallVector<Value> partials;
  for (Accumulator &acc : reduction.accumulators) {
    Type element = acc.store.getMemRefType().getElementType();
    partials.push_back(b.create<memref::AllocOp>(
        loc, MemRefType::get(shape, element), ValueRange{chunks}));
  }
  buildPartialLoop(b, loc, reduction, extent, chunks, partials);
  if (reduction.outputs) {
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    ValueRange upper = reduction.outputs.getUpperBound();
    b.create<scf::ParallelOp>(
        loc, SmallVector<Value>(upper.size(), zero), upper,
        SmallVector<Value>(upper.size(), one),
        [&](OpBuilder &pb, Location pl, ValueRange ivs) {
          buildFold(pb, pl, reduction, ivs, chunks, partials);
        });
  } else {
    // A top-level loop: dream-flatten-parallel-loops runs it on one thread.
    buildFold(b, loc, reduction, ValueRange{}, chunks, partials);
  }
  for (Value partial : partials)
    b.create<memref::DeallocOp>(loc, partial);
  root->erase();
}

struct SplitReductionsPass
    : dream::impl::SplitReductionsBase<SplitReductionsPass> {
  using SplitReductionsBase::SplitReductionsBase;

  void runOnOperation() override {
    if (termsPerThread <= 0 || maxThreads <= 0) {
      getOperation().emitError("terms-per-thread and max-threads must be "
                               "positive, not ")
          << termsPerThread << " and " << maxThreads;
      return signalPassFailure();
    }
    SmallVector<Reduction> reductions;
    for (Operation &op : getOperation().getBody().getOps())
      if (std::optional<Reduction> reduction = matchReduction(op))
        reductions.push_back(std::move(*reduction));
    for (Reduction &reduction : reductions)
      splitIfWorthIt(reduction);
  }

  /// Splits `reduction` unless it has a dynamic number of outputs or too
  /// few terms or too many outputs for two chunks.
  void splitIfWorthIt(Reduction &reduction) {
    std::optional<int64_t> outputs = staticOutputCount(reduction);
    if (!outputs || *outputs == 0 || maxThreads / *outputs < 2)
      return;
    std::optional<int64_t> staticExtent = 1;
    for (scf::ForOp loop : reduction.loops) {
      std::optional<int64_t> bound = getConstantIntValue(loop.getUpperBound());
      staticExtent = bound && staticExtent ? *staticExtent * *bound
                                           : std::optional<int64_t>();
    }
    if (staticExtent && *staticExtent <= termsPerThread)
      return;
    OpBuilder b(reduction.root());
    Location loc = reduction.root()->getLoc();
    auto constant = [&](int64_t value) -> Value {
      return b.create<arith::ConstantIndexOp>(loc, value);
    };
    Value extent = reduction.loops.front().getUpperBound();
    for (scf::ForOp loop : llvm::drop_begin(reduction.loops))
      extent = b.create<arith::MulIOp>(loc, extent, loop.getUpperBound());
    // ceil(extent / terms) as (extent + terms - 1) / terms: arith-to-llvm
    // does not lower arith.ceildivui.
    Value rounded = b.create<arith::AddIOp>(loc, extent,
                                            constant(termsPerThread - 1));
    Value chunks =
        b.create<arith::DivUIOp>(loc, rounded, constant(termsPerThread));
    chunks = b.create<arith::MinUIOp>(loc, chunks,
                                      constant(maxThreads / *outputs));
    // At least one chunk, so that an empty extent still stores the neutral
    // element and allocates a non-empty buffer.
    chunks = b.create<arith::MaxUIOp>(loc, chunks, constant(1));
    split(reduction, extent, chunks);
  }
};

} // namespace
