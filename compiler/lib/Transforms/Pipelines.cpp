//===- Pipelines.cpp - The named pass pipelines ---------------------------===//
//
// One definition of each pipeline, called by dreamc and registered for
// dream-opt, so the tools cannot drift apart.
//
//===----------------------------------------------------------------------===//

#include "dream/Transforms/Passes.h"

#include "dream/Dialect/DreamAttributes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

void dream::buildDreamPipeline(mlir::OpPassManager &pm) {
  pm.addPass(createExpandConnections());
  pm.addPass(createInlineBlocks());
  // Block functions are dead once inlined; encoder functions stay, named
  // by their dream.encoder.
  pm.addPass(mlir::createSymbolDCEPass());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addNestedPass<mlir::func::FuncOp>(createFusePointwise());
}

void dream::buildKernelPipeline(mlir::OpPassManager &pm) {
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  // Producer-consumer fusion of the generics: a pointwise chain becomes
  // one loop nest, so a region is one kernel in fact, not just in name.
  pm.addPass(mlir::createLinalgElementwiseOpFusionPass());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  // Last, when equal kernels have become equal IR.
  pm.addPass(createDeduplicateKernels());
}

mlir::OwningOpRef<mlir::ModuleOp> dream::extractKernels(mlir::ModuleOp module) {
  mlir::OpBuilder builder(module.getContext());
  mlir::OwningOpRef<mlir::ModuleOp> kernels =
      mlir::ModuleOp::create(module.getLoc());
  builder.setInsertionPointToEnd(kernels->getBody());
  for (auto function : module.getOps<mlir::func::FuncOp>())
    if (function->hasAttr(kKernelAttr))
      builder.clone(*function);
  return kernels;
}

void dream::registerDreamPipelines() {
  mlir::PassPipelineRegistration<>(
      "dream-pipeline",
      "Expands connections, inlines blocks, canonicalises and fuses",
      buildDreamPipeline);
  mlir::PassPipelineRegistration<>(
      "dream-kernel-pipeline",
      "Cleans up and fuses the generics of kernel functions, then "
      "deduplicates the kernels",
      buildKernelPipeline);
}
