//===- InlineBlocks.cpp - Block applications become straight-line code ----===//
//
// Each application of a block owns its parameters, as each instance of an
// nn.Module does. MLIRGen names a block's parameters relative to the block
// (`conv_0.weight`) and marks every call with its scope (`chain_1`); this
// pass inlines calls, renaming what it inlines so that names are paths
// (`dream_block_2.chain_0.conv_0.weight`) that the runtime and checkpoints
// use.
//
//===----------------------------------------------------------------------===//

#include "dream/Dialect/DreamAttributes.h"
#include "dream/Dialect/DreamDialect.h"
#include "dream/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/InliningUtils.h"

namespace dream {
#define GEN_PASS_DEF_INLINEBLOCKS
#include "dream/Transforms/Passes.h.inc"
} // namespace dream

using namespace dream;

namespace {

/// Renames the parameters and nested scopes of a clone of the callee for
/// the call it is about to replace.
void applyScope(mlir::func::FuncOp body, mlir::func::CallOp call) {
  auto scope = call->getAttrOfType<mlir::StringAttr>(kScopeAttr);
  bool frozen = call->hasAttr(kFrozenCallAttr);
  auto masking = call->getAttrOfType<MaskingAttr>(kMaskingAttr);
  std::string prefix = scope ? scope.str() + "." : "";
  mlir::Builder builder(call.getContext());
  body.walk([&](mlir::Operation *op) {
    if (auto param = mlir::dyn_cast<ParamOp>(op)) {
      if (!param.getGlobal())
        param.setName(prefix + param.getName().str());
      if (frozen)
        param.setFrozen(true);
      return;
    }
    // A dream's name, like a parameter's, says which block instance.
    if (auto observe = mlir::dyn_cast<ObserveOp>(op)) {
      observe.setName(prefix + observe.getName().str());
      return;
    }
    // Ops of a frozen encoder run in evaluation mode (dropout off, batch
    // norm on running statistics) even while the network trains.
    if (frozen && mlir::isa<DreamDialect>(op->getDialect()))
      op->setAttr(kFrozenOpAttr, builder.getUnitAttr());
    if (auto mask = mlir::dyn_cast<MaskOp>(op)) {
      if (masking && !mask.getMaskingAttr())
        mask.setMaskingAttr(masking);
      return;
    }
    // Nested calls and connections carry scopes relative to this body.
    auto inner = op->getAttrOfType<mlir::StringAttr>(kScopeAttr);
    if (inner && !op->hasAttr(kAbsoluteScopeAttr))
      op->setAttr(kScopeAttr, builder.getStringAttr(prefix + inner.str()));
    // A call without a scope (an encoder's own part calling its block)
    // names its parameters as part of the body that makes it.
    if (!inner && scope && mlir::isa<mlir::func::CallOp>(op))
      op->setAttr(kScopeAttr, scope);
    if (frozen && mlir::isa<mlir::func::CallOp>(op))
      op->setAttr(kFrozenCallAttr, builder.getUnitAttr());
    if (masking && mlir::isa<mlir::func::CallOp>(op) &&
        !op->hasAttr(kMaskingAttr))
      op->setAttr(kMaskingAttr, masking);
  });
}

struct InlineBlocksPass : public impl::InlineBlocksBase<InlineBlocksPass> {
  void runOnOperation() override {
    mlir::ModuleOp module = getOperation();
    mlir::SymbolTable symbols(module);
    mlir::InlinerInterface interface(&getContext());
    // Encoder functions first: they stand alone for pre-training, and the
    // connections that call them must find them complete and named.
    for (auto encoder : module.getOps<EncoderOp>()) {
      for (auto [part, kind] :
           {std::pair(encoder.getEncodeAttr(), "encoder"),
            std::pair(encoder.getDecodeAttr(), "decoder")}) {
        if (!part)
          continue;
        auto function = symbols.lookup<mlir::func::FuncOp>(part.getValue());
        if (!function || mlir::failed(inlineAll(function, symbols, interface)))
          return signalPassFailure();
        nameEncoderPart(function, encoder, kind);
      }
    }
    for (auto function : module.getOps<mlir::func::FuncOp>())
      if (function.isPublic() &&
          mlir::failed(inlineAll(function, symbols, interface)))
        return signalPassFailure();
    module->setAttr(kEncoderCallsAttr,
                    mlir::Builder(&getContext()).getI64IntegerAttr(encoderCalls));
  }

  /// An encoder's function, or the copy of one that takes a distribution
  /// (not the copies of the blocks it calls).
  bool isEncodeFunction(mlir::func::FuncOp function) {
    if (!function)
      return false;
    if (auto of = function->getAttrOfType<mlir::FlatSymbolRefAttr>(
            kSoftInputOfAttr))
      return isEncodeFunction(
          mlir::SymbolTable::lookupNearestSymbolFrom<mlir::func::FuncOp>(
              function, of));
    for (auto encoder : getOperation().getOps<EncoderOp>())
      if (function && encoder.getEncode() == function.getSymName())
        return true;
    return false;
  }

  int64_t encoderCalls = 0;

  /// Inlines calls until none is left: inlining exposes the callee's calls.
  /// Blocks cannot be recursive (Sema), so this ends.
  mlir::LogicalResult inlineAll(mlir::func::FuncOp function,
                                mlir::SymbolTable &symbols,
                                mlir::InlinerInterface &interface) {
    while (true) {
      llvm::SmallVector<mlir::func::CallOp> calls;
      function.walk([&](mlir::func::CallOp call) { calls.push_back(call); });
      if (calls.empty())
        return mlir::success();
      for (mlir::func::CallOp call : calls)
        if (mlir::failed(inlineOne(call, symbols, interface)))
          return mlir::failure();
    }
  }

  /// Names an encoder function's parameters `<encoder>.<kind>.<name>` and
  /// freezes them as its calls would, then makes the names global so that
  /// connections inlining the function keep them: all connections share
  /// one encoder.
  void nameEncoderPart(mlir::func::FuncOp function, EncoderOp encoder,
                       llvm::StringRef kind) {
    mlir::OpBuilder builder(function);
    auto call = builder.create<mlir::func::CallOp>(
        function.getLoc(), function, mlir::ValueRange{});
    call->setAttr(kScopeAttr,
                  builder.getStringAttr(encoder.getSymName() + "." + kind));
    if (encoder.getFrozen())
      call->setAttr(kFrozenCallAttr, builder.getUnitAttr());
    applyScope(function, call);
    call.erase();
    function.walk([](ParamOp param) { param.setGlobal(true); });
  }

  mlir::LogicalResult inlineOne(mlir::func::CallOp call,
                                mlir::SymbolTable &symbols,
                                mlir::InlinerInterface &interface) {
    auto callee = symbols.lookup<mlir::func::FuncOp>(call.getCallee());
    // The cost report counts the encoder runs of one network evaluation.
    if (call->getParentOfType<mlir::func::FuncOp>().isPublic() &&
        isEncodeFunction(callee))
      ++encoderCalls;
    if (!callee || callee.isExternal())
      return call.emitOpError("calls ")
             << call.getCalleeAttr() << ", which has no body to inline";
    mlir::func::FuncOp body = callee.clone();
    applyScope(body, call);
    mlir::LogicalResult result = mlir::inlineCall(
        interface, call, body, &body.getBody(),
        /*shouldCloneInlinedRegion=*/false);
    body.erase();
    if (mlir::failed(result))
      return call.emitOpError("could not be inlined");
    call.erase();
    return mlir::success();
  }
};

} // namespace
