//===- WidenSumAccumulators.cpp - f32 sums accumulated in f64 -------------===//
//
// See Passes.td for why. A sum is recognised by its body, not by who made
// it, so the forward statistics and every reduction the derived backward
// pass adds are widened alike; max reductions are exact and stay in f32.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

namespace dream {
#define GEN_PASS_DEF_WIDENSUMACCUMULATORS
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

/// The value `op` adds to its accumulator, if `op` is an f32 sum: one
/// tensor result, a reduction iterator, and a body yielding
/// `addf(acc, value)` (either order) where only that addf reads acc.
Value summand(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics() ||
      op.getNumReductionLoops() == 0)
    return nullptr;
  Block &body = op.getRegion().front();
  BlockArgument acc = body.getArguments().back();
  if (!acc.getType().isF32() || !acc.hasOneUse())
    return nullptr;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || !add->hasOneUse())
    return nullptr;
  if (add.getLhs() == acc)
    return add.getRhs();
  return add.getRhs() == acc ? add.getLhs() : nullptr;
}

/// A tensor like `like` (same shape, dynamic sizes from `like`) of
/// `element` values.
Value emptyLike(OpBuilder &b, Location loc, Value like, Type element) {
  auto type = cast<RankedTensorType>(like.getType());
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(b.create<tensor::DimOp>(loc, like, d));
  return b.create<tensor::EmptyOp>(loc, type.getShape(), element, dynamic);
}

/// out = convert(in) elementwise, `in` and `out` of one shape.
Value convertElements(OpBuilder &b, Location loc, Value in, Type element) {
  auto rank = cast<RankedTensorType>(in.getType()).getRank();
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{RankedTensorType::get(
                   cast<RankedTensorType>(in.getType()).getShape(), element)},
          ValueRange{in}, ValueRange{emptyLike(b, loc, in, element)}, maps,
          iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value converted =
                element.isF64()
                    ? nb.create<arith::ExtFOp>(nl, element, args[0])
                          .getResult()
                    : nb.create<arith::TruncFOp>(nl, element, args[0])
                          .getResult();
            nb.create<linalg::YieldOp>(nl, converted);
          })
      .getResult(0);
}

void widen(linalg::GenericOp op, Value value) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Type f64 = b.getF64Type();
  Value init = convertElements(b, loc, op.getDpsInits()[0], f64);
  auto wideType = cast<RankedTensorType>(init.getType());
  auto wide = b.create<linalg::GenericOp>(
      loc, TypeRange{wideType}, op.getDpsInputs(), ValueRange{init},
      op.getIndexingMapsArray(), op.getIteratorTypesArray(),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Block &body = op.getRegion().front();
        IRMapping mapping;
        for (auto [from, to] :
             llvm::zip(body.getArguments().drop_back(), args.drop_back()))
          mapping.map(from, to);
        // Everything but the final addf computes the summand, in f32.
        Operation *add = body.getTerminator()->getOperand(0).getDefiningOp();
        for (Operation &inner : body.without_terminator())
          if (&inner != add)
            nb.clone(inner, mapping);
        Value term =
            nb.create<arith::ExtFOp>(nl, f64, mapping.lookupOrDefault(value));
        // In f64 the order of the additions no longer matters to f32
        // results, so LLVM may vectorise the sum (several partial sums).
        Value sum = nb.create<arith::AddFOp>(
            nl, args.back(), term,
            arith::FastMathFlagsAttr::get(nb.getContext(),
                                          arith::FastMathFlags::reassoc));
        nb.create<linalg::YieldOp>(nl, sum);
      });
  Value narrowed = convertElements(b, loc, wide.getResult(0), b.getF32Type());
  op.getResult(0).replaceAllUsesWith(narrowed);
  op.erase();
}

struct WidenSumAccumulatorsPass
    : dream::impl::WidenSumAccumulatorsBase<WidenSumAccumulatorsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, Value>> sums;
    getOperation().walk([&](linalg::GenericOp op) {
      if (Value value = summand(op))
        sums.emplace_back(op, value);
    });
    for (auto [op, value] : sums)
      widen(op, value);
  }
};

} // namespace
