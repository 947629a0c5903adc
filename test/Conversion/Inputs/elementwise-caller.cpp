//===- elementwise-caller.cpp - Calls a kernel through its C interface ----===//
//
// Linked by CodegenTest.cpp with the object that emitObjectFile wrote for
// lower-elementwise.mlir, using nothing but the system compiler and libm,
// as the trainer will be. Exits 0 when relu(x + y) comes back right. The
// object calls `dream_parallel_for` for its loops (docs/codegen.md); this
// program defines it with two std::threads, one per half of the range.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

/// MLIR's memref descriptor for a rank-4 f32 memref (docs/codegen.md).
struct MemRef4 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[4];
  int64_t strides[4];
};

extern "C" void _mlir_ciface_add_relu_forward(MemRef4 *result, MemRef4 *x,
                                              MemRef4 *y);

extern "C" void dream_parallel_for(int64_t n, int64_t /*work*/,
                                   void (*task)(void *, int64_t, int64_t),
                                   void *context) {
  std::thread first(task, context, 0, n / 2);
  task(context, n / 2, n);
  first.join();
}

static MemRef4 describe(std::vector<float> &data, int64_t batch) {
  MemRef4 ref = {data.data(), data.data(), 0, {}, {}};
  const int64_t sizes[4] = {batch, 64, 28, 28};
  const int64_t strides[4] = {64 * 28 * 28, 28 * 28, 28, 1};
  for (int i = 0; i < 4; ++i) {
    ref.sizes[i] = sizes[i];
    ref.strides[i] = strides[i];
  }
  return ref;
}

int main() {
  const int64_t batch = 3, size = batch * 64 * 28 * 28;
  std::vector<float> x(size), y(size);
  for (int64_t i = 0; i < size; ++i) {
    x[i] = static_cast<float>(i % 17) - 8.0f;
    y[i] = 0.25f * static_cast<float>(i % 5);
  }
  MemRef4 xs = describe(x, batch), ys = describe(y, batch), result;
  _mlir_ciface_add_relu_forward(&result, &xs, &ys);
  if (result.sizes[0] != batch || result.strides[0] != 64 * 28 * 28) {
    std::fprintf(stderr, "wrong result shape\n");
    return 1;
  }
  for (int64_t i = 0; i < size; ++i) {
    float sum = x[i] + y[i], expected = sum > 0.0f ? sum : 0.0f;
    if (result.aligned[result.offset + i] != expected) {
      std::fprintf(stderr, "element %lld: %g, expected %g\n",
                   static_cast<long long>(i), result.aligned[result.offset + i],
                   expected);
      return 1;
    }
  }
  // The caller owns the result: `allocated` is what malloc returned.
  std::free(result.allocated);
  std::puts("ok");
  return 0;
}
