//===- Dream.cpp - The dream command --------------------------------------===//
//
// The reconstructions of the dream connections: a labelled PNG grid
// for images, the decoded tokens for texts.
//
//===----------------------------------------------------------------------===//

#include "CommandSupport.h"

#include "dream/Runtime/Canvas.h"
#include "dream/Runtime/Files.h"
#include "dream/Runtime/Images.h"

#include <iostream>

namespace dream::rt::commands {

namespace {

/// The first channel of `images` ([N, C, H, W], normalised) as 8-bit grey
/// pixels, [N, H, W] row-major.
at::Tensor greyPixels(const at::Tensor &images, double mean, double std) {
  return (images.select(1, 0) * std + mean)
      .clamp(0.0, 1.0)
      .mul(255.0)
      .round()
      .to(at::kByte)
      .contiguous();
}

/// What `dream` shows: the first test inputs and, per dream connection,
/// what it reconstructed from them.
struct Dreams {
  std::vector<std::string> names;
  double pixelMean = 0.0, pixelStd = 1.0; ///< Of the first channel.
  at::Tensor inputs, labels, predictions; ///< On the CPU.
  std::map<std::string, at::Tensor> dreams;
  bool labelled = true;                ///< False for --input files.
  std::vector<std::string> classNames; ///< Empty: classes by number.

  std::string className(int64_t index) const {
    return index >= 0 && index < static_cast<int64_t>(classNames.size())
               ? classNames[index]
               : "class " + std::to_string(index);
  }
};

/// A dream connection's name ("dream_block_0.dream_0") as the lines of a
/// column title: one per dotted part.
std::vector<std::string> titleLines(const std::string &name) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t dot; (dot = name.find('.', start)) != std::string::npos;
       start = dot + 1)
    lines.push_back(name.substr(start, dot - start));
  lines.push_back(name.substr(start));
  return lines;
}

/// Draws the inputs and each connection's dreams as a PNG, one row per
/// input (the paper's figure 6), so that it explains itself: each image
/// enlarged to about 112 pixels (4x for 28x28), the columns titled (input,
/// then each dream connection by its block), and each row's label and
/// prediction, by class name where the data set has them, at its left.
void drawImageDreams(const Dreams &d, const std::string &path) {
  const int h = static_cast<int>(d.inputs.size(2));
  const int w = static_cast<int>(d.inputs.size(3));
  const int scale = std::max(1, 112 / std::max(h, w));
  const int gap = 8, cellW = w * scale, cellH = h * scale;
  const float titleSize = 13, labelSize = 14;
  const int rows = static_cast<int>(d.inputs.size(0));
  const int columns = 1 + static_cast<int>(d.names.size());
  std::vector<std::string> rowLines;
  int labelWidth = 0, titleRows = 1;
  for (const std::string &name : d.names)
    titleRows = std::max(titleRows, static_cast<int>(titleLines(name).size()));
  for (int r = 0; r < rows; ++r) {
    std::string predicted = d.className(d.predictions[r].item<int64_t>());
    std::string label = d.labelled ? d.className(d.labels[r].item<int64_t>()) : "";
    for (const std::string &line :
         {d.labelled ? "label: " + label : std::string(),
          "predicted: " + predicted +
              (d.labelled && label != predicted ? " (wrong)" : "")})
      labelWidth = std::max(labelWidth, Canvas::textWidth(line, labelSize));
  }
  const int left = gap + labelWidth + gap;
  const int top = gap + titleRows * static_cast<int>(titleSize + 3) + gap / 2;
  Canvas canvas(left + columns * (cellW + gap), top + rows * (cellH + gap), 255);
  auto drawColumn = [&](const at::Tensor &images, int column,
                        const std::string &title) {
    at::Tensor pixels = greyPixels(images, d.pixelMean, d.pixelStd);
    int x = left + column * (cellW + gap);
    std::vector<std::string> lines = titleLines(title);
    for (size_t k = 0; k < lines.size(); ++k)
      canvas.text(lines[k], x, gap + static_cast<int>(k) * static_cast<int>(titleSize + 3),
                  titleSize, 0);
    for (int r = 0; r < rows; ++r)
      canvas.image(pixels[r].const_data_ptr<uint8_t>(), w, h, x,
                   top + r * (cellH + gap), scale);
  };
  drawColumn(d.inputs, 0, "input");
  for (size_t i = 0; i < d.names.size(); ++i) {
    const at::Tensor &dream = d.dreams.at(d.names[i]);
    if (dream.sizes() != d.inputs.sizes())
      throw UsageError("dream " + d.names[i] + " is " +
                       formatShape(dream.sizes().vec()) +
                       ", not an image like the input; only image dreams "
                       "are drawn");
    drawColumn(dream, static_cast<int>(i) + 1, d.names[i]);
    std::printf("  %-28s mean squared difference from the input %.4f\n",
                d.names[i].c_str(),
                at::mse_loss(dream, d.inputs).item<double>());
  }
  for (int r = 0; r < rows; ++r) {
    int y = top + r * (cellH + gap) + cellH / 2 - static_cast<int>(labelSize);
    std::string predicted = d.className(d.predictions[r].item<int64_t>());
    if (d.labelled) {
      std::string label = d.className(d.labels[r].item<int64_t>());
      canvas.text("label: " + label, gap, y, labelSize, 0);
      canvas.text("predicted: " + predicted + (label != predicted ? " (wrong)" : ""),
                  gap, y + static_cast<int>(labelSize + 4), labelSize,
                  label != predicted ? 96 : 0);
    } else {
      canvas.text("predicted: " + predicted, gap, y + static_cast<int>(labelSize / 2),
                  labelSize, 0);
    }
  }
  std::string png = canvas.png();
  writeFileAtomically(path, {{png.data(), png.size()}});
  std::cout << "written to " << path << "\n";
}

std::vector<int64_t> row(const at::Tensor &ids, int64_t i) {
  at::Tensor r = ids[i].contiguous();
  return {r.const_data_ptr<int64_t>(), r.const_data_ptr<int64_t>() + r.numel()};
}

/// Prints each input text and the tokens each dream connection decoded
/// from it (the most likely token per position; the paper's table 1).
void printTextDreams(const Plan &plan, const Dreams &d,
                     const WordPieceTokenizer &tokenizer) {
  for (int64_t i = 0; i < d.inputs.size(0); ++i) {
    std::cout << "[" << i << "] label " << d.labels[i].item<int64_t>()
              << ", predicted " << d.predictions[i].item<int64_t>() << "\n"
              << "  input: " << tokenizer.decode(row(d.inputs, i)) << "\n";
    for (const std::string &name : d.names) {
      const at::Tensor &dream = d.dreams.at(name);
      if (dream.dim() != 3 || dream.size(2) != plan.input.vocab)
        throw UsageError("dream " + name + " is " +
                         formatShape(dream.sizes().vec()) +
                         ", not scores over the vocabulary; only token "
                         "dreams are printed");
      std::cout << "  " << name << ": "
                << tokenizer.decode(row(dream.argmax(-1), i)) << "\n";
    }
  }
}

} // namespace

int dreamCommand(const Plan &plan, const TrainerOptions &o,
                 at::Device device) {
  Dreams d;
  for (const Step &step : plan.graph.steps)
    if (step.op == "observe")
      d.names.push_back(stringAttr(step, "name", ""));
  if (d.names.empty())
    throw UsageError(plan.network +
                     " has no dream connection, so it has no dreams to show");
  std::map<std::string, std::string> metadata;
  Model model = trainedModel(plan, o, device, metadata);
  TrainSettings firstInputs = trainSettings(plan.recipe, o);
  firstInputs.limit = std::min<int64_t>(o.limit ? o.limit : 8, 64);
  Data data = loadData(plan, o, firstInputs, false);
  // --input files are normalised as the data set the model learnt from.
  const Dataset &batch =
      o.inputs.empty()
          ? data.test
          : loadImageFiles(o.inputs, plan, data.pixelMean, data.pixelStd,
                           o.resize);
  if (!plan.input.tokens) {
    d.pixelMean = data.pixelMean.at(0);
    d.pixelStd = data.pixelStd.at(0);
  }
  d.labelled = o.inputs.empty();
  d.classNames = data.classNames;
  RunMode mode;
  mode.observed = &d.dreams;
  at::NoGradGuard noGrad;
  d.predictions = model.logits(batch.inputs.to(device), mode).argmax(-1).cpu();
  d.inputs = batch.inputs;
  d.labels = batch.labels;
  for (auto &[name, dream] : d.dreams)
    dream = dream.cpu();
  if (o.inputs.empty())
    std::cout << "dreams of " << plan.network << " on the first "
              << d.inputs.size(0) << " test "
              << (plan.input.tokens ? "texts" : "images") << "; ";
  else
    std::cout << "dreams of " << plan.network << " on " << d.inputs.size(0)
              << " image file(s); ";
  std::cout << (plan.input.tokens ? "dream connections: " : "columns: input, ");
  for (size_t i = 0; i < d.names.size(); ++i)
    std::cout << (i ? ", " : "") << d.names[i];
  std::cout << "\n";
  if (plan.input.tokens) {
    printTextDreams(plan, d, *data.tokenizer);
    return 0;
  }
  drawImageDreams(d, o.out.empty() ? joinPath(o.checkpointDir, "dreams.png")
                                   : o.out);
  std::cout << "  predictions "
            << formatShape(row(d.predictions.unsqueeze(0), 0));
  if (o.inputs.empty())
    std::cout << ", labels " << formatShape(row(d.labels.unsqueeze(0), 0));
  std::cout << "\n";
  return 0;
}

} // namespace dream::rt::commands
