//===- Registry.h - One description per op, read by every stage ----------===//
//
// The op registry: each op of the language (and each op the dialect adds
// for the plan, such as `add` or `observe`) is one OpSpec entry, written
// once in lib/Ops/ beside the ops of its family:
//
//   Layers.cpp       ops with parameters run by LibTorch (conv, dense, lstm)
//   Elementwise.cpp  pointwise ops and normalisations (generated kernels)
//   Shaping.cpp      pooling, layout and token ops (LibTorch)
//   PlanOps.cpp      ops only the dialect writes (add, observe, fused, ...)
//
// An entry holds the signature with defaults and ranges, the arity, the
// shape rule, the parameters with their shapes and initialisers, the FLOPs,
// how the op lowers, the attributes of its plan step and its PyTorch
// export. Sema binds calls against it; the dialect's shape inference and
// MLIRGen build ops from it; the plan writer counts FLOPs with it;
// `--emit=pytorch` writes each step with it; dream-opgen turns it into the
// table the runtime checks plans with (dream/Runtime/PlanOps.inc). Only
// three things live elsewhere: the ODS definition (DreamOps.td), the
// kernel body of an op computed by generated kernels (GenerateKernels.cpp)
// and the ATen reference implementation (runtime/lib/exec/Ops.cpp).
// docs/adding-an-op.md walks through adding one; test/unit/RegistryTest.cpp
// proves that no stage forgot an op.
//
// The registry lives below Sema and the dialect, in the DreamOps library,
// which knows neither the AST nor MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_OPS_REGISTRY_H
#define DREAM_OPS_REGISTRY_H

#include "dream/Ops/Signature.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <map>

namespace dream {

/// What an op computes, for cost and fusion.
enum class OpClass { Pointwise, Normalization, Heavy, Layout, Reduction };

/// How an op runs in a compiled trainer: inside the fused kernels dreamc
/// generates (forward from GenerateKernels.cpp, backward derived), or as a
/// LibTorch call of the runtime (heavy ops, layout, random ops).
enum class Lowering { GeneratedKernel, LibTorch };

/// The outcome of a shape rule: a type, or a message and the parameter to
/// blame (empty: blame the input).
struct ShapeResult {
  std::optional<TensorType> type;
  std::string error;
  std::string blame;

  static ShapeResult ok(TensorType type) { return {std::move(type), {}, {}}; }
  static ShapeResult fail(std::string error, std::string blame = {}) {
    return {std::nullopt, std::move(error), std::move(blame)};
  }
};

using ShapeRule =
    std::function<ShapeResult(const ArgMap &, llvm::ArrayRef<TensorType>)>;

/// One parameter (or buffer) an op owns, with PyTorch's default initialiser
/// for it: "uniform" is U(-1/sqrt(fanIn), 1/sqrt(fanIn)), the bound of
/// nn.Conv2d, nn.Linear and nn.LSTM; "normal" is N(0, 1) as nn.Embedding;
/// "normal_0.02" as BERT's position embeddings; "xavier_uniform"; "ones";
/// "zeros".
struct ParamInfo {
  std::string name;
  std::vector<int64_t> shape;
  std::string init;
  int64_t fanIn = 0;
  bool buffer = false; ///< State such as running statistics, not trained.
};

using ParamRule = std::function<std::vector<ParamInfo>(
    const ArgMap &, const TensorType &input)>;

/// FLOPs per sample from the op's arguments (integers and booleans), its
/// first input and its result.
using FlopRule = std::function<int64_t(const ArgMap &, const TensorType &input,
                                       const TensorType &output)>;

/// The arguments as the dialect op carries them: what the language leaves
/// symbolic made explicit (`pad: -1` as k / 2, a pooling stride of 0 as
/// the window) and what the op needs beside them (embed's vocabulary).
using AttributeRule =
    std::function<ArgMap(ArgMap args, const TensorType &input)>;

/// One attribute of the op's plan step (docs/plan.md), as the runtime
/// checks it: its kind (Word: a string, from `choices` if any) and whether
/// a step must have it.
struct PlanAttr {
  std::string name;
  ParamKind kind;
  bool required;
  std::vector<std::string> choices = {};
};

/// What an op's PyTorch export is written from: Python expressions for the
/// step's inputs and parameters, its attributes as Python literals and its
/// per-sample result shape.
struct ExportContext {
  std::vector<std::string> inputs;
  std::vector<std::string> params;
  std::map<std::string, std::string> attrs;
  std::vector<int64_t> shape;
  /// The module's training flag, `self.training`.
  std::string training;

  const std::string &x() const { return inputs.front(); }
  /// Attribute `name`, or `fallback` when the step lacks it.
  std::string attr(const std::string &name, const std::string &fallback) const;
  /// Parameter `i`, or `None` when the step has fewer.
  std::string param(size_t i) const;
  /// All parameters as a Python list.
  std::string paramList() const;
  /// The inputs joined by `separator`.
  std::string joined(const std::string &separator) const;
};

/// The Python expression of one step.
using ExportRule = std::function<std::string(const ExportContext &)>;

/// Number of tensor inputs an op takes when it is not a fixed count.
constexpr unsigned kVariadic = ~0u;

struct OpSpec {
  Signature signature;
  unsigned arity = 1;
  /// The fewest inputs a variadic op takes.
  unsigned minInputs = 1;
  OpClass opClass = OpClass::Pointwise;
  Lowering lowering = Lowering::LibTorch;
  ShapeRule infer;
  std::string summary;
  /// The parameters the op owns, in operand order (none when empty).
  ParamRule params;
  /// How many parameters a plan step of the op may take.
  int minParams = 0, maxParams = 0; ///< maxParams -1: any number.
  FlopRule flops;
  /// Null: the dialect op carries the bound arguments as they are.
  AttributeRule attributes;
  /// The attributes of the op's plan step.
  std::vector<PlanAttr> planAttrs;
  ExportRule pytorch;
  /// The dialect op of a language alias (`norm`, `sum`): its input's type
  /// decides which. Null: the op of the same name.
  std::function<std::string(const TensorType &input)> dialectOp;
  /// Written by the language; false for ops only the dialect writes.
  bool primitive = true;
  /// Registered by a library (dreamc --load): the dialect's `dream.native`.
  bool native = false;
};

/// The primitive op called `name` (builtin or native), or nullptr.
const OpSpec *lookupOp(llvm::StringRef name);
/// Every builtin primitive op, for listings and suggestions.
llvm::ArrayRef<OpSpec> allOps();
/// The ops only the dialect writes into plans (`add`, `observe`, ...).
llvm::ArrayRef<OpSpec> dialectOnlyOps();
/// The entry of dialect (and plan) op `name`, such as `batchnorm` or
/// `add`, or nullptr. Aliases such as `norm` are not dialect ops.
const OpSpec *lookupDialectOp(llvm::StringRef name);

/// The dialect op that primitive `primitive` applied to `input` becomes.
std::string dialectOpName(llvm::StringRef primitive, const TensorType &input);

/// FLOPs per sample of op `op` (a language or dialect op name, such as
/// `conv`, `norm` or `batchnorm`) with bound arguments `args`, reading
/// `input` and producing `output`: multiply-adds count two, elementwise
/// ops one per output element, normalisations five. An estimate,
/// documented as such in docs/plan.md.
int64_t opFlops(llvm::StringRef op, const ArgMap &args, const TensorType &input,
                const TensorType &output);

/// FLOPs per sample of op `op`'s backward pass when it computes the
/// gradient of its inputs (`inputGradient`), of its parameters
/// (`paramGradient`) or both: a heavy op costs its forward FLOPs once for
/// each, any other op its forward FLOPs once for either (docs/plan.md,
/// "Cost"). An estimate, as opFlops is.
int64_t opBackwardFlops(llvm::StringRef op, const ArgMap &args,
                        const TensorType &input, const TensorType &output,
                        bool inputGradient, bool paramGradient);

/// Loads a shared library that registers native ops (dream/NativeOp.h)
/// and makes them primitives. Fails, naming the library, if it cannot be
/// loaded or registers an op without a name, arity or shape function, a
/// second op of one name, or an op named like a builtin.
llvm::Error loadOpLibrary(const std::string &path);
/// The native op called `name`, or nullptr.
const OpSpec *lookupNativeOp(llvm::StringRef name);

/// The rule for `a + b + ...`: all operands have one type.
ShapeResult inferAdd(llvm::ArrayRef<TensorType> operands);

} // namespace dream

#endif // DREAM_OPS_REGISTRY_H
