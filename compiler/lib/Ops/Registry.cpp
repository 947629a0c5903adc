//===- Registry.cpp - The registry and the builder of its entries ---------===//

#include "Entry.h"

using namespace dream;
using namespace dream::ops;

//===----------------------------------------------------------------------===//
// Signatures and plan attributes
//===----------------------------------------------------------------------===//

ParamSpec ops::required(std::string name, ParamKind kind,
                        std::optional<ValueRange> range) {
  return {std::move(name), kind, std::nullopt, {}, range};
}

ParamSpec ops::withDefault(std::string name, ConstValue value,
                           std::optional<ValueRange> range) {
  ParamKind kind = value.kind == ConstValue::Kind::Int     ? ParamKind::Int
                   : value.kind == ConstValue::Kind::Float ? ParamKind::Float
                   : value.kind == ConstValue::Kind::Bool  ? ParamKind::Bool
                                                           : ParamKind::Word;
  return {std::move(name), kind, std::move(value), {}, range};
}

ParamSpec ops::sizeParam(std::string name, std::optional<int64_t> byDefault) {
  if (byDefault)
    return withDefault(std::move(name), ConstValue::ofInt(*byDefault),
                       ValueRange::size());
  return required(std::move(name), ParamKind::Int, ValueRange::size());
}

ParamSpec ops::oneOf(std::string name, std::vector<std::string> choices) {
  ConstValue first = ConstValue::ofWord(choices.front());
  return {std::move(name), ParamKind::Word, first, std::move(choices)};
}

PlanAttr ops::must(std::string name, ParamKind kind) {
  return {std::move(name), kind, true};
}

PlanAttr ops::may(std::string name, ParamKind kind,
                  std::vector<std::string> choices) {
  return {std::move(name), kind, false, std::move(choices)};
}

//===----------------------------------------------------------------------===//
// Shape rules
//===----------------------------------------------------------------------===//

int64_t ops::intArg(const ArgMap &args, const char *name) {
  return args.at(name).intValue;
}

int64_t ops::countArg(const ArgMap &args, const char *name) {
  auto it = args.find(name);
  if (it == args.end())
    return 0;
  return it->second.kind == ConstValue::Kind::Bool ? it->second.boolValue
                                                   : it->second.intValue;
}

std::optional<ShapeResult> ops::checkRank(llvm::ArrayRef<TensorType> inputs,
                                          size_t rank, const char *what) {
  const TensorType &in = inputs[0];
  if (in.isTokens())
    return ShapeResult::fail(std::string("expects ") + what +
                             ", but its input is " + in.str() +
                             "; embed the tokens first");
  if (in.rank() != rank)
    return ShapeResult::fail(std::string("expects ") + what +
                             ", but its input is " + in.str());
  return std::nullopt;
}

std::optional<ShapeResult> ops::checkFloat(llvm::ArrayRef<TensorType> inputs) {
  if (inputs[0].isTokens())
    return ShapeResult::fail("expects float activations, but its input is " +
                             inputs[0].str() + "; embed the tokens first");
  return std::nullopt;
}

ShapeResult ops::sameShape(const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
  if (auto error = checkFloat(inputs))
    return *error;
  return ShapeResult::ok(inputs[0]);
}

std::optional<int64_t> ops::windowOut(int64_t in, int64_t k, int64_t stride,
                                      int64_t pad) {
  int64_t span = in + 2 * pad - k;
  if (span < 0)
    return std::nullopt;
  return span / stride + 1;
}

ShapeResult dream::inferAdd(llvm::ArrayRef<TensorType> operands) {
  for (const TensorType &operand : operands) {
    if (operand.isTokens())
      return ShapeResult::fail("cannot add token ids " + operand.str());
    if (operand != operands.front())
      return ShapeResult::fail("cannot add " + operands.front().str() +
                               " and " + operand.str() +
                               ": merged branches must have the same shape");
  }
  return ShapeResult::ok(operands.front());
}

//===----------------------------------------------------------------------===//
// Export
//===----------------------------------------------------------------------===//

std::string ExportContext::attr(const std::string &name,
                                const std::string &fallback) const {
  auto it = attrs.find(name);
  return it == attrs.end() ? fallback : it->second;
}

std::string ExportContext::param(size_t i) const {
  return i < params.size() ? params[i] : "None";
}

std::string ExportContext::paramList() const {
  std::string out = "[";
  for (const std::string &p : params)
    out += p + ", ";
  return out + "]";
}

std::string ExportContext::joined(const std::string &separator) const {
  std::string out;
  for (const std::string &input : inputs)
    out += (out.empty() ? "" : separator) + input;
  return out;
}

ExportRule ops::callOn(std::string function) {
  return [function](const ExportContext &c) {
    return function + "(" + c.x() + ")";
  };
}

//===----------------------------------------------------------------------===//
// Entries
//===----------------------------------------------------------------------===//

Entry::Entry(std::string name, OpClass opClass, std::string summary) {
  spec.signature.name = std::move(name);
  spec.opClass = opClass;
  spec.summary = std::move(summary);
}

Entry &Entry::takes(std::vector<ParamSpec> params) {
  spec.signature.params = std::move(params);
  return *this;
}
Entry &Entry::variadic(unsigned atLeast) {
  spec.arity = kVariadic;
  spec.minInputs = atLeast;
  return *this;
}
Entry &Entry::shape(ShapeRule rule) {
  spec.infer = std::move(rule);
  return *this;
}
Entry &Entry::owns(ParamRule rule, int minParams, int maxParams) {
  spec.params = std::move(rule);
  spec.minParams = minParams;
  spec.maxParams = maxParams;
  return *this;
}
Entry &Entry::flops(FlopRule rule) {
  spec.flops = std::move(rule);
  return *this;
}
Entry &Entry::attributes(AttributeRule rule) {
  spec.attributes = std::move(rule);
  return *this;
}
Entry &Entry::plan(std::vector<PlanAttr> attrs) {
  spec.planAttrs = std::move(attrs);
  planGiven = true;
  return *this;
}
Entry &Entry::exportAs(ExportRule rule) {
  spec.pytorch = std::move(rule);
  return *this;
}
Entry &Entry::lowersTo(Lowering lowering) {
  spec.lowering = lowering;
  loweringGiven = true;
  return *this;
}
Entry &Entry::alias(std::function<std::string(const TensorType &)> dialectOp) {
  spec.dialectOp = std::move(dialectOp);
  return *this;
}
Entry &Entry::dialectOnly() {
  spec.primitive = false;
  return *this;
}

OpSpec Entry::build() {
  bool kernelClass = spec.opClass == OpClass::Pointwise ||
                     spec.opClass == OpClass::Normalization;
  if (!loweringGiven)
    spec.lowering = kernelClass ? Lowering::GeneratedKernel : Lowering::LibTorch;
  if (!planGiven)
    for (const ParamSpec &param : spec.signature.params)
      spec.planAttrs.push_back(
          {param.name, param.kind, !param.defaultValue, param.choices});
  // Heavy ops state their FLOPs; the other classes cost per element (a
  // normalisation's mean, variance, scale and shift count five).
  if (!spec.flops && spec.opClass != OpClass::Heavy) {
    int64_t perElement = spec.opClass == OpClass::Normalization ? 5 : 1;
    spec.flops = [perElement](const ArgMap &, const TensorType &,
                              const TensorType &output) {
      return perElement * output.elementCount();
    };
  }
  return std::move(spec);
}

//===----------------------------------------------------------------------===//
// Lookups
//===----------------------------------------------------------------------===//

namespace {

template <typename... Families>
std::vector<OpSpec> concatenate(Families... families) {
  std::vector<OpSpec> all;
  for (std::vector<OpSpec> *family : {&families...})
    for (OpSpec &spec : *family)
      all.push_back(std::move(spec));
  return all;
}

} // namespace

llvm::ArrayRef<OpSpec> dream::allOps() {
  static const std::vector<OpSpec> ops =
      concatenate(layerOps(), elementwiseOps(), shapingOps());
  return ops;
}

llvm::ArrayRef<OpSpec> dream::dialectOnlyOps() {
  static const std::vector<OpSpec> ops = planOnlyOps();
  return ops;
}

const OpSpec *dream::lookupOp(llvm::StringRef name) {
  for (const OpSpec &spec : allOps())
    if (spec.signature.name == name)
      return &spec;
  return lookupNativeOp(name);
}

const OpSpec *dream::lookupDialectOp(llvm::StringRef name) {
  for (llvm::ArrayRef<OpSpec> family : {allOps(), dialectOnlyOps()})
    for (const OpSpec &spec : family)
      if (spec.signature.name == name && !spec.dialectOp)
        return &spec;
  return nullptr;
}

std::string dream::dialectOpName(llvm::StringRef primitive,
                                 const TensorType &input) {
  const OpSpec *spec = lookupOp(primitive);
  if (spec && spec->native)
    return "native";
  if (spec && spec->dialectOp)
    return spec->dialectOp(input);
  return primitive.str();
}

/// The entry of a language or dialect op name, or nullptr.
static const OpSpec *specOf(llvm::StringRef op) {
  const OpSpec *spec = lookupOp(op);
  return spec ? spec : lookupDialectOp(op);
}

int64_t dream::opFlops(llvm::StringRef op, const ArgMap &args,
                       const TensorType &input, const TensorType &output) {
  const OpSpec *spec = specOf(op);
  // A scalar input, or an op without a rule (a native op): one per element.
  if (input.shape.empty() || !spec || !spec->flops)
    return output.elementCount();
  return spec->flops(args, input, output);
}

int64_t dream::opBackwardFlops(llvm::StringRef op, const ArgMap &args,
                               const TensorType &input,
                               const TensorType &output, bool inputGradient,
                               bool paramGradient) {
  const OpSpec *spec = specOf(op);
  bool heavy = spec && spec->opClass == OpClass::Heavy;
  int64_t passes = heavy ? int64_t(inputGradient) + int64_t(paramGradient)
                         : int64_t(inputGradient || paramGradient);
  return passes * opFlops(op, args, input, output);
}
