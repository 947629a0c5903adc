//===- FakeCuda.h - What the fake CUDA driver records -----------*- C++ -*-===//
//
// FakeCudaDriver.cpp is a stand-in for libcuda.so.1 on machines without a
// GPU: device memory is host memory, PTX is checked for a header and its
// kernels' parameter lists, and launches are recorded instead of run. The
// runtime opens it through $DREAMRT_CUDA_DRIVER; CudaTest reads its record.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_TEST_FAKECUDA_H
#define DREAM_TEST_FAKECUDA_H

#include <cstdint>
#include <set>
#include <string>
#include <vector>

struct FakeLaunch {
  std::string kernel;
  unsigned grid[3], block[3];
  /// Each parameter's value, read with the size its PTX declaration gives.
  std::vector<uint64_t> params;
  int device;
  void *stream;
};

struct FakeCudaState {
  std::vector<FakeLaunch> launches;
  std::set<void *> live;  ///< Device allocations not yet freed.
  /// The stream of each cuMemAllocAsync and cuMemFreeAsync, in order.
  std::vector<void *> memoryStreams;
  int moduleLoads = 0;      ///< cuModuleLoadDataEx calls.
  int synchronizations = 0; ///< cuStreamSynchronize calls.
  /// The release threshold last set on a device's memory pool.
  uint64_t poolReleaseThreshold = 0;
  int currentDevice = -1;
  bool failLaunches = false; ///< cuLaunchKernel reports a launch failure.
  /// A kernel "fails on the GPU": cuStreamSynchronize reports it.
  bool failKernels = false;
  /// A stream that cuStreamIsCapturing reports as being captured into a
  /// CUDA graph; null: none.
  void *capturedStream = nullptr;
};

/// The driver's record, found with dlsym in the loaded fake.
extern "C" FakeCudaState *fake_cuda_state();

#endif // DREAM_TEST_FAKECUDA_H
