//===- Evaluate.cpp - Compile-time values and types ------------------------===//
//
// The constant expressions of parameters and arguments (arithmetic, lists,
// words) and the types of inputs, evaluated while blocks are instantiated;
// in a library block checked on its own, a parameter is symbolic and what
// depends on it keeps its spelling.
//
//===----------------------------------------------------------------------===//

#include "Elaborate.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace dream;

/// Arithmetic on a symbolic value: of the result's kind, spelled as written.
static ConstValue symbolicResult(ConstValue::Kind kind, std::string text,
                                 Location loc) {
  ConstValue value;
  value.kind = kind;
  value.symbolic = true;
  value.text = std::move(text);
  value.loc = loc;
  return value;
}

/// An operand's spelling, in parentheses if it is itself arithmetic.
static std::string operandText(const ConstValue &value) {
  bool compound = value.symbolic && value.text.find(' ') != std::string::npos;
  return compound ? "(" + value.text + ")" : value.str();
}

std::optional<ConstValue> Elaborator::evalConst(const ConstExpr &expr,
                                                const ArgMap &params) {
  ConstValue value;
  value.loc = expr.loc;
  auto located = [&](ConstValue literal) {
    literal.loc = expr.loc;
    return literal;
  };
  switch (expr.kind) {
  case ConstExpr::Kind::Int:
    return located(ConstValue::ofInt(expr.intValue));
  case ConstExpr::Kind::Float:
    return located(ConstValue::ofFloat(expr.floatValue));
  case ConstExpr::Kind::String:
    value.kind = ConstValue::Kind::String;
    value.text = expr.text;
    return value;
  case ConstExpr::Kind::Bool:
    return located(ConstValue::ofBool(expr.boolValue));
  case ConstExpr::Kind::Name:
    if (auto it = params.find(expr.text); it != params.end()) {
      // Used here, but written where the parameter got its value.
      value = it->second;
      if (!value.origin.isValid())
        value.origin = value.loc;
      value.loc = expr.loc;
      return value;
    }
    value.kind = ConstValue::Kind::Word;
    value.text = expr.text;
    return value;
  case ConstExpr::Kind::Tuple:
  case ConstExpr::Kind::List:
    value.kind = ConstValue::Kind::List;
    for (const auto &operand : expr.operands) {
      auto item = evalConst(*operand, params);
      if (!item)
        return std::nullopt;
      value.items.push_back(*item);
    }
    // A list with a symbolic item is not known either; it keeps its items
    // for their kinds.
    if (llvm::any_of(value.items,
                     [](const ConstValue &item) { return item.symbolic; })) {
      value.text = value.str();
      value.symbolic = true;
    }
    return value;
  case ConstExpr::Kind::Negate: {
    auto operand = evalConst(*expr.operands[0], params);
    if (!operand)
      return std::nullopt;
    bool number = operand->kind == ConstValue::Kind::Int ||
                  operand->kind == ConstValue::Kind::Float;
    if (operand->symbolic && number)
      return symbolicResult(operand->kind, "-" + operandText(*operand),
                            expr.loc);
    if (operand->kind == ConstValue::Kind::Int &&
        operand->intValue != INT64_MIN) {
      value.kind = ConstValue::Kind::Int;
      value.intValue = -operand->intValue;
      return value;
    }
    if (operand->kind == ConstValue::Kind::Float) {
      value.kind = ConstValue::Kind::Float;
      value.floatValue = -operand->floatValue;
      return value;
    }
    diag.error(expr.loc, "cannot negate " + operand->str());
    return std::nullopt;
  }
  case ConstExpr::Kind::Binary:
    break;
  }

  auto lhs = evalConst(*expr.operands[0], params);
  if (!lhs)
    return std::nullopt;
  auto rhs = evalConst(*expr.operands[1], params);
  if (!rhs)
    return std::nullopt;
  auto numeric = [](const ConstValue &v) {
    return v.kind == ConstValue::Kind::Int || v.kind == ConstValue::Kind::Float;
  };
  if (!numeric(*lhs) || !numeric(*rhs)) {
    diag.error(expr.loc, "operator '" + expr.text +
                             "' needs numbers, not " + lhs->str() + " and " +
                             rhs->str());
    return std::nullopt;
  }
  bool ints =
      lhs->kind == ConstValue::Kind::Int && rhs->kind == ConstValue::Kind::Int;
  if (lhs->symbolic || rhs->symbolic)
    return symbolicResult(
        ints ? ConstValue::Kind::Int : ConstValue::Kind::Float,
        operandText(*lhs) + " " + expr.text + " " + operandText(*rhs),
        expr.loc);
  char op = expr.text[0];
  if (ints) {
    int64_t a = lhs->intValue, b = rhs->intValue, r = 0;
    bool overflow = false;
    if (op == '/' && b == 0) {
      diag.error(expr.loc, "division by zero");
      return std::nullopt;
    }
    switch (op) {
    case '+':
      overflow = llvm::AddOverflow(a, b, r);
      break;
    case '-':
      overflow = llvm::SubOverflow(a, b, r);
      break;
    case '*':
      overflow = llvm::MulOverflow(a, b, r);
      break;
    default:
      overflow = a == INT64_MIN && b == -1;
      r = overflow ? 0 : a / b;
    }
    if (overflow) {
      diag.error(expr.loc, "integer overflow in " + lhs->str() + " " +
                               expr.text + " " + rhs->str());
      return std::nullopt;
    }
    value.kind = ConstValue::Kind::Int;
    value.intValue = r;
    return value;
  }
  double a = lhs->asFloat(), b = rhs->asFloat();
  value.kind = ConstValue::Kind::Float;
  value.floatValue = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b
                                                                       : a / b;
  if (!std::isfinite(value.floatValue)) {
    diag.error(expr.loc, "arithmetic gives a non-finite number");
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<ArgumentValue>>
Elaborator::evalArguments(const std::vector<Argument> &args,
                          const ArgMap &params) {
  std::vector<ArgumentValue> values;
  for (const Argument &arg : args) {
    auto value = evalConst(*arg.value, params);
    if (!value)
      return std::nullopt;
    values.push_back({arg.name, arg.loc, *value});
  }
  return values;
}

/// A dimension of a float type: a size.
static const ParamSpec kDimension{
    "dimension", ParamKind::Int, std::nullopt, {}, ValueRange::size()};

/// `image[C, H, W]`, `tokens[len: L, vocab: V]`, `tensor[d0, ...]`.
std::optional<TensorType> Elaborator::evalType(const TypeExpr &type,
                                               const ArgMap &params) {
  auto args = evalArguments(type.args, params);
  if (!args)
    return std::nullopt;
  // A dimension given by a symbolic parameter is checked for its kind, but
  // the type is not known.
  bool symbolic = llvm::any_of(
      *args, [](const ArgumentValue &arg) { return arg.value.symbolic; });
  if (type.name == "tokens") {
    static const Signature tokens{
        "tokens",
        {{"len", ParamKind::Int, {}, {}, ValueRange::size()},
         {"vocab", ParamKind::Int, {}, {}, ValueRange::size()}}};
    auto bound = bindArguments(tokens, *args, type.loc, diag);
    if (!bound)
      return std::nullopt;
    if (symbolic)
      return TensorType::unknown();
    return TensorType::tokens(bound->at("len").intValue,
                              bound->at("vocab").intValue);
  }
  size_t rank = type.name == "image" ? 3 : type.name == "sequence" ? 2 : 0;
  if (rank == 0 && type.name != "tensor") {
    diag.error(type.loc, "unknown type " + quote(type.name) +
                             "; expected image[C, H, W], sequence[L, D], "
                             "tokens[len: L, vocab: V] or tensor[...]");
    return std::nullopt;
  }
  if ((rank && args->size() != rank) || args->empty() || args->size() > 4) {
    diag.error(type.loc, quote(type.name) + " takes " +
                             (rank ? std::to_string(rank) : "1 to 4") +
                             " dimensions, not " +
                             std::to_string(args->size()));
    return std::nullopt;
  }
  std::vector<int64_t> shape;
  for (const ArgumentValue &arg : *args) {
    std::string subject = "dimension " + std::to_string(shape.size() + 1) +
                          " of " + quote(type.name);
    if (!arg.name.empty()) {
      diag.error(arg.loc, "the dimensions of " + quote(type.name) +
                              " are positional; drop the name " +
                              quote(arg.name));
      return std::nullopt;
    }
    ConstValue dim = arg.value;
    dim.loc = arg.loc;
    if (!checkValue(kDimension, dim, subject, diag))
      return std::nullopt;
    shape.push_back(dim.intValue);
  }
  return symbolic ? TensorType::unknown() : TensorType::floats(shape);
}
