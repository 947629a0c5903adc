//===- MergeGpuModules.cpp - All kernels in one gpu.module ----------------===//
//
// gpu-kernel-outlining gives every kernel a module of its own, all kernels
// of a function sharing the same name. One module with uniquely named
// kernels serialises to one PTX text, so the runtime loads it once and
// finds each kernel by name.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace dream {
#define GEN_PASS_DEF_MERGEGPUMODULES
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

/// The kernel of a module made by gpu-kernel-outlining, or null with an
/// error when the module holds anything else (a called function, a global),
/// which could clash with another module's symbols.
gpu::GPUFuncOp soleKernel(gpu::GPUModuleOp module) {
  auto ops = module.getBody()->without_terminator();
  auto kernel = ops.empty() ? nullptr : dyn_cast<gpu::GPUFuncOp>(ops.begin());
  if (!kernel || std::next(ops.begin()) != ops.end() || !kernel.isKernel()) {
    module.emitError("must hold exactly one kernel to be merged");
    return nullptr;
  }
  return kernel;
}

struct MergeGpuModulesPass
    : dream::impl::MergeGpuModulesBase<MergeGpuModulesPass> {
  void runOnOperation() override {
    ModuleOp top = getOperation();
    llvm::SmallVector<gpu::GPUModuleOp> modules(top.getOps<gpu::GPUModuleOp>());
    if (modules.empty())
      return;
    // Inserting through the symbol table renames the new module if the
    // name is taken.
    SymbolTable symbols(top);
    OpBuilder builder(&getContext());
    auto merged = builder.create<gpu::GPUModuleOp>(top.getLoc(),
                                                   dream::kKernelModuleName);
    symbols.insert(merged, modules.front()->getIterator());
    for (gpu::GPUModuleOp module : modules) {
      gpu::GPUFuncOp kernel = soleKernel(module);
      if (!kernel)
        return signalPassFailure();
      // Module names are unique in `top`, kernel names are not.
      SymbolTable::setSymbolName(kernel, module.getSymNameAttr());
      kernel->moveBefore(merged.getBody()->getTerminator());
      redirectLaunches(top, module.getSymNameAttr(), merged.getSymNameAttr());
      symbols.erase(module);
    }
  }

  /// Points the launches of the kernel in `module` at the same-named kernel
  /// in `merged`.
  static void redirectLaunches(ModuleOp top, StringAttr module,
                               StringAttr merged) {
    auto target = SymbolRefAttr::get(merged, FlatSymbolRefAttr::get(module));
    top.walk([&](gpu::LaunchFuncOp launch) {
      if (launch.getKernelModuleName() == module)
        launch.setKernelAttr(target);
    });
  }
};

} // namespace
