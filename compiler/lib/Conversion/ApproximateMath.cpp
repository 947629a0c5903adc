//===- ApproximateMath.cpp - Polynomial transcendental functions ----------===//
//
// MLIR's polynomial approximations (the Eigen/Cephes ones) of exp, tanh,
// erf, log and friends, applied as a pass: upstream only offers them as a
// test pass. Their f32 error is a few ulp (docs/codegen.md has the measured
// figures), well inside the tolerances the fused and reference paths are
// compared with. tanh is ours beyond |x| = 1 (SaturatingTanh), where the
// polynomial saturates to exactly 1 too early.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace dream {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "Passes.h.inc"
} // namespace dream

namespace {

/// Marks the tanh that SaturatingTanh keeps for small arguments, so that
/// the pattern does not rewrite it again.
constexpr llvm::StringLiteral kInnerTanh = "dream.inner_tanh";

/// tanh(x) = sign(x) (1 - 2 / (exp(2|x|) + 1)) for |x| > 1, MLIR's
/// polynomial below. The polynomial returns exactly 1 beyond |x| = 7.905,
/// where float32 tanh still takes the values 1 to 4 ulps below 1; a layer
/// norm over a row of such values normalises exactly those ulps
/// (test/Smith/tanh-saturation.test). Beyond 1 the formula loses at most
/// an ulp of 1 to cancellation, and exp's approximation is a few ulps
/// relative, so 1 - 2 / (e + 1) is within about an ulp of tanh.
struct SaturatingTanh : mlir::OpRewritePattern<mlir::math::TanhOp> {
  using OpRewritePattern::OpRewritePattern;

  mlir::LogicalResult
  matchAndRewrite(mlir::math::TanhOp op,
                  mlir::PatternRewriter &rewriter) const override {
    mlir::Type type = op.getType();
    if (op->hasAttr(kInnerTanh) || !mlir::getElementTypeOrSelf(type).isF32())
      return mlir::failure();
    mlir::Location loc = op.getLoc();
    auto constant = [&](double value) -> mlir::Value {
      mlir::TypedAttr scalar = rewriter.getF32FloatAttr(value);
      if (auto vector = mlir::dyn_cast<mlir::VectorType>(type))
        scalar = mlir::DenseElementsAttr::get(vector, scalar);
      return rewriter.create<mlir::arith::ConstantOp>(loc, type, scalar);
    };
    mlir::Value x = op.getOperand();
    mlir::Value one = constant(1.0), two = constant(2.0);
    mlir::Value magnitude = rewriter.create<mlir::math::AbsFOp>(loc, x);
    mlir::Value e = rewriter.create<mlir::math::ExpOp>(
        loc, rewriter.create<mlir::arith::MulFOp>(loc, magnitude, two));
    mlir::Value tail = rewriter.create<mlir::arith::SubFOp>(
        loc, one,
        rewriter.create<mlir::arith::DivFOp>(
            loc, two, rewriter.create<mlir::arith::AddFOp>(loc, e, one)));
    mlir::Value negative = rewriter.create<mlir::arith::CmpFOp>(
        loc, mlir::arith::CmpFPredicate::OLT, x, constant(0.0));
    mlir::Value saturating = rewriter.create<mlir::arith::SelectOp>(
        loc, negative, rewriter.create<mlir::arith::NegFOp>(loc, tail), tail);
    auto inner = rewriter.create<mlir::math::TanhOp>(loc, x);
    inner->setAttr(kInnerTanh, rewriter.getUnitAttr());
    mlir::Value large = rewriter.create<mlir::arith::CmpFOp>(
        loc, mlir::arith::CmpFPredicate::OGT, magnitude, one);
    rewriter.replaceOpWithNewOp<mlir::arith::SelectOp>(op, large, saturating,
                                                       inner);
    return mlir::success();
  }
};

struct ApproximateMathPass
    : dream::impl::ApproximateMathBase<ApproximateMathPass> {
  using ApproximateMathBase::ApproximateMathBase;

  void runOnOperation() override {
    // First the tanh that saturates correctly; its exp and inner tanh are
    // then approximated with the rest.
    mlir::RewritePatternSet tanh(&getContext());
    tanh.add<SaturatingTanh>(&getContext());
    if (mlir::failed(
            mlir::applyPatternsAndFoldGreedily(getOperation(), std::move(tanh))))
      return signalPassFailure();
    mlir::RewritePatternSet patterns(&getContext());
    // AVX2 stays off: the CPU target is x86-64-v2, and the GPU has no AVX.
    mlir::populateMathPolynomialApproximationPatterns(patterns);
    // 1/sqrt: a division and the square root instruction on both targets.
    mlir::populateExpandRsqrtPattern(patterns);
    if (expandFma)
      mlir::populateExpandFmaFPattern(patterns);
    if (mlir::failed(mlir::applyPatternsAndFoldGreedily(getOperation(),
                                                        std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
