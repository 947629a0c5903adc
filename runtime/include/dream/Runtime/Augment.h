//===- Augment.h - The recipe's augmentation of training batches -*- C++ -*-===//
//
// `augment` in a recipe (docs/language.md) changes each training batch
// before the step, in the batch loader's worker thread:
//  - randaugment(n, m): n operations drawn per image from RandAugment's
//    list (Cubuk et al. 2020, as torchvision implements it), at magnitude
//    m of 30, on the [0, 1] pixels behind the normalised inputs;
//  - mixup(alpha): each image blended with another of the batch by
//    lambda ~ Beta(alpha, alpha) (kept >= 0.5), and its target with the
//    other's (Zhang et al. 2018);
//  - word_noise(fraction): the paper's text augmentation, that fraction of
//    each text's words each swapped with another, replaced by a random
//    word, or preceded by an inserted random word.
// The noise of a batch depends on the run's seed, the step and the rank
// alone, so a resumed run augments exactly as the uninterrupted one.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_AUGMENT_H
#define DREAM_RUNTIME_AUGMENT_H

#include "dream/Runtime/BatchLoader.h"
#include "dream/Runtime/Plan.h"
#include "dream/Runtime/Text.h"

#include <ATen/ATen.h>

#include <functional>
#include <optional>
#include <vector>

namespace dream::rt {

/// Changes a batch (on the host, before it moves to the device) in place;
/// `generator` is the batch's own noise.
using BatchAugmentation = std::function<void(Batch &, at::Generator &)>;

/// The augmentation `spec` of a recipe for `plan`'s network, or none for
/// `none`. `mean` and `std` are the per-channel normalisation of image
/// inputs, `tokenizer` the vocabulary of token inputs. Throws UsageError
/// when the augmentation does not fit the input (mixup of token ids, word
/// noise on images).
std::optional<BatchAugmentation>
makeAugmentation(const AugmentSpec &spec, const Plan &plan,
                 const std::vector<double> &mean,
                 const std::vector<double> &std,
                 const WordPieceTokenizer *tokenizer);

/// `spec` as the trainer prints it: "randaugment(n 2, m 9)", "none".
std::string describe(const AugmentSpec &spec);

/// RandAugment's operations on one image of [0, 1] pixels [C, H, W].
enum class ImageOp {
  Identity, AutoContrast, Equalize, Rotate, Solarize, Color, Posterize,
  Contrast, Brightness, Sharpness, ShearX, ShearY, TranslateX, TranslateY
};
inline constexpr int kImageOps = 14;

/// Applies `op` at `level` in [0, 1] (magnitude / 30), signed operations in
/// the direction `sign` (+1 or -1). Results stay in [0, 1].
at::Tensor applyImageOp(const at::Tensor &pixels, ImageOp op, double level,
                        double sign);

/// Word noise on one text's ids ([CLS] words... [SEP] [PAD]...): for
/// round(fraction x words) of its words, a swap with another word, a
/// substitution by a random word or the insertion of a random word before
/// it. A word is a piece and its `##` continuations. The result keeps the
/// length, [CLS] first and [SEP] after the last word.
std::vector<int64_t> wordNoise(const std::vector<int64_t> &ids,
                               const WordPieceTokenizer &tokenizer,
                               double fraction, at::Generator &generator);

} // namespace dream::rt

#endif // DREAM_RUNTIME_AUGMENT_H
