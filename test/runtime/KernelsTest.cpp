//===- KernelsTest.cpp - The host side of compiled-kernel calls -----------===//
//
// Hand-written entry points that follow docs/codegen.md's packed calling
// convention stand in for generated ones: they read the descriptors the
// runtime builds and return malloc'ed results, so argument packing,
// ownership, autograd and the running-statistics update are checked
// independently of the compiler (test/EndToEnd checks real kernels).
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "dream/Runtime/Model.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

using namespace dream::rt;

namespace {

/// A rank-R memref descriptor as the kernels see it.
template <int R> struct Descriptor {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[R];
  int64_t strides[R];
};

template <int R> int64_t elements(const Descriptor<R> &d) {
  int64_t n = 1;
  for (int i = 0; i < R; ++i)
    n *= d.sizes[i];
  return n;
}

/// A result like the kernels': fresh, 64-byte aligned inside a larger
/// malloc'ed block (so `aligned` differs from `allocated`), row-major.
template <int R> Descriptor<R> allocateLike(const Descriptor<R> &shape) {
  Descriptor<R> out = shape;
  out.allocated = static_cast<float *>(std::malloc(elements(shape) * 4 + 64));
  out.aligned = out.allocated + 4;
  out.offset = 0;
  return out;
}

/// The results of both test kernels: a matrix and two vectors.
struct Results {
  Descriptor<2> matrix;
  Descriptor<1> first, second;
};

/// forward(x [N, C]) -> (3x, column means of x, column variances (biased)).
void scaleWithStatistics(void **args) {
  auto *results = static_cast<Results *>(args[0]);
  auto *x = static_cast<Descriptor<2> *>(args[1]);
  int64_t n = x->sizes[0], c = x->sizes[1];
  results->matrix = allocateLike(*x);
  Descriptor<1> column = {nullptr, nullptr, 0, {c}, {1}};
  results->first = allocateLike(column);
  results->second = allocateLike(column);
  for (int64_t j = 0; j < c; ++j) {
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < n; ++i) {
      float v = x->aligned[i * c + j];
      results->matrix.aligned[i * c + j] = 3 * v;
      sum += v;
      squares += v * v;
    }
    results->first.aligned[j] = static_cast<float>(sum / n);
    results->second.aligned[j] =
        static_cast<float>(squares / n - (sum / n) * (sum / n));
  }
}

/// backward(x, running mean, running var, grad) -> (3 grad, 0, 0).
void scaleBackward(void **args) {
  auto *results = static_cast<Results *>(args[0]);
  auto *mean = static_cast<Descriptor<1> *>(args[2]);
  auto *grad = static_cast<Descriptor<2> *>(args[4]);
  results->matrix = allocateLike(*grad);
  for (int64_t i = 0; i < elements(*grad); ++i)
    results->matrix.aligned[i] = 3 * grad->aligned[i];
  for (Descriptor<1> *zero : {&results->first, &results->second}) {
    *zero = allocateLike(*mean);
    std::memset(zero->aligned, 0, elements(*mean) * 4);
  }
}

TEST(KernelsTest, LibraryFindsEntriesByName) {
  DreamKernelEntry table[] = {{"k_forward", scaleWithStatistics},
                              {"k_backward", scaleBackward}};
  DreamKernelEntry gpuTable[] = {{"k_forward", scaleBackward}};
  KernelLibrary library({table, 2}, {gpuTable, 1}, "0123456789abcdef");
  EXPECT_EQ(library.size(), 2u);
  EXPECT_EQ(library.find("k_backward"), &scaleBackward);
  EXPECT_EQ(library.find("k_forward_eval"), nullptr);
  EXPECT_EQ(library.find("k_forward", /*gpu=*/true), &scaleBackward);
  EXPECT_EQ(library.find("k_backward", /*gpu=*/true), nullptr);
  EXPECT_TRUE(library.hasGpuKernels());
  EXPECT_EQ(library.abi(), "0123456789abcdef");
}

TEST(KernelsTest, RepeatedNameIsRefused) {
  DreamKernelEntry table[] = {{"k_forward", scaleWithStatistics},
                              {"k_forward", scaleBackward}};
  EXPECT_THROW(
      {
        try {
          KernelLibrary({table, 2}, {}, "");
        } catch (const PlanError &e) {
          EXPECT_STREQ(e.what(), "the kernel table defines 'k_forward' twice");
          throw;
        }
      },
      PlanError);
}

// Every x86-64 machine these tests run on has x86-64-v2, the level of
// trainers compiled with --cpu=x86-64-v2 and of objects without a level.
TEST(KernelsTest, PortableCpuLevelIsAccepted) {
  EXPECT_NO_THROW(requireCpuLevel("x86-64-v2"));
}

TEST(KernelsTest, UnknownCpuLevelIsRefused) {
  try {
    requireCpuLevel("x86-64-v9");
    ADD_FAILURE() << "x86-64-v9 was accepted";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(),
                 "the kernels were compiled for 'x86-64-v9', which is no "
                 "x86-64 level this runtime knows (x86-64-v2, -v3, -v4): "
                 "recompile the network with this version of dreamc");
  }
}

// The answer for the other levels is this CPU's, as the compiler sees it.
TEST(KernelsTest, CpuLevelsFollowTheCpu) {
  bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  bool v4 = v3 && __builtin_cpu_supports("avx512f") &&
            __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512cd") &&
            __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512vl");
  auto accepted = [](const char *level) {
    try {
      requireCpuLevel(level);
      return true;
    } catch (const std::runtime_error &e) {
      EXPECT_NE(std::strstr(e.what(), "recompile the network with dreamc "
                                      "--cpu=x86-64-v2"),
                nullptr)
          << e.what();
      return false;
    }
  };
  EXPECT_EQ(accepted("x86-64-v3"), v3);
  EXPECT_EQ(accepted("x86-64-v4"), v4);
}

/// The chunks dream_parallel_for ran, and on how many threads.
struct Chunks {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  std::set<std::thread::id> threads;

  static void record(void *context, int64_t begin, int64_t end) {
    auto *chunks = static_cast<Chunks *>(context);
    std::lock_guard<std::mutex> lock(chunks->mutex);
    chunks->ranges.emplace_back(begin, end);
    chunks->threads.insert(std::this_thread::get_id());
  }

  /// Whether the ranges cover [0, n) once each.
  bool cover(int64_t n) {
    std::sort(ranges.begin(), ranges.end());
    int64_t next = 0;
    for (auto [begin, end] : ranges) {
      if (begin != next || end <= begin)
        return false;
      next = end;
    }
    return next == n;
  }
};

TEST(KernelsTest, ParallelForSplitsLargeLoopsAcrossThreads) {
  at::set_num_threads(2);
  Chunks chunks;
  // 128 samples of 64x28x28 values: a residual block's add and relu.
  dream_parallel_for(128, 64 * 28 * 28, Chunks::record, &chunks);
  EXPECT_TRUE(chunks.cover(128));
  EXPECT_EQ(chunks.ranges.size(), 2u);
  EXPECT_EQ(chunks.threads.size(), 2u);
}

TEST(KernelsTest, ParallelForRunsSmallLoopsInOneCall) {
  at::set_num_threads(2);
  Chunks chunks;
  // 16 channels of 64 values: fewer than LibTorch's grain of 32,768.
  dream_parallel_for(16, 64, Chunks::record, &chunks);
  ASSERT_EQ(chunks.ranges.size(), 1u);
  EXPECT_EQ(chunks.ranges[0], std::make_pair(int64_t{0}, int64_t{16}));
  EXPECT_EQ(chunks.threads.count(std::this_thread::get_id()), 1u);
  // No iterations, no call; a zero work estimate still runs every step.
  Chunks none, unknown;
  dream_parallel_for(0, 1 << 20, Chunks::record, &none);
  EXPECT_TRUE(none.ranges.empty());
  dream_parallel_for(5, 0, Chunks::record, &unknown);
  EXPECT_TRUE(unknown.cover(5));
}

TEST(KernelsTest, PackedCallPassesContiguousDescriptorsAndAdoptsResults) {
  // A transposed (non-contiguous) argument reaches the kernel contiguous.
  at::Tensor x = at::arange(12, at::kFloat).reshape({3, 4}).t();
  std::vector<at::Tensor> out =
      callPackedKernel(scaleWithStatistics, {x}, {2, 1, 1});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(at::equal(out[0], x * 3));
  EXPECT_TRUE(at::allclose(out[1], x.mean(0)));
  EXPECT_TRUE(at::allclose(out[2], x.var(0, /*unbiased=*/false)));
}

TEST(KernelsTest, PackedCallRefusesOtherTensorTypes) {
  at::Tensor tokens = at::zeros({2, 3}, at::kLong);
  try {
    callPackedKernel(scaleWithStatistics, {tokens}, {2, 1, 1});
    FAIL() << "int64 arguments were accepted";
  } catch (const PlanError &e) {
    EXPECT_STREQ(e.what(), "compiled kernels take float32 tensors, not Long");
  }
  at::Tensor x = at::zeros({2, 3});
  at::Tensor shapeOnly = at::zeros({2, 3}, at::TensorOptions().device(at::kMeta));
  try {
    callPackedKernel(scaleWithStatistics, {x, shapeOnly}, {2, 1, 1});
    FAIL() << "operands on two devices were accepted";
  } catch (const PlanError &e) {
    EXPECT_STREQ(e.what(), "compiled kernels take tensors on one CPU or CUDA "
                           "device, not on cpu and meta");
  }
}

TEST(KernelsTest, FusedCallBackPropagatesAndUpdatesRunningStatistics) {
  at::Tensor x = at::tensor({1.f, 2.f, 3.f, 6.f}).reshape({2, 2});
  x.requires_grad_(true);
  at::Tensor runningMean = at::zeros({2}), runningVar = at::ones({2});
  KernelCall call{scaleWithStatistics,
                  scaleBackward,
                  {x, runningMean, runningVar},
                  2,
                  {{runningMean, runningVar, 0.1, 2}}};
  at::Tensor y = callFusedKernel(call);
  EXPECT_TRUE(at::equal(y.detach(), x.detach() * 3));
  (y * at::tensor({1.f, 2.f, 3.f, 4.f}).reshape({2, 2})).sum().backward();
  EXPECT_TRUE(at::equal(x.grad(), at::tensor({3.f, 6.f, 9.f, 12.f})
                                      .reshape({2, 2})));
  // Column means 2 and 4; unbiased variances 2 and 8 (two values each).
  EXPECT_TRUE(at::allclose(runningMean, at::tensor({0.2f, 0.4f})));
  EXPECT_TRUE(at::allclose(runningVar, at::tensor({0.9f + 0.2f, 0.9f + 0.8f})));
}

} // namespace
