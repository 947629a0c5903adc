//===- PrimitiveBuilder.cpp - Building ops for the language's primitives --===//

#include "dream/Dialect/PrimitiveBuilder.h"

#include "dream/Dialect/DreamDialect.h"

using namespace dream;

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

/// The attributes of a primitive's op: its arguments as the registry's
/// attribute rule makes them explicit, and for a native op the op it calls. Words the dialect holds as enums (pool's
/// `kind`, DreamEnums.td) become those; other words stay strings.
static mlir::NamedAttrList opAttributes(mlir::Builder &builder,
                                        const OpSpec &spec,
                                        llvm::StringRef name, ArgMap args,
                                        const TensorType &input) {
  if (name == "native")
    args["callee"] = ConstValue::ofWord(spec.signature.name);
  if (spec.attributes)
    args = spec.attributes(std::move(args), input);
  mlir::NamedAttrList attributes = toAttributes(builder, args);
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
  state.addAttributes(opAttributes(builder, *spec, name, args, first));
  state.addTypes(toMLIRType(builder.getContext(), *result.type));
  return builder.create(state)->getResult(0);
}
