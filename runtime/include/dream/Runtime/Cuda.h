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
// Launches and buffers are asynchronous and ordered on one stream, the one
// a `StreamScope` names (LibTorch's current stream, docs/runtime.md, CUDA):
// nothing waits for the GPU until `Driver::synchronize`, which names the
// kernels launched since the last one if any of them failed.
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
#include <tuple>
#include <utility>
#include <vector>

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
  decltype(&::cuMemAllocAsync) memAllocAsync;
  decltype(&::cuMemFreeAsync) memFreeAsync;
  decltype(&::cuDeviceGetDefaultMemPool) deviceGetDefaultMemPool;
  decltype(&::cuMemPoolSetAttribute) memPoolSetAttribute;
  decltype(&::cuStreamSynchronize) streamSynchronize;
  decltype(&::cuStreamIsCapturing) streamIsCapturing;
  decltype(&::cuGetErrorName) getErrorName;
};

/// A kernel of a loaded PTX image, with its name for error messages.
struct Kernel {
  CUfunction function;
  std::string name;
};

class Driver {
public:
  /// Opens the driver library `library` (a path or a soname) and
  /// initialises it. Throws CudaError saying what is missing and what to do
  /// instead (--device cpu). $CUDA_LAUNCH_BLOCKING=1 makes every launch
  /// wait for its kernel, as it does for CUDA's runtime, so that a failure
  /// names the one kernel that failed.
  explicit Driver(const std::string &library);
  ~Driver();
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  /// The process's driver: $DREAMRT_CUDA_DRIVER, else libcuda.so.1, opened
  /// on first use. A failure is remembered and thrown again on each call.
  static Driver &instance();

  int deviceCount() const { return devices; }
  /// Makes device `ordinal`'s primary context (LibTorch's too) current on
  /// this thread; CudaError if there is no such device.
  void useDevice(int ordinal);
  /// Kernel `name` of the NUL-terminated PTX `image`. Each image is
  /// JIT-compiled once per device and process, each kernel looked up once;
  /// a PTX the driver refuses is a CudaError carrying the compiler's log, a
  /// missing kernel one naming it. `stream` is where the kernel will be
  /// launched: a kernel first looked up while it is being captured is a
  /// CudaError saying to run the step once before capturing it.
  const Kernel &function(const char *image, const char *name,
                         CUstream stream = nullptr);
  /// Queues `kernel` on `stream` and returns without waiting for it.
  void launch(const Kernel &kernel, const unsigned grid[3],
              const unsigned block[3], unsigned sharedBytes, CUstream stream,
              void **params);
  /// Device memory ordered on `stream` (cuMemAllocAsync): usable by work
  /// queued on it from now on. CudaError when the device has too little.
  void *allocate(size_t bytes, CUstream stream);
  /// Returns `pointer` to the device's pool once the work queued on
  /// `stream` so far is done.
  void release(void *pointer, CUstream stream);
  /// Waits for the work queued on `stream`. A kernel that failed is a
  /// CudaError naming the kernels launched since the last synchronisation.
  /// While `stream` is being captured into a CUDA graph nothing runs yet:
  /// a CudaError says to read results after replaying the graph.
  void synchronize(CUstream stream);
  /// Whether work queued on `stream` is being captured into a CUDA graph
  /// rather than run.
  bool capturing(CUstream stream) const;
  /// Whether kernels were launched since the last synchronisation.
  bool launchedSinceSynchronize();

private:
  /// Throws CudaError "<what>: <driver's error name>" unless `result` is
  /// CUDA_SUCCESS.
  void check(CUresult result, const std::string &what) const;
  /// The kernels launched since the last synchronisation, for errors.
  std::string unsynchronizedKernels();

  void *library = nullptr;
  DriverApi api{};
  int devices = 0;
  int current = -1;
  bool launchBlocking = false;
  std::mutex mutex; ///< Guards the members below.
  std::map<std::pair<int, const char *>, CUmodule> modules;
  std::map<std::tuple<int, const char *, std::string>, Kernel> kernels;
  std::vector<bool> poolsKept; ///< By device: its pool keeps freed memory.
  /// Names of the kernels launched since the last synchronisation, oldest
  /// first, each once.
  std::vector<std::string> launched;
};

/// Makes `stream` the one the mgpu* and allocation functions that generated
/// code calls launch and allocate on, on this thread, while the scope lives
/// (without one: the legacy default stream).
class StreamScope {
public:
  explicit StreamScope(CUstream stream);
  ~StreamScope();
  StreamScope(const StreamScope &) = delete;
  StreamScope &operator=(const StreamScope &) = delete;

private:
  CUstream previous;
};

/// The first error that an mgpu* or allocation function met on this thread
/// since the last call, which clears it. Those functions are called from
/// generated code and cannot throw: after an error they do nothing (and
/// allocations return null) until it is taken.
std::optional<std::string> takeError();

} // namespace dream::rt::cuda

#endif // DREAM_RUNTIME_CUDA_H
