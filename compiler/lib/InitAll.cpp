//===- InitAll.cpp - Registering the project's dialects and passes --------===//

#include "dream/InitAll.h"

#include "dream/Conversion/Lowering.h"
#include "dream/Dialect/DreamDialect.h"
#include "dream/Transforms/Passes.h"

#include "mlir/Dialect/Func/Extensions/AllExtensions.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"

void dream::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<DreamDialect, mlir::func::FuncDialect>();
  // func.call/func.return inlining.
  mlir::func::registerAllExtensions(registry);
  // linalg, tensor, gpu, llvm, ... with their bufferization models and
  // translations, for the lowering pipelines.
  registerLoweringDialects(registry);
}

void dream::registerAllPasses() {
  registerDreamPasses();
  registerDreamPipelines();
  registerConversionPipelines();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
}
