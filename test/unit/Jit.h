//===- Jit.h - Lowered kernels through the execution engine ---------------===//

#ifndef DREAM_TEST_UNIT_JIT_H
#define DREAM_TEST_UNIT_JIT_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"

#include <memory>

namespace dream::test {

/// `module`, lowered to the LLVM dialect, JIT-compiled at -O2 as dreamc
/// compiles a trainer's kernels.
inline llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
jitAtO2(mlir::ModuleOp module) {
  // The options hold a function_ref: the transformer must outlive create().
  auto optimize = mlir::makeOptimizingTransformer(2, 0, nullptr);
  mlir::ExecutionEngineOptions options;
  options.transformer = optimize;
  return mlir::ExecutionEngine::create(module, options);
}

} // namespace dream::test

#endif // DREAM_TEST_UNIT_JIT_H
