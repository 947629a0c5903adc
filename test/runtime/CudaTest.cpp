//===- CudaTest.cpp - The GPU host side, against a fake driver ------------===//
//
// No machine of the project has a GPU, so these tests check everything up
// to the driver: loading the driver and its errors, device selection, PTX
// loading and its errors, and the generated host code of a real kernel
// (Inputs/gpu_relu.dream, compiled by dreamc with its PTX) calling the
// runtime's mgpu* and allocation functions with the right grid, block and
// kernel parameters. FakeCudaDriver.cpp records what a GPU would be asked
// to do.
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
  EXPECT_NE(driver.function(validPtx, "k"), nullptr);
  EXPECT_EQ(errorOf([&] { driver.function(validPtx, "missing"); }),
            "the trainer's PTX has no kernel missing: CUDA_ERROR_NOT_FOUND "
            "(500)");
}

/// A rank-4 memref descriptor.
struct Descriptor {
  float *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
};

/// `Tiny_fused0_forward`'s GPU host side on a [3, 1, 20, 20] input in
/// (fake) device memory; returns the result descriptor.
Descriptor runRelu(float *input) {
  auto entry = std::find_if(
      dream_gpu_kernel_table, dream_gpu_kernel_table + dream_gpu_kernel_count,
      [](const DreamKernelEntry &e) {
        return std::strcmp(e.name, "Tiny_fused0_forward") == 0;
      });
  EXPECT_NE(entry, dream_gpu_kernel_table + dream_gpu_kernel_count);
  Descriptor x = {input, input, 0, {3, 1, 20, 20}, {400, 400, 20, 1}};
  Descriptor result{};
  void *args[] = {&result, &x};
  entry->packed(args);
  return result;
}

TEST(CudaTest, GeneratedHostCodeLaunchesThePtxKernel) {
  setenv("DREAMRT_CUDA_DRIVER", FAKE_CUDA_DRIVER, 1);
  cuda::Driver &driver = cuda::Driver::instance();
  FakeCudaState &state = fake();
  state.launches.clear();
  auto *input = static_cast<float *>(driver.allocate(1200 * sizeof(float)));
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
  driver.release(result.allocated);
  driver.release(input);
  EXPECT_TRUE(state.live.empty());
}

TEST(CudaTest, DriverErrorsWaitForTheRuntimeToTakeThem) {
  setenv("DREAMRT_CUDA_DRIVER", FAKE_CUDA_DRIVER, 1);
  cuda::Driver &driver = cuda::Driver::instance();
  FakeCudaState &state = fake();
  state.launches.clear();
  state.failLaunches = true;
  auto *input = static_cast<float *>(driver.allocate(1200 * sizeof(float)));
  Descriptor result = runRelu(input);
  state.failLaunches = false;
  EXPECT_EQ(cuda::takeError(),
            "cannot launch a kernel: CUDA_ERROR_LAUNCH_FAILED (719)");
  EXPECT_EQ(cuda::takeError(), std::nullopt);
  EXPECT_TRUE(state.launches.empty());
  driver.release(result.allocated);
  driver.release(input);
  EXPECT_TRUE(state.live.empty());
}

} // namespace
