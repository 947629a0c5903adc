//===- FakeCudaDriver.cpp - libcuda's entry points, without a GPU ---------===//
//
// Implements the driver functions runtime/lib/exec/Cuda.cpp resolves, with the
// driver's signatures from cuda.h. $FAKE_CUDA_DEVICES sets the device count
// (default 1; 0 makes cuInit fail as the real driver does on a machine
// without a GPU). See FakeCuda.h.
//
//===----------------------------------------------------------------------===//

#include "FakeCuda.h"

#include <cuda.h>

#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <sstream>

namespace {

FakeCudaState state;

/// A loaded module: the PTX text.
struct Module {
  std::string ptx;
};

/// A kernel: its name and the byte size of each parameter.
struct Function {
  std::string name;
  std::vector<size_t> paramSizes;
};

std::map<std::string, Function> functions; // By name; owns the handles.
// Loaded modules live as long as the process, as a real driver's live as
// long as their context (the runtime never unloads one).
std::list<Module> modules;

int deviceCount() {
  const char *count = std::getenv("FAKE_CUDA_DEVICES");
  return count ? std::atoi(count) : 1;
}

/// The parameter sizes of `.entry name(...)` in `ptx`, or false.
bool parseEntry(const std::string &ptx, const std::string &name,
                std::vector<size_t> &sizes) {
  size_t at = ptx.find(".entry " + name + "(");
  if (at == std::string::npos)
    return false;
  size_t end = ptx.find(')', at);
  std::istringstream params(ptx.substr(at, end - at));
  std::string line;
  while (std::getline(params, line)) {
    size_t param = line.find(".param .");
    if (param == std::string::npos)
      continue;
    std::string type = line.substr(param + 8, 3);
    sizes.push_back(type == "u64" || type == "b64" || type == "s64" ? 8 : 4);
  }
  return true;
}

} // namespace

extern "C" {

FakeCudaState *fake_cuda_state() { return &state; }

CUresult cuInit(unsigned) {
  return deviceCount() > 0 ? CUDA_SUCCESS : CUDA_ERROR_NO_DEVICE;
}

CUresult cuDeviceGetCount(int *count) {
  *count = deviceCount();
  return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  if (ordinal < 0 || ordinal >= deviceCount())
    return CUDA_ERROR_INVALID_DEVICE;
  *device = ordinal;
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice device) {
  // A context is the device's ordinal plus one, as a pointer.
  *context = reinterpret_cast<CUcontext>(static_cast<intptr_t>(device) + 1);
  return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext context) {
  state.currentDevice = static_cast<int>(reinterpret_cast<intptr_t>(context)) - 1;
  return CUDA_SUCCESS;
}

CUresult cuModuleLoadDataEx(CUmodule *module, const void *image,
                            unsigned count, CUjit_option *options,
                            void **values) {
  std::string ptx(static_cast<const char *>(image));
  if (ptx.find(".version ") == std::string::npos ||
      ptx.find(".target ") == std::string::npos) {
    for (unsigned i = 0; i < count; ++i)
      if (options[i] == CU_JIT_ERROR_LOG_BUFFER)
        std::strcpy(static_cast<char *>(values[i]),
                    "ptxas fatal: no .version directive");
    return CUDA_ERROR_INVALID_PTX;
  }
  ++state.moduleLoads;
  *module = reinterpret_cast<CUmodule>(&modules.emplace_back(Module{ptx}));
  return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction *function, CUmodule module,
                             const char *name) {
  Function found{name, {}};
  if (!parseEntry(reinterpret_cast<Module *>(module)->ptx, name,
                  found.paramSizes))
    return CUDA_ERROR_NOT_FOUND;
  Function &slot = functions[name] = found;
  *function = reinterpret_cast<CUfunction>(&slot);
  return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction f, unsigned gridX, unsigned gridY,
                        unsigned gridZ, unsigned blockX, unsigned blockY,
                        unsigned blockZ, unsigned, CUstream stream,
                        void **params, void **) {
  if (state.failLaunches)
    return CUDA_ERROR_LAUNCH_FAILED;
  auto *function = reinterpret_cast<Function *>(f);
  FakeLaunch launch{function->name,       {gridX, gridY, gridZ},
                    {blockX, blockY, blockZ}, {},
                    state.currentDevice,  stream};
  for (size_t i = 0; i < function->paramSizes.size(); ++i) {
    uint64_t value = 0;
    std::memcpy(&value, params[i], function->paramSizes[i]);
    launch.params.push_back(value);
  }
  state.launches.push_back(launch);
  return CUDA_SUCCESS;
}

CUresult cuMemAllocAsync(CUdeviceptr *pointer, size_t bytes,
                         CUstream stream) {
  void *memory = std::malloc(bytes);
  state.live.insert(memory);
  state.memoryStreams.push_back(stream);
  *pointer = reinterpret_cast<CUdeviceptr>(memory);
  return CUDA_SUCCESS;
}

CUresult cuMemFreeAsync(CUdeviceptr pointer, CUstream stream) {
  void *memory = reinterpret_cast<void *>(pointer);
  if (!state.live.erase(memory))
    return CUDA_ERROR_INVALID_VALUE;
  state.memoryStreams.push_back(stream);
  std::free(memory);
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pool, CUdevice device) {
  // A pool is the device's ordinal plus one, as a pointer.
  *pool = reinterpret_cast<CUmemoryPool>(static_cast<intptr_t>(device) + 1);
  return CUDA_SUCCESS;
}

CUresult cuMemPoolSetAttribute(CUmemoryPool, CUmemPool_attribute attribute,
                               void *value) {
  if (attribute != CU_MEMPOOL_ATTR_RELEASE_THRESHOLD)
    return CUDA_ERROR_INVALID_VALUE;
  state.poolReleaseThreshold = *static_cast<cuuint64_t *>(value);
  return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream) {
  ++state.synchronizations;
  return state.failKernels ? CUDA_ERROR_ILLEGAL_ADDRESS : CUDA_SUCCESS;
}

CUresult cuStreamIsCapturing(CUstream stream, CUstreamCaptureStatus *status) {
  *status = stream && stream == state.capturedStream
                ? CU_STREAM_CAPTURE_STATUS_ACTIVE
                : CU_STREAM_CAPTURE_STATUS_NONE;
  return CUDA_SUCCESS;
}

CUresult cuGetErrorName(CUresult error, const char **name) {
  switch (error) {
  case CUDA_ERROR_NO_DEVICE:
    *name = "CUDA_ERROR_NO_DEVICE";
    break;
  case CUDA_ERROR_INVALID_PTX:
    *name = "CUDA_ERROR_INVALID_PTX";
    break;
  case CUDA_ERROR_NOT_FOUND:
    *name = "CUDA_ERROR_NOT_FOUND";
    break;
  case CUDA_ERROR_LAUNCH_FAILED:
    *name = "CUDA_ERROR_LAUNCH_FAILED";
    break;
  case CUDA_ERROR_ILLEGAL_ADDRESS:
    *name = "CUDA_ERROR_ILLEGAL_ADDRESS";
    break;
  default:
    return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

} // extern "C"
