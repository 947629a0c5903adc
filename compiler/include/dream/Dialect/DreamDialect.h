//===- DreamDialect.h - The dream dialect ---------------------------------===//
//
// Declares the dialect, its ops (generated from DreamOps.td) and enum
// attributes (DreamEnums.td), the traits the passes ask for, and the bridge
// between MLIR tensor types and the language's per-sample TensorType.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_DIALECT_DREAMDIALECT_H
#define DREAM_DIALECT_DREAMDIALECT_H

#include "dream/Ops/Types.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace dream {
namespace trait {
/// Elementwise ops; fusion groups them.
template <typename ConcreteType>
class Pointwise : public mlir::OpTrait::TraitBase<ConcreteType, Pointwise> {};
/// Normalisations (per-channel or per-row statistics); fused with the
/// pointwise ops around them.
template <typename ConcreteType>
class Normalization
    : public mlir::OpTrait::TraitBase<ConcreteType, Normalization> {};
/// Convolutions, matrix products, recurrences and attention: run by LibTorch.
template <typename ConcreteType>
class Heavy : public mlir::OpTrait::TraitBase<ConcreteType, Heavy> {};
} // namespace trait

/// The rule-based result type of `op`: the primitive of the same name applied
/// to its operands and attributes (see ShapeInference.td).
mlir::FailureOr<mlir::Type> inferFromRule(mlir::Operation *op);
/// Checks an op's declared result type against its inferred one.
mlir::LogicalResult verifyInferredType(mlir::Operation *op);

/// tensor<?x64x28x28xf32> for [64, 28, 28]: the batch leads, dynamic.
mlir::RankedTensorType toMLIRType(mlir::MLIRContext *context,
                                  const TensorType &type);
/// The per-sample type of a batched tensor type, or nullopt if it is not one.
std::optional<TensorType> fromMLIRType(mlir::Type type);

} // namespace dream

#include "dream/Dialect/DreamDialect.h.inc"
#include "dream/Dialect/DreamEnums.h.inc"
#include "dream/Dialect/WordAttr.h.inc"
#define GET_ATTRDEF_CLASSES
#include "dream/Dialect/DreamAttrs.h.inc"
#include "dream/Dialect/ShapeInference.h.inc"

#define GET_OP_CLASSES
#include "dream/Dialect/DreamOps.h.inc"

#endif // DREAM_DIALECT_DREAMDIALECT_H
