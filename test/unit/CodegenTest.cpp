//===- CodegenTest.cpp - Generated kernels, run for real ------------------===//
//
// The kernels of test/Conversion are lowered in-process, run on a batch of
// three through their C interface and compared with plain C++: JIT-compiled
// by mlir::ExecutionEngine, and as an object file linked into a C++ program
// by the system compiler. The GPU lowering's loop structure (parallel
// iterators first, collapsed and tiled loops) is run on the CPU the same
// way, since these machines have no GPU; its PTX is checked here for its
// entry points and by ptxas in test/Conversion/ptxas.test.
//
//===----------------------------------------------------------------------===//

#include "dream/Conversion/Lowering.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"

#include "Jit.h"

#include "gtest/gtest.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

constexpr int64_t kBatch = 3;
const std::string kKernelDir = DREAMC_SOURCE_DIR "/test/Conversion/";

/// MLIR's memref descriptor, as the C interface passes it.
template <int Rank> struct MemRef {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];

  float at(int64_t linear) const { return aligned[offset + linear]; }
};

/// A row-major descriptor of `data`, shaped `sizes`.
template <int Rank>
MemRef<Rank> describe(std::vector<float> &data,
                      const std::array<int64_t, Rank> &sizes) {
  MemRef<Rank> ref{data.data(), data.data(), 0, {}, {}};
  int64_t stride = 1;
  for (int i = Rank - 1; i >= 0; --i) {
    ref.sizes[i] = sizes[i];
    ref.strides[i] = stride;
    stride *= sizes[i];
  }
  return ref;
}

/// Deterministic values in [-scale, scale] that are not periodic in any
/// dimension of the test shapes.
std::vector<float> wave(int64_t size, float phase, float scale = 2.0f) {
  std::vector<float> values(size);
  for (int64_t i = 0; i < size; ++i)
    values[i] = scale * std::sin(0.37f * static_cast<float>(i) + phase);
  return values;
}

/// How a test module gets from tensors to LLVM dialect for the host.
enum class Lowering {
  /// buildCpuLoweringPipeline: what the trainer's object contains.
  Cpu,
  /// The GPU pipeline's loop shaping, then sequential execution.
  GpuLoopsOnCpu,
};

/// The GPU pipeline up to the loops that gpu-map-parallel-loops maps, then
/// the CPU's way to LLVM: checks that the reordered, collapsed and tiled
/// loops (with the guard for the last tile) compute what the kernel means.
constexpr const char *kGpuLoopsOnCpu =
    "func.func(linalg-fuse-elementwise-ops,dream-collapse-contiguous-loops,"
    "dream-isolate-kernel-buffers),"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
    "func.func(dream-parallel-iterators-first,"
    "dream-approximate-math{expand-fma},convert-linalg-to-parallel-loops,"
    "dream-flatten-parallel-loops{block-size=100}),"
    "convert-scf-to-cf,expand-strided-metadata,lower-affine,"
    "finalize-memref-to-llvm,convert-math-to-llvm,convert-arith-to-llvm,"
    "convert-cf-to-llvm,convert-func-to-llvm,reconcile-unrealized-casts";

class Codegen : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    mlir::registerAllPasses();
    dream::registerConversionPipelines();
  }

  Codegen() {
    mlir::DialectRegistry registry;
    dream::registerLoweringDialects(registry);
    context.appendDialectRegistry(registry);
  }

  mlir::OwningOpRef<mlir::ModuleOp> parse(const std::string &file) {
    return mlir::parseSourceFile<mlir::ModuleOp>(kKernelDir + file, &context);
  }

  mlir::OwningOpRef<mlir::ModuleOp> lower(const std::string &file,
                                          Lowering lowering) {
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(file);
    if (!module)
      return nullptr;
    mlir::PassManager pm(&context);
    if (lowering == Lowering::Cpu)
      dream::buildCpuLoweringPipeline(pm);
    else if (mlir::failed(mlir::parsePassPipeline(kGpuLoopsOnCpu, pm)))
      return nullptr;
    if (mlir::failed(pm.run(*module)))
      return nullptr;
    return module;
  }

  std::unique_ptr<mlir::ExecutionEngine> jit(const std::string &file,
                                             Lowering lowering) {
    mlir::OwningOpRef<mlir::ModuleOp> module = lower(file, lowering);
    if (!module)
      return nullptr;
    auto engine = dream::test::jitAtO2(*module);
    if (!engine) {
      llvm::consumeError(engine.takeError());
      return nullptr;
    }
    return std::move(*engine);
  }

  /// The `_mlir_ciface_` wrapper of `kernel`, typed as `Fn`.
  template <typename Fn>
  static Fn *entry(mlir::ExecutionEngine &engine, llvm::StringRef kernel) {
    auto address = engine.lookup(("_mlir_ciface_" + kernel).str());
    if (!address) {
      llvm::consumeError(address.takeError());
      return nullptr;
    }
    return reinterpret_cast<Fn *>(*address);
  }

  mlir::MLIRContext context;
};

class LoweredKernels : public Codegen,
                       public ::testing::WithParamInterface<Lowering> {};

TEST_P(LoweredKernels, ElementwiseForwardIsReluOfSum) {
  auto engine = jit("lower-elementwise.mlir", GetParam());
  ASSERT_TRUE(engine);
  auto *forward = entry<void(MemRef<4> *, MemRef<4> *, MemRef<4> *)>(
      *engine, "add_relu_forward");
  ASSERT_NE(forward, nullptr);

  const std::array<int64_t, 4> shape = {kBatch, 64, 28, 28};
  const int64_t size = kBatch * 64 * 28 * 28;
  std::vector<float> x = wave(size, 0.0f), y = wave(size, 1.0f);
  const std::vector<float> xBefore = x;
  MemRef<4> xs = describe<4>(x, shape), ys = describe<4>(y, shape), result;
  forward(&result, &xs, &ys);

  EXPECT_EQ(result.sizes[0], kBatch);
  EXPECT_EQ(result.offset, 0);
  EXPECT_EQ(result.strides[0], 64 * 28 * 28);
  EXPECT_EQ(result.strides[3], 1);
  int mismatches = 0;
  for (int64_t i = 0; i < size; ++i)
    mismatches += result.at(i) != std::max(x[i] + y[i], 0.0f);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(x, xBefore);
  std::free(result.allocated);
}

TEST_P(LoweredKernels, ElementwiseBackwardOwnsEachResult) {
  auto engine = jit("lower-elementwise.mlir", GetParam());
  ASSERT_TRUE(engine);
  struct Gradients {
    MemRef<4> x, y;
  };
  auto *backward =
      entry<void(Gradients *, MemRef<4> *, MemRef<4> *, MemRef<4> *)>(
          *engine, "add_relu_backward");
  ASSERT_NE(backward, nullptr);

  const std::array<int64_t, 4> shape = {kBatch, 64, 28, 28};
  const int64_t size = kBatch * 64 * 28 * 28;
  std::vector<float> x = wave(size, 0.0f), y = wave(size, 1.0f),
                     grad = wave(size, 2.0f);
  MemRef<4> xs = describe<4>(x, shape), ys = describe<4>(y, shape),
            grads = describe<4>(grad, shape);
  Gradients result;
  backward(&result, &xs, &ys, &grads);

  // Two buffers, so the runtime may free each one.
  EXPECT_NE(result.x.allocated, result.y.allocated);
  int mismatches = 0;
  for (int64_t i = 0; i < size; ++i) {
    float expected = x[i] + y[i] > 0.0f ? grad[i] : 0.0f;
    mismatches += result.x.at(i) != expected || result.y.at(i) != expected;
  }
  EXPECT_EQ(mismatches, 0);
  std::free(result.x.allocated);
  std::free(result.y.allocated);
}

TEST_P(LoweredKernels, ChannelMeanIsReducedAndBroadcast) {
  auto engine = jit("lower-reduction.mlir", GetParam());
  ASSERT_TRUE(engine);
  struct Results {
    MemRef<4> centered;
    MemRef<1> mean;
  };
  auto *center = entry<void(Results *, MemRef<4> *, MemRef<1> *)>(
      *engine, "channel_center_forward");
  ASSERT_NE(center, nullptr);

  const std::array<int64_t, 4> shape = {kBatch, 4, 8, 8};
  std::vector<float> x = wave(kBatch * 4 * 64, 0.5f);
  for (float &value : x)
    value += 3.0f; // A mean far from zero.
  std::vector<float> gamma = {1.0f, -2.0f, 0.5f, 4.0f};
  MemRef<4> xs = describe<4>(x, shape);
  MemRef<1> gammas = describe<1>(gamma, {4});
  Results result;
  center(&result, &xs, &gammas);

  for (int64_t c = 0; c < 4; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < kBatch; ++n)
      for (int64_t p = 0; p < 64; ++p)
        sum += x[(n * 4 + c) * 64 + p];
    const double mean = sum / (kBatch * 64);
    EXPECT_NEAR(result.mean.at(c), mean, 1e-5 * std::fabs(mean)) << c;
    for (int64_t n = 0; n < kBatch; ++n)
      for (int64_t p = 0; p < 64; ++p) {
        const int64_t i = (n * 4 + c) * 64 + p;
        EXPECT_NEAR(result.centered.at(i), (x[i] - mean) * gamma[c], 1e-5)
            << "n=" << n << " c=" << c << " p=" << p;
      }
  }
  std::free(result.centered.allocated);
  std::free(result.mean.allocated);
}

TEST_P(LoweredKernels, TotalReductionRunsWithoutParallelIterators) {
  auto engine = jit("lower-reduction.mlir", GetParam());
  ASSERT_TRUE(engine);
  auto *sumOfSquares =
      entry<void(MemRef<1> *, MemRef<4> *)>(*engine, "sum_of_squares");
  ASSERT_NE(sumOfSquares, nullptr);

  std::vector<float> x = wave(kBatch * 4 * 64, 0.25f);
  MemRef<4> xs = describe<4>(x, {kBatch, 4, 8, 8});
  MemRef<1> result;
  sumOfSquares(&result, &xs);

  double expected = 0.0;
  for (float value : x)
    expected += double(value) * value;
  EXPECT_EQ(result.sizes[0], 1);
  EXPECT_NEAR(result.at(0), expected, 1e-5 * expected);
  std::free(result.allocated);
}

/// The polynomial approximations against libm in double precision, over
/// the range activations see; the bounds are the measured errors (in
/// docs/codegen.md) with a margin.
TEST_P(LoweredKernels, ApproximationsAreAccurate) {
  auto engine = jit("lower-math.mlir", GetParam());
  ASSERT_TRUE(engine);
  struct Activations {
    MemRef<2> gelu, tanh, sigmoid, rsqrt;
  };
  auto *activations =
      entry<void(Activations *, MemRef<2> *)>(*engine, "activations_forward");
  ASSERT_NE(activations, nullptr);

  const int64_t rows = 1024, size = rows * 64;
  std::vector<float> x(size);
  for (int64_t i = 0; i < size; ++i)
    x[i] = -12.0f + 24.0f * static_cast<float>(i) / (size - 1);
  MemRef<2> xs = describe<2>(x, {rows, 64});
  Activations result;
  activations(&result, &xs);

  double gelu = 0, tanh = 0, saturated = 0, sigmoid = 0, rsqrt = 0;
  for (int64_t i = 0; i < size; ++i) {
    const double v = x[i];
    gelu =
        std::max(gelu, std::fabs(result.gelu.at(i) -
                                 0.5 * v * (1 + std::erf(v / std::sqrt(2)))));
    tanh = std::max(tanh, std::fabs(result.tanh.at(i) - std::tanh(v)));
    if (std::fabs(v) > 7)
      saturated = std::max(saturated,
                           std::fabs(result.tanh.at(i) - std::tanh(v)));
    sigmoid = std::max(
        sigmoid, std::fabs(result.sigmoid.at(i) - 1 / (1 + std::exp(-v))));
    rsqrt = std::max(rsqrt,
                     std::fabs(result.rsqrt.at(i) * std::sqrt(v * v + 1) - 1));
  }
  // Absolute errors for bounded functions; GELU grows like x, so relative
  // to 12 at the ends of the range.
  EXPECT_LT(gelu, 2e-6) << "max |gelu error|";
  EXPECT_LT(tanh, 2e-7) << "max |tanh error|";
  // Where |tanh| is within a few ulps of 1, within one ulp (2^-24): a
  // layer norm over such values normalises those ulps
  // (test/Smith/tanh-saturation.test).
  EXPECT_LT(saturated, 6e-8) << "max |tanh error| beyond |x| = 7";
  EXPECT_LT(sigmoid, 5e-7) << "max |sigmoid error|";
  EXPECT_LT(rsqrt, 5e-7) << "max relative rsqrt error";
  std::printf("max errors: gelu %.3g tanh %.3g sigmoid %.3g rsqrt %.3g\n", gelu,
              tanh, sigmoid, rsqrt);
  for (MemRef<2> *output :
       {&result.gelu, &result.tanh, &result.sigmoid, &result.rsqrt})
    std::free(output->allocated);
}

INSTANTIATE_TEST_SUITE_P(Lowerings, LoweredKernels,
                         ::testing::Values(Lowering::Cpu,
                                           Lowering::GpuLoopsOnCpu),
                         [](const auto &info) {
                           return info.param == Lowering::Cpu ? "Cpu"
                                                              : "GpuLoopsOnCpu";
                         });

/// A fresh directory for one test's files.
std::string temporaryDirectory() {
  llvm::SmallString<128> path;
  if (llvm::sys::fs::createUniqueDirectory("dream-codegen", path))
    return "";
  return std::string(path);
}

TEST_F(Codegen, ObjectFileLinksIntoACppProgram) {
  auto module = lower("lower-elementwise.mlir", Lowering::Cpu);
  ASSERT_TRUE(module);
  const std::string dir = temporaryDirectory();
  ASSERT_FALSE(dir.empty());
  const std::string object = dir + "/kernels.o", program = dir + "/caller";
  ASSERT_TRUE(mlir::succeeded(dream::emitObjectFile(*module, object)));

  // A relocatable ELF object (e_type 1) for x86-64 (e_machine 62).
  auto bytes = llvm::MemoryBuffer::getFile(object);
  ASSERT_TRUE(bytes);
  llvm::StringRef elf = (*bytes)->getBuffer();
  ASSERT_GT(elf.size(), 20u);
  EXPECT_TRUE(elf.starts_with("\x7f"
                              "ELF"));
  EXPECT_EQ(elf[16], 1);
  EXPECT_EQ(static_cast<unsigned char>(elf[18]), 62);

  const std::string link = "c++ -o " + program + " " + kKernelDir +
                           "Inputs/elementwise-caller.cpp " + object +
                           " -lm -pthread";
  ASSERT_EQ(std::system(link.c_str()), 0) << link;
  EXPECT_EQ(std::system(program.c_str()), 0);
  llvm::sys::fs::remove_directories(dir);
}

TEST_F(Codegen, FailedObjectEmissionLeavesNoFile) {
  const std::string dir = temporaryDirectory();
  ASSERT_FALSE(dir.empty());
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler capture(
      &context, [&](mlir::Diagnostic &d) { diagnostics += d.str() + "\n"; });

  // Still on tensors: translation to LLVM IR fails.
  auto unlowered = parse("lower-elementwise.mlir");
  ASSERT_TRUE(unlowered);
  const std::string object = dir + "/kernels.o";
  EXPECT_TRUE(mlir::failed(dream::emitObjectFile(*unlowered, object)));
  EXPECT_FALSE(llvm::sys::fs::exists(object));
  EXPECT_NE(diagnostics.find("dream-lower-to-cpu"), std::string::npos)
      << diagnostics;

  // A folder that does not exist.
  auto lowered = lower("lower-elementwise.mlir", Lowering::Cpu);
  ASSERT_TRUE(lowered);
  EXPECT_TRUE(mlir::failed(
      dream::emitObjectFile(*lowered, dir + "/missing/kernels.o")));
  std::error_code error;
  EXPECT_EQ(llvm::sys::fs::directory_iterator(dir, error),
            llvm::sys::fs::directory_iterator());
  llvm::sys::fs::remove_directories(dir);
}

TEST_F(Codegen, LLVMIRTargetsPortableX86AndIsVectorised) {
  auto module = lower("lower-math.mlir", Lowering::Cpu);
  ASSERT_TRUE(module);
  std::string ir;
  llvm::raw_string_ostream os(ir);
  ASSERT_TRUE(mlir::succeeded(dream::emitLLVMIR(*module, os)));
  EXPECT_NE(ir.find("target triple = \"x86_64-unknown-linux-gnu\""),
            std::string::npos);
  // SSE: four floats per vector, approximations included, no libm.
  EXPECT_NE(ir.find("<4 x float>"), std::string::npos);
  EXPECT_EQ(ir.find("@fmaf"), std::string::npos);
  EXPECT_EQ(ir.find("@expf"), std::string::npos);
  EXPECT_EQ(ir.find("<8 x float>"), std::string::npos)
      << "AVX is not x86-64-v2";
}

TEST_F(Codegen, PTXHasOneEntryPerKernelForEachChip) {
  for (llvm::StringRef chip : {"sm_80", "sm_90"}) {
    auto module = parse("lower-elementwise.mlir");
    ASSERT_TRUE(module);
    mlir::FailureOr<std::string> ptx = dream::emitPTX(*module, chip);
    ASSERT_TRUE(mlir::succeeded(ptx)) << chip.str();
    EXPECT_NE(ptx->find((".target " + chip).str()), std::string::npos);
    EXPECT_NE(ptx->find(".entry add_relu_forward_kernel("), std::string::npos);
    EXPECT_NE(ptx->find(".entry add_relu_backward_kernel("), std::string::npos);
    EXPECT_NE(ptx->find(".entry add_relu_backward_kernel_0("),
              std::string::npos);
    EXPECT_EQ(ptx->find("__nv_"), std::string::npos) << "needs libdevice";
    EXPECT_EQ(ptx->find('\0'), std::string::npos);
  }
}

TEST_F(Codegen, PTXRejectsUnknownChips) {
  auto module = parse("lower-elementwise.mlir");
  ASSERT_TRUE(module);
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler capture(
      &context, [&](mlir::Diagnostic &d) { diagnostics += d.str(); });
  EXPECT_TRUE(mlir::failed(dream::emitPTX(*module, "sm_35")));
  EXPECT_NE(diagnostics.find("unsupported GPU architecture 'sm_35'"),
            std::string::npos)
      << diagnostics;
}

} // namespace
