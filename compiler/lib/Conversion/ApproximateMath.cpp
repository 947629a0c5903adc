//===- ApproximateMath.cpp - Polynomial transcendental functions ----------===//
//
// MLIR's polynomial approximations (the Eigen/Cephes ones) of exp, tanh,
// erf, log and friends, applied as a pass: upstream only offers them as a
// test pass. Their f32 error is a few ulp (docs/codegen.md has the measured
// figures), well inside the tolerances the fused and reference paths are
// compared with.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace dream {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "Passes.h.inc"
} // namespace dream

namespace {

struct ApproximateMathPass
    : dream::impl::ApproximateMathBase<ApproximateMathPass> {
  using ApproximateMathBase::ApproximateMathBase;

  void runOnOperation() override {
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
