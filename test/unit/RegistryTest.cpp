//===- RegistryTest.cpp - No stage forgot an op of the registry -----------===//
//
// Walks every op of the registry (dream/Ops/Registry.h) and takes it
// through each stage that reads it: the shape rule on an example input,
// the dialect op built by MLIRGen's builder and verified, fusion and kernel
// generation as its lowering says, the plan writer, the plan attributes the
// runtime checks, FLOPs, the PyTorch export and the tables of docs/. A
// failure names the op and the stage. (The runtime's reference
// implementation is checked when dreamrt compiles: the generated table,
// PlanOps.inc, names it.)
//
//===----------------------------------------------------------------------===//

#include "dream/Dialect/DreamAttributes.h"
#include "dream/Dialect/PrimitiveBuilder.h"
#include "dream/InitAll.h"
#include "dream/Plan/PlanEmitter.h"
#include "dream/Transforms/Passes.h"

#include "mlir/IR/Verifier.h"

#include "gtest/gtest.h"

#include <fstream>
#include <sstream>

using namespace dream;

namespace {

/// Inputs an op's example is tried on, in order: an image, sequences,
/// a vector and token ids over a vocabulary of 10.
std::vector<TensorType> exampleInputs() {
  TensorType tokens = TensorType::tokens(4, 10);
  return {TensorType::floats({3, 6, 6}), TensorType::floats({4, 8}),
          TensorType::floats({6}), tokens};
}

/// The op's arguments for `input`: the defaults, 2 for a required number
/// and the input's size for a required shape.
ArgMap exampleArguments(const OpSpec &spec, const TensorType &input) {
  ArgMap args;
  for (const ParamSpec &param : spec.signature.params) {
    if (param.defaultValue)
      args[param.name] = *param.defaultValue;
    else if (param.kind == ParamKind::IntList) {
      ConstValue shape;
      shape.kind = ConstValue::Kind::List;
      shape.items = {ConstValue::ofInt(input.elementCount())};
      args[param.name] = shape;
    } else
      args[param.name] = ConstValue::ofInt(2);
  }
  return args;
}

struct Example {
  ArgMap args;
  std::vector<TensorType> inputs;
  TensorType result;
};

/// The first example input the op's shape rule accepts (two of it for a
/// variadic op).
std::optional<Example> findExample(const OpSpec &spec) {
  for (const TensorType &input : exampleInputs()) {
    Example example{exampleArguments(spec, input), {input}, {}};
    if (spec.arity == kVariadic)
      example.inputs.push_back(input);
    ShapeResult result = spec.infer(example.args, example.inputs);
    if (result.type) {
      example.result = *result.type;
      return example;
    }
  }
  return std::nullopt;
}

class Registry : public ::testing::TestWithParam<const OpSpec *> {
protected:
  Registry() : context(registry()) { context.loadAllAvailableDialects(); }

  static mlir::DialectRegistry registry() {
    mlir::DialectRegistry registry;
    registerAllDialects(registry);
    return registry;
  }

  /// A module whose network applies the op once to `example`.
  mlir::OwningOpRef<mlir::ModuleOp> networkOf(const OpSpec &spec,
                                              const Example &example) {
    mlir::OpBuilder b(&context);
    mlir::Location loc = b.getUnknownLoc();
    mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);
    b.setInsertionPointToEnd(module->getBody());
    auto network = b.create<mlir::func::FuncOp>(
        loc, "network",
        b.getFunctionType(toMLIRType(&context, example.inputs.front()),
                          toMLIRType(&context, example.result)));
    b.setInsertionPointToEnd(network.addEntryBlock());
    // A plan's graph has one input: a variadic op reads it twice.
    llvm::SmallVector<mlir::Value> inputs(example.inputs.size(),
                                          network.getArgument(0));
    mlir::Value result = buildPrimitive(b, loc, spec.signature.name,
                                        example.args, inputs, example.inputs,
                                        "op");
    if (!result)
      return nullptr;
    b.create<mlir::func::ReturnOp>(loc, result);
    return module;
  }

  mlir::MLIRContext context;
};

/// The op a module's network applies (inside a fused region if fused).
mlir::Operation *theOp(mlir::ModuleOp module, llvm::StringRef name) {
  mlir::Operation *found = nullptr;
  module.walk([&](mlir::Operation *op) {
    if (op->getName().getStringRef() == ("dream." + name).str())
      found = op;
  });
  return found;
}

/// Every attribute of the built op is one its plan step may have, and the
/// step has every attribute it must have.
void expectPlanAttributes(const OpSpec &dialectSpec, mlir::Operation *op) {
  const std::string &name = dialectSpec.signature.name;
  for (mlir::NamedAttribute attr : op->getAttrs()) {
    if (attr.getName().getValue().starts_with("dream."))
      continue;
    bool declared = llvm::any_of(dialectSpec.planAttrs, [&](const PlanAttr &a) {
      return a.name == attr.getName().getValue();
    });
    EXPECT_TRUE(declared) << name << ": attribute '"
                          << attr.getName().getValue().str()
                          << "' is not among the registry's plan attributes, "
                             "so the runtime would refuse the step";
  }
  for (const PlanAttr &attr : dialectSpec.planAttrs) {
    if (attr.required) {
      EXPECT_TRUE(op->hasAttr(attr.name))
          << name << ": the plan needs attribute '" << attr.name
          << "', which the dialect op does not carry";
    }
  }
}

TEST_P(Registry, EveryStageKnowsTheOp) {
  const OpSpec &spec = *GetParam();
  const std::string &name = spec.signature.name;

  std::optional<Example> example = findExample(spec);
  ASSERT_TRUE(example) << name << ": its shape rule accepts none of the "
                       << "example inputs; add one to exampleInputs()";

  std::string dialectName = dialectOpName(name, example->inputs.front());
  const OpSpec *dialectSpec = lookupDialectOp(dialectName);
  ASSERT_NE(dialectSpec, nullptr)
      << name << ": becomes dialect op '" << dialectName
      << "', which the registry lacks";
  ASSERT_TRUE(context.isOperationRegistered("dream." + dialectName))
      << name << ": no ODS op dream." << dialectName << " (DreamOps.td)";

  mlir::OwningOpRef<mlir::ModuleOp> module = networkOf(spec, *example);
  ASSERT_TRUE(module) << name << ": the dialect op cannot be built";
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)))
      << name << ": the built op fails the dialect's verifier";
  expectPlanAttributes(*dialectSpec, theOp(*module, dialectName));

  EXPECT_TRUE(spec.flops) << name << ": no FLOP rule";
  EXPECT_TRUE(dialectSpec->pytorch) << name << ": no PyTorch export";

  mlir::PassManager pm(&context);
  pm.addNestedPass<mlir::func::FuncOp>(createFusePointwise());
  pm.addPass(createGenerateKernels());
  ASSERT_TRUE(mlir::succeeded(pm.run(*module)))
      << name << ": kernel generation fails (GenerateKernels.cpp)";
  bool fused = theOp(*module, "fused") != nullptr;
  EXPECT_EQ(fused, dialectSpec->lowering == Lowering::GeneratedKernel)
      << name << ": the registry says it "
      << (fused ? "runs in LibTorch" : "runs in generated kernels")
      << ", but fusion " << (fused ? "took" : "left") << " it";

  mlir::FailureOr<schema::Plan> plan = emitPlan(*module);
  ASSERT_TRUE(mlir::succeeded(plan)) << name << ": the plan writer fails";
  llvm::Expected<std::string> python = emitPyTorch(*plan);
  EXPECT_TRUE(bool(python)) << name << ": " << llvm::toString(python.takeError());
}

/// Whether a row of a Markdown table in `file` (under docs/) names `op` in
/// its first cell.
bool documented(const std::string &file, const std::string &op) {
  std::ifstream in(DREAMC_SOURCE_DIR "/docs/" + file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0)
      continue;
    std::string firstCell = line.substr(0, line.find('|', 1));
    if (firstCell.find("`" + op + "`") != std::string::npos)
      return true;
  }
  return false;
}

TEST_P(Registry, IsDocumented) {
  const OpSpec &spec = *GetParam();
  EXPECT_TRUE(documented("language.md", spec.signature.name))
      << spec.signature.name
      << ": no row in docs/language.md's table of primitives";
  if (!spec.dialectOp) {
    EXPECT_TRUE(documented("plan.md", spec.signature.name))
        << spec.signature.name << ": no row in docs/plan.md's table of ops";
  }
}

std::vector<const OpSpec *> registeredOps() {
  std::vector<const OpSpec *> ops;
  for (const OpSpec &spec : allOps())
    ops.push_back(&spec);
  return ops;
}

INSTANTIATE_TEST_SUITE_P(
    AllOps, Registry, ::testing::ValuesIn(registeredOps()),
    [](const ::testing::TestParamInfo<const OpSpec *> &info) {
      return info.param->signature.name;
    });

/// The ops only the dialect writes are plan ops too: each has its ODS op
/// and, but for the two the emitter handles itself, an export.
TEST(RegistryPlanOps, EachHasItsDialectOp) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  for (const OpSpec &spec : dialectOnlyOps()) {
    const std::string &name = spec.signature.name;
    EXPECT_TRUE(context.isOperationRegistered("dream." + name)) << name;
    EXPECT_EQ(lookupDialectOp(name), &spec) << name;
    if (name != "native" && name != "fused") {
      EXPECT_TRUE(spec.pytorch) << name << ": no PyTorch export";
    }
    EXPECT_TRUE(documented("plan.md", name))
        << name << ": no row in docs/plan.md's table of ops";
  }
}

} // namespace
