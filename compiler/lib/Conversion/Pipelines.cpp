//===- Pipelines.cpp - Tensor kernels to the LLVM dialect and to PTX ------===//
//
// One definition of each lowering pipeline, called by dreamc's emitters and
// registered for dream-opt. docs/codegen.md explains the choices.
//
//===----------------------------------------------------------------------===//

#include "dream/Conversion/Lowering.h"

#include "Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace {

/// Copies that bufferization inserts become linalg.copy, lowered to loops
/// like every other linalg op: memref.copy would need MLIR's C runner
/// library for strided copies on the CPU and a host memcpy on the GPU path.
LogicalResult createLinalgCopy(OpBuilder &builder, Location loc, Value from,
                               Value to) {
  builder.create<linalg::CopyOp>(loc, from, to);
  return success();
}

/// Tensors to memrefs. Function signatures take identity-layout memrefs so
/// the C interface passes plain descriptors; results are freshly allocated
/// buffers that the caller owns, and temporaries are freed in the kernel.
void addBufferizationPasses(OpPassManager &pm) {
  // First, so that the f32 conversions after each sum fuse with what
  // reads them.
  pm.addNestedPass<func::FuncOp>(dream::createWidenSumAccumulators());
  // Chains of pointwise generics become one loop nest, without temporaries;
  // a cheap value that several loop nests read is computed in each.
  pm.addNestedPass<func::FuncOp>(dream::createRecomputeInConsumers());
  pm.addNestedPass<func::FuncOp>(createLinalgElementwiseOpFusionPass());
  // Independent reductions over the same tensors read them once.
  pm.addNestedPass<func::FuncOp>(dream::createFuseSiblingReductions());
  pm.addNestedPass<func::FuncOp>(dream::createCollapseContiguousLoops());
  // After fusion, whose folding can make two results one value.
  pm.addNestedPass<func::FuncOp>(dream::createIsolateKernelBuffers());
  bufferization::OneShotBufferizationOptions options;
  options.bufferizeFunctionBoundaries = true;
  options.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  options.memCpyFn = createLinalgCopy;
  pm.addPass(bufferization::createOneShotBufferizePass(options));
  bufferization::buildBufferDeallocationPipeline(
      pm, bufferization::BufferDeallocationPipelineOptions());
  pm.addPass(createBufferizationToMemRefPass());
}

/// Host code in scf/memref/arith/math to the LLVM dialect. With
/// `deviceBuffers`, buffers are allocated and freed through
/// `_mlir_memref_to_llvm_alloc`/`_free`, which the runtime implements with
/// device memory, instead of malloc/free.
void addHostToLLVMPasses(OpPassManager &pm, bool deviceBuffers) {
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = deviceBuffers;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  // Intrinsics (sqrt, fabs, ...) first; what has none and no polynomial
  // approximation becomes a libm call.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  // Also emits the `_mlir_ciface_` wrappers of llvm.emit_c_interface
  // functions.
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

/// Options of the `dream-lower-to-gpu` pipeline.
struct GpuLoweringOptions : PassPipelineOptions<GpuLoweringOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("The sm_ architecture to target"),
                           llvm::cl::init(dream::kDefaultGpuChip.str())};
};

} // namespace

void dream::buildCpuLoweringPipeline(OpPassManager &pm) {
  addBufferizationPasses(pm);
  OpPassManager &function = pm.nest<func::FuncOp>();
  // As on the GPU, each linalg op becomes one parallel loop over its
  // parallel iterators, whose outer dimension the threads share.
  function.addPass(createParallelIteratorsFirst());
  // x86-64-v2 has no FMA unit: a fused multiply-add is a libm call there.
  function.addPass(createApproximateMath({/*expandFma=*/true}));
  function.addPass(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createThreadParallelLoops());
  addHostToLLVMPasses(pm, /*deviceBuffers=*/false);
}

void dream::buildGpuLoweringPipeline(OpPassManager &pm, llvm::StringRef chip) {
  addBufferizationPasses(pm);
  OpPassManager &function = pm.nest<func::FuncOp>();
  function.addPass(createParallelIteratorsFirst());
  // Keeps the kernels free of libdevice calls, so serialising them needs no
  // CUDA toolkit; sm_80 and later have FMA, so math.fma stays.
  function.addPass(createApproximateMath());
  function.addPass(createConvertLinalgToParallelLoopsPass());
  // One thread per output would leave a per-channel statistic on a few
  // dozen threads; the CPU splits the outputs over its cores instead.
  function.addPass(createSplitReductions());
  function.addPass(createFlattenParallelLoops());
  function.addPass(createGpuMapParallelLoopsPass());
  function.addPass(createParallelLoopToGpuPass());
  // Constants (the approximations' coefficients) move into the kernels
  // instead of becoming kernel parameters.
  pm.addPass(createGpuLauchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addNestedPass<func::FuncOp>(createCheckHostSide());
  pm.addPass(createMergeGpuModules());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = chip.str();
  // PTX ISA 8.0 (CUDA 12.0) is the first to know sm_90; it covers sm_80.
  target.features = "+ptx80";
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createLibdeviceToIntrinsics());
  // gpu-to-nvvm leaves math.fma alone.
  kernels.addPass(createConvertMathToLLVMPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  // The host side: every buffer lives on the device, and the launches become
  // calls of the mgpu* functions the runtime implements (runtime/lib/exec/Cuda.cpp).
  addHostToLLVMPasses(pm, /*deviceBuffers=*/true);
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void dream::registerConversionPipelines() {
  registerDreamConversionPasses();
  PassPipelineRegistration<>(
      "dream-lower-to-cpu",
      "Lowers tensor kernels to the LLVM dialect for x86-64",
      buildCpuLoweringPipeline);
  PassPipelineRegistration<GpuLoweringOptions>(
      "dream-lower-to-gpu",
      "Lowers tensor kernels to NVVM kernels serialised as PTX",
      [](OpPassManager &pm, const GpuLoweringOptions &options) {
        buildGpuLoweringPipeline(pm, options.chip);
      });
}
