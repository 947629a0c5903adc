//===- Builtins.h - The primitive ops, their signatures and shape rules --===//
//
// One table describes every primitive op of the language: its parameters
// (with defaults and allowed words), how many tensors it takes, what kind of
// op it is (fusion groups pointwise and normalisation ops; heavy ops stay in
// LibTorch) and the rule that gives its result type. Sema checks programs
// against this table; the dialect's shape inference asks the same rules, so
// a shape is defined in exactly one place.
//
// The same Signature/bindArguments machinery binds the arguments of blocks,
// connections, recipe items and encoder declarations, and checks their
// kinds and ranges: one mechanism for every argument and recipe value.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_SEMA_BUILTINS_H
#define DREAM_SEMA_BUILTINS_H

#include "dream/Sema/Types.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cmath>
#include <functional>
#include <optional>

namespace dream {

/// FloatPair: exactly two floats, such as Adam's `betas: (0.9, 0.999)`.
enum class ParamKind {
  Int,
  Float,
  Bool,
  String,
  Word,
  IntList,
  FloatPair,
  Encoder,
  Any
};

/// "int", "float", ... as written in parameter declarations and messages.
llvm::StringRef paramKindName(ParamKind kind);

/// The numbers a numeric parameter accepts: from `min` to `max`, each end
/// included unless it is open. Applies to each element of a list.
struct ValueRange {
  double min = -HUGE_VAL, max = HUGE_VAL;
  bool minOpen = false, maxOpen = false;

  static ValueRange positive() { return {0, HUGE_VAL, true, false}; }
  static ValueRange atLeast(double min) { return {min, HUGE_VAL}; }
  /// [min, max], both included.
  static ValueRange between(double min, double max) { return {min, max}; }
  /// [0, 1): probabilities and fractions that cannot be all.
  static ValueRange fraction() { return {0, 1, false, true}; }
  /// Sizes and dimensions: from 1 to kMaxDim.
  static ValueRange size() { return {1, double(kMaxDim)}; }

  bool contains(double value) const;
  /// "must be positive", "must be in [0, 1)", "must be at least 1", ...
  std::string requirement() const;
};

struct ParamSpec {
  std::string name;
  ParamKind kind;
  std::optional<ConstValue> defaultValue; ///< None: the argument is required.
  std::vector<std::string> choices;       ///< Word parameters: allowed words.
  std::optional<ValueRange> range = std::nullopt; ///< Numeric parameters.
};

/// A callable's parameters, in positional order.
struct Signature {
  std::string name;
  std::vector<ParamSpec> params;

  const ParamSpec *find(llvm::StringRef name) const;
  /// "conv(out: int, k: int = 3, ...)" for notes.
  std::string str() const;
};

/// One argument as written at a call, already evaluated.
struct ArgumentValue {
  std::string name; ///< Empty if positional.
  Location loc;
  ConstValue value;
};

/// Binds `args` to `signature`: positional then named, defaults filled in,
/// kinds, word choices and ranges checked (int widens to float). Reports the
/// first problem at the offending argument (or `callLoc` for a missing one)
/// and returns nullopt.
std::optional<ArgMap> bindArguments(const Signature &signature,
                                    llvm::ArrayRef<ArgumentValue> args,
                                    Location callLoc, DiagnosticEngine &diag);

/// Checks one value against `spec`: its kind (widening an int to a float),
/// word choices and range. `subject` names the value in messages, such as
/// "argument 'lr' of 'adam'" or "'epochs'". Reports at the value.
bool checkValue(const ParamSpec &spec, ConstValue &value,
                llvm::StringRef subject, DiagnosticEngine &diag);

/// Whether `value` is of `kind`, widening an int to a float where a float is
/// wanted. Word choices and ranges are not checked.
bool fitsKind(ParamKind kind, ConstValue &value);

/// A symbolic value (ConstValue::symbolic) of `spec`'s kind, named like
/// the parameter and written at `loc`.
ConstValue symbolicValue(const ParamSpec &spec, Location loc);

/// "an int", "the word 'avg'", ...: what a value is, for messages.
std::string describeValue(const ConstValue &value);

/// Reports `message` at `value`. A value that came through a parameter gets
/// a note where it was written (a default, or an argument of the call).
DiagnosticEngine::Builder reportValue(DiagnosticEngine &diag,
                                      const ConstValue &value,
                                      std::string message);

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

#endif // DREAM_SEMA_BUILTINS_H
