//===- Passes.h - The dream dialect's passes and pipelines ----------------===//

#ifndef DREAM_TRANSFORMS_PASSES_H
#define DREAM_TRANSFORMS_PASSES_H

#include "dream/Dialect/DreamDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace dream {

#define GEN_PASS_DECL
#include "dream/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dream/Transforms/Passes.h.inc"

/// The passes from MLIRGen's output to straight-line networks: connections
/// expanded, blocks inlined, canonicalised, pointwise chains fused. Used by dreamc and
/// registered for dream-opt as `dream-pipeline`.
void buildDreamPipeline(mlir::OpPassManager &pm);

/// A new module holding copies of `module`'s kernel functions (those
/// dream-generate-kernels added), for code generation.
mlir::OwningOpRef<mlir::ModuleOp> extractKernels(mlir::ModuleOp module);

/// Cleans up and fuses the generics of extracted kernel functions, then
/// keeps one function per distinct kernel (dream-deduplicate-kernels).
void buildKernelPipeline(mlir::OpPassManager &pm);

/// Registers the named pipelines with the command-line tools.
void registerDreamPipelines();

} // namespace dream

#endif // DREAM_TRANSFORMS_PASSES_H
