//===- Hover.cpp - What the compiler knows about a name -------------------===//

#include "Hover.h"

#include "dream/Sema/Cost.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <set>

using namespace dream;
using namespace dream::lsp;

/// Instances listed in one hover at most; more only repeat the pattern.
static constexpr size_t kMaxInstancesShown = 8;

static std::string batchedTensor(const TensorType &type) {
  std::string text = type.str();
  text.insert(text.find('[') + 1, type.shape.empty() ? "N" : "N, ");
  return text;
}

std::string lsp::batched(const ValueType &type) {
  if (!type.isTuple)
    return batchedTensor(type.single());
  std::string text = "(";
  for (size_t i = 0; i < type.elements.size(); ++i)
    text += (i ? ", " : "") + batchedTensor(type.elements[i]);
  return text + ")";
}

/// "1,234,567".
static std::string withCommas(int64_t value) {
  std::string digits = std::to_string(value), text;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-')
      text += ',';
    text += digits[i];
  }
  return text;
}

/// "12.3 MFLOPs".
static std::string flopsText(int64_t flops) {
  const char *prefixes[] = {"", "k", "M", "G", "T"};
  double value = static_cast<double>(flops);
  int prefix = 0;
  while (value >= 1000 && prefix < 4) {
    value /= 1000;
    ++prefix;
  }
  return prefix ? llvm::formatv("{0:f1} {1}FLOPs", value, prefixes[prefix])
                : withCommas(flops) + " FLOPs";
}

static std::string costText(const Cost &cost) {
  return "parameters: " + withCommas(cost.trainable) + " trainable, " +
         withCommas(cost.frozen) + " frozen; " + flopsText(cost.flops) +
         " per sample";
}

static std::string argumentsText(const ArgMap &args) {
  std::string text;
  for (const auto &[name, value] : args)
    text += (text.empty() ? "" : ", ") + name + " = " + value.str();
  return text;
}

/// "chain(ch = 64)": an instance by its bound parameters.
static std::string instanceName(const BlockInstance &instance) {
  return instance.decl->name + "(" + argumentsText(instance.params) + ")";
}

static std::string shapeLine(const ValueType &type) {
  return "`" + type.str() + "` per sample, `" + batched(type) +
         "` with the batch";
}

/// Where a declaration is, for a reader: "file.dream:12".
static std::string placeOf(Location loc) {
  return loc.file.str() + ":" + std::to_string(loc.line);
}

/// A value or a statement: its type, or its types by instance.
static std::optional<std::string> valueHover(const DocumentIndex &index,
                                             const Occurrence &occurrence) {
  auto types = index.typesOf(occurrence);
  if (types.empty())
    return std::nullopt;
  std::string text = "`" + occurrence.name + "`: ";
  if (types.size() == 1)
    return text + shapeLine(types.front().type);
  text += std::to_string(types.size()) + " shapes, by instance of `" +
          occurrence.body->name + "`:\n";
  for (size_t i = 0; i < types.size() && i < kMaxInstancesShown; ++i)
    text += "\n- `" + instanceName(*types[i].instances.front()) +
            "`: " + shapeLine(types[i].type);
  return text;
}

/// One application of a stage in one instance of its block.
static std::string stageLine(const Stage &stage, const StageInfo &info,
                             const BlockInstance &owner) {
  std::string text;
  switch (info.kind) {
  case StageInfo::Kind::Op:
    text =
        "`" + info.op->signature.name + "(" + argumentsText(info.args) + ")`";
    break;
  case StageInfo::Kind::Block:
    text = "`" + instanceName(*info.blocks.front()) + "`";
    if (info.blocks.size() > 1)
      text += " " + std::to_string(info.blocks.size()) + " times";
    break;
  case StageInfo::Kind::Encode:
    text = "encoder `" + info.connection.encoder->decl->name + "`";
    break;
  case StageInfo::Kind::Connection: {
    const ConnectionInfo &connection = info.connection;
    // In a library block an encoder parameter is known at its call sites
    // only, and so are the adapters.
    if (!connection.encoder) {
      text = std::string(connection.isDream ? "dream" : "sleep") + " (" +
             argumentsText(connection.options) +
             "): its encoder and adapters are known where the block is applied";
      break;
    }
    text = std::string(connection.isDream ? "dream" : "sleep") + " through `" +
           connection.encoder->decl->name + "` (" +
           argumentsText(connection.options) + "); adapters in `" +
           connection.in.kind + "` (" + withCommas(connection.in.parameters) +
           " parameters), out `" + connection.out.kind + "` (" +
           withCommas(connection.out.parameters) + " parameters)";
    break;
  }
  }
  if (const ValueType *input = stageInput(stage, owner))
    text += ": `" + input->str() + "` → `" + info.output.str() + "`";
  text += ", `" + batched(info.output) + "` with the batch\n\n" +
          costText(costOf(stage, owner));
  return text;
}

/// What the stage was resolved to in each instance of its block.
static std::string stageHover(const DocumentIndex &index,
                              const Occurrence &occurrence) {
  std::string text;
  size_t shown = 0, total = 0;
  std::set<std::string> seen;
  for (const BlockInstance *owner : index.instancesOf(occurrence.body)) {
    auto info = owner->stages.find(occurrence.stage);
    if (info == owner->stages.end())
      continue;
    std::string line = stageLine(*occurrence.stage, info->second, *owner);
    if (!seen.insert(line).second)
      continue;
    ++total;
    if (shown++ < kMaxInstancesShown)
      text += "\n\n" + line;
  }
  if (total > kMaxInstancesShown)
    text += "\n\n(" + std::to_string(total - kMaxInstancesShown) +
            " more instances)";
  return text;
}

/// A block or network declaration: its signature and where it is declared.
static std::string blockHeader(const BlockDecl &decl) {
  std::string params;
  for (const Param &param : decl.params)
    params += (params.empty() ? "" : ", ") + param.name + ": " + param.kind;
  return "**" + std::string(decl.isNetwork ? "network" : "block") + "** `" +
         decl.name + "(" + params + ")`, " + placeOf(decl.loc);
}

static std::string encoderHover(const DocumentIndex &index,
                                const EncoderDecl &decl) {
  std::string text =
      "**" + std::string(decl.isAutoencoder ? "autoencoder" : "encoder") +
      "** `" + decl.name + "`, " + placeOf(decl.loc);
  const EncoderInstance *instance = index.instanceOf(&decl);
  if (!instance)
    return text;
  text += "\n\nreads `" + instance->input.str() + "`, encodes to `" +
          instance->latent.str() + "`";
  if (instance->decoder)
    text += ", reconstructs `" + instance->output.str() + "`";
  Cost cost = costOf(*instance->encoder);
  if (instance->decoder) {
    Cost decoder = costOf(*instance->decoder);
    cost.trainable += decoder.trainable;
    cost.frozen += decoder.frozen;
    cost.flops += decoder.flops;
  }
  int64_t params = cost.trainable + cost.frozen;
  text += "\n\n" + withCommas(params) + " parameters, " +
          (instance->frozen ? "frozen" : "trainable") + "; " +
          flopsText(cost.flops) + " per sample to encode" +
          (instance->decoder ? " and decode" : "");
  return text;
}

/// A declared block or network: each instance with its result and cost.
static std::string declarationHover(const DocumentIndex &index,
                                    const BlockDecl &decl) {
  std::string text = blockHeader(decl);
  auto instances = index.instancesOf(&decl);
  for (size_t i = 0; i < instances.size() && i < kMaxInstancesShown; ++i) {
    const BlockInstance &instance = *instances[i];
    text += "\n\n`" + instanceName(instance) + "`";
    if (instance.decl->isNetwork &&
        &instance != index.document().program().network)
      continue;
    text += " → `" + instance.result.str() + "`, `" + batched(instance.result) +
            "` with the batch\n\n" + costText(costOf(instance));
  }
  if (instances.size() > kMaxInstancesShown)
    text += "\n\n(" + std::to_string(instances.size() - kMaxInstancesShown) +
            " more instances)";
  return text;
}

/// A block, an encoder or an op named anywhere: what the name stands for.
static std::optional<std::string> symbolHover(const DocumentIndex &index,
                                              llvm::StringRef name) {
  if (const Symbol *symbol = index.resolve(name)) {
    if (symbol->encoder)
      return encoderHover(index, *symbol->encoder);
    return blockHeader(*symbol->block);
  }
  if (const OpSpec *op = lookupOp(name))
    return "**op** `" + op->signature.str() + "`: " + op->summary;
  return std::nullopt;
}

/// The values a parameter takes in the instances of its block.
static std::string parameterHover(const DocumentIndex &index,
                                  const BlockDecl &body, llvm::StringRef name) {
  std::string text =
      "**parameter** `" + name.str() + "` of `" + body.name + "`";
  std::set<std::string> values;
  for (const BlockInstance *instance : index.instancesOf(&body))
    if (auto it = instance->params.find(name.str());
        it != instance->params.end())
      values.insert(it->second.str());
  if (!values.empty())
    text += " = " + llvm::join(values, ", ");
  return text;
}

std::optional<std::string> lsp::hoverText(const DocumentIndex &index,
                                          const Occurrence &occurrence) {
  using Kind = Occurrence::Kind;
  switch (occurrence.kind) {
  case Kind::Binding:
  case Kind::Value:
  case Kind::Collect:
    return valueHover(index, occurrence);
  case Kind::Callee:
  case Kind::Connection: {
    std::optional<std::string> what =
        occurrence.kind == Kind::Connection
            ? std::optional<std::string>("**" + occurrence.name +
                                         "** connection")
            : symbolHover(index, occurrence.name);
    if (!occurrence.stage)
      return what;
    return what.value_or("`" + occurrence.name + "`") +
           stageHover(index, occurrence);
  }
  case Kind::Declaration:
    if (occurrence.encoder)
      return encoderHover(index, *occurrence.encoder);
    if (const Symbol *symbol = index.resolve(occurrence.name);
        symbol && symbol->block)
      return declarationHover(index, *symbol->block);
    return std::nullopt;
  case Kind::Trained:
    if (const Symbol *symbol = index.resolve(occurrence.name);
        symbol && symbol->block)
      return declarationHover(index, *symbol->block);
    return std::nullopt;
  case Kind::Parameter:
    return parameterHover(index, *occurrence.body, occurrence.name);
  case Kind::Word:
    if (occurrence.body)
      for (const Param &param : occurrence.body->params)
        if (param.name == occurrence.name)
          return parameterHover(index, *occurrence.body, occurrence.name);
    return symbolHover(index, occurrence.name);
  case Kind::Import: {
    auto it = index.document().program().imports.find(occurrence.import);
    if (it == index.document().program().imports.end())
      return std::nullopt;
    return "`" + occurrence.name + "`: " + it->second->path;
  }
  }
  return std::nullopt;
}
