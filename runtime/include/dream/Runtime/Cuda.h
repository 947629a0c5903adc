//===- Cuda.h - The CUDA driver, opened at run time -------------*- C++ -*-===//
//
// The GPU side of compiled kernels: dreamc's objects carry, next to the CPU
// kernels, host code that launches the kernels' PTX through MLIR's mgpu*
// runtime interface and allocates buffers through
// `_mlir_memref_to_llvm_alloc`/`_free` (docs/codegen.md). This runtime
// implements both on the CUDA driver API. The driver library is opened with
// dlopen on first use, so trainers start and train on machines without a
// GPU; $DREAMRT_CUDA_DRIVER names another driver library (the tests use a
// fake one that records what it is asked to do).
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_CUDA_H
#define DREAM_RUNTIME_CUDA_H

#include <cuda.h>

#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace dream::rt::cuda {

/// The driver is missing, found no device, or refused a request.
struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The driver's entry points this runtime uses, resolved with dlsym.
struct DriverApi {
  decltype(&::cuInit) init;
  decltype(&::cuDeviceGetCount) deviceGetCount;
  decltype(&::cuDeviceGet) deviceGet;
  decltype(&::cuDevicePrimaryCtxRetain) primaryCtxRetain;
  decltype(&::cuCtxSetCurrent) ctxSetCurrent;
  decltype(&::cuModuleLoadDataEx) moduleLoadDataEx;
  decltype(&::cuModuleGetFunction) moduleGetFunction;
  decltype(&::cuLaunchKernel) launchKernel;
  decltype(&::cuMemAlloc) memAlloc;
  decltype(&::cuMemFree) memFree;
  decltype(&::cuStreamSynchronize) streamSynchronize;
  decltype(&::cuGetErrorName) getErrorName;
};

class Driver {
public:
  /// Opens the driver library `library` (a path or a soname) and
  /// initialises it. Throws CudaError saying what is missing and what to do
  /// instead (--device cpu).
  explicit Driver(const std::string &library);
  ~Driver();
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  /// The process's driver: $DREAMRT_CUDA_DRIVER, else libcuda.so.1, opened
  /// on first use. A failure is remembered and thrown again on each call.
  static Driver &instance();

  int deviceCount() const { return devices; }
  /// Makes device `ordinal`'s primary context current on this thread;
  /// CudaError if there is no such device.
  void useDevice(int ordinal);
  /// Kernel `name` of the NUL-terminated PTX `image`. Each image is
  /// JIT-compiled once per device; a PTX the driver refuses is a CudaError
  /// carrying the compiler's log, a missing kernel one naming it.
  CUfunction function(const char *image, const char *name);
  void launch(CUfunction function, const unsigned grid[3],
              const unsigned block[3], unsigned sharedBytes, CUstream stream,
              void **params);
  /// Device memory; CudaError when the device has too little left.
  void *allocate(size_t bytes);
  void release(void *pointer);
  void synchronize(CUstream stream);

private:
  /// Throws CudaError "<what>: <driver's error name>" unless `result` is
  /// CUDA_SUCCESS.
  void check(CUresult result, const std::string &what) const;

  void *library = nullptr;
  DriverApi api{};
  int devices = 0;
  int current = -1;
  std::mutex mutex; ///< Guards `modules`.
  std::map<std::pair<int, const char *>, CUmodule> modules;
};

/// The first error that an mgpu* or allocation function met on this thread
/// since the last call, which clears it. Those functions are called from
/// generated code and cannot throw: after an error they do nothing (and
/// allocations return null) until it is taken.
std::optional<std::string> takeError();

} // namespace dream::rt::cuda

#endif // DREAM_RUNTIME_CUDA_H
