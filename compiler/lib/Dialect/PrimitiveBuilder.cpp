//===- PrimitiveBuilder.cpp - Building ops for the language's primitives --===//

#include "dream/Dialect/PrimitiveBuilder.h"

#include "dream/Dialect/DreamDialect.h"

using namespace dream;

std::string dream::dialectOpName(llvm::StringRef primitive,
                                 const TensorType &input) {
  if (primitive == "norm")
    return input.rank() == 3 ? "batchnorm" : "layernorm";
  if (primitive == "sum")
    return "add";
  if (const OpSpec *spec = lookupOp(primitive); spec && spec->native)
    return "native";
  return primitive.str();
}

mlir::NamedAttrList dream::toAttributes(mlir::Builder &builder,
                                        const ArgMap &args) {
  mlir::NamedAttrList list;
  for (const auto &[name, value] : args) {
    mlir::Attribute attr;
    switch (value.kind) {
    case ConstValue::Kind::Int:
      attr = builder.getI64IntegerAttr(value.intValue);
      break;
    case ConstValue::Kind::Float:
      attr = builder.getF64FloatAttr(value.floatValue);
      break;
    case ConstValue::Kind::Bool:
      attr = builder.getBoolAttr(value.boolValue);
      break;
    case ConstValue::Kind::String:
    case ConstValue::Kind::Word:
      attr = builder.getStringAttr(value.text);
      break;
    case ConstValue::Kind::List: {
      llvm::SmallVector<int64_t> ints;
      llvm::SmallVector<mlir::Attribute> items;
      bool allInts = true;
      for (const ConstValue &item : value.items) {
        allInts &= item.kind == ConstValue::Kind::Int;
        ints.push_back(item.intValue);
        items.push_back(builder.getF64FloatAttr(item.asFloat()));
      }
      attr = allInts ? mlir::Attribute(builder.getDenseI64ArrayAttr(ints))
                     : mlir::Attribute(builder.getArrayAttr(items));
      break;
    }
    }
    list.append(name, attr);
  }
  return list;
}

ArgMap dream::withDefaults(llvm::StringRef primitive, ArgMap args) {
  if (const OpSpec *spec = lookupOp(primitive))
    for (const ParamSpec &param : spec->signature.params)
      if (!args.count(param.name) && param.defaultValue)
        args[param.name] = *param.defaultValue;
  return args;
}

/// Makes explicit what the language leaves symbolic: `pad: -1` means "same",
/// a pooling stride of 0 means the window, a feed-forward width of 0 means
/// four times the model width; embed records the vocabulary.
static ArgMap explicitArguments(llvm::StringRef name, ArgMap args,
                                const TensorType &input) {
  if (name == "conv" && args.at("pad").intValue < 0)
    args["pad"] = ConstValue::ofInt(args.at("k").intValue / 2);
  if ((name == "maxpool" || name == "avgpool") &&
      args.at("stride").intValue == 0)
    args["stride"] = args.at("k");
  if (name == "transformer" && args.at("ff").intValue == 0)
    args["ff"] = ConstValue::ofInt(4 * input.shape.back());
  if (name == "embed")
    args["vocab"] = ConstValue::ofInt(input.embeddingVocabulary());
  return args;
}

/// The attributes of a primitive's op: its explicit arguments, and for a
/// native op the op it calls. Words the dialect holds as enums (pool's
/// `kind`, DreamEnums.td) become those; other words stay strings.
static mlir::NamedAttrList opAttributes(mlir::Builder &builder,
                                        llvm::StringRef primitive,
                                        llvm::StringRef name, ArgMap args,
                                        const TensorType &input) {
  if (name == "native")
    args["callee"] = ConstValue::ofWord(primitive.str());
  mlir::NamedAttrList attributes =
      toAttributes(builder, explicitArguments(name, std::move(args), input));
  // A word the enum lacks stays a string, which the verifier refuses.
  if (name == "pool")
    if (auto kind = symbolizePoolKind(
            mlir::cast<mlir::StringAttr>(attributes.get("kind")).getValue()))
      attributes.set("kind", builder.getAttr<PoolKindAttr>(*kind));
  return attributes;
}

mlir::Value dream::buildPrimitive(mlir::OpBuilder &builder, mlir::Location loc,
                                  llvm::StringRef primitive, ArgMap args,
                                  mlir::ValueRange inputs,
                                  llvm::ArrayRef<TensorType> inputTypes,
                                  llvm::StringRef scope, bool global) {
  const OpSpec *spec = lookupOp(primitive);
  assert(spec && !inputTypes.empty() && "not a primitive");
  args = withDefaults(primitive, std::move(args));
  ShapeResult result = spec->infer(args, inputTypes);
  if (!result.type) {
    mlir::emitError(loc) << "'" << primitive << "' " << result.error;
    return nullptr;
  }
  const TensorType &first = inputTypes.front();
  std::string name = dialectOpName(primitive, first);
  mlir::OperationState state(loc, "dream." + name);
  state.addOperands(inputs);
  if (spec->params) {
    for (const ParamInfo &param : spec->params(args, first)) {
      auto type =
          mlir::RankedTensorType::get(param.shape, builder.getF32Type());
      state.addOperands(builder.create<ParamOp>(
          loc, type, (scope + "." + param.name).str(), param.init,
          param.fanIn, /*frozen=*/false, param.buffer, global)
                             .getResult());
    }
  }
  state.addAttributes(opAttributes(builder, primitive, name, args, first));
  state.addTypes(toMLIRType(builder.getContext(), *result.type));
  return builder.create(state)->getResult(0);
}
