//===- Kernels.h - The compiled kernels a trainer links ---------*- C++ -*-===//
//
// dreamc's kernel object defines a table of every generated entry point
// behind one "packed" signature (docs/codegen.md, "The kernel table"). A
// KernelLibrary finds entries by name; callPackedKernel (Model.h) builds
// the memref descriptors and takes ownership of the results.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_KERNELS_H
#define DREAM_RUNTIME_KERNELS_H

#include <cstdint>
#include <string>
#include <unordered_map>

/// One row of `dream_kernel_table`: `packed(args)` calls the C-interface
/// entry point `_mlir_ciface_<name>` with args[0] = the result out-pointer
/// and args[1..] = one memref descriptor per operand.
extern "C" struct DreamKernelEntry {
  const char *name;
  void (*packed)(void **args);
};

namespace dream::rt {

using PackedKernel = void (*)(void **args);

class KernelLibrary {
public:
  /// No kernels: every fused step runs its reference steps.
  KernelLibrary() = default;
  /// The `count` rows of a kernel table, compiled for plans whose
  /// `kernelAbi` is `abi` (Plan.h); a repeated name is an error
  /// (PlanError), as two objects defining one kernel would be.
  KernelLibrary(const DreamKernelEntry *table, int64_t count,
                std::string abi);

  /// The entry point called `name`, or null.
  PackedKernel find(const std::string &name) const;
  size_t size() const { return entries.size(); }
  bool empty() const { return entries.empty(); }
  const std::string &abi() const { return kernelAbi; }

private:
  std::unordered_map<std::string, PackedKernel> entries;
  std::string kernelAbi;
};

} // namespace dream::rt

#endif // DREAM_RUNTIME_KERNELS_H
