//===- Encoders.cpp - Encoders, autoencoders and their pre-training -------===//
//
// An encoder or autoencoder declaration elaborated once: its parts as
// blocks, its frozen state, weights and pre-training, checked against the
// plan schema's pre-training kinds.
//
//===----------------------------------------------------------------------===//

#include "Elaborate.h"
#include "Vocabulary.h"

#include "dream/Sema/Cost.h"

using namespace dream;

namespace {
struct PretrainKind {
  using Input = schema::PretrainKind::Input;
  Signature signature;
  Input input;
  bool needsDecoder;
  bool decoderOnly;
};

/// The plan schema's pre-training kinds (dream/Schema/Recipe.h).
const std::vector<PretrainKind> &pretrainKinds() {
  static const std::vector<PretrainKind> kinds = [] {
    std::vector<PretrainKind> kinds;
    for (const schema::PretrainKind &kind : schema::pretrainKinds())
      kinds.push_back({signatureOf(kind.callee), kind.input,
                       kind.needsDecoder, kind.decoderOnly});
    return kinds;
  }();
  return kinds;
}

/// "masked, reconstruct, masked_tokens or decode".
std::string pretrainKindList() {
  std::string list;
  const std::vector<PretrainKind> &kinds = pretrainKinds();
  for (size_t i = 0; i < kinds.size(); ++i)
    list += (i == 0 ? "" : i + 1 == kinds.size() ? " or " : ", ") +
            kinds[i].signature.name;
  return list;
}

/// Whether the parts a pre-training optimises, the decoder alone or every
/// part, own a parameter it can train: without one, its backward pass has
/// nothing to differentiate.
bool hasTrainableParameters(const EncoderInstance &encoder, bool decoderOnly) {
  int64_t trainable = encoder.decoder ? costOf(*encoder.decoder).trainable : 0;
  if (!decoderOnly)
    trainable += costOf(*encoder.encoder).trainable;
  return trainable > 0;
}

} // namespace

const EncoderInstance *Elaborator::elaborateEncoder(const EncoderDecl &decl,
                                                    const Module &module) {
  if (auto it = encoders.find(&decl); it != encoders.end())
    return it->second;
  const char *what = decl.isAutoencoder ? "autoencoder" : "encoder";
  auto fail = [&](Location loc, std::string message) -> EncoderInstance * {
    diag.error(loc, std::move(message));
    return nullptr;
  };
  if (!decl.input)
    return fail(decl.loc, std::string(what) + " " + quote(decl.name) +
                              " needs an input type, e.g. `input image[1, "
                              "28, 28]`");
  if (!decl.encoder)
    return fail(decl.loc, std::string(what) + " " + quote(decl.name) +
                              " needs an architecture: `encoder <block>(...)`");
  if (decl.isAutoencoder && !decl.decoder)
    return fail(decl.loc, "autoencoder " + quote(decl.name) +
                              " needs a decoder: `decoder <block>(...)`");
  if (!decl.isAutoencoder && decl.decoder)
    return fail(decl.decoder->loc,
                "only an autoencoder has a decoder; declare " +
                    quote(decl.name) + " with `autoencoder`");

  EncoderInstance instance;
  instance.decl = &decl;
  instance.frozen = decl.freezing != EncoderDecl::Freezing::Trainable;
  auto input = evalType(*decl.input, {});
  if (!input)
    return nullptr;
  instance.input = *input;

  auto instantiatePart = [&](const Call &call,
                             const TensorType &in) -> const BlockInstance * {
    if (lookupOp(call.callee)) {
      diag.error(call.loc, quote(call.callee) +
                               " is an op, not a block; an encoder's "
                               "architecture is a block such as std.vision's "
                               "conv_encoder");
      return nullptr;
    }
    const Symbol *symbol = lookup(module, call.callee, call.loc, true);
    if (!symbol)
      return nullptr;
    if (!symbol->block || symbol->block->isNetwork) {
      diag.error(call.loc, quote(call.callee) +
                               " is not a block; an encoder's architecture "
                               "is a block such as std.vision's "
                               "conv_encoder")
          .note(symbol->loc(), "declared here");
      return nullptr;
    }
    auto signature = blockSignature(*symbol->block, {});
    auto args = evalArguments(call.args, {});
    if (!signature || !args)
      return nullptr;
    auto bound = bindArguments(*signature, *args, call.loc, diag);
    if (!bound || !checkEncoderArguments(*signature, *bound, module))
      return nullptr;
    if (blockArity(*symbol->block) != 1) {
      diag.error(call.loc, "an encoder or decoder block takes one input");
      return nullptr;
    }
    const BlockInstance *part = instantiate(
        *symbol->block, *symbol->module, *bound, {in}, call.loc, 1);
    if (part && part->result.isTuple) {
      diag.error(call.loc, quote(call.callee) + " returns a tuple");
      return nullptr;
    }
    return part;
  };

  instance.encoder = instantiatePart(*decl.encoder, instance.input);
  if (!instance.encoder)
    return nullptr;
  instance.latent = instance.encoder->result.single();
  instance.output = instance.latent;
  if (decl.decoder) {
    instance.decoder = instantiatePart(*decl.decoder, instance.latent);
    if (!instance.decoder)
      return nullptr;
    instance.output = instance.decoder->result.single();
    // A reconstruction has the input's shape; for tokens, one score per
    // vocabulary entry at each position.
    TensorType expected =
        instance.input.isTokens()
            ? TensorType::floats({instance.input.shape[0],
                                  instance.input.vocab})
            : instance.input;
    if (instance.output != expected) {
      diag.error(decl.decoder->loc, "decoder of " + quote(decl.name) +
                                        " produces " + instance.output.str() +
                                        ", but a reconstruction of the input "
                                        "must be " +
                                        expected.str())
          .note(decl.input->loc, "the input type is declared here");
      return nullptr;
    }
  }

  if (decl.pretrain) {
    const PretrainKind *kind = nullptr;
    for (const PretrainKind &candidate : pretrainKinds())
      if (candidate.signature.name == decl.pretrain->callee)
        kind = &candidate;
    if (!kind)
      return fail(decl.pretrain->loc,
                  "unknown pre-training " + quote(decl.pretrain->callee) +
                      "; expected " + pretrainKindList());
    auto args = evalArguments(decl.pretrain->args, {});
    if (!args)
      return nullptr;
    auto bound =
        bindArguments(kind->signature, *args, decl.pretrain->loc, diag);
    if (!bound)
      return nullptr;
    bool wantsTokens = kind->input == PretrainKind::Input::Tokens;
    if (kind->input != PretrainKind::Input::Any &&
        wantsTokens != instance.input.isTokens())
      return fail(decl.pretrain->loc,
                  quote(kind->signature.name) + " pre-training needs " +
                      (wantsTokens ? "a token" : "an image or tensor") +
                      " input, but " + quote(decl.name) + " reads " +
                      instance.input.str());
    if (kind->needsDecoder && !decl.decoder)
      return fail(decl.pretrain->loc, quote(kind->signature.name) +
                                          " pre-training needs an autoencoder");
    if (kind->decoderOnly && !decl.weights)
      return fail(decl.pretrain->loc,
                  "`pretrain " + kind->signature.name +
                      "` trains a decoder on top of pre-trained encoder "
                      "weights; add `weights \"...\"`");
    if (!hasTrainableParameters(instance, kind->decoderOnly))
      return fail(decl.pretrain->loc,
                  "`pretrain " + kind->signature.name +
                      "` has nothing to train: " +
                      (kind->decoderOnly ? "the decoder of " : "") +
                      quote(decl.name) +
                      " owns no trainable parameter; remove `pretrain` (and "
                      "declare it `trainable`: there is nothing to learn), "
                      "or give its blocks an op with parameters such as "
                      "`dense` or `conv`");
    instance.pretrainKind = kind->signature.name;
    instance.pretrainArgs = *bound;
  }
  // `weights "random"`: the encoder keeps its random initialisation on
  // purpose, a control that separates what pre-training teaches from what
  // the extra parameters do (docs/language.md, Encoders).
  if (decl.weights && *decl.weights == "random" && decl.pretrain)
    return fail(decl.weightsLoc,
                "`weights \"random\"` keeps the random initialisation; "
                "remove it or `pretrain`");
  if (instance.frozen && !decl.weights && !decl.pretrain) {
    bool explicitlyFrozen = decl.freezing == EncoderDecl::Freezing::Frozen;
    auto builder = diag.error(
        decl.loc, std::string(what) + " " + quote(decl.name) + " is frozen" +
                      (explicitlyFrozen ? "" : " (the default)") +
                      " but has neither `weights` nor `pretrain`: a frozen "
                      "random encoder teaches nothing (as a control, say so "
                      "with `weights \"random\"`)");
    if (explicitlyFrozen)
      builder.note(decl.freezingLoc, "it is frozen here");
    return nullptr;
  }
  EncoderInstance &stored = program.encoders.emplace_back(std::move(instance));
  encoders[&decl] = &stored;
  return &stored;
}
