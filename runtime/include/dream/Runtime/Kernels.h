//===- Kernels.h - The compiled kernels a trainer links ---------*- C++ -*-===//
//
// dreamc's kernel object defines a table of every generated entry point
// behind one "packed" signature (docs/codegen.md, "The kernel table"), and
// usually a second one of the same kernels' GPU host sides, which launch
// the embedded PTX through the CUDA driver (Cuda.h). A KernelLibrary finds
// entries by name and device; callPackedKernel (Model.h) builds the memref
// descriptors and takes ownership of the results.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_KERNELS_H
#define DREAM_RUNTIME_KERNELS_H

#include "dream/Schema/KernelTable.h"

#include <cstdint>
#include <string>
#include <unordered_map>

/// Runs `task(context, begin, end)` over chunks that cover [0, n) once, on
/// LibTorch's thread pool (`--threads` wide), or as one call [0, n) when
/// the `n * work` iterations are too few to share. The generated CPU
/// kernels call it for each of their parallel loops, with `work` the
/// iterations of one step of the split dimension
/// (dream-thread-parallel-loops, docs/codegen.md).
extern "C" void dream_parallel_for(int64_t n, int64_t work,
                                   void (*task)(void *, int64_t, int64_t),
                                   void *context);

namespace dream::rt {

using PackedKernel = void (*)(void **args);

/// The rows of one kernel table.
struct KernelTable {
  const DreamKernelEntry *rows = nullptr;
  int64_t count = 0;
};

class KernelLibrary {
public:
  /// No kernels: every fused step runs its reference steps.
  KernelLibrary() = default;
  /// The CPU and GPU tables of kernels compiled for plans whose `kernelAbi`
  /// is `abi` (Plan.h); the GPU table is empty when dreamc was given
  /// --gpu-chip=none. A name repeated in one table is an error
  /// (PlanError), as two objects defining one kernel would be.
  KernelLibrary(KernelTable cpu, KernelTable gpu, std::string abi);

  /// The entry point called `name` for the CPU or the GPU, or null.
  PackedKernel find(const std::string &name, bool gpu = false) const;
  size_t size() const { return cpuEntries.size(); }
  bool empty() const { return cpuEntries.empty(); }
  bool hasGpuKernels() const { return !gpuEntries.empty(); }
  const std::string &abi() const { return kernelAbi; }

private:
  using Entries = std::unordered_map<std::string, PackedKernel>;
  static Entries index(KernelTable table);

  Entries cpuEntries, gpuEntries;
  std::string kernelAbi;
};

/// Throws std::runtime_error unless this CPU has the x86-64 level the
/// kernels were compiled for (`dream_kernel_cpu`: x86-64-v2, -v3 or -v4,
/// dreamc's --cpu), which says how to run the network anyway. Code for a
/// missing level would stop the trainer with SIGILL at its first kernel.
void requireCpuLevel(const std::string &level);

} // namespace dream::rt

#endif // DREAM_RUNTIME_KERNELS_H
