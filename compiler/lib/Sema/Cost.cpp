//===- Cost.cpp - What an op, a block or a network costs per sample -------===//

#include "dream/Sema/Cost.h"

#include <algorithm>
#include <set>

using namespace dream;

namespace {

/// The parameters an op owns, buffers left out.
int64_t ownedParameters(const OpSpec &op, const ArgMap &args,
                        const TensorType &input) {
  if (!op.params)
    return 0;
  int64_t count = 0;
  for (const ParamInfo &param : op.params(args, input)) {
    int64_t elements = 1;
    for (int64_t dim : param.shape)
      elements *= dim;
    count += param.buffer ? 0 : elements;
  }
  return count;
}

ArgMap ints(std::initializer_list<std::pair<const char *, int64_t>> items) {
  ArgMap args;
  for (auto [name, value] : items)
    args[name] = ConstValue::ofInt(value);
  return args;
}

/// The FLOPs of the primitive an adapter runs (ExpandConnections builds
/// it): a conv or deconv of kernel and stride `stride`, a 1x1 conv after
/// nearest upsampling, a dense map, or a token bridge's scores.
int64_t adapterFlops(const AdapterPlan &adapter) {
  const TensorType &from = adapter.from, &to = adapter.to;
  if (adapter.kind == "identity")
    return 0;
  if (adapter.kind == "conv")
    return opFlops("conv", ints({{"k", adapter.stride}}), from, to);
  if (adapter.kind == "deconv")
    return opFlops("deconv",
                   ints({{"k", adapter.stride}, {"out", to.shape[0]}}), from,
                   to);
  if (adapter.kind == "upsample_conv")
    return opFlops("conv", ints({{"k", 1}}), from, to);
  if (adapter.kind == "dense") {
    // Planned on the last dimension when the leading ones agree, else on
    // everything flattened (Connections.cpp).
    bool lastDimension =
        from.rank() == to.rank() && from.rank() <= 2 &&
        std::equal(from.shape.begin(), from.shape.end() - 1, to.shape.begin());
    return opFlops(
        "dense", {},
        lastDimension ? from : TensorType::floats({from.elementCount()}), to);
  }
  // A token bridge: scores over the encoder's vocabulary at each position.
  return opFlops("dense", {}, from,
                 TensorType::floats({from.shape[0], to.vocab}));
}

/// Sums costs over a tree of block instances, counting each encoder and
/// each shared adapter once.
class CostCounter {
public:
  Cost count(const Stage &stage, const BlockInstance &owner) {
    Cost cost;
    if (auto info = owner.stages.find(&stage); info != owner.stages.end())
      add(cost, info->second, stage, owner);
    return cost;
  }

  Cost count(const BlockInstance &instance) {
    Cost cost;
    for (const auto &[stage, info] : instance.stages)
      add(cost, info, *stage, instance);
    // `a + b` is one variadic add, one FLOP per output element.
    for (const auto &[expr, type] : instance.exprTypes)
      if (expr->kind == Expr::Kind::Add && !type.isTuple)
        cost.flops += type.single().elementCount();
    return cost;
  }

private:
  void add(Cost &cost, const StageInfo &info, const Stage &stage,
           const BlockInstance &owner) {
    switch (info.kind) {
    case StageInfo::Kind::Op:
      addOp(cost, info, stage, owner);
      return;
    case StageInfo::Kind::Block:
      for (const BlockInstance *block : info.blocks)
        merge(cost, count(*block));
      return;
    case StageInfo::Kind::Encode:
      addEncoder(cost, *info.connection.encoder, /*decoded=*/false);
      return;
    case StageInfo::Kind::Connection:
      addConnection(cost, info.connection);
      return;
    }
  }

  /// An op's input is what reaches its stage: the pipe's source or the
  /// previous stage's output.
  /// (A tuple's ops, concat and sum, read their first element's shape.)
  void addOp(Cost &cost, const StageInfo &info, const Stage &stage,
             const BlockInstance &owner) {
    const ValueType *input = stageInput(stage, owner);
    if (!input || input->elements.empty() || info.output.isTuple)
      return;
    const TensorType &first = input->elements.front();
    cost.trainable += ownedParameters(*info.op, info.args, first);
    cost.flops += opFlops(info.op->signature.name, info.args, first,
                          info.output.single());
  }

  void addConnection(Cost &cost, const ConnectionInfo &connection) {
    // A library block's connection through an encoder parameter costs what
    // its call sites give it; checked alone, nothing is known.
    if (!connection.encoder)
      return;
    bool decoded = connection.isDream ||
                   (connection.options.count("returns") &&
                    connection.options.at("returns").text == "decoded");
    if (!connection.sharesAdapters() ||
        sharedAdapters.insert(connection.encoder).second)
      cost.trainable += connection.in.parameters + connection.out.parameters;
    cost.flops += adapterFlops(connection.in) + adapterFlops(connection.out);
    addEncoder(cost, *connection.encoder, decoded);
  }

  /// The encoder's parts run every time; its parameters, an autoencoder's
  /// decoder's too (the plan holds them: they are pre-trained), count once,
  /// frozen or trainable as the encoder is declared.
  void addEncoder(Cost &cost, const EncoderInstance &encoder, bool decoded) {
    Cost encode = count(*encoder.encoder);
    std::optional<Cost> decode;
    if (encoder.decoder)
      decode = count(*encoder.decoder);
    cost.flops += encode.flops + (decoded && decode ? decode->flops : 0);
    if (!countedEncoders.insert(&encoder).second)
      return;
    int64_t params = encode.trainable + encode.frozen;
    if (decode)
      params += decode->trainable + decode->frozen;
    (encoder.frozen ? cost.frozen : cost.trainable) += params;
  }

  static void merge(Cost &into, const Cost &from) {
    into.trainable += from.trainable;
    into.frozen += from.frozen;
    into.flops += from.flops;
  }

  std::set<const EncoderInstance *> countedEncoders;
  std::set<const EncoderInstance *> sharedAdapters;
};

} // namespace

Cost dream::costOf(const BlockInstance &instance) {
  return CostCounter().count(instance);
}

Cost dream::costOf(const Stage &stage, const BlockInstance &owner) {
  return CostCounter().count(stage, owner);
}

const ValueType *dream::stageInput(const Stage &stage,
                                   const BlockInstance &owner) {
  for (const auto &[expr, type] : owner.exprTypes) {
    if (expr->kind != Expr::Kind::Pipe)
      continue;
    for (size_t i = 0; i < expr->stages.size(); ++i) {
      if (&expr->stages[i] != &stage)
        continue;
      if (i > 0) {
        auto previous = owner.stages.find(&expr->stages[i - 1]);
        return previous == owner.stages.end() ? nullptr
                                              : &previous->second.output;
      }
      auto source = owner.exprTypes.find(expr->operands.front().get());
      return source == owner.exprTypes.end() ? nullptr : &source->second;
    }
  }
  return nullptr;
}
