//===- Connections.cpp - Sleep and dream connections and their adapters --===//
//
// A connection takes the hidden state h of a chain block to an encoder's
// input (the "in" adapter), runs the encoder (and, for a dream, its
// decoder), and brings the result back to h's shape (the "out" adapter) so
// that it can be added to the chain. This file decides which adapter does
// each step and what it costs; the choices the paper leaves open are the
// connection's options (docs/language.md, "Connections").
//
//===----------------------------------------------------------------------===//

#include "Elaborate.h"

using namespace dream;

const Signature &dream::connectionSignature(bool isDream) {
  auto word = [](std::string name, std::vector<std::string> choices) {
    return ParamSpec{std::move(name), ParamKind::Word,
                     ConstValue::ofWord(choices.front()), std::move(choices)};
  };
  auto make = [&](bool dream) {
    Signature signature{dream ? "dream" : "sleep",
                        {{"encoder", ParamKind::Encoder, std::nullopt, {}},
                         word("adapter", {"deconv", "upsample", "auto"}),
                         word("share", {"per_block", "shared"})}};
    if (!dream)
      signature.params.push_back(word("returns", {"latents", "decoded"}));
    signature.params.push_back(word("grad", {"through", "detach"}));
    signature.params.push_back(word("masking", {"train", "always", "off"}));
    signature.params.push_back(
        word("bridge", {"argmax", "soft", "straight_through"}));
    return signature;
  };
  static const Signature sleep = make(false), dream = make(true);
  return isDream ? dream : sleep;
}

std::string AdapterPlan::str() const {
  std::string text = kind;
  if (stride > 1)
    text += "/" + std::to_string(stride);
  return text + " " + from.str() + "->" + to.str();
}

namespace {

/// Saturating parameter arithmetic: a cost report must not overflow.
int64_t affineParams(int64_t in, int64_t out) {
  double count = double(in) * double(out) + double(out);
  return count > 9e18 ? INT64_MAX : static_cast<int64_t>(count);
}

/// Plans one adapter. `kind` is the connection's adapter option, `bridge`
/// its bridge option (used when `to` is tokens). Sets `error` on failure.
AdapterPlan planAdapter(const TensorType &from, const TensorType &to,
                        llvm::StringRef kind, llvm::StringRef bridge,
                        std::string &error) {
  AdapterPlan plan;
  plan.from = from;
  plan.to = to;

  // Token ids are indices, not quantities: a dense or conv adapter would
  // compute with them as if they were.
  if (from.isTokens() && from != to) {
    error = "the encoder gives token ids " + from.str() +
            ", which no adapter can turn into " + to.str() +
            "; end the encoder with float activations (before its argmax)";
    return plan;
  }

  if (to.isTokens()) {
    // Hidden states [L, D] become token ids through scores over the
    // encoder's vocabulary (paper: softmax + argmax, which passes no
    // gradient; or a differentiable alternative).
    if (from.rank() != 2 || from.shape[0] != to.shape[0]) {
      error = "a token bridge maps a sequence [L, D] to " + to.str() +
              " with the same length, but the hidden state is " + from.str();
      return plan;
    }
    plan.kind = "bridge_" + bridge.str();
    plan.parameters = affineParams(from.shape[1], to.vocab);
    return plan;
  }

  if (from == to) {
    plan.kind = "identity";
    return plan;
  }

  bool sameRank = from.rank() == to.rank();
  // Sequences and vectors: a dense map of the last dimension, when the
  // leading dimensions agree.
  if (sameRank && from.rank() <= 2 &&
      std::equal(from.shape.begin(), from.shape.end() - 1, to.shape.begin())) {
    plan.kind = "dense";
    plan.parameters = affineParams(from.shape.back(), to.shape.back());
    return plan;
  }

  if (sameRank && from.rank() == 3) {
    int64_t c = from.shape[0], h = from.shape[1], w = from.shape[2];
    int64_t oc = to.shape[0], oh = to.shape[1], ow = to.shape[2];
    if (h == oh && w == ow) {
      plan.kind = "conv";
      plan.parameters = affineParams(c, oc);
      return plan;
    }
    bool up = oh % h == 0 && ow % w == 0 && oh / h == ow / w;
    bool down = h % oh == 0 && w % ow == 0 && h / oh == w / ow;
    if (up) {
      plan.stride = oh / h;
      bool deconv = kind == "deconv";
      plan.kind = deconv ? "deconv" : "upsample_conv";
      plan.parameters = deconv ? affineParams(c * plan.stride * plan.stride, oc)
                               : affineParams(c, oc);
      return plan;
    }
    if (down) {
      plan.stride = h / oh;
      plan.kind = "conv";
      plan.parameters = affineParams(c * plan.stride * plan.stride, oc);
      return plan;
    }
  }

  // What is left needs a dense map of everything to everything, which the
  // authors' code uses (768 -> 128x56x56 costs ~309M parameters): only on
  // request.
  int64_t dense = affineParams(from.elementCount(), to.elementCount());
  if (kind == "auto") {
    plan.kind = "dense";
    plan.parameters = dense;
    return plan;
  }
  error = "no " + kind.str() + " adapter maps " + from.str() + " to " +
          to.str() +
          (sameRank && from.rank() == 3
               ? ": the spatial sizes must divide each other"
               : "") +
          "; `adapter: auto` would use a dense adapter of " +
          std::to_string(dense) + " parameters";
  return plan;
}

} // namespace

bool dream::planConnection(const Stage &stage, const TensorType &hidden,
                           ConnectionInfo &info, DiagnosticEngine &diag) {
  const EncoderInstance &encoder = *info.encoder;
  llvm::StringRef kind = info.options.at("adapter").text;
  llvm::StringRef bridge = info.options.at("bridge").text;
  bool decoded = info.isDream || (info.options.count("returns") &&
                                  info.options.at("returns").text == "decoded");
  const TensorType &back = decoded ? encoder.output : encoder.latent;

  std::string error;
  info.in = planAdapter(hidden, encoder.input, kind, bridge, error);
  if (error.empty())
    info.out = planAdapter(back, hidden, kind, bridge, error);
  if (error.empty()) {
    // Keep only the options that apply to this connection, so that later
    // stages and the dump show what was really chosen.
    info.options.erase("encoder");
    info.options.erase(encoder.input.isTokens() ? "adapter" : "bridge");
    return true;
  }
  diag.error(stage.loc, error)
      .note(encoder.decl->input->loc,
            quote(encoder.decl->name) + " reads " + encoder.input.str() +
                (decoded ? " and reconstructs " : " and encodes it as ") +
                back.str());
  return false;
}

bool dream::checkSharedAdapters(const Program &program,
                                DiagnosticEngine &diag) {
  struct Sharing {
    const Stage *stage;
    const ConnectionInfo *connection;
  };
  std::vector<Sharing> sharing;
  for (const BlockInstance &instance : program.instances)
    for (const auto &[stage, info] : instance.stages)
      if (info.kind == StageInfo::Kind::Connection &&
          info.connection.encoder && info.connection.sharesAdapters())
        sharing.push_back({stage, &info.connection});
  // In source order, so that the error is at the later connection.
  auto place = [](const Sharing &s) {
    return std::make_tuple(s.stage->loc.file, s.stage->loc.line,
                           s.stage->loc.col);
  };
  std::stable_sort(sharing.begin(), sharing.end(),
                   [&](const Sharing &a, const Sharing &b) {
                     return place(a) < place(b);
                   });
  std::map<std::pair<const EncoderInstance *, bool>, Sharing> first;
  for (const Sharing &s : sharing) {
    const ConnectionInfo &c = *s.connection;
    auto [it, isFirst] = first.try_emplace({c.encoder, c.isDream}, s);
    const ConnectionInfo &owner = *it->second.connection;
    if (isFirst || (c.in == owner.in && c.out == owner.out))
      continue;
    std::string kind = c.isDream ? "dream" : "sleep";
    std::string encoder = quote(c.encoder->decl->name);
    auto adapters = [](const ConnectionInfo &info) {
      return "in " + info.in.str() + ", out " + info.out.str();
    };
    diag.error(s.stage->loc,
               "this connection reads " + c.in.from.str() +
                   " and shares the " + kind + " adapters of " + encoder +
                   " (`share: shared`), but needs others (" +
                   adapters(c) + "); connections share one pair of adapters "
                   "only from hidden states of one type with the same "
                   "options: write `share: per_block` here, or make the "
                   "types match")
        .note(it->second.stage->loc,
              "the first connection sharing them reads " +
                  owner.in.from.str() + " (" + adapters(owner) + ")");
    return false;
  }
  return true;
}
