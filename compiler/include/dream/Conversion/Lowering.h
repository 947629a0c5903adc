//===- Lowering.h - From tensor kernels to machine code ---------*- C++ -*-===//
//
// The code-generation back end. Its input is the kernel functions that
// dream-generate-kernels writes: public `func.func`s with the
// `llvm.emit_c_interface` attribute, on `tensor<?x...xf32>` values, whose
// bodies are `linalg` ops on tensors with `arith` and `math` scalar code. Its
// outputs are an x86-64 relocatable object for the trainer and PTX for
// sm_80/sm_90. docs/codegen.md describes the pipelines and the calling
// convention of the generated entry points.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_CONVERSION_LOWERING_H
#define DREAM_CONVERSION_LOWERING_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LogicalResult.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace dream {

/// A module attribute of the input: a dictionary from kernel names to the
/// symbols of functions with the same code (dream-deduplicate-kernels). The
/// kernel tables list those functions' entry points under both names.
inline constexpr llvm::StringLiteral kKernelAliasesAttr =
    "dream.kernel_aliases";

/// A module attribute of the input: the x86-64 microarchitecture level the
/// CPU kernels are optimised for, one of `kCpuLevels`; without it, the
/// first, which every x86-64 CPU since about 2009 has. The object records
/// the level as `dream_kernel_cpu`, and a trainer refuses to run its
/// kernels on a CPU without it.
inline constexpr llvm::StringLiteral kTargetCpuAttr = "dream.target_cpu";
inline constexpr llvm::StringLiteral kCpuLevels[] = {"x86-64-v2", "x86-64-v3",
                                                     "x86-64-v4"};

/// The highest of `kCpuLevels` that this machine supports.
llvm::StringRef hostCpuLevel();

/// The chip `buildGpuLoweringPipeline` targets unless told otherwise.
inline constexpr llvm::StringLiteral kDefaultGpuChip = "sm_90";

/// The upstream dialects, interface models and LLVM IR translations that the
/// lowering pipelines and the emitters need.
void registerLoweringDialects(mlir::DialectRegistry &registry);

/// Tensor kernels to the LLVM dialect for the host CPU: bufferized with
/// plain (identity-layout) memrefs at function boundaries, linalg to
/// parallel loops whose outer dimension the runtime's `dream_parallel_for`
/// shares among threads, transcendental functions approximated by
/// polynomials, `_mlir_ciface_`
/// wrappers for every function with `llvm.emit_c_interface`. Registered as
/// `dream-lower-to-cpu`.
void buildCpuLoweringPipeline(mlir::OpPassManager &pm);

/// Tensor kernels to GPU kernels for `chip` (sm_80 or sm_90): each linalg op
/// becomes one kernel of 256-thread blocks over its parallel iterations,
/// serialised to PTX in a single `gpu.binary` named `dream_kernels`; the host
/// side is lowered to the LLVM dialect, allocating buffers through
/// `_mlir_memref_to_llvm_alloc`/`_free` (device memory, from the runtime).
/// Registered as `dream-lower-to-gpu`.
void buildGpuLoweringPipeline(mlir::OpPassManager &pm, llvm::StringRef chip);

/// Registers `dream-lower-to-cpu`, `dream-lower-to-gpu` and the project
/// passes those pipelines are built from, for dream-opt.
void registerConversionPipelines();

/// Translates a module that `buildCpuLoweringPipeline` produced to LLVM IR,
/// optimised at -O3 for its `kTargetCpuAttr` level, and prints it.
mlir::LogicalResult emitLLVMIR(mlir::ModuleOp llvmDialectModule,
                               llvm::raw_ostream &os);

/// Like `emitLLVMIR`, but writes a position-independent relocatable ELF
/// object to `path`. The object also defines `dream_kernel_table` and
/// `dream_kernel_count` (every entry point behind a `void(void **)`
/// wrapper) and `dream_kernel_cpu` (the level, a C string); given
/// `gpuHostSide`, which it calls once the CPU kernels are optimised and
/// which returns `compileGpuHostSide`'s bitcode,
/// `dream_gpu_kernel_table` and `dream_gpu_kernel_count` (the same kernels'
/// host sides, which launch the embedded PTX through the runtime's mgpu*
/// functions); given a plan, `dream_embedded_plan` and
/// `dream_embedded_plan_size`. docs/codegen.md has their C declarations.
/// The file appears complete or not at all: it is written to a temporary
/// name and renamed.
mlir::LogicalResult emitObjectFile(
    mlir::ModuleOp llvmDialectModule, llvm::StringRef path,
    std::optional<llvm::StringRef> embeddedPlan = std::nullopt,
    llvm::function_ref<mlir::FailureOr<std::string>()> gpuHostSide = nullptr);

/// Like `emitObjectFile`, but code-generates on `paths.size()` threads: the
/// optimised module is split into as many linkable parts (what one part
/// defines internally and another uses becomes hidden), one object per
/// path, which together define what `emitObjectFile`'s object would. Every
/// file appears complete or none does.
mlir::LogicalResult emitObjectFiles(
    mlir::ModuleOp llvmDialectModule, llvm::ArrayRef<std::string> paths,
    std::optional<llvm::StringRef> embeddedPlan = std::nullopt,
    llvm::function_ref<mlir::FailureOr<std::string>()> gpuHostSide = nullptr);

/// Lowers a module of tensor kernels with `lowerToGpu` (in place) and
/// returns its host side, translated to LLVM IR with its kernel table and
/// optimised for x86-64-v2, as bitcode for `emitObjectFile`. It may run on
/// a thread of its own while the CPU kernels of the same context are
/// lowered, after `prepareConcurrentLowering`.
mlir::FailureOr<std::string> compileGpuHostSide(mlir::ModuleOp kernels,
                                                llvm::StringRef chip);

/// Loads every dialect and registers every LLVM back end that the lowering
/// pipelines and emitters use, so that two of them can run at once on one
/// context: loading either while another thread runs a pass is a race.
void prepareConcurrentLowering(mlir::MLIRContext &context);

/// Lowers a module of tensor kernels with `buildGpuLoweringPipeline` (in
/// place) for `chip`, which must be one the PTX ISA version covers (an
/// error on the module otherwise).
mlir::LogicalResult lowerToGpu(mlir::ModuleOp module, llvm::StringRef chip);

/// Lowers a module of tensor kernels with `lowerToGpu` and returns the PTX of its kernels: one module, one `.entry` per
/// linalg op, named `<function>_kernel[_N]`. Errors go to the module's
/// diagnostic handler.
mlir::FailureOr<std::string> emitPTX(mlir::ModuleOp module,
                                     llvm::StringRef chip);

} // namespace dream

#endif // DREAM_CONVERSION_LOWERING_H
