//===- Types.h - Tensor types and compile-time values --------------------===//
//
// The vocabulary the op table is written in, shared by Sema and the dialect:
// per-sample tensor types (the batch dimension is implicit and dynamic) and
// the compile-time values that parameters and arguments evaluate to.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_OPS_TYPES_H
#define DREAM_OPS_TYPES_H

#include "dream/Support/Diagnostics.h"

#include <cstdint>
#include <map>
#include <tuple>
#include <string>
#include <vector>

namespace dream {

/// Dimensions and sizes beyond this are refused: they only come from
/// mistakes and would overflow the arithmetic of later stages.
constexpr int64_t kMaxDim = int64_t(1) << 31;

/// The type of one tensor per sample: float activations of any rank, or a
/// sequence of token ids drawn from a vocabulary.
struct TensorType {
  enum class Element { Float, Token };
  Element element = Element::Float;
  std::vector<int64_t> shape;
  int64_t vocab = 0; ///< Token tensors only.
  /// False for a tensor whose type depends on a call site that a block
  /// checked on its own does not have (see Elaborator::checkBlock).
  bool known = true;

  static TensorType floats(std::vector<int64_t> shape) {
    return {Element::Float, std::move(shape), 0};
  }
  static TensorType tokens(int64_t length, int64_t vocab) {
    return {Element::Token, {length}, vocab};
  }
  static TensorType unknown() { return {Element::Float, {}, 0, false}; }
  bool isTokens() const { return element == Element::Token; }
  /// The vocabulary an embedding of this tensor looks up: a token tensor's,
  /// or the last dimension of a distribution [L, V] over it.
  int64_t embeddingVocabulary() const {
    return isTokens() ? vocab : shape.back();
  }
  size_t rank() const { return shape.size(); }
  int64_t elementCount() const;
  /// "[64, 28, 28]", "tokens[64, vocab: 30522]", or "?" when unknown.
  std::string str() const;

  bool operator==(const TensorType &other) const {
    return element == other.element && shape == other.shape &&
           vocab == other.vocab && known == other.known;
  }
  bool operator!=(const TensorType &other) const { return !(*this == other); }
  bool operator<(const TensorType &other) const {
    return std::tie(element, shape, vocab, known) <
           std::tie(other.element, other.shape, other.vocab, other.known);
  }
};

/// The type of a tensor expression: one tensor, or a tuple of them.
struct ValueType {
  bool isTuple = false;
  std::vector<TensorType> elements; ///< Exactly one when !isTuple.
  /// False when not even the number of tensors is known: values collected
  /// in a block checked on its own, whose repeats may run a parameter's
  /// number of times. Held as one unknown tensor, it passes every check of
  /// tuples and arity.
  bool known = true;

  static ValueType tensor(TensorType type) { return {false, {std::move(type)}}; }
  static ValueType unknown() { return {false, {TensorType::unknown()}, false}; }
  const TensorType &single() const { return elements.front(); }
  std::string str() const;
  bool operator<(const ValueType &other) const {
    return std::tie(isTuple, elements, known) <
           std::tie(other.isTuple, other.elements, other.known);
  }
};

/// A compile-time value: a parameter, an argument or a recipe setting.
struct ConstValue {
  enum class Kind { Int, Float, Bool, String, Word, List };
  Kind kind = Kind::Int;
  int64_t intValue = 0;
  double floatValue = 0;
  bool boolValue = false;
  /// String contents, or a bare word (`deconv`, `fashion_mnist`, or the name
  /// of an encoder declaration).
  std::string text;
  std::vector<ConstValue> items; ///< List (also tuples).
  /// A parameter of a block checked on its own, or arithmetic or a list
  /// with one: of a kind, but of no particular value. `text` spells it as
  /// written (`ch`, `ch * 2`, `[ch, 4]`).
  bool symbolic = false;
  Location loc;
  /// For a value that came through a parameter: where it was first written
  /// (a parameter default or a call's argument). A word's scope is that of
  /// the file it was written in.
  Location origin;

  static ConstValue ofInt(int64_t v) {
    ConstValue c;
    c.kind = Kind::Int;
    c.intValue = v;
    return c;
  }
  static ConstValue ofFloat(double v) {
    ConstValue c;
    c.kind = Kind::Float;
    c.floatValue = v;
    return c;
  }
  static ConstValue ofBool(bool v) {
    ConstValue c;
    c.kind = Kind::Bool;
    c.boolValue = v;
    return c;
  }
  static ConstValue ofWord(std::string word) {
    ConstValue c;
    c.kind = Kind::Word;
    c.text = std::move(word);
    return c;
  }
  double asFloat() const {
    return kind == Kind::Int ? static_cast<double>(intValue) : floatValue;
  }
  /// Source-like spelling: 3, 0.005, true, "file", deconv, [1, 28, 28];
  /// a symbolic value's `text`.
  std::string str() const;
  /// Equality of the value, ignoring where it was written.
  bool sameValue(const ConstValue &other) const { return str() == other.str(); }
};

/// Bound arguments of a call, by parameter name, defaults filled in.
using ArgMap = std::map<std::string, ConstValue>;

} // namespace dream

#endif // DREAM_OPS_TYPES_H
