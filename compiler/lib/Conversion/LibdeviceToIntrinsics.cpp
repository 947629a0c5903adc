//===- LibdeviceToIntrinsics.cpp - Kernels without libdevice --------------===//
//
// libdevice is LLVM bitcode shipped with the CUDA toolkit; MLIR links it
// while serialising only if it finds the toolkit through CUDA_HOME or
// CUDA_ROOT, so the same dreamc would emit different PTX, or PTX that
// ptxas rejects, depending on the environment. Transcendental functions are
// approximated before this point; what convert-gpu-to-nvvm still sends to
// libdevice is one instruction each, and NVPTX selects that instruction
// for the LLVM intrinsic directly.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "llvm/ADT/StringMap.h"

namespace dream {
#define GEN_PASS_DEF_LIBDEVICETOINTRINSICS
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

/// libdevice's f32 functions that are one PTX instruction, and the LLVM
/// intrinsic op NVPTX selects that instruction for.
const llvm::StringMap<llvm::StringRef> &intrinsicOfLibdeviceFunction() {
  static const llvm::StringMap<llvm::StringRef> table = {
      {"__nv_fabsf", "llvm.intr.fabs"},
      {"__nv_floorf", "llvm.intr.floor"},
      {"__nv_ceilf", "llvm.intr.ceil"},
      {"__nv_truncf", "llvm.intr.trunc"},
      {"__nv_sqrtf", "llvm.intr.sqrt"},
      {"__nv_fmaf", "llvm.intr.fma"},
      {"__nv_copysignf", "llvm.intr.copysign"},
      {"__nv_fminf", "llvm.intr.minnum"},
      {"__nv_fmaxf", "llvm.intr.maxnum"},
  };
  return table;
}

struct LibdeviceToIntrinsicsPass
    : dream::impl::LibdeviceToIntrinsicsBase<LibdeviceToIntrinsicsPass> {
  void runOnOperation() override {
    bool unsupported = false;
    getOperation().walk([&](LLVM::CallOp call) {
      std::optional<llvm::StringRef> callee = call.getCallee();
      if (!callee || !callee->starts_with("__nv_"))
        return;
      auto intrinsic = intrinsicOfLibdeviceFunction().find(*callee);
      if (intrinsic == intrinsicOfLibdeviceFunction().end()) {
        call.emitError("calls libdevice's ")
            << *callee << ", which kernels cannot use without the CUDA "
            << "toolkit; the math op it came from has no approximation";
        unsupported = true;
        return;
      }
      replaceByIntrinsic(call, intrinsic->second);
    });
    if (unsupported)
      return signalPassFailure();
    eraseUnusedLibdeviceDeclarations();
  }

  static void replaceByIntrinsic(LLVM::CallOp call, llvm::StringRef name) {
    OpBuilder builder(call);
    OperationState state(call.getLoc(), name);
    state.addOperands(call.getArgOperands());
    state.addTypes(call.getResultTypes());
    Operation *intrinsic = builder.create(state);
    call.replaceAllUsesWith(intrinsic->getResults());
    call.erase();
  }

  void eraseUnusedLibdeviceDeclarations() {
    SymbolTable symbols(getOperation());
    for (auto function :
         llvm::make_early_inc_range(getOperation().getOps<LLVM::LLVMFuncOp>()))
      if (function.isExternal() && function.getName().starts_with("__nv_") &&
          SymbolTable::symbolKnownUseEmpty(function, getOperation()))
        symbols.erase(function);
  }
};

} // namespace
