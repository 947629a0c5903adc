//===- PrimitiveBuilder.h - Building ops for the language's primitives ----===//
//
// MLIRGen and the passes that synthesise ops (connection adapters) build
// primitives the same way: from a primitive's name, its bound arguments and
// its inputs, creating the parameters it owns next to it and asking the
// registry (dream/Ops/Registry.h) for the result type, the dialect op and
// its attributes.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_DIALECT_PRIMITIVEBUILDER_H
#define DREAM_DIALECT_PRIMITIVEBUILDER_H

#include "dream/Ops/Registry.h"

#include "mlir/IR/Builders.h"

namespace dream {

/// Attributes for bound arguments: ints as i64, floats as f64, words and
/// strings as strings, int lists as dense i64 arrays.
mlir::NamedAttrList toAttributes(mlir::Builder &builder, const ArgMap &args);

/// Builds primitive `primitive` with arguments `args` (defaults filled in)
/// on `inputs`, whose language types are `inputTypes`. The parameters it
/// owns are created as `dream.param "<scope>.<name>"`; `global` parameters
/// keep their name when blocks are inlined. Returns the op's result, or a
/// null value after emitting an error at `loc` if the shapes do not fit.
mlir::Value buildPrimitive(mlir::OpBuilder &builder, mlir::Location loc,
                           llvm::StringRef primitive, ArgMap args,
                           mlir::ValueRange inputs,
                           llvm::ArrayRef<TensorType> inputTypes,
                           llvm::StringRef scope, bool global = false);

/// `args` for `primitive` completed with the signature's defaults.
ArgMap withDefaults(llvm::StringRef primitive, ArgMap args);

} // namespace dream

#endif // DREAM_DIALECT_PRIMITIVEBUILDER_H
