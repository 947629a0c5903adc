//===- EmitPTX.cpp - Tensor kernels to PTX text ---------------------------===//
//
// Runs the GPU lowering pipeline for a supported chip and takes the PTX out
// of the gpu.binary it ends with. The runtime embeds that text in the trainer and hands it to
// the CUDA driver, which compiles it for the GPU it finds.
//
//===----------------------------------------------------------------------===//

#include "dream/Conversion/Lowering.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;

namespace {

/// The chips whose PTX the pipeline's ISA version (8.0) can describe and
/// that the project runs on: Ampere (sm_80/86/87), Ada (sm_89), Hopper.
bool isSupportedChip(llvm::StringRef chip) {
  return llvm::StringSwitch<bool>(chip)
      .Cases("sm_80", "sm_86", "sm_87", "sm_89", "sm_90", true)
      .Default(false);
}

} // namespace

LogicalResult dream::lowerToGpu(ModuleOp module, llvm::StringRef chip) {
  if (!isSupportedChip(chip))
    return module.emitError("unsupported GPU architecture '")
           << chip
           << "'; expected sm_80, sm_86, sm_87, sm_89 or sm_90 (or none "
              "for CPU kernels only)";
  DialectRegistry registry;
  registerLoweringDialects(registry);
  module.getContext()->appendDialectRegistry(registry);
  PassManager pm(module.getContext());
  buildGpuLoweringPipeline(pm, chip);
  return pm.run(module);
}

FailureOr<std::string> dream::emitPTX(ModuleOp module, llvm::StringRef chip) {
  if (failed(lowerToGpu(module, chip)))
    return failure();
  auto binaries = module.getOps<gpu::BinaryOp>();
  if (binaries.empty())
    return module.emitError("no GPU kernels: the module has no linalg ops");
  // dream-merge-gpu-modules leaves one module, so one binary with one
  // object, for the one target that was attached.
  auto object = cast<gpu::ObjectAttr>((*binaries.begin()).getObjects()[0]);
  // The serialiser ends the text with the NUL that cuModuleLoadData
  // wants; std::string::c_str() supplies it, and ptxas rejects it in a file.
  return object.getObject().getValue().rtrim('\0').str();
}
