//===- KernelTable.h - How a trainer finds its compiled kernels -*- C++ -*-===//
//
// The contract between dreamc's object (EmitObject.cpp) and a trainer's
// main() (runtime/trainer/TrainerMain.cpp), docs/codegen.md "The kernel
// table": the entry points each fused kernel has, the layout of one table
// row, and the C symbols the object defines.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_SCHEMA_KERNELTABLE_H
#define DREAM_SCHEMA_KERNELTABLE_H

#include <string>

/// One row of a kernel table: `packed(args)` calls the C-interface entry
/// point `_mlir_ciface_<name>` with args[0] = the result out-pointer and
/// args[1..] = one memref descriptor per operand. dreamc lays the row out
/// as an LLVM struct of two pointers, in this order.
extern "C" struct DreamKernelEntry {
  const char *name;
  void (*packed)(void **args);
};

namespace dream::schema {

/// The entry points of kernel `kernel` (GenerateKernels.cpp makes them, the
/// plan names them): the training forward, returning the result and the
/// batch statistics; the evaluation forward, for kernels with batch norms;
/// the backward.
inline std::string forwardEntry(const std::string &kernel) {
  return kernel + "_forward";
}
inline std::string forwardEvalEntry(const std::string &kernel) {
  return kernel + "_forward_eval";
}
inline std::string backwardEntry(const std::string &kernel) {
  return kernel + "_backward";
}

/// The symbols, with C linkage, of a trainer's object: the CPU table and
/// its row count (a 64-bit integer), the GPU host sides' table and count
/// (absent with --gpu-chip=none), the x86-64 level the CPU code needs (a C
/// string), and the plan (its bytes, no NUL) with its size.
constexpr const char *kKernelTableSymbol = "dream_kernel_table";
constexpr const char *kKernelCountSymbol = "dream_kernel_count";
constexpr const char *kGpuKernelTableSymbol = "dream_gpu_kernel_table";
constexpr const char *kGpuKernelCountSymbol = "dream_gpu_kernel_count";
constexpr const char *kKernelCpuSymbol = "dream_kernel_cpu";
constexpr const char *kEmbeddedPlanSymbol = "dream_embedded_plan";
constexpr const char *kEmbeddedPlanSizeSymbol = "dream_embedded_plan_size";

} // namespace dream::schema

// The same symbols as a trainer's main() reads them: weak, so that a trainer
// linked without them (dream-trainer) sees null addresses.
extern "C" const char dream_embedded_plan[] __attribute__((weak));
extern "C" const unsigned long dream_embedded_plan_size __attribute__((weak));
extern "C" const DreamKernelEntry dream_kernel_table[] __attribute__((weak));
extern "C" const long dream_kernel_count __attribute__((weak));
extern "C" const char dream_kernel_cpu[] __attribute__((weak));
extern "C" const DreamKernelEntry dream_gpu_kernel_table[]
    __attribute__((weak));
extern "C" const long dream_gpu_kernel_count __attribute__((weak));

#endif // DREAM_SCHEMA_KERNELTABLE_H
