//===- CudaTest.cpp - The GPU host side, against a fake driver ------------===//
//
// No machine of the project has a GPU, so these tests check everything up
// to the driver: loading the driver and its errors, device selection, PTX
// loading and its errors, and the generated host code of a real kernel
// (Inputs/gpu_relu.dream, compiled by dreamc with its PTX) calling the
// runtime's mgpu* and allocation functions with the right grid, block and
// kernel parameters, in order, on the caller's stream, without waiting for
// the GPU. FakeCudaDriver.cpp records what a GPU would be asked to do.
//
//===----------------------------------------------------------------------===//

#include "FakeCuda.h"
#include "TestSupport.h"

#include "dream/Runtime/Cuda.h"
#include "dream/Runtime/Kernels.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// Defined by the object dreamc compiled from Inputs/gpu_relu.dream.
extern "C" const DreamKernelEntry dream_gpu_kernel_table[];
extern "C" const long dream_gpu_kernel_count;

using namespace dream::rt;
using dream::rt::test::errorOf;
using ::testing::HasSubstr;

namespace {

/// The fake's record; loads the fake as the runtime does, once.
FakeCudaState &fake() {
  void *library = dlopen(FAKE_CUDA_DRIVER, RTLD_NOW | RTLD_LOCAL);
  EXPECT_NE(library, nullptr) << dlerror();
  auto *state = reinterpret_cast<FakeCudaState *(*)()>(
      dlsym(library, "fake_cuda_state"))();
  return *state;
}

/// Runs with $FAKE_CUDA_DEVICES set to `count`.
struct Devices {
  explicit Devices(int count) {
    setenv("FAKE_CUDA_DEVICES", std::to_string(count).c_str(), 1);
  }
  ~Devices() { unsetenv("FAKE_CUDA_DEVICES"); }
};

const char *const validPtx = ".version 8.0\n.target sm_80\n"
                             ".visible .entry k(\n\t.param .u64 k_param_0\n)\n"
                             "{\n\tret;\n}\n";

TEST(CudaTest, MissingDriverSaysWhatToDoInstead) {
  std::string message =
      errorOf([] { cuda::Driver("/nonexistent/libcuda.so.1"); });
  EXPECT_THAT(message, HasSubstr("no CUDA driver: cannot load "
                                 "/nonexistent/libcuda.so.1"));
  EXPECT_THAT(message, HasSubstr("--device cpu"));
}

TEST(CudaTest, NoDeviceIsAClearError) {
  Devices none(0);
  EXPECT_THAT(errorOf([] { cuda::Driver driver(FAKE_CUDA_DRIVER); }),
              HasSubstr("the CUDA driver finds no GPU here; --device cpu"));
}

TEST(CudaTest, SelectsTheRequestedDevice) {
  Devices two(2);
  cuda::Driver driver(FAKE_CUDA_DRIVER);
  EXPECT_EQ(driver.deviceCount(), 2);
  driver.useDevice(1);
  EXPECT_EQ(fake().currentDevice, 1);
  EXPECT_EQ(errorOf([&] { driver.useDevice(2); }),
            "no CUDA device 2: this machine has 2 (cuda:0 to cuda:1)");
}

TEST(CudaTest, RefusedPtxCarriesTheCompilerLog) {
  cuda::Driver driver(FAKE_CUDA_DRIVER);
  EXPECT_EQ(errorOf([&] { driver.function("not ptx", "k"); }),
            "the CUDA driver cannot compile the trainer's PTX (ptxas fatal: "
            "no .version directive): CUDA_ERROR_INVALID_PTX (218)");
  EXPECT_EQ(driver.function(validPtx, "k").name, "k");
  EXPECT_EQ(errorOf([&] { driver.function(validPtx, "missing"); }),
            "the trainer's PTX has no kernel missing: CUDA_ERROR_NOT_FOUND "
            "(500)");
}

/// A rank-4 memref descriptor.
struct Descriptor {
  float *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
};

/// The GPU host side of the kernel `name` on `args`; returns the result
/// descriptor.
Descriptor runKernel(const char *name, std::vector<Descriptor> args) {
  auto entry = std::find_if(
      dream_gpu_kernel_table, dream_gpu_kernel_table + dream_gpu_kernel_count,
      [&](const DreamKernelEntry &e) { return std::strcmp(e.name, name) == 0; });
  EXPECT_NE(entry, dream_gpu_kernel_table + dream_gpu_kernel_count) << name;
  Descriptor result{};
  std::vector<void *> pointers = {&result};
  for (Descriptor &arg : args)
    pointers.push_back(&arg);
  entry->packed(pointers.data());
  return result;
}

/// A [3, 1, 20, 20] tensor at `data`.
Descriptor image(float *data) {
  return {data, data, 0, {3, 1, 20, 20}, {400, 400, 20, 1}};
}

/// `Tiny_fused0_forward`'s GPU host side on a [3, 1, 20, 20] input in
/// (fake) device memory; returns the result descriptor.
Descriptor runRelu(float *input) {
  return runKernel("Tiny_fused0_forward", {image(input)});
}

/// A stream handle the fake driver records but never dereferences.
CUstream fakeStream() { return reinterpret_cast<CUstream>(0x5eed); }

TEST(CudaTest, GeneratedHostCodeLaunchesThePtxKernel) {
  setenv("DREAMRT_CUDA_DRIVER", FAKE_CUDA_DRIVER, 1);
  cuda::Driver &driver = cuda::Driver::instance();
  FakeCudaState &state = fake();
  state.launches.clear();
  auto *input =
      static_cast<float *>(driver.allocate(1200 * sizeof(float), nullptr));
  Descriptor result = runRelu(input);
  ASSERT_EQ(cuda::takeError(), std::nullopt);

  // One launch of relu's kernel: 1200 threads in blocks of 256.
  ASSERT_EQ(state.launches.size(), 1u);
  const FakeLaunch &launch = state.launches[0];
  EXPECT_EQ(launch.kernel, "Tiny_fused0_forward_kernel");
  EXPECT_THAT(launch.grid, ::testing::ElementsAre(5u, 1u, 1u));
  EXPECT_THAT(launch.block, ::testing::ElementsAre(256u, 1u, 1u));
  EXPECT_EQ(launch.device, 0);
  // The kernel reads the input and writes the result: both buffers are
  // among its parameters, as is the element count it guards with.
  auto passes = [&](uint64_t value) {
    return std::count(launch.params.begin(), launch.params.end(), value) > 0;
  };
  EXPECT_TRUE(passes(reinterpret_cast<uint64_t>(input)));
  EXPECT_TRUE(passes(reinterpret_cast<uint64_t>(result.aligned)));
  EXPECT_TRUE(passes(1200));

  // The result lives in device memory the caller now owns; nothing else
  // is left allocated.
  EXPECT_THAT(result.sizes, ::testing::ElementsAre(3, 1, 20, 20));
  EXPECT_EQ(state.live.size(), 2u);
  EXPECT_EQ(state.live.count(result.allocated), 1u);
  driver.release(result.allocated, nullptr);
  driver.release(input, nullptr);
  EXPECT_TRUE(state.live.empty());
}

TEST(CudaTest, LaunchesQueueInOrderOnTheScopesStreamWithoutWaiting) {
  setenv("DREAMRT_CUDA_DRIVER", FAKE_CUDA_DRIVER, 1);
  cuda::Driver &driver = cuda::Driver::instance();
  FakeCudaState &state = fake();
  auto *input =
      static_cast<float *>(driver.allocate(1200 * sizeof(float), fakeStream()));
  auto *grad =
      static_cast<float *>(driver.allocate(1200 * sizeof(float), fakeStream()));
  Descriptor first, forward, backward, again;
  {
    cuda::StreamScope scope(fakeStream());
    // The PTX is compiled here if no test before did.
    first = runRelu(input);
  }
  driver.synchronize(fakeStream());
  state.launches.clear();
  state.memoryStreams.clear();
  int loads = state.moduleLoads, waits = state.synchronizations;
  {
    cuda::StreamScope scope(fakeStream());
    forward = runRelu(input);
    backward = runKernel("Tiny_fused0_backward", {image(input), image(grad)});
    again = runRelu(input);
  }
  ASSERT_EQ(cuda::takeError(), std::nullopt);

  // Forward, backward, forward, in the order they were called, all on the
  // scope's stream, and nothing waited for them.
  std::vector<std::string> kernels;
  for (const FakeLaunch &launch : state.launches) {
    kernels.push_back(launch.kernel);
    EXPECT_EQ(launch.stream, fakeStream()) << launch.kernel;
  }
  EXPECT_THAT(kernels, ::testing::ElementsAre("Tiny_fused0_forward_kernel",
                                              "Tiny_fused0_backward_kernel",
                                              "Tiny_fused0_forward_kernel"));
  EXPECT_EQ(state.synchronizations, waits);
  EXPECT_TRUE(driver.launchedSinceSynchronize());
  // The PTX was compiled once in this process, not per call.
  EXPECT_EQ(state.moduleLoads, loads);
  // Every buffer, the kernels' own included, was allocated in stream order
  // on that stream, from a pool that keeps freed memory.
  EXPECT_THAT(state.memoryStreams, ::testing::Each(fakeStream()));
  EXPECT_EQ(state.poolReleaseThreshold, UINT64_MAX);

  driver.synchronize(fakeStream());
  EXPECT_EQ(state.synchronizations, waits + 1);
  EXPECT_FALSE(driver.launchedSinceSynchronize());
  for (float *buffer : {first.allocated, forward.allocated, backward.allocated,
                        again.allocated, input, grad})
    driver.release(buffer, fakeStream());
  EXPECT_TRUE(state.live.empty());
}

TEST(CudaTest, AFailedKernelIsNamedAtTheNextSynchronisation) {
  setenv("DREAMRT_CUDA_DRIVER", FAKE_CUDA_DRIVER, 1);
  cuda::Driver &driver = cuda::Driver::instance();
  FakeCudaState &state = fake();
  driver.synchronize(fakeStream());
  auto *input =
      static_cast<float *>(driver.allocate(1200 * sizeof(float), fakeStream()));
  Descriptor result;
  {
    cuda::StreamScope scope(fakeStream());
    result = runRelu(input);
  }
  ASSERT_EQ(cuda::takeError(), std::nullopt);
  state.failKernels = true;
  EXPECT_EQ(errorOf([&] { driver.synchronize(fakeStream()); }),
            "a kernel failed on the GPU (launched since the last "
            "synchronisation, latest first: Tiny_fused0_forward_kernel): "
            "CUDA_ERROR_ILLEGAL_ADDRESS (700)");
  state.failKernels = false;
  driver.release(result.allocated, fakeStream());
  driver.release(input, fakeStream());
  EXPECT_TRUE(state.live.empty());
}

TEST(CudaTest, LaunchBlockingWaitsForEachKernel) {
  setenv("CUDA_LAUNCH_BLOCKING", "1", 1);
  cuda::Driver driver(FAKE_CUDA_DRIVER);
  unsetenv("CUDA_LAUNCH_BLOCKING");
  FakeCudaState &state = fake();
  int waits = state.synchronizations;
  const cuda::Kernel &kernel = driver.function(validPtx, "k");
  uint64_t param = 0;
  void *params[] = {&param};
  unsigned one[3] = {1, 1, 1};
  driver.launch(kernel, one, one, 0, fakeStream(), params);
  driver.launch(kernel, one, one, 0, fakeStream(), params);
  EXPECT_EQ(state.synchronizations, waits + 2);
  // So a failure names the one kernel, without the hint to set it.
  state.failKernels = true;
  EXPECT_EQ(errorOf([&] {
              driver.launch(kernel, one, one, 0, fakeStream(), params);
            }),
            "a kernel failed on the GPU (launched since the last "
            "synchronisation, latest first: k): CUDA_ERROR_ILLEGAL_ADDRESS "
            "(700)");
  state.failKernels = false;
}

TEST(CudaTest, CaptureRecordsLaunchesWithoutWaitsOrModuleLoads) {
  setenv("DREAMRT_CUDA_DRIVER", FAKE_CUDA_DRIVER, 1);
  cuda::Driver &driver = cuda::Driver::instance();
  FakeCudaState &state = fake();
  auto *input =
      static_cast<float *>(driver.allocate(1200 * sizeof(float), fakeStream()));
  Descriptor warmUp;
  {
    // The step's first run loads the PTX, as a trainer's step does before
    // it is captured.
    cuda::StreamScope scope(fakeStream());
    warmUp = runRelu(input);
  }
  driver.synchronize(fakeStream());
  state.launches.clear();
  int loads = state.moduleLoads, waits = state.synchronizations;

  state.capturedStream = fakeStream();
  Descriptor captured;
  {
    cuda::StreamScope scope(fakeStream());
    captured = runRelu(input);
  }
  ASSERT_EQ(cuda::takeError(), std::nullopt);
  // Recorded on the captured stream, with no host wait and no module load:
  // a replay repeats exactly these launches.
  ASSERT_EQ(state.launches.size(), 1u);
  EXPECT_EQ(state.launches[0].stream, fakeStream());
  EXPECT_EQ(state.synchronizations, waits);
  EXPECT_EQ(state.moduleLoads, loads);
  // Nothing has run yet, so a host wait is refused with what to do.
  EXPECT_EQ(errorOf([&] { driver.synchronize(fakeStream()); }),
            "cannot wait for the GPU while a CUDA graph is being captured "
            "on its stream: nothing has run yet; read results on the host "
            "after replaying the graph");
  EXPECT_EQ(state.synchronizations, waits);
  // A kernel never used before would be JIT-compiled inside the capture.
  EXPECT_EQ(errorOf([&] { driver.function(validPtx, "k", fakeStream()); }),
            "kernel k is first used while a CUDA graph is being captured; "
            "run the step once before capturing it");
  EXPECT_EQ(state.moduleLoads, loads);
  state.capturedStream = nullptr;

  driver.synchronize(fakeStream());
  for (float *buffer : {warmUp.allocated, captured.allocated, input})
    driver.release(buffer, fakeStream());
  EXPECT_TRUE(state.live.empty());
}

TEST(CudaTest, LaunchBlockingDoesNotWaitUnderCapture) {
  setenv("CUDA_LAUNCH_BLOCKING", "1", 1);
  cuda::Driver driver(FAKE_CUDA_DRIVER);
  unsetenv("CUDA_LAUNCH_BLOCKING");
  FakeCudaState &state = fake();
  const cuda::Kernel &kernel = driver.function(validPtx, "k");
  uint64_t param = 0;
  void *params[] = {&param};
  unsigned one[3] = {1, 1, 1};
  int waits = state.synchronizations;
  state.capturedStream = fakeStream();
  driver.launch(kernel, one, one, 0, fakeStream(), params);
  state.capturedStream = nullptr;
  EXPECT_EQ(state.synchronizations, waits);
  driver.synchronize(fakeStream());
}

TEST(CudaTest, DriverErrorsWaitForTheRuntimeToTakeThem) {
  setenv("DREAMRT_CUDA_DRIVER", FAKE_CUDA_DRIVER, 1);
  cuda::Driver &driver = cuda::Driver::instance();
  FakeCudaState &state = fake();
  state.launches.clear();
  driver.synchronize(nullptr);
  state.failLaunches = true;
  auto *input =
      static_cast<float *>(driver.allocate(1200 * sizeof(float), nullptr));
  Descriptor result = runRelu(input);
  state.failLaunches = false;
  EXPECT_EQ(cuda::takeError(), "cannot launch kernel "
                               "Tiny_fused0_forward_kernel: "
                               "CUDA_ERROR_LAUNCH_FAILED (719)");
  EXPECT_EQ(cuda::takeError(), std::nullopt);
  EXPECT_TRUE(state.launches.empty());
  driver.release(result.allocated, nullptr);
  driver.release(input, nullptr);
  EXPECT_TRUE(state.live.empty());
}

} // namespace
