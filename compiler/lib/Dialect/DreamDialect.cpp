//===- DreamDialect.cpp - The dream dialect and its op hooks --------------===//

#include "dream/Dialect/DreamDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Transforms/InliningUtils.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace dream;

#include "dream/Dialect/DreamDialect.cpp.inc"
#include "dream/Dialect/DreamEnums.cpp.inc"
#include "dream/Dialect/ShapeInference.cpp.inc"
#include "dream/Dialect/WordAttr.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dream/Dialect/DreamAttrs.cpp.inc"

namespace {
/// Every dream op may be inlined: block applications become straight-line
/// code in the network.
struct DreamInlinerInterface : public mlir::DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(mlir::Operation *, mlir::Region *, bool,
                       mlir::IRMapping &) const final {
    return true;
  }
};
} // namespace

void DreamDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dream/Dialect/DreamOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dream/Dialect/DreamAttrs.cpp.inc"
      >();
  addInterfaces<DreamInlinerInterface>();
}

//===----------------------------------------------------------------------===//
// Op hooks
//===----------------------------------------------------------------------===//

mlir::LogicalResult EncoderOp::verify() {
  for (mlir::Type type : {getInput(), getLatent(), getOutput()})
    if (!fromMLIRType(type))
      return emitOpError("types must be batched tensors tensor<?x...>, not ")
             << type;
  if (!getDecode() && getOutput() != getLatent())
    return emitOpError("without a decoder, the output is the latent");
  return mlir::success();
}

/// Checks that a connection names a dream.encoder, that a dream connection
/// or a decoded sleep connection has a decoder, and that the connection
/// keeps the hidden state's type.
template <typename ConnectionOp>
static mlir::LogicalResult
verifyConnection(ConnectionOp op, mlir::SymbolTableCollection &symbols,
                 bool needsDecoder) {
  auto encoder = symbols.lookupNearestSymbolFrom<EncoderOp>(
      op.getOperation(), op.getEncoderAttr());
  if (!encoder)
    return op.emitOpError("refers to ")
           << op.getEncoderAttr() << ", which is not a dream.encoder";
  if ((needsDecoder || op.getDecoded()) && !encoder.getDecode()) {
    mlir::InFlightDiagnostic diag = op.emitOpError("needs an autoencoder, but ")
                                    << op.getEncoderAttr() << " has no decoder";
    diag.attachNote(encoder.getLoc()) << "the encoder is declared here";
    return diag;
  }
  if (op.getInput().getType() != op.getResult().getType())
    return op.emitOpError("must keep the hidden state's type ")
           << op.getInput().getType();
  return mlir::success();
}

mlir::LogicalResult
SleepOp::verifySymbolUses(mlir::SymbolTableCollection &symbols) {
  return verifyConnection(*this, symbols, /*needsDecoder=*/false);
}

mlir::LogicalResult
DreamOp::verifySymbolUses(mlir::SymbolTableCollection &symbols) {
  return verifyConnection(*this, symbols, /*needsDecoder=*/true);
}

mlir::LogicalResult
EncodeOp::verifySymbolUses(mlir::SymbolTableCollection &symbols) {
  auto encoder = symbols.lookupNearestSymbolFrom<EncoderOp>(getOperation(),
                                                             getEncoderAttr());
  if (!encoder)
    return emitOpError("refers to ")
           << getEncoderAttr() << ", which is not a dream.encoder";
  if (getInput().getType() != encoder.getInput() ||
      getResult().getType() != encoder.getLatent())
    return emitOpError("must take the encoder's input ")
           << encoder.getInput() << " to its latent " << encoder.getLatent();
  return mlir::success();
}

mlir::LogicalResult FusedOp::verify() {
  mlir::Block &body = getBody().front();
  if (body.getNumArguments() != getOperands().size())
    return emitOpError("has ") << getOperands().size()
                               << " operands but its region takes "
                               << body.getNumArguments();
  for (auto [operand, argument] : llvm::zip(getOperands(), body.getArguments()))
    if (operand.getType() != argument.getType())
      return emitOpError("operand type ")
             << operand.getType() << " does not match region argument type "
             << argument.getType();
  auto yield = mlir::cast<YieldOp>(body.getTerminator());
  if (yield.getValue().getType() != getResult().getType())
    return emitOpError("yields ") << yield.getValue().getType()
                                  << " but returns " << getResult().getType();
  for (mlir::Operation &op : body.without_terminator())
    if (!op.hasTrait<trait::Pointwise>() && !op.hasTrait<trait::Normalization>())
      return op.emitOpError("cannot be part of a fused region: only "
                            "pointwise and normalisation ops can");
  return mlir::success();
}

mlir::LogicalResult AddOp::verify() {
  if (getOperands().empty())
    return emitOpError("needs at least one operand");
  return mlir::success();
}

mlir::OpFoldResult AddOp::fold(FoldAdaptor) {
  // A sum of one tensor is that tensor.
  if (getOperands().size() == 1)
    return getOperands().front();
  return {};
}

#define GET_OP_CLASSES
#include "dream/Dialect/DreamOps.cpp.inc"
