//===- Jit.h - Lowered kernels through the execution engine ---------------===//

#ifndef DREAM_TEST_UNIT_JIT_H
#define DREAM_TEST_UNIT_JIT_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"

#include <algorithm>
#include <cstdint>
#include <memory>

namespace dream::test {

/// The kernels' `dream_parallel_for` without LibTorch's thread pool: runs
/// [0, n) as three chunks, last first. A kernel whose loop steps depended
/// on each other, or on running in order, would compute other values than
/// its loops run in order do.
inline void parallelForInReverseChunks(int64_t n, int64_t /*work*/,
                                       void (*task)(void *, int64_t, int64_t),
                                       void *context) {
  int64_t chunk = std::max<int64_t>(1, (n + 2) / 3);
  for (int64_t end = n; end > 0; end -= chunk)
    task(context, std::max<int64_t>(0, end - chunk), end);
}

/// `module`, lowered to the LLVM dialect, JIT-compiled at -O2 as dreamc
/// compiles a trainer's kernels, with `parallelForInReverseChunks` as the
/// runtime's `dream_parallel_for`.
inline llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
jitAtO2(mlir::ModuleOp module) {
  // The options hold a function_ref: the transformer must outlive create().
  auto optimize = mlir::makeOptimizingTransformer(2, 0, nullptr);
  mlir::ExecutionEngineOptions options;
  options.transformer = optimize;
  auto engine = mlir::ExecutionEngine::create(module, options);
  if (engine)
    (*engine)->registerSymbols([](llvm::orc::MangleAndInterner intern) {
      llvm::orc::SymbolMap symbols;
      symbols[intern("dream_parallel_for")] = {
          llvm::orc::ExecutorAddr::fromPtr(&parallelForInReverseChunks),
          llvm::JITSymbolFlags::Exported};
      return symbols;
    });
  return engine;
}

} // namespace dream::test

#endif // DREAM_TEST_UNIT_JIT_H
