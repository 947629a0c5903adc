//===- Parallel.cpp - The thread pool of the compiled kernels -------------===//
//
// The generated CPU kernels hand each parallel loop to dream_parallel_for
// (Kernels.h), which shares it out on LibTorch's intra-op pool: one pool
// for LibTorch's kernels and ours, sized by --threads, so the two never
// compete for cores.
//
// at::parallel_for is inline: with this wheel's OpenMP backend it is an
// `omp parallel` region in this file, which is compiled with -fopenmp
// outside the precompiled header and links the wheel's own libgomp, so the
// region runs on the team at::set_num_threads sized (runtime/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>

#ifndef _OPENMP
#error "Parallel.cpp must be compiled with -fopenmp, or at::parallel_for runs on one thread"
#endif

namespace {

/// LibTorch's own grain for pointwise kernels (at::internal::GRAIN_SIZE):
/// below this many iterations a chunk is not worth waking a thread.
constexpr int64_t kMinChunkIterations = 32768;

} // namespace

extern "C" void dream_parallel_for(int64_t n, int64_t work,
                                   void (*task)(void *, int64_t, int64_t),
                                   void *context) {
  int64_t perStep = std::max<int64_t>(work, 1);
  int64_t grain = (kMinChunkIterations + perStep - 1) / perStep;
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    task(context, begin, end);
  });
}
