//===- ShapeRules.cpp - The dialect asks the language's shape rules -------===//
//
// An op of the dialect carries the primitive's parameters as attributes of
// the same names. This file turns them back into the ArgMap the rule takes,
// so Sema and the dialect share one definition of every shape.
//
//===----------------------------------------------------------------------===//

#include "dream/Dialect/DreamDialect.h"
#include "dream/Ops/Registry.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace dream;

mlir::RankedTensorType dream::toMLIRType(mlir::MLIRContext *context,
                                         const TensorType &type) {
  llvm::SmallVector<int64_t> shape = {mlir::ShapedType::kDynamic};
  shape.append(type.shape.begin(), type.shape.end());
  mlir::Type element = type.isTokens()
                           ? mlir::Type(mlir::IntegerType::get(context, 64))
                           : mlir::Type(mlir::Float32Type::get(context));
  return mlir::RankedTensorType::get(shape, element);
}

std::optional<TensorType> dream::fromMLIRType(mlir::Type type) {
  auto tensor = mlir::dyn_cast<mlir::RankedTensorType>(type);
  if (!tensor || tensor.getRank() < 1 || !tensor.isDynamicDim(0))
    return std::nullopt;
  TensorType result;
  for (int64_t dim : tensor.getShape().drop_front()) {
    if (mlir::ShapedType::isDynamic(dim))
      return std::nullopt;
    result.shape.push_back(dim);
  }
  if (tensor.getElementType().isInteger(64))
    result.element = TensorType::Element::Token;
  return result;
}

/// Converts the attributes that name parameters of `signature`.
static std::vector<ArgumentValue> attributesAsArguments(
    mlir::Operation *op, const Signature &signature) {
  std::vector<ArgumentValue> args;
  for (const ParamSpec &spec : signature.params) {
    mlir::Attribute attr = op->getAttr(spec.name);
    if (!attr)
      continue;
    ConstValue value;
    if (auto boolean = mlir::dyn_cast<mlir::BoolAttr>(attr)) {
      value = ConstValue::ofBool(boolean.getValue());
    } else if (auto integer = mlir::dyn_cast<mlir::IntegerAttr>(attr)) {
      value = ConstValue::ofInt(integer.getInt());
    } else if (auto real = mlir::dyn_cast<mlir::FloatAttr>(attr)) {
      value = ConstValue::ofFloat(real.getValueAsDouble());
    } else if (auto text = mlir::dyn_cast<mlir::StringAttr>(attr)) {
      value = ConstValue::ofWord(text.str());
    } else if (auto word = mlir::dyn_cast<WordAttr>(attr)) {
      value = ConstValue::ofWord(word.getWord().str());
    } else if (auto list = mlir::dyn_cast<mlir::DenseI64ArrayAttr>(attr)) {
      value.kind = ConstValue::Kind::List;
      for (int64_t item : list.asArrayRef())
        value.items.push_back(ConstValue::ofInt(item));
    } else {
      continue;
    }
    args.push_back({spec.name, {}, value});
  }
  return args;
}

mlir::FailureOr<mlir::Type> dream::inferFromRule(mlir::Operation *op) {
  llvm::StringRef name = op->getName().stripDialect();
  auto native = mlir::dyn_cast<NativeOp>(op);
  if (native)
    name = native.getCallee();
  const OpSpec *spec = lookupOp(name);
  if (!spec)
    return native ? op->emitOpError("calls '")
                        << name
                        << "', which no library loaded with --load registers"
                  : op->emitOpError("has no shape rule");
  // Errors of the binder go to a throwaway engine: the op's own message
  // below names the problem at the op's location.
  SourceManager noSources;
  std::string ignored;
  llvm::raw_string_ostream sink(ignored);
  DiagnosticEngine quiet(noSources, sink);
  auto args = bindArguments(spec->signature,
                            attributesAsArguments(op, spec->signature), {},
                            quiet);
  if (!args)
    return op->emitOpError("has attributes that do not fit ")
           << spec->signature.str() << ": " << sink.str();

  // Only the data operands count: parameters follow them.
  size_t dataOperands = spec->arity == 1 ? 1 : op->getNumOperands();
  std::vector<TensorType> inputs;
  for (mlir::Value operand : op->getOperands().take_front(dataOperands)) {
    auto type = fromMLIRType(operand.getType());
    if (!type)
      return op->emitOpError("expects batched tensors tensor<?x...>, not ")
             << operand.getType();
    inputs.push_back(*type);
  }
  if (inputs.empty())
    return op->emitOpError("needs at least one operand");
  // Token tensor types do not carry their vocabulary; ops that need it
  // (embed) hold it as an attribute.
  if (auto vocab = op->getAttrOfType<mlir::IntegerAttr>("vocab"))
    inputs.front().vocab = vocab.getInt();
  ShapeResult result = spec->infer(*args, inputs);
  if (!result.type)
    return op->emitOpError() << result.error;

  // The parameter operands must have the shapes the op owns.
  if (spec->params) {
    std::vector<ParamInfo> owned = spec->params(*args, inputs.front());
    auto params = op->getOperands().drop_front(dataOperands);
    if (params.size() != owned.size())
      return op->emitOpError("expects ")
             << owned.size() << " parameter operands, not " << params.size();
    for (auto [param, info] : llvm::zip(params, owned)) {
      auto type = mlir::dyn_cast<mlir::RankedTensorType>(param.getType());
      if (!type || type.getShape() != llvm::ArrayRef(info.shape))
        return op->emitOpError("expects parameter '")
               << info.name << "' of shape [" << llvm::ArrayRef(info.shape)
               << "], not " << param.getType();
    }
  }
  return mlir::Type(toMLIRType(op->getContext(), *result.type));
}

mlir::LogicalResult dream::verifyInferredType(mlir::Operation *op) {
  auto shaped = mlir::dyn_cast<ShapeInference>(op);
  mlir::FailureOr<mlir::Type> inferred = shaped.inferResultType();
  if (mlir::failed(inferred))
    return mlir::failure();
  mlir::Type declared = op->getResult(0).getType();
  if (*inferred != declared)
    return op->emitOpError("result type ")
           << declared << " does not match the inferred type " << *inferred;
  return mlir::success();
}
