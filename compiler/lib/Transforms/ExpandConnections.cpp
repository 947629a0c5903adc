//===- ExpandConnections.cpp - Sleep/dream connections to explicit ops ----===//
//
// A connection h -> out(φ(in(h))) becomes: the in adapter Sema planned, a
// call of the encoder's function (and of the decoder's for a dream or a
// decoded sleep), for a dream an observe op naming the reconstruction (what
// `trainer dream` draws), an optional stop_gradient, and the out adapter. The
// adapters are ordinary primitives built by buildPrimitive, so they get
// parameters, shape checks and (later) fusion like everything else.
//
//===----------------------------------------------------------------------===//

#include "dream/Dialect/DreamAttributes.h"
#include "dream/Dialect/DreamDialect.h"
#include "dream/Dialect/PrimitiveBuilder.h"
#include "dream/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace dream {
#define GEN_PASS_DEF_EXPANDCONNECTIONS
#include "dream/Transforms/Passes.h.inc"
} // namespace dream

using namespace dream;

namespace {

/// Builds the adapters of one connection.
class AdapterBuilder {
public:
  AdapterBuilder(mlir::OpBuilder &builder, mlir::Location loc,
                 std::string scope, bool global)
      : builder(builder), loc(loc), scope(std::move(scope)), global(global) {}

  /// Adapts `value` (of language type `from`) to `to` with adapter `kind`
  /// and `stride`, as Sema planned them.
  mlir::Value adapt(mlir::Value value, const TensorType &from,
                    const TensorType &to, Adapter kind, int64_t stride,
                    llvm::StringRef side) {
    std::string prefix = scope + "." + side.str();
    auto build = [&](llvm::StringRef primitive, ArgMap args, mlir::Value in,
                     const TensorType &inType, llvm::StringRef name) {
      return buildPrimitive(builder, loc, primitive, std::move(args), {in},
                            {inType}, prefix + name.str(), global);
    };
    auto ints = [](std::initializer_list<std::pair<const char *, int64_t>>
                       items) {
      ArgMap args;
      for (auto [name, value] : items)
        args[name] = ConstValue::ofInt(value);
      return args;
    };
    switch (kind) {
    case Adapter::Identity:
      return value;
    case Adapter::Conv:
      return build("conv",
                   ints({{"out", to.shape[0]}, {"k", stride},
                         {"stride", stride}, {"pad", 0}}),
                   value, from, "");
    case Adapter::Deconv:
      return build("deconv",
                   ints({{"out", to.shape[0]}, {"k", stride},
                         {"stride", stride}, {"pad", 0}}),
                   value, from, "");
    case Adapter::UpsampleConv: {
      mlir::Value up = build("upsample", ints({{"factor", stride}}), value,
                             from, ".upsample");
      TensorType upType = TensorType::floats(
          {from.shape[0], from.shape[1] * stride, from.shape[2] * stride});
      return build("conv",
                   ints({{"out", to.shape[0]}, {"k", 1}, {"stride", 1},
                         {"pad", 0}}),
                   up, upType, "");
    }
    case Adapter::Dense:
      return dense(value, from, to, build);
    case Adapter::BridgeArgmax:
    case Adapter::BridgeSoft:
    case Adapter::BridgeStraightThrough: {
      // Scores over the encoder's vocabulary, then per position the most
      // likely token (the paper's argmax: no gradient passes), the softmax
      // distribution, or the one-hot token with softmax's gradient. The
      // last two reach the encoder as distributions (softInputVariant).
      TensorType scores = TensorType::floats({from.shape[0], to.vocab});
      mlir::Value logits =
          build("dense", ints({{"out", to.vocab}}), value, from, "");
      llvm::StringRef choice =
          stringifyAdapter(kind).drop_front(llvm::StringRef("bridge_").size());
      return build(choice == "soft" ? "softmax" : choice, {}, logits, scores,
                   "." + choice.str());
    }
    }
    llvm_unreachable("every adapter is expanded above");
  }

private:
  template <typename Build>
  mlir::Value dense(mlir::Value value, const TensorType &from,
                    const TensorType &to, Build &build) {
    bool lastDimOnly =
        from.rank() == to.rank() && from.rank() <= 2 &&
        std::equal(from.shape.begin(), from.shape.end() - 1, to.shape.begin());
    ArgMap out;
    if (lastDimOnly) {
      out["out"] = ConstValue::ofInt(to.shape.back());
      return build("dense", out, value, from, "");
    }
    // Everything to everything: flatten, dense, reshape.
    TensorType flat = TensorType::floats({from.elementCount()});
    mlir::Value flattened = build("flatten", {}, value, from, ".flatten");
    out["out"] = ConstValue::ofInt(to.elementCount());
    mlir::Value mapped = build("dense", out, flattened, flat, "");
    ArgMap shape;
    shape["shape"].kind = ConstValue::Kind::List;
    for (int64_t dim : to.shape)
      shape["shape"].items.push_back(ConstValue::ofInt(dim));
    return build("reshape", shape, mapped,
                 TensorType::floats({to.elementCount()}), ".reshape");
  }

  mlir::OpBuilder &builder;
  mlir::Location loc;
  std::string scope;
  bool global;
};

/// The language type of a batched tensor type, with the vocabulary of a
/// token input restored from the encoder.
TensorType languageType(mlir::Type type, std::optional<int64_t> vocab) {
  TensorType result = *fromMLIRType(type);
  if (result.isTokens() && vocab)
    result.vocab = *vocab;
  return result;
}

/// Whether `type` is [L, V] scores over the vocabulary of a token encoder.
bool isScoresOverVocabulary(mlir::Type type, EncoderOp encoder) {
  std::optional<int64_t> vocab = encoder.getVocab();
  auto scores = mlir::dyn_cast<mlir::RankedTensorType>(type);
  return vocab && scores && scores.getRank() == 3 &&
         scores.getShape().back() == *vocab;
}

/// A copy of `function` whose token argument `index` is a distribution
/// [L, V] over the vocabulary instead, created once next to it: what the
/// differentiable bridges call. The tokens' embed ops then take the
/// expectation of their table, so gradients reach the bridge; block calls
/// that receive the tokens get such copies too. Null (with an error at
/// `loc`) if the tokens go anywhere else.
mlir::func::FuncOp softInputVariant(mlir::func::FuncOp function,
                                    unsigned index, mlir::Type distribution,
                                    mlir::Location loc) {
  std::string name = function.getSymName().str() + ".soft_input" +
                     (index ? std::to_string(index) : "");
  auto module = function->getParentOfType<mlir::ModuleOp>();
  if (auto existing = module.lookupSymbol<mlir::func::FuncOp>(name))
    return existing;
  mlir::OpBuilder builder(function);
  builder.setInsertionPointAfter(function);
  auto variant = mlir::cast<mlir::func::FuncOp>(builder.clone(*function));
  variant.setSymName(name);
  variant->setAttr(kSoftInputOfAttr, mlir::FlatSymbolRefAttr::get(function));
  mlir::BlockArgument tokens = variant.getArgument(index);
  tokens.setType(distribution);
  llvm::SmallVector<mlir::Type> inputs(function.getArgumentTypes());
  inputs[index] = distribution;
  variant.setFunctionType(builder.getFunctionType(
      inputs, function.getFunctionType().getResults()));
  for (mlir::OpOperand &use : tokens.getUses()) {
    mlir::Operation *user = use.getOwner();
    if (mlir::isa<EmbedOp>(user))
      continue;
    auto call = mlir::dyn_cast<mlir::func::CallOp>(user);
    mlir::func::FuncOp inner =
        call ? softInputVariant(
                   module.lookupSymbol<mlir::func::FuncOp>(call.getCallee()),
                   use.getOperandNumber(), distribution, loc)
             : nullptr;
    if (!inner) {
      if (!call)
        mlir::emitError(loc)
            << "a differentiable bridge feeds a distribution over the "
               "vocabulary into block '"
            << function.getSymName().split('.').first << "', which "
            << (mlir::isa<mlir::func::ReturnOp>(user)
                    ? std::string("returns its tokens")
                    : "passes its tokens to '" +
                          user->getName().getStringRef().str() + "'")
            << " instead of embedding them; use bridge: argmax";
      variant.erase();
      return nullptr;
    }
    call.setCallee(inner.getSymName());
  }
  return variant;
}

/// Calls one part ("encoder" or "decoder") of `encoder`: its parameters are
/// named once, after the encoder, wherever it is called.
mlir::Value callEncoderPart(mlir::OpBuilder &builder, mlir::Location loc,
                            EncoderOp encoder, mlir::FlatSymbolRefAttr callee,
                            mlir::Value arg, mlir::Type result,
                            llvm::StringRef part, MaskingAttr masking) {
  auto op = builder.create<mlir::func::CallOp>(loc, callee, result, arg);
  op->setAttr(kScopeAttr, builder.getStringAttr(encoder.getSymName().str() +
                                                "." + part.str()));
  op->setAttr(kAbsoluteScopeAttr, builder.getUnitAttr());
  if (encoder.getFrozen())
    op->setAttr(kFrozenCallAttr, builder.getUnitAttr());
  op->setAttr(kMaskingAttr, masking);
  return op.getResult(0);
}

/// `dream.encode`: the encoder alone, unmasked (it is the network's layer,
/// not a view of a hidden state).
mlir::LogicalResult expand(EncodeOp op) {
  auto encoder = mlir::SymbolTable::lookupNearestSymbolFrom<EncoderOp>(
      op, op.getEncoderAttr());
  if (!encoder)
    return op.emitOpError("refers to an unknown encoder");
  mlir::OpBuilder builder(op);
  mlir::Value latent = callEncoderPart(
      builder, op.getLoc(), encoder, encoder.getEncodeAttr(), op.getInput(),
      op.getType(), "encoder", builder.getAttr<MaskingAttr>(Masking::Off));
  op.replaceAllUsesWith(latent);
  op.erase();
  return mlir::success();
}

template <typename ConnectionOp>
mlir::LogicalResult expand(ConnectionOp connection, bool isDream) {
  ConnectionOp op = connection;
  auto encoder = mlir::SymbolTable::lookupNearestSymbolFrom<EncoderOp>(
      op, op.getEncoderAttr());
  if (!encoder)
    return op.emitOpError("refers to an unknown encoder");
  mlir::OpBuilder builder(op);
  mlir::Location loc = op.getLoc();
  bool shared = op.getShare() == Share::Shared;
  auto scopeAttr = op->template getAttrOfType<mlir::StringAttr>(kScopeAttr);
  std::string kind = isDream ? "dream" : "sleep";
  std::string scope = shared ? encoder.getSymName().str() + "." + kind +
                                   "_adapter"
                             : (scopeAttr ? scopeAttr.str() : kind);
  AdapterBuilder adapters(builder, loc, scope, shared);

  TensorType hidden = *fromMLIRType(op.getInput().getType());
  TensorType input = languageType(encoder.getInput(), encoder.getVocab());
  mlir::Value x = adapters.adapt(op.getInput(), hidden, input,
                                 op.getInAdapter(), op.getInStride(), "in");
  if (!x)
    return mlir::failure();

  auto call = [&](mlir::FlatSymbolRefAttr callee, mlir::Value arg,
                  mlir::Type result, llvm::StringRef part) {
    return callEncoderPart(builder, loc, encoder, callee, arg, result, part,
                           connection.getMaskingAttr());
  };
  mlir::FlatSymbolRefAttr encode = encoder.getEncodeAttr();
  if (input.isTokens() && !fromMLIRType(x.getType())->isTokens()) {
    auto variant = softInputVariant(
        mlir::SymbolTable::lookupNearestSymbolFrom<mlir::func::FuncOp>(
            encoder, encode),
        0, x.getType(), loc);
    if (!variant)
      return mlir::failure();
    encode = mlir::FlatSymbolRefAttr::get(variant);
  }
  mlir::Value y = call(encode, x, encoder.getLatent(), "encoder");
  mlir::Type yType = encoder.getLatent();
  if (isDream || op.getDecoded()) {
    y = call(encoder.getDecodeAttr(), y, encoder.getOutput(), "decoder");
    yType = encoder.getOutput();
  }
  // Named after the connection, shared adapters or not.
  if (isDream)
    y = builder.create<ObserveOp>(
        loc, y, scopeAttr ? scopeAttr : builder.getStringAttr(kind));
  // A text decoder's scores over the vocabulary enter the chain as a
  // distribution: summed by the dense out adapter, raw scores over 30,522
  // tokens give activations in the hundreds (a soft embedding of the
  // dreamed tokens instead).
  if (isScoresOverVocabulary(yType, encoder))
    y = builder.create<SoftmaxOp>(loc, y).getResult();
  if (op.getGrad() == Grad::Detach)
    y = builder.create<StopGradientOp>(loc, y).getResult();
  mlir::Value out =
      adapters.adapt(y, languageType(yType, std::nullopt), hidden,
                     op.getOutAdapter(), op.getOutStride(), "out");
  if (!out)
    return mlir::failure();
  op.replaceAllUsesWith(out);
  op.erase();
  return mlir::success();
}

struct ExpandConnectionsPass
    : public impl::ExpandConnectionsBase<ExpandConnectionsPass> {
  void runOnOperation() override {
    llvm::SmallVector<mlir::Operation *> connections;
    getOperation().walk([&](mlir::Operation *op) {
      if (mlir::isa<SleepOp, DreamOp, EncodeOp>(op))
        connections.push_back(op);
    });
    for (mlir::Operation *op : connections) {
      mlir::LogicalResult result =
          mlir::isa<EncodeOp>(op)  ? expand(mlir::cast<EncodeOp>(op))
          : mlir::isa<DreamOp>(op) ? expand(mlir::cast<DreamOp>(op), true)
                                   : expand(mlir::cast<SleepOp>(op), false);
      if (mlir::failed(result))
        return signalPassFailure();
    }
  }
};

} // namespace
