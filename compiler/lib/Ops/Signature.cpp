//===- Signature.cpp - Signatures and argument binding --------------------===//

#include "dream/Ops/Signature.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace dream;

llvm::StringRef dream::paramKindName(ParamKind kind) {
  switch (kind) {
  case ParamKind::Int:
    return "int";
  case ParamKind::Float:
    return "float";
  case ParamKind::Bool:
    return "bool";
  case ParamKind::String:
    return "string";
  case ParamKind::Word:
    return "word";
  case ParamKind::IntList:
    return "list of int";
  case ParamKind::FloatPair:
    return "(float, float)";
  case ParamKind::Encoder:
    return "encoder";
  case ParamKind::Any:
    return "value";
  }
  return "value";
}

bool ValueRange::contains(double value) const {
  return (minOpen ? value > min : value >= min) &&
         (maxOpen ? value < max : value <= max);
}

/// A bound as people write it: 1, 0.5, 2147483648.
static std::string formatBound(double bound) {
  if (bound == std::floor(bound) && std::fabs(bound) < 1e15)
    return std::to_string(static_cast<int64_t>(bound));
  return ConstValue::ofFloat(bound).str();
}

std::string ValueRange::requirement() const {
  if (max == HUGE_VAL) {
    if (min == 0)
      return minOpen ? "must be positive" : "must not be negative";
    return (minOpen ? "must be greater than " : "must be at least ") +
           formatBound(min);
  }
  if (!minOpen && !maxOpen)
    return "must be between " + formatBound(min) + " and " + formatBound(max);
  return std::string("must be in ") + (minOpen ? "(" : "[") + formatBound(min) +
         ", " + formatBound(max) + (maxOpen ? ")" : "]");
}

const ParamSpec *Signature::find(llvm::StringRef param) const {
  for (const ParamSpec &spec : params)
    if (spec.name == param)
      return &spec;
  return nullptr;
}

std::string Signature::str() const {
  std::string text = name + "(";
  for (size_t i = 0; i < params.size(); ++i) {
    const ParamSpec &spec = params[i];
    text += (i ? ", " : "") + spec.name + ": ";
    if (spec.kind == ParamKind::Word && !spec.choices.empty()) {
      for (size_t c = 0; c < spec.choices.size(); ++c)
        text += (c ? "|" : "") + spec.choices[c];
    } else {
      text += paramKindName(spec.kind).str();
    }
    if (spec.defaultValue)
      text += " = " + spec.defaultValue->str();
  }
  return text + ")";
}

std::string dream::describeValue(const ConstValue &value) {
  switch (value.kind) {
  case ConstValue::Kind::Int:
    return "an int";
  case ConstValue::Kind::Float:
    return "a float";
  case ConstValue::Kind::Bool:
    return "a bool";
  case ConstValue::Kind::String:
    return "a string";
  case ConstValue::Kind::Word:
    return "the word " + quote(value.text);
  case ConstValue::Kind::List:
    return "a list";
  }
  return "a value";
}

DiagnosticEngine::Builder dream::reportValue(DiagnosticEngine &diag,
                                             const ConstValue &value,
                                             std::string message) {
  auto builder = diag.error(value.loc, std::move(message));
  if (value.origin.isValid() && value.symbolic)
    builder.note(value.origin,
                 "parameter " + quote(value.text) + " is declared here");
  else if (value.origin.isValid())
    builder.note(value.origin, "the value " + value.str() + " is given here");
  return builder;
}

/// Widens an int to a float, keeping where it was written.
static void widenToFloat(ConstValue &value) {
  if (value.kind != ConstValue::Kind::Int)
    return;
  value.kind = ConstValue::Kind::Float;
  value.floatValue = static_cast<double>(value.intValue);
}

bool dream::fitsKind(ParamKind kind, ConstValue &value) {
  switch (kind) {
  case ParamKind::Any:
    return true;
  case ParamKind::Int:
    return value.kind == ConstValue::Kind::Int;
  case ParamKind::Float:
    widenToFloat(value);
    return value.kind == ConstValue::Kind::Float;
  case ParamKind::Bool:
    return value.kind == ConstValue::Kind::Bool;
  case ParamKind::String:
    return value.kind == ConstValue::Kind::String;
  case ParamKind::Word:
  case ParamKind::Encoder:
    return value.kind == ConstValue::Kind::Word;
  case ParamKind::IntList:
    return value.kind == ConstValue::Kind::List &&
           llvm::all_of(value.items, [](const ConstValue &item) {
             return item.kind == ConstValue::Kind::Int;
           });
  case ParamKind::FloatPair:
    if (value.kind != ConstValue::Kind::List || value.items.size() != 2)
      return false;
    for (ConstValue &item : value.items)
      widenToFloat(item);
    return llvm::all_of(value.items, [](const ConstValue &item) {
      return item.kind == ConstValue::Kind::Float;
    });
  }
  return false;
}

ConstValue dream::symbolicValue(const ParamSpec &spec, Location loc) {
  ConstValue value;
  switch (spec.kind) {
  case ParamKind::Int:
    value.kind = ConstValue::Kind::Int;
    break;
  case ParamKind::Float:
    value.kind = ConstValue::Kind::Float;
    break;
  case ParamKind::Bool:
    value.kind = ConstValue::Kind::Bool;
    break;
  case ParamKind::String:
    value.kind = ConstValue::Kind::String;
    break;
  case ParamKind::IntList:
  case ParamKind::FloatPair:
    value.kind = ConstValue::Kind::List;
    break;
  case ParamKind::Word:
  case ParamKind::Encoder:
  case ParamKind::Any:
    value.kind = ConstValue::Kind::Word;
    break;
  }
  value.symbolic = true;
  value.text = spec.name;
  value.loc = loc;
  return value;
}

/// "a, b or c".
static std::string joinChoices(llvm::ArrayRef<std::string> choices) {
  std::string text;
  for (size_t i = 0; i < choices.size(); ++i)
    text += (i ? (i + 1 == choices.size() ? " or " : ", ") : "") + choices[i];
  return text;
}

/// What a parameter of `spec`'s kind takes, for messages.
static std::string expectedKind(const ParamSpec &spec) {
  switch (spec.kind) {
  case ParamKind::Int:
    return "an int";
  case ParamKind::Float:
    return "a float";
  case ParamKind::Bool:
    return "true or false";
  case ParamKind::String:
    return "a string";
  case ParamKind::Encoder:
    return "the name of an encoder or autoencoder";
  case ParamKind::IntList:
    return "a list of ints such as [1, 28, 28]";
  case ParamKind::FloatPair:
    return "two floats such as (0.9, 0.999)";
  case ParamKind::Word:
    return spec.choices.empty() ? "a word"
                                : "one of " + joinChoices(spec.choices);
  case ParamKind::Any:
    break;
  }
  return "a value";
}

bool dream::checkValue(const ParamSpec &spec, ConstValue &value,
                       llvm::StringRef subject, DiagnosticEngine &diag) {
  // A `string` parameter can carry an option's word, so that a network
  // can expose a choice (`bridge: b`, then `dreamc -D b=soft`).
  if (spec.kind == ParamKind::Word && !spec.choices.empty() &&
      value.kind == ConstValue::Kind::String)
    value.kind = ConstValue::Kind::Word;
  if (!fitsKind(spec.kind, value)) {
    reportValue(diag, value,
                subject.str() + " must be " + expectedKind(spec) + ", not " +
                    describeValue(value));
    return false;
  }
  // A symbolic value has a kind but no value to hold against the choices
  // and the range: that is checked where the block is applied.
  if (value.symbolic)
    return true;
  if (spec.kind == ParamKind::Word && !spec.choices.empty() &&
      !llvm::is_contained(spec.choices, value.text)) {
    reportValue(diag, value,
                "unknown value " + quote(value.text) + " for " + subject.str() +
                    "; expected " + joinChoices(spec.choices));
    return false;
  }
  if (!spec.range)
    return true;
  // A list's elements are checked one by one, each at its own place.
  std::vector<const ConstValue *> numbers = {&value};
  if (value.kind == ConstValue::Kind::List) {
    numbers.clear();
    for (const ConstValue &item : value.items)
      numbers.push_back(&item);
  }
  for (const ConstValue *number : numbers) {
    if (spec.range->contains(number->asFloat()))
      continue;
    ConstValue shown = *number;
    if (!shown.loc.isValid())
      shown.loc = value.loc;
    reportValue(diag, shown,
                subject.str() + " " + spec.range->requirement() + ", not " +
                    number->str());
    return false;
  }
  return true;
}

std::optional<ArgMap> dream::bindArguments(const Signature &signature,
                                           llvm::ArrayRef<ArgumentValue> args,
                                           Location callLoc,
                                           DiagnosticEngine &diag) {
  ArgMap bound;
  std::map<std::string, Location> where;
  bool sawNamed = false;
  if (signature.params.empty() && !args.empty()) {
    diag.error(args.front().loc, quote(signature.name) + " takes no arguments");
    return std::nullopt;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const ArgumentValue &arg = args[i];
    const ParamSpec *spec = nullptr;
    if (arg.name.empty()) {
      if (sawNamed) {
        diag.error(arg.loc, "positional argument after a named one; name it "
                            "or move it before the named arguments");
        return std::nullopt;
      }
      if (i >= signature.params.size()) {
        diag.error(arg.loc, quote(signature.name) + " takes at most " +
                                std::to_string(signature.params.size()) +
                                " argument" +
                                (signature.params.size() == 1 ? "" : "s") +
                                ", but " + std::to_string(args.size()) +
                                " were given")
            .note(callLoc, "signature: " + signature.str());
        return std::nullopt;
      }
      spec = &signature.params[i];
    } else {
      sawNamed = true;
      spec = signature.find(arg.name);
      if (!spec) {
        diag.error(arg.loc, quote(signature.name) + " has no parameter " +
                                quote(arg.name))
            .note(callLoc, "signature: " + signature.str());
        return std::nullopt;
      }
    }
    if (where.count(spec->name)) {
      diag.error(arg.loc, "argument " + quote(spec->name) + " is given twice")
          .note(where[spec->name], "first given here");
      return std::nullopt;
    }
    ConstValue value = arg.value;
    value.loc = arg.loc;
    if (!checkValue(*spec, value,
                    "argument " + quote(spec->name) + " of " +
                        quote(signature.name),
                    diag))
      return std::nullopt;
    where[spec->name] = arg.loc;
    bound[spec->name] = std::move(value);
  }
  for (const ParamSpec &spec : signature.params) {
    if (bound.count(spec.name))
      continue;
    if (!spec.defaultValue) {
      diag.error(callLoc, "missing argument " + quote(spec.name) + " of " +
                              quote(signature.name))
          .note(callLoc, "signature: " + signature.str());
      return std::nullopt;
    }
    // A default keeps where it was written, if it was written in a file.
    ConstValue value = *spec.defaultValue;
    if (!value.loc.isValid())
      value.loc = callLoc;
    bound[spec.name] = std::move(value);
  }
  return bound;
}
