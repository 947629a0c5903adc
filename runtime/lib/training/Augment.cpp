//===- Augment.cpp - RandAugment, mixup and word noise --------------------===//
//
// Each image and text is changed on its own, by small elementwise ATen
// calls written into a preallocated batch: below ATen's grain size they
// run on the worker thread alone instead of starting an OpenMP team that
// would compete with the training step's (so no convolution, no stack of
// the whole batch).
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Augment.h"
#include "dream/Runtime/Commands.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace dream::rt {
namespace {

/// A uniform integer in [0, n) from the batch's generator.
int64_t uniformBelow(int64_t n, at::Generator &generator) {
  return at::randint(n, {1}, generator, at::kLong).item<int64_t>();
}

double uniform01(at::Generator &generator) {
  return at::rand({1}, generator, at::kDouble).item<double>();
}

/// Warps [C, H, W] pixels by the affine map `theta` (2 x 3, in the
/// [-1, 1] coordinates of affine_grid: output point to input point);
/// what comes from outside the image is black.
at::Tensor warp(const at::Tensor &pixels, std::vector<double> theta) {
  at::Tensor matrix =
      at::tensor(theta, pixels.options()).reshape({1, 2, 3});
  at::Tensor image = pixels.unsqueeze(0);
  at::Tensor grid = at::affine_grid_generator(matrix, image.sizes().vec(),
                                              /*align_corners=*/false);
  return at::grid_sampler(image, grid, /*bilinear*/ 0, /*zeros*/ 0,
                          /*align_corners=*/false)
      .squeeze(0);
}

/// PIL's ImageEnhance: (1 - factor) * degenerate + factor * image.
at::Tensor blend(const at::Tensor &pixels, const at::Tensor &degenerate,
                 double factor) {
  return (degenerate + factor * (pixels - degenerate)).clamp(0.0, 1.0);
}

/// Per channel: the 256-level cumulative histogram stretched linearly over
/// [0, 1] (simpler than PIL's step table; the same idea).
at::Tensor equalize(const at::Tensor &pixels) {
  std::vector<at::Tensor> channels;
  for (int64_t c = 0; c < pixels.size(0); ++c) {
    at::Tensor levels = (pixels[c] * 255.0).round().to(at::kLong);
    at::Tensor counts = at::bincount(levels.flatten(), {}, 256);
    at::Tensor cdf = counts.cumsum(0).to(at::kDouble);
    double first = cdf.index({counts.gt(0).nonzero()[0][0]}).item<double>();
    double total = static_cast<double>(levels.numel());
    if (total == first) { // One level only: nothing to spread.
      channels.push_back(pixels[c]);
      continue;
    }
    at::Tensor map = ((cdf - first) / (total - first)).clamp(0.0, 1.0);
    channels.push_back(
        map.index_select(0, levels.flatten()).view_as(levels).to(pixels.dtype()));
  }
  return at::stack(channels);
}

} // namespace

at::Tensor applyImageOp(const at::Tensor &pixels, ImageOp op, double level,
                        double sign) {
  const double pi = 3.14159265358979323846;
  int64_t h = pixels.size(1), w = pixels.size(2);
  double enhance = 1.0 + sign * 0.9 * level; // Brightness, Color, ...
  switch (op) {
  case ImageOp::Identity:
    return pixels;
  case ImageOp::AutoContrast: {
    at::Tensor low = pixels.amin({1, 2}, true), high = pixels.amax({1, 2}, true);
    at::Tensor range = high - low;
    return at::where(range > 0, (pixels - low) / range.clamp_min(1e-12),
                     pixels);
  }
  case ImageOp::Equalize:
    return equalize(pixels);
  case ImageOp::Rotate: {
    double a = sign * 30.0 * level * pi / 180.0;
    return warp(pixels, {std::cos(a), -std::sin(a), 0, std::sin(a),
                         std::cos(a), 0});
  }
  case ImageOp::Solarize: // Pixels at or above the threshold are inverted.
    return at::where(pixels >= 1.0 - level, 1.0 - pixels, pixels);
  case ImageOp::Color:
    return blend(pixels, pixels.mean(0, true).expand_as(pixels), enhance);
  case ImageOp::Posterize: { // On the byte each pixel came from.
    double step = 256.0 / std::pow(2.0, 8 - static_cast<int>(std::round(4 * level)));
    return ((pixels * 255.0).round() / step).floor() * step / 255.0;
  }
  case ImageOp::Contrast:
    return blend(pixels, pixels.mean().expand_as(pixels), enhance);
  case ImageOp::Brightness:
    return blend(pixels, at::zeros_like(pixels), enhance);
  case ImageOp::Sharpness: {
    // PIL's smoothing kernel (1 1 1 / 1 5 1 / 1 1 1) / 13 inside; the
    // border keeps its pixels.
    if (h < 3 || w < 3)
      return pixels;
    at::Tensor smooth = pixels.clone();
    at::Tensor inner = smooth.slice(1, 1, h - 1).slice(2, 1, w - 1);
    inner.mul_(5.0);
    for (int64_t dy = 0; dy < 3; ++dy)
      for (int64_t dx = 0; dx < 3; ++dx)
        if (dy != 1 || dx != 1)
          inner.add_(pixels.slice(1, dy, h - 2 + dy).slice(2, dx, w - 2 + dx));
    inner.div_(13.0);
    return blend(pixels, smooth, enhance);
  }
  case ImageOp::ShearX:
    return warp(pixels, {1, sign * 0.3 * level, 0, 0, 1, 0});
  case ImageOp::ShearY:
    return warp(pixels, {1, 0, 0, sign * 0.3 * level, 1, 0});
  case ImageOp::TranslateX: // torchvision: up to 150/331 of the side.
    return warp(pixels, {1, 0, sign * 2.0 * (150.0 / 331.0) * level, 0, 1, 0});
  case ImageOp::TranslateY:
    return warp(pixels, {1, 0, 0, 0, 1, sign * 2.0 * (150.0 / 331.0) * level});
  }
  return pixels;
}

std::vector<int64_t> wordNoise(const std::vector<int64_t> &ids,
                               const WordPieceTokenizer &tokenizer,
                               double fraction, at::Generator &generator) {
  // The words between [CLS] and [SEP], each a run of pieces.
  std::vector<std::vector<int64_t>> words;
  for (size_t i = 1; i < ids.size() && !tokenizer.isStructural(ids[i]); ++i) {
    if (words.empty() || !tokenizer.continuesWord(ids[i]))
      words.emplace_back();
    words.back().push_back(ids[i]);
  }
  const std::vector<int64_t> &starts = tokenizer.wordStarts();
  if (starts.empty()) // Nothing to insert or substitute.
    return ids;
  auto randomWord = [&] {
    return std::vector<int64_t>{starts[uniformBelow(
        static_cast<int64_t>(starts.size()), generator)]};
  };
  auto count = static_cast<int64_t>(
      std::llround(fraction * static_cast<double>(words.size())));
  for (int64_t k = 0; k < count && !words.empty(); ++k) {
    int64_t n = static_cast<int64_t>(words.size());
    int64_t at = uniformBelow(n, generator);
    switch (uniformBelow(3, generator)) {
    case 0:
      std::swap(words[at], words[uniformBelow(n, generator)]);
      break;
    case 1:
      words[at] = randomWord();
      break;
    default:
      words.insert(words.begin() + at, randomWord());
    }
  }
  std::vector<int64_t> out{tokenizer.clsId()};
  for (const std::vector<int64_t> &word : words)
    out.insert(out.end(), word.begin(), word.end());
  out.resize(std::min(out.size(), ids.size() - 1));
  out.push_back(tokenizer.sepId());
  out.resize(ids.size(), tokenizer.padId());
  return out;
}

namespace {

BatchAugmentation randAugment(const AugmentSpec &spec,
                              const std::vector<double> &mean,
                              const std::vector<double> &std) {
  return [spec, mean, std](Batch &batch, at::Generator &generator) {
    const at::Tensor &images = batch.inputs;
    std::vector<int64_t> channels{images.size(1), 1, 1};
    at::Tensor m = at::tensor(mean, images.options()).reshape(channels);
    at::Tensor s = at::tensor(std, images.options()).reshape(channels);
    double level = static_cast<double>(spec.m) / 30.0;
    at::Tensor out = at::empty_like(images);
    for (int64_t i = 0; i < images.size(0); ++i) {
      at::Tensor pixels = (images[i] * s + m).clamp(0.0, 1.0);
      for (int64_t k = 0; k < spec.n; ++k) {
        auto op = static_cast<ImageOp>(uniformBelow(kImageOps, generator));
        double sign = uniform01(generator) < 0.5 ? -1.0 : 1.0;
        pixels = applyImageOp(pixels, op, level, sign);
      }
      out[i].copy_((pixels - m) / s);
    }
    batch.inputs = out;
  };
}

BatchAugmentation mixup(const AugmentSpec &spec, int64_t classes) {
  return [spec, classes](Batch &batch, at::Generator &generator) {
    int64_t b = batch.inputs.size(0);
    at::Tensor g = at::_standard_gamma(
        at::full({2}, spec.alpha, at::kDouble), generator);
    double lambda = (g[0] / (g[0] + g[1])).item<double>();
    lambda = std::max(lambda, 1.0 - lambda); // The example's own label leads.
    at::Tensor partner = at::randperm(b, generator);
    const int64_t *other = partner.data_ptr<int64_t>();
    at::Tensor mixed = at::empty_like(batch.inputs);
    for (int64_t i = 0; i < b; ++i)
      mixed[i].copy_(lambda * batch.inputs[i] +
                     (1.0 - lambda) * batch.inputs[other[i]]);
    at::Tensor own = at::one_hot(batch.labels, classes).to(at::kFloat);
    batch.inputs = mixed;
    batch.targets = lambda * own + (1.0 - lambda) * own.index_select(0, partner);
  };
}

BatchAugmentation wordNoiseOf(const AugmentSpec &spec,
                              const WordPieceTokenizer &tokenizer) {
  return [spec, &tokenizer](Batch &batch, at::Generator &generator) {
    at::Tensor ids = batch.inputs.contiguous();
    int64_t length = ids.size(1);
    for (int64_t i = 0; i < ids.size(0); ++i) {
      int64_t *row = ids[i].data_ptr<int64_t>();
      std::vector<int64_t> noisy = wordNoise(
          std::vector<int64_t>(row, row + length), tokenizer, spec.fraction,
          generator);
      std::copy(noisy.begin(), noisy.end(), row);
    }
    batch.inputs = ids;
  };
}

} // namespace

std::string describe(const AugmentSpec &spec) {
  std::ostringstream text;
  text << spec.name;
  if (spec.name == "randaugment")
    text << "(n " << spec.n << ", m " << spec.m << ")";
  else if (spec.name == "mixup")
    text << "(alpha " << spec.alpha << ")";
  else if (spec.name == "word_noise")
    text << "(fraction " << spec.fraction << ")";
  return text.str();
}

std::optional<BatchAugmentation>
makeAugmentation(const AugmentSpec &spec, const Plan &plan,
                 const std::vector<double> &mean,
                 const std::vector<double> &std,
                 const WordPieceTokenizer *tokenizer) {
  bool tokens = plan.input.tokens;
  auto refuse = [&](const std::string &why) {
    return UsageError("augment " + spec.name + ": " + why +
                      "; choose another augmentation in the recipe");
  };
  if (spec.name == "none")
    return std::nullopt;
  if (spec.name == "word_noise") {
    if (!tokens || !tokenizer)
      throw refuse("word noise changes the words of texts, and " +
                   plan.network + " reads images");
    return wordNoiseOf(spec, *tokenizer);
  }
  if (tokens)
    throw refuse(spec.name + " changes images, and " + plan.network +
                 " reads token ids (word_noise is the text augmentation)");
  if (spec.name == "mixup")
    return mixup(spec, plan.classes);
  return randAugment(spec, mean, std);
}

} // namespace dream::rt
