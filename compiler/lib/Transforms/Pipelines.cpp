//===- Pipelines.cpp - The named pass pipelines ---------------------------===//
//
// One definition of each pipeline, called by dreamc and registered for
// dream-opt, so the tools cannot drift apart.
//
//===----------------------------------------------------------------------===//

#include "dream/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
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

void dream::registerDreamPipelines() {
  mlir::PassPipelineRegistration<>(
      "dream-pipeline",
      "Expands connections, inlines blocks, canonicalises and fuses",
      buildDreamPipeline);
}
