//===- Signature.h - Parameters, signatures and argument binding ---------===//
//
// A callable's parameters with their kinds, defaults, allowed words and
// ranges, and the binder that checks a call's arguments against them. The
// same machinery binds the arguments of primitives, blocks, connections,
// recipe items and encoder declarations: one mechanism for every argument
// and recipe value. The dialect binds an op's attributes with it too, to
// ask a primitive's shape rule (dream/Ops/Registry.h).
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_OPS_SIGNATURE_H
#define DREAM_OPS_SIGNATURE_H

#include "dream/Ops/Types.h"

#include "llvm/ADT/ArrayRef.h"

#include <cmath>
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

} // namespace dream

#endif // DREAM_OPS_SIGNATURE_H
