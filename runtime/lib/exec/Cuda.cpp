//===- Cuda.cpp - mgpu* and buffer allocation on the CUDA driver API ------===//
//
// The generated GPU host code (docs/codegen.md, "The GPU host side") calls,
// per launch: mgpuModuleLoadJIT on the embedded PTX, mgpuModuleGetFunction,
// mgpuStreamCreate, mgpuLaunchKernel, mgpuStreamSynchronize,
// mgpuStreamDestroy and mgpuModuleUnload; and `_mlir_memref_to_llvm_alloc`
// and `_free` for its buffers. Modules and kernels are looked up once
// (JIT-compiling the PTX per launch would dominate). "The stream" the code
// creates is the one its caller's StreamScope names, LibTorch's current
// stream, so kernels and ATen ops run in program order; its per-launch
// synchronisation does nothing (it would make the host wait for every
// kernel), and buffers come from the driver's stream-ordered pool, so that
// freeing a temporary does not wait for the GPU either (cuMemFree would).
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Cuda.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

namespace dream::rt::cuda {

namespace {

constexpr const char *kDefaultDriver = "libcuda.so.1";
constexpr const char *kInstead =
    "; --device cpu trains on the CPU, --reference runs without compiled "
    "kernels";

void *symbol(void *library, const std::string &path, const char *name) {
  void *address = dlsym(library, name);
  if (!address)
    throw CudaError("the CUDA driver " + path + " has no " + name +
                    "; it is older than this runtime needs (CUDA 12)");
  return address;
}

template <typename F>
void resolve(F &slot, void *library, const std::string &path,
             const char *name) {
  slot = reinterpret_cast<F>(symbol(library, path, name));
}

thread_local std::optional<std::string> pendingError;
/// The stream of this thread's StreamScope; null: the legacy default stream.
thread_local CUstream scopeStream = nullptr;

/// Runs `action` for generated code, which cannot take exceptions: the
/// first error is kept for takeError(), and nothing runs until then.
template <typename T, typename F> T guarded(T failed, F action) {
  if (pendingError)
    return failed;
  try {
    return action();
  } catch (const std::exception &e) {
    pendingError = e.what();
    return failed;
  }
}

} // namespace

Driver::Driver(const std::string &path) {
  library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    throw CudaError("no CUDA driver: cannot load " + path + " (" + dlerror() +
                    "); running on a GPU needs an NVIDIA GPU and its driver" +
                    kInstead);
  resolve(api.init, library, path, "cuInit");
  resolve(api.deviceGetCount, library, path, "cuDeviceGetCount");
  resolve(api.deviceGet, library, path, "cuDeviceGet");
  resolve(api.primaryCtxRetain, library, path, "cuDevicePrimaryCtxRetain");
  resolve(api.ctxSetCurrent, library, path, "cuCtxSetCurrent");
  resolve(api.moduleLoadDataEx, library, path, "cuModuleLoadDataEx");
  resolve(api.moduleGetFunction, library, path, "cuModuleGetFunction");
  resolve(api.launchKernel, library, path, "cuLaunchKernel");
  resolve(api.memAllocAsync, library, path, "cuMemAllocAsync");
  resolve(api.memFreeAsync, library, path, "cuMemFreeAsync");
  resolve(api.deviceGetDefaultMemPool, library, path,
          "cuDeviceGetDefaultMemPool");
  resolve(api.memPoolSetAttribute, library, path, "cuMemPoolSetAttribute");
  resolve(api.streamSynchronize, library, path, "cuStreamSynchronize");
  resolve(api.streamIsCapturing, library, path, "cuStreamIsCapturing");
  resolve(api.getErrorName, library, path, "cuGetErrorName");
  CUresult status = api.init(0);
  if (status == CUDA_ERROR_NO_DEVICE) {
    devices = 0;
  } else {
    check(status, "cannot initialise the CUDA driver");
    check(api.deviceGetCount(&devices), "cannot count the CUDA devices");
  }
  if (devices == 0)
    throw CudaError(std::string("the CUDA driver finds no GPU here") +
                    kInstead);
  poolsKept.assign(static_cast<size_t>(devices), false);
  const char *blocking = std::getenv("CUDA_LAUNCH_BLOCKING");
  launchBlocking = blocking && std::strcmp(blocking, "1") == 0;
}

Driver::~Driver() {
  // Modules and contexts go with the process; the library stays loaded
  // because kernels may still be queued when static destructors run.
}

Driver &Driver::instance() {
  static std::unique_ptr<Driver> driver;
  static std::optional<std::string> failure;
  static std::once_flag opened;
  std::call_once(opened, [] {
    const char *path = std::getenv("DREAMRT_CUDA_DRIVER");
    try {
      driver = std::make_unique<Driver>(path && *path ? path : kDefaultDriver);
    } catch (const CudaError &e) {
      failure = e.what();
    }
  });
  if (failure)
    throw CudaError(*failure);
  return *driver;
}

void Driver::check(CUresult result, const std::string &what) const {
  if (result == CUDA_SUCCESS)
    return;
  const char *name = nullptr;
  if (api.getErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = "unknown CUDA error";
  throw CudaError(what + ": " + name + " (" + std::to_string(result) + ")");
}

void Driver::useDevice(int ordinal) {
  if (ordinal < 0 || ordinal >= devices)
    throw CudaError("no CUDA device " + std::to_string(ordinal) + ": this " +
                    "machine has " + std::to_string(devices) +
                    " (cuda:0 to cuda:" + std::to_string(devices - 1) + ")");
  if (ordinal == current)
    return;
  CUdevice device;
  CUcontext context;
  std::string which = "CUDA device " + std::to_string(ordinal);
  check(api.deviceGet(&device, ordinal), "cannot open " + which);
  check(api.primaryCtxRetain(&context, device),
        "cannot create a context on " + which);
  check(api.ctxSetCurrent(context), "cannot use " + which);
  current = ordinal;
  std::lock_guard<std::mutex> lock(mutex);
  if (poolsKept[static_cast<size_t>(ordinal)])
    return;
  // The pool's default release threshold, 0, hands freed memory back to
  // the device at every synchronisation, and each step's first buffers
  // would be fresh device allocations again.
  CUmemoryPool pool;
  cuuint64_t keepAll = std::numeric_limits<cuuint64_t>::max();
  check(api.deviceGetDefaultMemPool(&pool, device),
        "cannot find the memory pool of " + which);
  check(api.memPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                                &keepAll),
        "cannot configure the memory pool of " + which);
  poolsKept[static_cast<size_t>(ordinal)] = true;
}

const Kernel &Driver::function(const char *image, const char *name,
                               CUstream stream) {
  if (current < 0)
    useDevice(0);
  std::lock_guard<std::mutex> lock(mutex);
  auto known = kernels.find({current, image, name});
  if (known != kernels.end())
    return known->second;
  // A capture should record launches only: JIT-compiling the PTX takes
  // seconds of host time and is not part of what a replay repeats.
  if (capturing(stream))
    throw CudaError(std::string("kernel ") + name +
                    " is first used while a CUDA graph is being captured; "
                    "run the step once before capturing it");
  auto [slot, isNew] = modules.try_emplace({current, image}, nullptr);
  if (isNew) {
    char log[4096] = "";
    CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                              CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {log, reinterpret_cast<void *>(sizeof log)};
    CUresult status =
        api.moduleLoadDataEx(&slot->second, image, 2, options, values);
    if (status != CUDA_SUCCESS) {
      modules.erase(slot);
      check(status, std::string("the CUDA driver cannot compile the "
                                "trainer's PTX") +
                        (*log ? std::string(" (") + log + ")" : ""));
    }
  }
  CUfunction function;
  check(api.moduleGetFunction(&function, slot->second, name),
        std::string("the trainer's PTX has no kernel ") + name);
  return kernels.try_emplace({current, image, name}, Kernel{function, name})
      .first->second;
}

void Driver::launch(const Kernel &kernel, const unsigned grid[3],
                    const unsigned block[3], unsigned sharedBytes,
                    CUstream stream, void **params) {
  CUresult status = api.launchKernel(kernel.function, grid[0], grid[1],
                                     grid[2], block[0], block[1], block[2],
                                     sharedBytes, stream, params, nullptr);
  if (status != CUDA_SUCCESS) {
    // A launch also reports an earlier kernel's failure (the context is
    // then unusable): name those kernels too.
    std::string earlier = unsynchronizedKernels();
    check(status, "cannot launch kernel " + kernel.name +
                      (earlier.empty() ? "" : " (or an earlier kernel "
                                              "failed; " +
                                                  earlier + ")"));
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto seen = std::find(launched.begin(), launched.end(), kernel.name);
    if (seen != launched.end())
      launched.erase(seen);
    launched.push_back(kernel.name);
  }
  // A captured launch runs at replay: there is nothing to wait for yet.
  if (launchBlocking && !capturing(stream))
    synchronize(stream);
}

std::string Driver::unsynchronizedKernels() {
  std::lock_guard<std::mutex> lock(mutex);
  if (launched.empty())
    return "";
  std::string names;
  for (auto it = launched.rbegin(); it != launched.rend(); ++it)
    names += (names.empty() ? "" : ", ") + *it;
  return "launched since the last synchronisation, latest first: " + names +
         (launchBlocking || launched.size() == 1
              ? ""
              : "; CUDA_LAUNCH_BLOCKING=1 waits for each launch and names "
                "the one that fails");
}

void *Driver::allocate(size_t bytes, CUstream stream) {
  CUdeviceptr pointer = 0;
  check(api.memAllocAsync(&pointer, bytes == 0 ? 1 : bytes, stream),
        "cannot allocate " + std::to_string(bytes) + " bytes on CUDA device " +
            std::to_string(current));
  return reinterpret_cast<void *>(pointer);
}

void Driver::release(void *pointer, CUstream stream) {
  if (pointer)
    check(api.memFreeAsync(reinterpret_cast<CUdeviceptr>(pointer), stream),
          "cannot free device memory");
}

void Driver::synchronize(CUstream stream) {
  if (capturing(stream))
    throw CudaError("cannot wait for the GPU while a CUDA graph is being "
                    "captured on its stream: nothing has run yet; read "
                    "results on the host after replaying the graph");
  CUresult status = api.streamSynchronize(stream);
  if (status != CUDA_SUCCESS) {
    std::string kernelsRun = unsynchronizedKernels();
    check(status, "a kernel failed on the GPU" +
                      (kernelsRun.empty() ? "" : " (" + kernelsRun + ")"));
  }
  std::lock_guard<std::mutex> lock(mutex);
  launched.clear();
}

bool Driver::capturing(CUstream stream) const {
  CUstreamCaptureStatus status = CU_STREAM_CAPTURE_STATUS_NONE;
  check(api.streamIsCapturing(stream, &status),
        "cannot ask the CUDA driver whether a stream is being captured");
  return status != CU_STREAM_CAPTURE_STATUS_NONE;
}

bool Driver::launchedSinceSynchronize() {
  std::lock_guard<std::mutex> lock(mutex);
  return !launched.empty();
}

StreamScope::StreamScope(CUstream stream)
    : previous(std::exchange(scopeStream, stream)) {}

StreamScope::~StreamScope() { scopeStream = previous; }

std::optional<std::string> takeError() {
  return std::exchange(pendingError, std::nullopt);
}

} // namespace dream::rt::cuda

//===--- The interface generated code calls -------------------------------===//

using dream::rt::cuda::Driver;
using dream::rt::cuda::guarded;
using dream::rt::cuda::Kernel;

extern "C" {

// A module is the embedded image itself; Driver::function loads it once.
void *mgpuModuleLoad(void *data, size_t) { return data; }
void *mgpuModuleLoadJIT(void *data, int) { return data; }
void mgpuModuleUnload(void *) {}

void *mgpuModuleGetFunction(void *module, const char *name) {
  return guarded<void *>(nullptr, [&] {
    return const_cast<void *>(static_cast<const void *>(
        &Driver::instance().function(static_cast<const char *>(module), name,
                                     dream::rt::cuda::scopeStream)));
  });
}

// The StreamScope's stream: see the file comment.
void *mgpuStreamCreate() { return dream::rt::cuda::scopeStream; }
void mgpuStreamDestroy(void *) {}
void mgpuStreamSynchronize(void *) {}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, void *stream,
                      void **params, void **, size_t) {
  guarded(0, [&] {
    unsigned grid[3] = {static_cast<unsigned>(gridX),
                        static_cast<unsigned>(gridY),
                        static_cast<unsigned>(gridZ)};
    unsigned block[3] = {static_cast<unsigned>(blockX),
                         static_cast<unsigned>(blockY),
                         static_cast<unsigned>(blockZ)};
    Driver::instance().launch(*static_cast<const Kernel *>(function), grid,
                              block, static_cast<unsigned>(sharedBytes),
                              static_cast<CUstream>(stream), params);
    return 0;
  });
}

void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  return guarded<void *>(nullptr, [&] {
    return Driver::instance().allocate(bytes, dream::rt::cuda::scopeStream);
  });
}

void _mlir_memref_to_llvm_free(void *pointer) {
  // Frees even after an error, so that a failed call leaks nothing.
  try {
    Driver::instance().release(pointer, dream::rt::cuda::scopeStream);
  } catch (const std::exception &e) {
    if (!dream::rt::cuda::pendingError)
      dream::rt::cuda::pendingError = e.what();
  }
}

} // extern "C"
