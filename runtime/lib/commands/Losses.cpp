//===- Losses.cpp - The objectives of training and pre-training -----------===//
//
// Classification, and each pre-training kind's objective (reconstruct,
// masked, decode, masked_tokens), checked against the encoder it trains.
//
//===----------------------------------------------------------------------===//

#include "CommandSupport.h"

#include "dream/Runtime/Idx.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace dream::rt::commands {

namespace {

/// Cross-entropy of the decoder's scores over the vocabulary against the
/// tokens the encoder read, padding left out: `decode` pre-training, which
/// teaches a text autoencoder's decoder to reconstruct its input from the
/// (frozen, pre-trained) encoder's latents.
LossFunction tokenReconstructionLoss(const Model &model,
                                     const EncoderSpec &enc, int64_t padId) {
  return [&model, &enc, padId](const at::Tensor &ids, const at::Tensor &,
                               const RunMode &mode) {
    at::Tensor latent = model.run(enc.encode, {ids}, mode)[0];
    at::Tensor scores = model.run(*enc.decode, {latent}, mode)[0];
    at::Tensor loss = at::cross_entropy_loss(
        scores.reshape({-1, scores.size(-1)}), ids.reshape({-1}), {},
        at::Reduction::Mean, padId);
    return BatchOutput{loss, {}, {}};
  };
}

/// BERT's masking of token ids [B, L]: a `ratio` of the positions that hold
/// words (not [PAD], [CLS] or [SEP]) is chosen; of those, 80% become
/// [MASK], 10% a random token other than [PAD] and 10% stay. Returns the masked ids and the
/// targets: the original id where a position was chosen, else -100.
std::pair<at::Tensor, at::Tensor> maskTokens(const at::Tensor &ids,
                                             double ratio,
                                             const WordPieceTokenizer &words,
                                             at::Generator generator) {
  at::Tensor cpu = ids.cpu();
  at::Tensor structural = at::zeros_like(cpu, at::kBool);
  auto *id = cpu.data_ptr<int64_t>();
  auto *flag = structural.data_ptr<bool>();
  for (int64_t i = 0; i < cpu.numel(); ++i)
    flag[i] = words.isStructural(id[i]);
  auto uniform = [&] {
    return at::rand(cpu.sizes(), generator, at::TensorOptions(at::kFloat));
  };
  at::Tensor chosen = uniform().lt(ratio).logical_and_(structural.logical_not());
  at::Tensor draw = uniform();
  // Never [PAD] (id 0): the attention would take it for padding.
  at::Tensor random = at::randint(1, static_cast<int64_t>(words.size()),
                                  cpu.sizes(), generator, at::kLong);
  at::Tensor masked =
      at::where(chosen.logical_and(draw.lt(0.8)),
                at::full_like(cpu, *words.maskId()), cpu);
  masked = at::where(chosen.logical_and(draw.ge(0.8))
                         .logical_and_(draw.lt(0.9)),
                     random, masked);
  at::Tensor targets = at::where(chosen, cpu, at::full_like(cpu, -100));
  return {masked.to(ids.device()), targets.to(ids.device())};
}

/// The table of an encoder's first embed step, whose transpose is the
/// masked-token head when the encoder has no decoder (BERT ties them).
const Step *firstEmbedding(const EncoderSpec &enc) {
  for (const Step &step : enc.encode.steps)
    if (step.op == "embed")
      return &step;
  return nullptr;
}

/// Scores over the vocabulary from latents [B, L, D] and the embedding
/// table [V, D], divided by sqrt(D) as attention scores are: the table
/// starts as N(0, 1), and unscaled scores would start with a spread of
/// sqrt(D) and a loss far above that of guessing uniformly.
at::Tensor tiedScores(const Model &model, const EncoderSpec &enc,
                      const at::Tensor &latent) {
  const at::Tensor &table =
      model.tensor(firstEmbedding(enc)->params.at(0).name);
  return at::matmul(latent, table.t()) /
         std::sqrt(static_cast<double>(table.size(1)));
}

/// Cross-entropy of the predicted tokens at the masked positions:
/// `masked_tokens` pre-training. The scores come from the decoder if the
/// encoder has one, else from the latents times the embedding table.
LossFunction maskedTokenLoss(const Model &model, const EncoderSpec &enc,
                             WordPieceTokenizer words) {
  return [&model, &enc, words = std::move(words)](
             const at::Tensor &ids, const at::Tensor &, const RunMode &mode) {
    auto [masked, targets] = maskTokens(
        ids, enc.pretrain->ratio, words,
        mode.training ? mode.generator
                      : at::make_generator<at::CPUGeneratorImpl>(0));
    at::Tensor latent = model.run(enc.encode, {masked}, mode)[0];
    at::Tensor scores = enc.decode ? model.run(*enc.decode, {latent}, mode)[0]
                                   : tiedScores(model, enc, latent);
    // A batch of short texts may have no chosen position: its loss is 0,
    // not the NaN of a mean over nothing.
    at::Tensor loss = at::cross_entropy_loss(
                          scores.reshape({-1, scores.size(-1)}),
                          targets.reshape({-1}), {}, at::Reduction::Sum, -100) /
                      std::max<int64_t>(1, targets.ne(-100).sum().item<int64_t>());
    return BatchOutput{loss, {}, {}};
  };
}

/// The shape [L, V] of scores over a token encoder's vocabulary; throws
/// unless its decoder, if it has one, gives such scores.
std::vector<int64_t> vocabularyScores(const EncoderSpec &enc) {
  std::vector<int64_t> scores = {enc.input.shape.at(0), enc.input.vocab};
  if (enc.decode && enc.output != scores)
    throw PlanError("encoder '" + enc.name + "'s decoder gives " +
                    formatShape(enc.output) +
                    ", not scores over its vocabulary " + formatShape(scores));
  return scores;
}

/// The vocabulary of the texts the pre-training of a token encoder reads.
WordPieceTokenizer pretrainingVocabulary(const Model &model,
                                         const EncoderSpec &enc,
                                         const Data &data) {
  const std::optional<WordPieceTokenizer> &words = data.tokenizer;
  if (!words)
    throw UsageError("encoder '" + enc.name + "' reads tokens, but network '" +
                     model.plan().network +
                     "' reads no text to pre-train it on");
  return *words;
}

/// `masked_tokens`: checks that the encoder can predict tokens (the
/// vocabulary has [MASK]; a decoder gives scores over it, or the latents
/// are as wide as the first embedding, whose transpose is then the head).
LossFunction maskedTokenPretraining(const Model &model,
                                    const EncoderSpec &enc, const Data &data) {
  std::string what = "encoder '" + enc.name + "'";
  WordPieceTokenizer words = pretrainingVocabulary(model, enc, data);
  if (!words.maskId())
    throw DataError(what + ": the WordPiece vocabulary has no [MASK] token, "
                           "which masked_tokens pre-training puts in");
  std::vector<int64_t> scores = vocabularyScores(enc);
  const Step *embed = firstEmbedding(enc);
  int64_t width = embed ? intAttr(*embed, "dim") : 0;
  if (!enc.decode &&
      (!embed || enc.latent != std::vector<int64_t>{scores[0], width}))
    throw PlanError(
        what + ": masked_tokens predicts the tokens with the transpose of "
               "the encoder's embedding when it has no decoder, so its latent " +
        formatShape(enc.latent) + " must be [L, width of its first embed]" +
        (embed ? " = " + formatShape({scores[0], width}) : "") +
        "; or declare an autoencoder whose decoder gives scores " +
        formatShape(scores));
  return maskedTokenLoss(model, enc, std::move(words));
}

} // namespace

LossFunction classificationLoss(const Model &model, double smoothing) {
  return [&model, smoothing](const at::Tensor &inputs, const at::Tensor &labels,
                             const RunMode &mode) {
    at::Tensor logits = model.logits(inputs, mode);
    at::Tensor loss =
        at::cross_entropy_loss(logits, labels, {}, at::Reduction::Mean, -100,
                               mode.training ? smoothing : 0.0);
    at::Tensor detached = logits.detach();
    return BatchOutput{loss, detached.argmax(-1), detached};
  };
}

LossFunction reconstructionLoss(const Model &model, const EncoderSpec &enc) {
  return [&model, &enc](const at::Tensor &inputs, const at::Tensor &,
                        const RunMode &mode) {
    at::Tensor read = inputs;
    if (enc.pretrain->properties().objective ==
        PretrainKind::Objective::MaskedReconstruct)
      read = maskPieces(inputs, enc.pretrain->ratio,
                        mode.training
                            ? mode.generator
                            : at::make_generator<at::CPUGeneratorImpl>(0));
    at::Tensor latent = model.run(enc.encode, {read}, mode)[0];
    at::Tensor reconstruction = model.run(*enc.decode, {latent}, mode)[0];
    return BatchOutput{at::mse_loss(reconstruction, inputs), {}, {}};
  };
}

LossFunction pretrainingLoss(const Model &model, const EncoderSpec &enc,
                             const Data &data) {
  const std::string &kind = enc.pretrain->kind;
  PretrainKind::Objective objective = enc.pretrain->properties().objective;
  std::string what = "encoder '" + enc.name + "'";
  if (objective == PretrainKind::Objective::MaskedTokens)
    return maskedTokenPretraining(model, enc, data);
  if (!enc.decode)
    throw PlanError(what + ": " + kind + " pre-training needs a decoder");
  if (objective == PretrainKind::Objective::Decode && enc.input.tokens) {
    vocabularyScores(enc);
    return tokenReconstructionLoss(model, enc,
                                   pretrainingVocabulary(model, enc, data).padId());
  }
  if (enc.input.tokens)
    throw PlanError(what + ": " + kind +
                    " pre-training reconstructs images, but the encoder "
                    "reads token ids");
  if (!enc.output.empty() && enc.output != enc.input.shape)
    throw PlanError(what + " reconstructs " + formatShape(enc.output) +
                    " from " + formatShape(enc.input.shape) + " inputs");
  return reconstructionLoss(model, enc);
}

} // namespace dream::rt::commands
