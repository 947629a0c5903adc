//===- Generator.cpp - Random valid .dream networks -----------------------===//
//
// A network is written top-down: an input of a random kind and size, a few
// steps that each transform the current value `h` (a chain of registry
// ops, a block applied or repeated, a branch merged by a tuple op, a sleep
// or dream connection, an encoder applied directly), values gathered with
// `collect`, and a head that brings each result to [classes]. Every value's
// type is tracked with the registry's shape rules while the text is
// written, so every step is chosen where it fits.
//
//===----------------------------------------------------------------------===//

#include "Generator.h"

#include "dream/Ops/Registry.h"
#include "dream/Sema/Sema.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

using namespace dream;
using namespace dream::smith;

namespace {

//===--- Randomness -------------------------------------------------------===//

/// splitmix64, written out: std's distributions differ between standard
/// libraries, and a seed must name the same network everywhere.
class Random {
public:
  explicit Random(uint64_t seed) : state(seed) {}

  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// An integer in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(next() % uint64_t(hi - lo + 1));
  }
  bool chance(double p) { return double(next() >> 11) * 0x1.0p-53 < p; }
  template <typename T> const T &pick(const std::vector<T> &items) {
    return items[next() % items.size()];
  }
  template <typename T> void shuffle(std::vector<T> &items) {
    for (size_t i = items.size(); i > 1; --i)
      std::swap(items[i - 1], items[next() % i]);
  }
  /// A size from 1 to `max`: half of the draws at most 4, since small
  /// sizes (1 above all) are where shape arithmetic goes wrong.
  int64_t size(int64_t max) {
    return chance(0.5) ? between(1, std::min<int64_t>(4, max))
                       : between(1, max);
  }

private:
  uint64_t state;
};

//===--- Types and spellings ----------------------------------------------===//

std::string joined(const std::vector<int64_t> &dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? ", " : "") + std::to_string(dims[i]);
  return text;
}

/// How a type is declared: `image[1, 28, 28]`, `tokens[len: 8, vocab: 50]`.
std::string typeSpelling(const TensorType &type) {
  if (type.isTokens())
    return "tokens[len: " + std::to_string(type.shape[0]) +
           ", vocab: " + std::to_string(type.vocab) + "]";
  const char *kind = type.rank() == 3   ? "image"
                     : type.rank() == 2 ? "sequence"
                                        : "tensor";
  return std::string(kind) + "[" + joined(type.shape) + "]";
}

bool isFloat(const TensorType &type) { return !type.isTokens(); }

/// The divisors of `n` up to `max`.
std::vector<int64_t> divisors(int64_t n, int64_t max) {
  std::vector<int64_t> result;
  for (int64_t d = 1; d <= std::min(n, max); ++d)
    if (n % d == 0)
      result.push_back(d);
  return result;
}

//===--- Adapters ---------------------------------------------------------===//

/// The parameters of the adapter Sema plans from `from` to `to` for the
/// connection option `adapter`, or nullopt where there is none. Mirrors
/// planAdapter (lib/Sema/Connections.cpp) and the table of docs/language.md,
/// "Adapters"; a divergence is a network Sema rejects, which dream-smith
/// reports.
std::optional<int64_t> adapterParams(const TensorType &from,
                                     const TensorType &to,
                                     const std::string &adapter) {
  if (from.isTokens())
    return from == to ? std::optional<int64_t>(0) : std::nullopt;
  if (to.isTokens()) {
    if (from.rank() != 2 || from.shape[0] != to.shape[0])
      return std::nullopt;
    return from.shape[1] * to.vocab + to.vocab;
  }
  if (from == to)
    return 0;
  bool sameRank = from.rank() == to.rank();
  if (sameRank && from.rank() <= 2 &&
      std::equal(from.shape.begin(), from.shape.end() - 1, to.shape.begin()))
    return from.shape.back() * to.shape.back() + to.shape.back();
  if (sameRank && from.rank() == 3) {
    int64_t c = from.shape[0], h = from.shape[1], w = from.shape[2];
    int64_t oc = to.shape[0], oh = to.shape[1], ow = to.shape[2];
    if (h == oh && w == ow)
      return c * oc + oc;
    if (oh % h == 0 && ow % w == 0 && oh / h == ow / w) {
      int64_t s = oh / h;
      return adapter == "deconv" ? c * s * s * oc + oc : c * oc + oc;
    }
    if (h % oh == 0 && w % ow == 0 && h / oh == w / ow) {
      int64_t s = h / oh;
      return c * s * s * oc + oc;
    }
  }
  if (adapter != "auto")
    return std::nullopt;
  return from.elementCount() * to.elementCount() + to.elementCount();
}

//===--- Ops and chains ---------------------------------------------------===//

/// An int parameter of the block or network being written: where an
/// argument takes its value, the generator may write its name instead.
struct Param {
  std::string name;
  int64_t value;
};

/// One primitive op applied: every argument bound (defaults included, as
/// the shape rule reads them) and the call as written.
struct OpCall {
  const OpSpec *spec;
  ArgMap args;
  std::string text;
  TensorType result;
};

/// ` -> a -> b(...)`: stages applied to a value, and the type they end in.
struct Chain {
  std::string text;
  TensorType type;
  /// The ops in order, to apply the chain again to another type (a
  /// repeated block); empty when it applies blocks too.
  std::vector<OpCall> ops;
  bool replayable = true;
};

/// A value written with an argument's spelling.
struct Choice {
  ConstValue value;
  std::string text;
};

/// A declared block that keeps its input's type, which chains may apply.
struct PreservingBlock {
  std::string call;
  TensorType type;
};

/// A declared encoder or autoencoder.
struct EncoderInfo {
  std::string name;
  bool autoencoder;
  TensorType input, latent, output;
};

/// A block that emits, applied by the network: `collect` gathers `count`
/// values of `type` from it.
struct Emitter {
  std::string name;
  int64_t count;
  TensorType type;
};

/// The statements of a block or network body while it is written.
struct Body {
  std::vector<Param> params;
  std::vector<std::string> lines;
  int values = 0;

  std::string fresh(const std::string &stem) {
    return stem + std::to_string(values++);
  }
  void let(const std::string &name, const std::string &expr) {
    lines.push_back(name + " = " + expr);
  }
};

/// Which result types of an op a caller takes.
using Accept = std::function<bool(const TensorType &)>;

class Generator {
public:
  Generator(uint64_t seed, const Limits &limits) : rng(seed), limits(limits) {
    for (const OpSpec &spec : allOps())
      (spec.arity == kVariadic ? tupleOps : unaryOps).push_back(&spec);
  }

  std::string network();

private:
  // Arguments and ops.
  std::optional<Choice> drawInt(const ParamSpec &param,
                                llvm::ArrayRef<TensorType> inputs,
                                const Body &body);
  std::optional<Choice> drawFloat(const ParamSpec &param);
  std::optional<Choice> drawList(const TensorType &input);
  std::optional<Choice> draw(const ParamSpec &param,
                             llvm::ArrayRef<TensorType> inputs,
                             const Body &body);
  std::optional<OpCall> tryOp(const OpSpec &spec,
                              llvm::ArrayRef<TensorType> inputs,
                              const Body &body, const Accept &accept);
  std::optional<OpCall> pickOp(const std::vector<const OpSpec *> &ops,
                               llvm::ArrayRef<TensorType> inputs,
                               const Body &body, const Accept &accept);
  std::optional<OpCall> fixedOp(const char *name, const TensorType &input,
                                const ArgMap &given, const std::string &text);
  bool fits(const TensorType &type) const;
  Chain chain(const TensorType &input, int length, bool preserve, Body &body);
  std::optional<TensorType> replay(const Chain &chain, TensorType type) const;
  std::string head(const TensorType &input, Body &body);

  // Blocks.
  std::vector<Param> blockParams();
  std::string callOf(const std::string &name, const std::vector<Param> &params,
                     size_t withDefaults);
  std::string declareBlock(const std::string &name,
                           const std::vector<Param> &params,
                           size_t withDefaults, std::optional<TensorType> input,
                           const Body &body, const std::string &result,
                           const std::string &extraParams = "");
  int64_t repeatCount(const TensorType &type);

  // Encoders and connections.
  TensorType encoderInputFor(const TensorType &hidden);
  std::optional<EncoderInfo> makeEncoder(const TensorType &hidden,
                                         bool autoencoder);
  std::string pretraining(const EncoderInfo &info, int64_t firstEmbed);
  std::optional<std::string> connectionOptions(const EncoderInfo &encoder,
                                               const TensorType &hidden,
                                               bool dream, bool decoded);
  void keepSharingSound(const std::string &adapters, std::string plannedFrom,
                        std::vector<std::pair<std::string, std::string>> &written);
  std::optional<std::pair<std::string, EncoderInfo>>
  connection(const TensorType &hidden, bool dream);

  // Network steps; each returns false where it does not fit `h`.
  bool chainStep(Body &body, std::string &h, TensorType &type);
  bool blockStep(Body &body, std::string &h, TensorType &type);
  bool residualStep(Body &body, std::string &h, TensorType &type);
  bool branchStep(Body &body, std::string &h, TensorType &type);
  bool connectionStep(Body &body, std::string &h, TensorType &type);
  bool connectionBlockStep(Body &body, std::string &h, TensorType &type);
  bool encodeStep(Body &body, std::string &h, TensorType &type);
  bool splitJoinStep(Body &body, std::string &h, TensorType &type);
  void collectStep(Body &body);

  TensorType inputType();
  std::string recipe(int64_t classes);

  Random rng;
  Limits limits;
  std::vector<const OpSpec *> unaryOps, tupleOps;
  std::vector<std::string> declarations;
  std::vector<PreservingBlock> preserving;
  std::vector<EncoderInfo> encoders;
  std::vector<Emitter> emitters;
  /// What each encoder's shared sleep or dream adapters are planned from
  /// (keepSharingSound).
  std::map<std::string, std::string> sharedAdapters;
  /// Values beside `h` that the head also brings to [classes].
  std::vector<std::pair<std::string, TensorType>> sides;
  int names = 0;
  bool importsVision = false;
};

//===--- Arguments --------------------------------------------------------===//

std::optional<Choice> Generator::drawInt(const ParamSpec &param,
                                         llvm::ArrayRef<TensorType> inputs,
                                         const Body &body) {
  ValueRange range = param.range.value_or(ValueRange{});
  // A parameter in scope, or arithmetic on one, where its value fits.
  if (!body.params.empty() && rng.chance(0.3)) {
    const Param &p = rng.pick(body.params);
    std::vector<Choice> spelled = {
        {ConstValue::ofInt(p.value), p.name},
        {ConstValue::ofInt(p.value * 2), p.name + " * 2"},
        {ConstValue::ofInt(p.value + 1), p.name + " + 1"}};
    const Choice &choice = rng.pick(spelled);
    if (range.contains(double(choice.value.intValue)))
      return choice;
  }
  // Small numbers, and the sizes of the input and their divisors: where
  // shape rules ask for a divisor or an equal size.
  std::vector<int64_t> candidates = {-1, 0, 1, 1, 2, 2, 3, 4, 5, 7, 8, 16};
  for (const TensorType &input : inputs)
    for (int64_t dim : input.shape)
      for (int64_t d : divisors(dim, 64))
        candidates.push_back(d);
  std::vector<int64_t> allowed;
  for (int64_t c : candidates)
    if (range.contains(double(c)))
      allowed.push_back(c);
  if (allowed.empty())
    return std::nullopt;
  int64_t value = rng.pick(allowed);
  return Choice{ConstValue::ofInt(value), std::to_string(value)};
}

std::optional<Choice> Generator::drawFloat(const ParamSpec &param) {
  ValueRange range = param.range.value_or(ValueRange{});
  std::vector<double> allowed;
  for (double c : {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1e-5, 1e-3, 1.0, 2.0})
    if (range.contains(c))
      allowed.push_back(c);
  if (allowed.empty())
    return std::nullopt;
  ConstValue value = ConstValue::ofFloat(rng.pick(allowed));
  return Choice{value, value.str()};
}

/// A list of ints with the input's element count (what `reshape` asks),
/// in one to three factors.
std::optional<Choice> Generator::drawList(const TensorType &input) {
  int64_t left = input.elementCount();
  std::vector<int64_t> dims;
  int factors = static_cast<int>(rng.between(1, 3));
  for (int i = 1; i < factors; ++i) {
    int64_t d = rng.pick(divisors(left, left));
    dims.push_back(d);
    left /= d;
  }
  dims.push_back(left);
  ConstValue list;
  list.kind = ConstValue::Kind::List;
  for (int64_t d : dims)
    list.items.push_back(ConstValue::ofInt(d));
  return Choice{list, "[" + joined(dims) + "]"};
}

std::optional<Choice> Generator::draw(const ParamSpec &param,
                                      llvm::ArrayRef<TensorType> inputs,
                                      const Body &body) {
  switch (param.kind) {
  case ParamKind::Int:
    return drawInt(param, inputs, body);
  case ParamKind::Float:
    return drawFloat(param);
  case ParamKind::Bool: {
    bool value = rng.chance(0.5);
    return Choice{ConstValue::ofBool(value), value ? "true" : "false"};
  }
  case ParamKind::Word: {
    if (param.choices.empty())
      return std::nullopt;
    const std::string &word = rng.pick(param.choices);
    return Choice{ConstValue::ofWord(word), word};
  }
  case ParamKind::IntList:
    return drawList(inputs.front());
  default:
    // No primitive takes strings, encoders or pairs; one that did would be
    // generated with its default only.
    return std::nullopt;
  }
}

//===--- Ops --------------------------------------------------------------===//

bool Generator::fits(const TensorType &type) const {
  return type.known && type.rank() >= 1 &&
         type.elementCount() <= limits.maxElements;
}

/// The op `spec` applied to `inputs` with drawn arguments, written
/// positionally for a leading run and by name after it; nullopt if no draw
/// gives a type that the shape rule, the limits and `accept` all take.
std::optional<OpCall> Generator::tryOp(const OpSpec &spec,
                                       llvm::ArrayRef<TensorType> inputs,
                                       const Body &body, const Accept &accept) {
  const auto &params = spec.signature.params;
  for (int attempt = 0; attempt < 6; ++attempt) {
    ArgMap args;
    std::vector<std::string> written(params.size());
    bool bound = true;
    for (size_t i = 0; i < params.size() && bound; ++i) {
      const ParamSpec &param = params[i];
      std::optional<Choice> choice;
      if (!param.defaultValue || rng.chance(0.6))
        choice = draw(param, inputs, body);
      if (choice) {
        args[param.name] = choice->value;
        written[i] = choice->text;
      } else if (param.defaultValue) {
        args[param.name] = *param.defaultValue;
      } else {
        bound = false;
      }
    }
    if (!bound)
      return std::nullopt;
    ShapeResult result = spec.infer(args, inputs);
    if (!result.type || !fits(*result.type) || !accept(*result.type))
      continue;
    std::string text, separator;
    bool positional = rng.chance(0.7);
    for (size_t i = 0; i < params.size(); ++i) {
      positional = positional && !written[i].empty();
      if (written[i].empty())
        continue;
      text +=
          separator + (positional ? "" : params[i].name + ": ") + written[i];
      separator = ", ";
    }
    std::string call = spec.signature.name;
    if (!text.empty() || rng.chance(0.2))
      call += "(" + text + ")";
    return OpCall{&spec, args, call, *result.type};
  }
  return std::nullopt;
}

/// The first of `ops`, in random order, that applies to `inputs` with a
/// result `accept` takes.
std::optional<OpCall> Generator::pickOp(const std::vector<const OpSpec *> &ops,
                                        llvm::ArrayRef<TensorType> inputs,
                                        const Body &body,
                                        const Accept &accept) {
  std::vector<const OpSpec *> order = ops;
  rng.shuffle(order);
  for (const OpSpec *spec : order) {
    if (inputs.size() < spec->minInputs)
      continue;
    if (auto call = tryOp(*spec, inputs, body, accept))
      return call;
  }
  return std::nullopt;
}

/// Op `name` with the arguments `given` (the others at their defaults),
/// written as `text`: the glue of heads and decoders.
std::optional<OpCall> Generator::fixedOp(const char *name,
                                         const TensorType &input,
                                         const ArgMap &given,
                                         const std::string &text) {
  const OpSpec *spec = lookupOp(name);
  ArgMap args = given;
  for (const ParamSpec &param : spec->signature.params)
    if (!args.count(param.name) && param.defaultValue)
      args[param.name] = *param.defaultValue;
  ShapeResult result = spec->infer(args, {input});
  if (!result.type)
    return std::nullopt;
  return OpCall{spec, args, text, *result.type};
}

/// Up to `length` stages from `input`: registry ops (with `preserve`,
/// only those that keep the type) and, now and then, a declared block
/// that keeps the type.
Chain Generator::chain(const TensorType &input, int length, bool preserve,
                       Body &body) {
  Chain result{"", input, {}, true};
  for (int i = 0; i < length; ++i) {
    std::vector<const PreservingBlock *> blocks;
    for (const PreservingBlock &block : preserving)
      if (block.type == result.type)
        blocks.push_back(&block);
    if (!blocks.empty() && rng.chance(0.15)) {
      result.text += " -> " + rng.pick(blocks)->call;
      result.replayable = false;
      continue;
    }
    TensorType current = result.type;
    auto call = pickOp(unaryOps, {current}, body, [&](const TensorType &type) {
      return !preserve || type == current;
    });
    if (!call)
      break;
    result.text += " -> " + call->text;
    result.type = call->result;
    result.ops.push_back(*call);
  }
  return result;
}

/// The type `chain`'s ops give when applied to `type`, if they apply.
std::optional<TensorType> Generator::replay(const Chain &chain,
                                            TensorType type) const {
  if (!chain.replayable)
    return std::nullopt;
  for (const OpCall &call : chain.ops) {
    ShapeResult result = call.spec->infer(call.args, {type});
    if (!result.type || !fits(*result.type))
      return std::nullopt;
    type = *result.type;
  }
  return type;
}

/// ` -> ... -> dense(classes)`: embeds tokens, reduces the rank to one
/// with a registry op that does (flatten if none is drawn) and maps to the
/// classes.
std::string Generator::head(const TensorType &input, Body &body) {
  std::string text;
  TensorType type = input;
  if (type.isTokens()) {
    auto embed = pickOp({lookupOp("embed")}, {type}, body,
                        [](const TensorType &) { return true; });
    if (!embed)
      embed =
          fixedOp("embed", type, {{"dim", ConstValue::ofInt(4)}}, "embed(4)");
    text += " -> " + embed->text;
    type = embed->result;
  }
  if (type.rank() > 1) {
    auto reduce = pickOp(unaryOps, {type}, body, [](const TensorType &t) {
      return !t.isTokens() && t.rank() == 1;
    });
    if (!reduce)
      reduce = fixedOp("flatten", type, {}, "flatten");
    text += " -> " + reduce->text;
  }
  return text + " -> dense(classes)";
}

//===--- Blocks -----------------------------------------------------------===//

/// Zero to two int parameters for a new block.
std::vector<Param> Generator::blockParams() {
  std::vector<Param> params;
  int count = static_cast<int>(rng.between(0, 2));
  for (int i = 0; i < count; ++i)
    params.push_back({"p" + std::to_string(i), rng.size(16)});
  return params;
}

/// How a block is applied: its arguments, positional or named, the last
/// `withDefaults` parameters left to their defaults now and then.
std::string Generator::callOf(const std::string &name,
                              const std::vector<Param> &params,
                              size_t withDefaults) {
  std::string args, separator;
  bool named = rng.chance(0.3);
  for (size_t i = 0; i < params.size(); ++i) {
    bool hasDefault = i + withDefaults >= params.size();
    if (hasDefault && rng.chance(0.5)) {
      named = true; // Positional arguments cannot follow a gap.
      continue;
    }
    args += separator + (named ? params[i].name + ": " : "") +
            std::to_string(params[i].value);
    separator = ", ";
  }
  if (args.empty())
    return rng.chance(0.5) ? name : name + "()";
  return name + "(" + args + ")";
}

/// Writes `block NAME(params) { input h  BODY  return RESULT }`; the last
/// `withDefaults` parameters default to their values. `input`, the type
/// of every call's input if all have one, may be declared. Returns the
/// call.
std::string Generator::declareBlock(const std::string &name,
                                    const std::vector<Param> &params,
                                    size_t withDefaults,
                                    std::optional<TensorType> input,
                                    const Body &body, const std::string &result,
                                    const std::string &extraParams) {
  std::string text = "block " + name;
  std::string list = extraParams;
  for (size_t i = 0; i < params.size(); ++i) {
    list += std::string(list.empty() ? "" : ", ") + params[i].name + ": int";
    if (i + withDefaults >= params.size())
      list += " = " + std::to_string(params[i].value);
  }
  if (!list.empty() || rng.chance(0.3))
    text += "(" + list + ")";
  text += " {\n    input h";
  // A typed input is checked against every call.
  if (input && rng.chance(0.25))
    text += " : " + typeSpelling(*input);
  text += "\n";
  for (const std::string &line : body.lines)
    text += "    " + line + "\n";
  text += "    return " + result + "\n}\n";
  declarations.push_back(text);
  return callOf(name, params, withDefaults);
}

/// How many times a block is repeated: mostly 1 to 3, now and then up to
/// the language's limit where the value is small enough for that to stay
/// cheap.
int64_t Generator::repeatCount(const TensorType &type) {
  if (type.elementCount() <= 256 && rng.chance(0.1))
    return rng.between(4, kMaxRepeat);
  return rng.between(1, 3);
}

std::string repeatText(int64_t count) {
  return "repeat(" + std::to_string(count) + ") ";
}

//===--- Encoders ---------------------------------------------------------===//

/// The input type of a new encoder for hidden state `hidden`: the same, or
/// one an adapter reaches (other channels or features, an integer scale,
/// tokens of the same length), or now and then one only `auto` reaches.
TensorType Generator::encoderInputFor(const TensorType &hidden) {
  TensorType input = hidden;
  if (rng.chance(0.1))
    return TensorType::floats({rng.size(3), rng.size(8), rng.size(8)});
  if (hidden.rank() == 2 && rng.chance(0.4))
    return TensorType::tokens(hidden.shape[0], rng.between(2, 40));
  if (hidden.rank() <= 2 && rng.chance(0.6))
    input.shape.back() = rng.size(16);
  if (hidden.rank() == 3) {
    if (rng.chance(0.5))
      input.shape[0] = rng.size(4);
    int64_t s = rng.between(1, 3);
    if (rng.chance(0.5)) {
      input.shape[1] *= s;
      input.shape[2] *= s;
    } else if (input.shape[1] % s == 0 && input.shape[2] % s == 0) {
      input.shape[1] /= s;
      input.shape[2] /= s;
    }
  }
  return fits(input) ? input : hidden;
}

/// A new encoder (or autoencoder) for hidden state `hidden`, declared with
/// its blocks: an encoder drawn from the registry's ops, a decoder that
/// maps the latent back (flatten, dense, reshape), and how it is trained.
std::optional<EncoderInfo> Generator::makeEncoder(const TensorType &hidden,
                                                  bool autoencoder) {
  EncoderInfo info;
  info.name = (autoencoder ? "ae" : "enc") + std::to_string(names++);
  info.autoencoder = autoencoder;
  info.input = encoderInputFor(hidden);
  Body encoderBody;
  Chain encode = chain(info.input, static_cast<int>(rng.between(1, 3)),
                       /*preserve=*/false, encoderBody);
  if (encode.text.empty() || !isFloat(encode.type))
    return std::nullopt;
  info.latent = encode.type;
  int64_t firstEmbed = 0;
  if (!encode.ops.empty() && encode.ops.front().spec->signature.name == "embed")
    firstEmbed = encode.ops.front().args.at("dim").intValue;

  std::string item = "encoder  ";
  bool stdlib = autoencoder && info.input.rank() == 3 && isFloat(info.input) &&
                info.input.shape[1] % 4 == 0 && info.input.shape[2] % 4 == 0 &&
                rng.chance(0.3);
  if (stdlib) {
    // std.vision's pair: two stride-2 convolutions and two deconvolutions.
    int64_t width = rng.size(8), latent = rng.size(8);
    importsVision = true;
    info.latent = TensorType::floats(
        {latent, info.input.shape[1] / 4, info.input.shape[2] / 4});
    info.output = info.input;
    item += "conv_encoder(width: " + std::to_string(width) +
            ", latent: " + std::to_string(latent) + ")\n    decoder  " +
            "conv_decoder(width: " + std::to_string(width) +
            ", out: " + std::to_string(info.input.shape[0]) + ")";
  } else {
    item += declareBlock(info.name + "_encoder", {}, 0, info.input, encoderBody,
                         "h" + encode.text);
  }
  if (autoencoder && !stdlib) {
    info.output =
        info.input.isTokens()
            ? TensorType::floats({info.input.shape[0], info.input.vocab})
            : info.input;
    int64_t n = info.output.elementCount();
    if (n * info.latent.elementCount() > limits.maxAdapterParams)
      return std::nullopt;
    Body decoderBody;
    Chain keep = chain(info.latent, static_cast<int>(rng.between(0, 2)),
                       /*preserve=*/true, decoderBody);
    std::string result =
        "h" + keep.text + " -> flatten -> dense(" + std::to_string(n) + ")";
    if (info.output.rank() > 1)
      result += " -> reshape([" + joined(info.output.shape) + "])";
    item += "\n    decoder  " + declareBlock(info.name + "_decoder", {}, 0,
                                             info.latent, decoderBody, result);
  }
  std::string text = std::string(autoencoder ? "autoencoder " : "encoder ") +
                     info.name + " {\n    input    " +
                     typeSpelling(info.input) + "\n    " + item + "\n" +
                     pretraining(info, firstEmbed) + "}\n";
  declarations.push_back(text);
  encoders.push_back(info);
  return info;
}

/// The encoder's `pretrain`, `weights`, `frozen` and `trainable` items: a
/// pre-training kind that fits its input and decoder (docs/language.md,
/// "Encoders and autoencoders"), random weights kept on purpose, or
/// training with the network.
std::string Generator::pretraining(const EncoderInfo &info,
                                   int64_t firstEmbed) {
  std::vector<std::string> kinds;
  if (info.input.isTokens()) {
    // Scores over the vocabulary from the decoder, or from the latent
    // times the embedding table (which needs [L, width]).
    bool tied = info.latent.rank() == 2 &&
                info.latent.shape[0] == info.input.shape[0] &&
                info.latent.shape[1] == firstEmbed;
    if (info.autoencoder || tied)
      kinds.push_back("masked_tokens(ratio: 0.25, epochs: 1)");
  } else if (info.autoencoder) {
    kinds.push_back("masked(ratio: 0.5, epochs: 1)");
    kinds.push_back("reconstruct(epochs: 1)");
    kinds.push_back("reconstruct");
  }
  std::string items;
  int way = static_cast<int>(rng.between(0, 3));
  if (way == 0 && !kinds.empty()) {
    items += "    pretrain " + rng.pick(kinds) + "\n";
    if (rng.chance(0.3))
      items += rng.chance(0.5) ? "    frozen\n" : "    trainable\n";
    return items;
  }
  if (way == 1) {
    items += "    weights  \"random\"\n";
    if (rng.chance(0.3))
      items += "    frozen\n";
    return items;
  }
  if (way == 2) {
    // Given weights (`check` does not read them), and a decoder trained
    // on top of them.
    items += "    weights  \"" + info.name + ".safetensors\"\n";
    if (info.autoencoder && rng.chance(0.6))
      items += "    pretrain decode(epochs: 1)\n";
    return items;
  }
  return "    trainable\n";
}

/// The options of a connection from `hidden` through `encoder`, written
/// `, adapter: ...`, chosen so that Sema finds both adapters (and their
/// parameters stay within the limits); nullopt if no adapter option does.
std::optional<std::string>
Generator::connectionOptions(const EncoderInfo &encoder,
                             const TensorType &hidden, bool dream,
                             bool decoded) {
  const TensorType &back = dream || decoded ? encoder.output : encoder.latent;
  std::vector<std::string> adapters = {"deconv", "upsample", "auto"};
  rng.shuffle(adapters);
  for (const std::string &adapter : adapters) {
    auto in = adapterParams(hidden, encoder.input, adapter);
    auto out = adapterParams(back, hidden, adapter);
    if (!in || !out || *in + *out > limits.maxAdapterParams)
      continue;
    // The default adapter, deconv, may go unsaid.
    std::vector<std::pair<std::string, std::string>> written;
    if (adapter != "deconv" || rng.chance(0.5))
      written.emplace_back("adapter", adapter);
    const Signature &signature = connectionSignature(dream);
    for (const ParamSpec &option : signature.params) {
      if (option.name == "encoder" || option.name == "adapter")
        continue;
      if (option.name == "returns") {
        if (decoded || rng.chance(0.2))
          written.emplace_back("returns", decoded ? "decoded" : "latents");
        continue;
      }
      if (rng.chance(0.3))
        written.emplace_back(option.name, rng.pick(option.choices));
    }
    keepSharingSound(encoder.name + (dream ? ".dream" : ".sleep"),
                     hidden.str() + " " + adapter + (decoded ? " decoded" : ""),
                     written);
    std::string text;
    for (const auto &[name, word] : written)
      text += ", " + name + ": " + word;
    return text;
  }
  return std::nullopt;
}

/// Connections that share their adapters (`share: shared`) through one
/// encoder must need the same ones (Sema's checkSharedAdapters): `shared`
/// becomes `per_block` where the set of adapters `adapters` (the encoder's
/// sleep or dream ones) would be planned from something else than for the
/// first connection sharing it. `plannedFrom` names the hidden type and
/// the adapter options; the bridge is added here.
void Generator::keepSharingSound(
    const std::string &adapters, std::string plannedFrom,
    std::vector<std::pair<std::string, std::string>> &written) {
  auto option = [&](const char *name) {
    return std::find_if(written.begin(), written.end(),
                        [&](const auto &item) { return item.first == name; });
  };
  auto share = option("share");
  if (share == written.end() || share->second != "shared")
    return;
  auto bridge = option("bridge");
  plannedFrom += " " + (bridge == written.end() ? "argmax" : bridge->second);
  auto [first, isFirst] = sharedAdapters.try_emplace(adapters, plannedFrom);
  if (!isFirst && first->second != plannedFrom)
    share->second = "per_block";
}

/// `sleep(E, ...)` or `dream(A, ...)` for hidden state `hidden`, through
/// an encoder declared before that fits or a new one.
std::optional<std::pair<std::string, EncoderInfo>>
Generator::connection(const TensorType &hidden, bool dream) {
  if (!isFloat(hidden))
    return std::nullopt;
  bool decoded = !dream && rng.chance(0.25);
  std::vector<EncoderInfo> candidates;
  for (const EncoderInfo &encoder : encoders)
    if (encoder.autoencoder || !(dream || decoded))
      candidates.push_back(encoder);
  rng.shuffle(candidates);
  if (rng.chance(0.4) || candidates.empty())
    for (int attempt = 0; attempt < 3; ++attempt)
      if (auto made =
              makeEncoder(hidden, dream || decoded || rng.chance(0.5))) {
        candidates.insert(candidates.begin(), *made);
        break;
      }
  for (const EncoderInfo &encoder : candidates) {
    auto options = connectionOptions(encoder, hidden, dream, decoded);
    if (!options)
      continue;
    std::string first =
        rng.chance(0.2) ? "encoder: " + encoder.name : encoder.name;
    return std::make_pair(std::string(dream ? "dream(" : "sleep(") + first +
                              *options + ")",
                          encoder);
  }
  return std::nullopt;
}

//===--- Network steps ----------------------------------------------------===//

/// `h = h -> op -> op ...`
bool Generator::chainStep(Body &body, std::string &h, TensorType &type) {
  Chain c = chain(type, static_cast<int>(rng.between(1, 4)), false, body);
  if (c.text.empty())
    return false;
  std::string next = body.fresh("h");
  body.let(next, h + c.text);
  h = next;
  type = c.type;
  return true;
}

/// A block of registry ops, applied once, or repeated when applying it to
/// its own result gives that result again.
bool Generator::blockStep(Body &body, std::string &h, TensorType &type) {
  std::vector<Param> params = blockParams();
  Body inner;
  inner.params = params;
  Chain c = chain(type, static_cast<int>(rng.between(1, 4)), false, inner);
  if (c.text.empty())
    return false;
  std::string name = "b" + std::to_string(names++);
  size_t withDefaults = static_cast<size_t>(rng.between(0, params.size()));
  bool repeats = replay(c, c.type) == c.type && rng.chance(0.5);
  // A repetition after the first reads the block's result type.
  std::optional<TensorType> input;
  if (!repeats || c.type == type)
    input = type;
  std::string call =
      declareBlock(name, params, withDefaults, input, inner, "h" + c.text);
  std::string next = body.fresh("h");
  body.let(next, h + " -> " + (repeats ? repeatText(repeatCount(c.type)) : "") +
                     call);
  h = next;
  type = c.type;
  return true;
}

/// `block r { input h  a = h -> ...  return (h + a) -> ... }`, repeated;
/// it keeps the type, so later chains may apply it too.
bool Generator::residualStep(Body &body, std::string &h, TensorType &type) {
  if (!isFloat(type))
    return false;
  std::vector<Param> params = blockParams();
  Body inner;
  inner.params = params;
  Chain c = chain(type, static_cast<int>(rng.between(1, 3)), true, inner);
  if (c.text.empty())
    return false;
  inner.let("a", "h" + c.text);
  Chain after = chain(type, static_cast<int>(rng.between(0, 1)), true, inner);
  std::string name = "r" + std::to_string(names++);
  std::string call =
      declareBlock(name, params, 0, type, inner, "(h + a)" + after.text);
  preserving.push_back({call, type});
  std::string next = body.fresh("h");
  body.let(next, h + " -> " + repeatText(repeatCount(type)) + call);
  h = next;
  return true;
}

/// Two values joined by a registry op that takes a tuple (`sum`,
/// `concat`, ...) or by `+`.
bool Generator::branchStep(Body &body, std::string &h, TensorType &type) {
  Chain first = chain(type, static_cast<int>(rng.between(1, 2)), false, body);
  if (first.text.empty() || !isFloat(first.type))
    return false;
  Chain second = chain(first.type, static_cast<int>(rng.between(0, 2)),
                       /*preserve=*/true, body);
  std::string a = body.fresh("a"), b = body.fresh("b");
  std::string joined = a + " + " + b;
  TensorType result = first.type;
  if (rng.chance(0.7)) {
    auto join = pickOp(tupleOps, {first.type, first.type}, body,
                       [](const TensorType &) { return true; });
    if (!join)
      return false;
    joined = "(" + a + ", " + b + ") -> " + join->text;
    result = join->result;
  }
  body.let(a, h + first.text);
  body.let(b, a + second.text);
  h = body.fresh("h");
  body.let(h, joined);
  type = result;
  return true;
}

/// `h = h + h -> sleep(E, ...)` (or a dream) in the network body.
bool Generator::connectionStep(Body &body, std::string &h, TensorType &type) {
  auto conn = connection(type, rng.chance(0.4));
  if (!conn)
    return false;
  std::string next = body.fresh("h");
  body.let(next, h + " + " + h + " -> " + conn->first);
  h = next;
  return true;
}

/// The paper's sleep or dream block, repeated: a chain beside the
/// connection, added; a dream block emits its dream for `collect`. Now and
/// then the encoder is the block's `encoder` parameter.
bool Generator::connectionBlockStep(Body &body, std::string &h,
                                    TensorType &type) {
  bool dream = rng.chance(0.5);
  auto conn = connection(type, dream);
  if (!conn)
    return false;
  Body inner;
  Chain local = chain(type, static_cast<int>(rng.between(1, 3)), true, inner);
  inner.let("local", "h" + local.text);
  std::string connection = conn->first;
  std::string extra;
  const std::string &encoder = conn->second.name;
  bool viaParam = rng.chance(0.3);
  if (viaParam) {
    extra = "phi: encoder";
    size_t at = connection.find(encoder);
    connection.replace(at, encoder.size(), "phi");
  }
  inner.let("c", "h -> " + connection);
  bool emits = dream && rng.chance(0.7);
  if (emits)
    inner.lines.push_back("emit c");
  Chain after = chain(type, static_cast<int>(rng.between(0, 1)), true, inner);
  std::string name =
      (dream ? "dream_block" : "sleep_block") + std::to_string(names++);
  std::string call =
      declareBlock(name, {}, 0, type, inner, "(local + c)" + after.text, extra);
  if (viaParam)
    call = name + "(" + (rng.chance(0.5) ? "phi: " : "") + encoder + ")";
  int64_t count = repeatCount(type);
  std::string next = body.fresh("h");
  body.let(next, h + " -> " + repeatText(count) + call);
  if (emits)
    emitters.push_back({name, count, type});
  h = next;
  return true;
}

/// `h = h -> E`: an encoder applied as a layer, where `h` has its input
/// type.
bool Generator::encodeStep(Body &body, std::string &h, TensorType &type) {
  for (const EncoderInfo &encoder : encoders) {
    if (encoder.input != type)
      continue;
    std::string next = body.fresh("h");
    body.let(next, h + " -> " + encoder.name);
    h = next;
    type = encoder.latent;
    return true;
  }
  return false;
}

/// A block that returns a tuple of two branches, piped into a block of two
/// inputs that joins them with `+` or a registry op that takes a tuple.
bool Generator::splitJoinStep(Body &body, std::string &h, TensorType &type) {
  if (!isFloat(type))
    return false;
  Body split;
  Chain left = chain(type, static_cast<int>(rng.between(0, 2)), true, split);
  Chain right = chain(type, static_cast<int>(rng.between(1, 2)), true, split);
  std::string splitCall =
      declareBlock("split" + std::to_string(names++), {}, 0, type, split,
                   "(h" + left.text + ", h" + right.text + ")");
  Body join;
  std::string joined = "a + b";
  TensorType result = type;
  if (rng.chance(0.6)) {
    auto op = pickOp(tupleOps, {type, type}, join,
                     [](const TensorType &) { return true; });
    if (!op)
      return false;
    joined = "(a, b) -> " + op->text;
    result = op->result;
  }
  std::string name = "join" + std::to_string(names++);
  declarations.push_back("block " + name + " {\n    input a\n    input b\n" +
                         "    return " + joined + "\n}\n");
  std::string next = body.fresh("h");
  body.let(next, h + " -> " + splitCall + " -> " + name);
  h = next;
  type = result;
  return true;
}

/// `d = collect(B) -> sum` (or another tuple op) for a block that emitted:
/// a value the head also reads.
void Generator::collectStep(Body &body) {
  for (const Emitter &emitter : emitters) {
    std::vector<TensorType> tuple(static_cast<size_t>(emitter.count),
                                  emitter.type);
    auto join =
        pickOp(tupleOps, tuple, body, [](const TensorType &) { return true; });
    if (!join)
      continue;
    std::string name = body.fresh("d");
    body.let(name, "collect(" + emitter.name + ") -> " + join->text);
    sides.push_back({name, join->result});
  }
}

//===--- The network ------------------------------------------------------===//

/// An image, sequence, token or tensor input of random size, from 1 up.
TensorType Generator::inputType() {
  int kind = static_cast<int>(rng.between(0, 9));
  if (kind < 4)
    return TensorType::floats({rng.size(4), rng.size(16), rng.size(16)});
  if (kind < 6)
    return TensorType::floats({rng.size(12), rng.size(16)});
  if (kind < 8)
    return TensorType::tokens(rng.size(12), rng.between(2, 50));
  std::vector<int64_t> dims;
  int rank = static_cast<int>(rng.between(1, 4));
  for (int i = 0; i < rank; ++i)
    dims.push_back(rng.size(8));
  return TensorType::floats(dims);
}

/// A `train` recipe: a preset, a seed, the network's classes given again;
/// `check` runs from the recipe's seed.
std::string Generator::recipe(int64_t classes) {
  std::string text = "\ntrain Smith";
  if (rng.chance(0.5))
    text += "(classes: " + std::to_string(classes) + ")";
  text += " {\n    epochs 1\n";
  if (rng.chance(0.5))
    text += "    seed   " + std::to_string(rng.between(0, 1000)) + "\n";
  if (rng.chance(0.5))
    text += "    preset " +
            rng.pick(std::vector<std::string>{"default", "paper", "code"}) +
            "\n";
  return text + "}\n";
}

std::string Generator::network() {
  int64_t classes = rng.chance(0.15) ? 1 : rng.between(2, 12);
  TensorType input = inputType(), type = input;
  Body body;
  body.params.push_back({"classes", classes});
  std::string params = "classes: int = " + std::to_string(classes);
  if (rng.chance(0.4)) {
    int64_t width = rng.size(16);
    body.params.push_back({"width", width});
    params += ", width: int = " + std::to_string(width);
  }
  using Step = bool (Generator::*)(Body &, std::string &, TensorType &);
  static const std::vector<Step> all = {
      &Generator::chainStep,           &Generator::chainStep,
      &Generator::blockStep,           &Generator::residualStep,
      &Generator::branchStep,          &Generator::connectionStep,
      &Generator::connectionBlockStep, &Generator::connectionBlockStep,
      &Generator::encodeStep,          &Generator::splitJoinStep};
  std::string h = "x";
  int steps = static_cast<int>(rng.between(1, limits.maxSteps));
  for (int i = 0; i < steps; ++i)
    // A step that does not fit the current value gives way to another.
    for (int tries = 0; tries < 3; ++tries)
      if ((this->*rng.pick(all))(body, h, type))
        break;
  collectStep(body);
  std::string result = "(" + h + head(type, body) + ")";
  for (const auto &[name, sideType] : sides)
    result += " + (" + name + head(sideType, body) + ")";

  std::string text = "// Written by dream-smith.\n";
  if (importsVision)
    text += "import std.vision\n";
  for (const std::string &declaration : declarations)
    text += "\n" + declaration;
  text += "\nnetwork Smith(" + params +
          ") {\n    input x : " + typeSpelling(input) + "\n";
  for (const std::string &line : body.lines)
    text += "    " + line + "\n";
  text += "    return " + result + "\n}\n";
  if (rng.chance(0.3))
    text += recipe(classes);
  return text;
}

} // namespace

std::string dream::smith::generateNetwork(uint64_t seed, const Limits &limits) {
  return Generator(seed, limits).network();
}
