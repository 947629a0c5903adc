//===- GradientTest.cpp - Derived gradients match finite differences ------===//
//
// For every fused kernel of every model in models/, compiles the kernels
// the way dreamc does (Sema, MLIRGen, the dream pipeline, kernel
// generation, the CPU lowering), runs them through the execution engine,
// and checks the derived backward kernel against central finite
// differences of the forward kernel along a random direction:
//
//   <backward(x, g), v>  ~=  (<g, F(x + h v)> - <g, F(x - h v)>) / 2h
//
// over every input, data and parameters alike.
//
// A ReLU input that crosses zero within the step adds an O(1) error to the
// difference quotient that no h removes; the output elements whose values
// bend by O(h) instead of O(h^2) along the step are such crossings and are
// left out of the comparison (they are a few in 10^4). Before sums were
// accumulated in f64 the vision kernels' batch norms also disagreed by
// 2-10%, which this test then blamed on kinks alone.
// Inputs/smooth-kernels.mlir checks batch norm (training mode, model size),
// layer norm, softmax and the smooth pointwise ops without kinks.
//
//===----------------------------------------------------------------------===//

#include "dream/Conversion/Lowering.h"
#include "dream/InitAll.h"
#include "dream/MLIRGen/MLIRGen.h"
#include "dream/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/TargetSelect.h"

#include "Jit.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <random>

using namespace dream;

namespace {

constexpr int64_t kBatch = 2;

/// One tensor argument or result in the packed calling convention: the
/// memref descriptor's fields, each addressable.
struct Buffer {
  std::vector<float> data;
  std::vector<int64_t> words; ///< allocated, aligned, offset, sizes, strides.

  Buffer(llvm::ArrayRef<int64_t> shape, std::mt19937 &rng) {
    int64_t count = 1;
    for (int64_t dim : shape)
      count *= dim;
    std::normal_distribution<float> normal(0.0f, 1.0f);
    data.resize(count);
    for (float &value : data)
      value = normal(rng);
    describe(shape);
  }

  void describe(llvm::ArrayRef<int64_t> shape) {
    words = {reinterpret_cast<int64_t>(data.data()),
             reinterpret_cast<int64_t>(data.data()), 0};
    words.insert(words.end(), shape.begin(), shape.end());
    std::vector<int64_t> strides(shape.size());
    int64_t stride = 1;
    for (int64_t i = shape.size() - 1; i >= 0; --i) {
      strides[i] = stride;
      stride *= shape[i];
    }
    words.insert(words.end(), strides.begin(), strides.end());
  }
};

/// The concrete shape of a batch-leading tensor type.
std::vector<int64_t> shapeOf(mlir::Type type) {
  auto tensor = mlir::cast<mlir::RankedTensorType>(type);
  std::vector<int64_t> shape(tensor.getShape().begin(),
                             tensor.getShape().end());
  if (!shape.empty() && mlir::ShapedType::isDynamic(shape[0]))
    shape[0] = kBatch;
  return shape;
}

/// Calls `name` through the packed interface; returns its results as flat
/// float vectors (and frees what the kernel allocated).
std::vector<std::vector<float>> call(mlir::ExecutionEngine &engine,
                                     llvm::StringRef name,
                                     std::vector<Buffer> &args,
                                     mlir::FunctionType type) {
  llvm::SmallVector<void *> packed;
  for (Buffer &arg : args)
    for (int64_t &word : arg.words)
      packed.push_back(&word);
  // Results come back as one struct of descriptors, all 8-byte fields.
  size_t words = 0;
  for (mlir::Type result : type.getResults())
    words += 3 + 2 * mlir::cast<mlir::RankedTensorType>(result).getRank();
  std::vector<int64_t> out(words);
  packed.push_back(out.data());
  llvm::Error error = engine.invokePacked(name, packed);
  EXPECT_FALSE(bool(error)) << llvm::toString(std::move(error));
  std::vector<std::vector<float>> results;
  size_t at = 0;
  for (mlir::Type result : type.getResults()) {
    auto *allocated = reinterpret_cast<float *>(out[at]);
    auto *aligned = reinterpret_cast<float *>(out[at + 1]);
    int64_t count = 1;
    for (int64_t dim : shapeOf(result))
      count *= dim;
    results.emplace_back(aligned + out[at + 2], aligned + out[at + 2] + count);
    // Every result is a buffer of its own (dream-isolate-kernel-buffers).
    std::free(allocated);
    at += 3 + 2 * mlir::cast<mlir::RankedTensorType>(result).getRank();
  }
  return results;
}

double dot(const std::vector<float> &a, const std::vector<float> &b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i)
    sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

class Gradients : public ::testing::TestWithParam<const char *> {
protected:
  static void SetUpTestSuite() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  }
};

TEST_P(Gradients, BackwardKernelsMatchFiniteDifferences) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();

  llvm::StringRef input = GetParam();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::PassManager pm(&context);
  if (input.ends_with(".mlir")) {
    // Fused regions written directly in the dialect.
    module = mlir::parseSourceFile<mlir::ModuleOp>(
        DREAMC_SOURCE_DIR "/test/unit/Inputs/" + input.str(), &context);
    ASSERT_TRUE(module);
  } else {
    SourceManager sources;
    std::string diagnostics;
    llvm::raw_string_ostream os(diagnostics);
    DiagnosticEngine diag(sources, os);
    SemaOptions options;
    options.stdlibDir = DREAMC_SOURCE_DIR "/stdlib";
    auto program = analyze(DREAMC_SOURCE_DIR "/models/" + input.str(),
                           sources, diag, options);
    ASSERT_TRUE(program) << os.str();
    module = mlirGen(context, *program);
    ASSERT_TRUE(module);
    buildDreamPipeline(pm);
  }
  pm.addPass(createGenerateKernels());
  ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
  mlir::OwningOpRef<mlir::ModuleOp> kernels = extractKernels(*module);
  mlir::PassManager cleanup(&context);
  buildKernelPipeline(cleanup);
  ASSERT_TRUE(mlir::succeeded(cleanup.run(*kernels)));

  // Signatures before lowering: the tensor types of every kernel.
  std::map<std::string, mlir::FunctionType> signatures;
  for (auto function : kernels->getOps<mlir::func::FuncOp>())
    signatures[function.getSymName().str()] = function.getFunctionType();
  mlir::PassManager lowering(&context);
  buildCpuLoweringPipeline(lowering);
  ASSERT_TRUE(mlir::succeeded(lowering.run(*kernels)));
  auto engine = dream::test::jitAtO2(*kernels);
  ASSERT_TRUE(bool(engine)) << llvm::toString(engine.takeError());

  std::mt19937 rng(20261123);
  int checked = 0;
  for (auto &[name, forwardType] : signatures) {
    llvm::StringRef kernel(name);
    if (!kernel.consume_back("_forward"))
      continue;
    mlir::FunctionType backwardType = signatures.at(kernel.str() + "_backward");
    std::vector<Buffer> inputs, direction;
    for (mlir::Type type : forwardType.getInputs()) {
      inputs.emplace_back(shapeOf(type), rng);
      direction.emplace_back(shapeOf(type), rng);
    }
    Buffer outGrad(shapeOf(forwardType.getResult(0)), rng);

    auto outputAt = [&](float step) {
      std::vector<Buffer> shifted = inputs;
      for (size_t i = 0; i < shifted.size(); ++i) {
        for (size_t j = 0; j < shifted[i].data.size(); ++j)
          shifted[i].data[j] += step * direction[i].data[j];
        shifted[i].describe(shapeOf(forwardType.getInput(i)));
      }
      return call(**engine, name, shifted, forwardType).front();
    };
    // Small enough that few ReLU inputs cross zero along the step, large
    // enough that float32 rounding stays well below the tolerance.
    const float h = 1e-4f;
    std::vector<float> before = outputAt(-h), at = outputAt(0),
                       after = outputAt(h);
    // An output whose path crosses a kink bends by O(h) within the step,
    // where a smooth one bends by O(h^2): such outputs get no weight, so
    // the check compares derivatives where they exist.
    int kinks = 0;
    for (size_t j = 0; j < at.size(); ++j) {
      double bend = std::abs(double(before[j]) + after[j] - 2.0 * at[j]);
      if (bend > 1e-5 * (1.0 + std::abs(at[j]))) {
        outGrad.data[j] = 0;
        ++kinks;
      }
    }
    EXPECT_LT(kinks, static_cast<int>(at.size() / 100))
        << kernel.str() << ": too many outputs bend within the step";
    std::vector<float> difference(at.size());
    for (size_t j = 0; j < at.size(); ++j)
      difference[j] = (after[j] - before[j]) / (2 * h);
    double numeric = dot(difference, outGrad.data);

    std::vector<Buffer> backwardArgs = inputs;
    for (size_t i = 0; i < backwardArgs.size(); ++i)
      backwardArgs[i].describe(shapeOf(forwardType.getInput(i)));
    backwardArgs.push_back(outGrad);
    backwardArgs.back().describe(shapeOf(forwardType.getResult(0)));
    auto grads = call(**engine, kernel.str() + "_backward", backwardArgs,
                      backwardType);
    ASSERT_EQ(grads.size(), inputs.size()) << kernel.str();
    double analytic = 0;
    for (size_t i = 0; i < grads.size(); ++i)
      analytic += dot(grads[i], direction[i].data);
    double scale = std::max({std::abs(numeric), std::abs(analytic), 1.0});
    EXPECT_NEAR(analytic, numeric, 2e-2 * scale)
        << kernel.str() << " in " << GetParam();
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(Models, Gradients,
                         ::testing::Values("text/sleepnet3.dream",
                                           "text/dreamnet3.dream",
                                           "vision/sleepnet3.dream",
                                           "vision/dreamnet3.dream",
                                           "smooth-kernels.mlir"));

} // namespace
