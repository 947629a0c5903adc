//===- Builtins.h - The primitive ops and their shape rules --------------===//
//
// One table describes every primitive op of the language: its parameters
// (with defaults and allowed words), how many tensors it takes, what kind of
// op it is (fusion groups pointwise and normalisation ops; heavy ops stay in
// LibTorch) and the rule that gives its result type. Sema checks programs
// against this table; the dialect's shape inference asks the same rules, so
// a shape is defined in exactly one place. That is why the table lives
// below both, in the DreamOps library, which knows neither the AST nor MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_OPS_BUILTINS_H
#define DREAM_OPS_BUILTINS_H

#include "dream/Ops/Signature.h"

#include "llvm/Support/Error.h"

#include <functional>

namespace dream {

/// What an op is, for the passes: fusion groups Pointwise and Normalization
/// runs between Heavy ops; Layout and Reduction ops only move or reduce data.
enum class OpClass { Pointwise, Normalization, Heavy, Layout, Reduction };

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

/// Number of tensor inputs an op takes when it is not a fixed count.
constexpr unsigned kVariadic = ~0u;

struct OpSpec {
  Signature signature;
  unsigned arity = 1;
  OpClass opClass = OpClass::Pointwise;
  ShapeRule infer;
  std::string summary;
  /// The parameters the op owns, in operand order (none when empty).
  ParamRule params;
  /// Registered by a library (dreamc --load): the dialect's `dream.native`.
  bool native = false;
};

/// The primitive op called `name` (builtin or native), or nullptr.
const OpSpec *lookupOp(llvm::StringRef name);
/// Every builtin primitive op, for listings and suggestions.
llvm::ArrayRef<OpSpec> allOps();

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

#endif // DREAM_OPS_BUILTINS_H
