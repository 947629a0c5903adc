//===- EncoderWeights.cpp - Where encoder weights come from ---------------===//
//
// Checkpoint paths under --checkpoint DIR (docs/runtime.md):
//   DIR/encoders/<encoder>.safetensors  pre-trained encoder weights
//   DIR/pretrain-<encoder>.safetensors  the pre-training run's checkpoint
//   DIR/train.safetensors               the supervised run's checkpoint
// and the weights an encoder declares (`weights`).
//
//===----------------------------------------------------------------------===//

#include "CommandSupport.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Pretrained.h"

#include <iostream>

namespace dream::rt::commands {

std::string encoderWeightsPath(const std::string &dir, const EncoderSpec &enc) {
  return joinPath(joinPath(dir, "encoders"), enc.name + ".safetensors");
}

std::string trainCheckpointPath(const TrainerOptions &o) {
  return joinPath(o.checkpointDir, "train.safetensors");
}

std::string pretrainCheckpointPath(const TrainerOptions &o,
                                   const EncoderSpec &enc) {
  return joinPath(o.checkpointDir, "pretrain-" + enc.name + ".safetensors");
}

std::string pretrainedPrefix(const EncoderSpec &enc) {
  bool decoderOnly = enc.pretrain && enc.pretrain->properties().decoderOnly;
  return enc.paramPrefix() + (decoderOnly ? "decoder." : "");
}

bool loadDeclaredWeights(Model &model, const EncoderSpec &enc) {
  if (enc.weights.empty())
    return false;
  if (enc.weights == "random") {
    std::cout << "encoder " << enc.name
              << ": random initialisation kept (weights \"random\", a "
                 "control)\n";
  } else if (isMappedWeights(enc.weights)) {
    MappedWeights mapped = mappedWeights(model.plan(), enc, enc.weights);
    model.importTensors(mapped.tensors, enc.paramPrefix() + "encoder.",
                        enc.weights);
    std::cout << "encoder " << enc.name << ": weights " << enc.weights
              << " from " << mapped.file << "\n";
  } else {
    model.importTensors(loadTensorFile(enc.weights), enc.paramPrefix(),
                        enc.weights);
    std::cout << "encoder " << enc.name << ": weights from " << enc.weights
              << "\n";
  }
  return true;
}

void loadEncoderWeights(Model &model, const TrainerOptions &o) {
  for (const EncoderSpec &enc : model.plan().encoders) {
    bool declared = loadDeclaredWeights(model, enc);
    bool needsPretraining =
        enc.pretrain && (!declared || enc.pretrain->properties().decoderOnly);
    std::string stored = o.checkpointDir.empty()
                             ? ""
                             : encoderWeightsPath(o.checkpointDir, enc);
    if ((needsPretraining || !declared) && !stored.empty() &&
        pathExists(stored)) {
      model.importTensors(loadTensorFile(stored), pretrainedPrefix(enc),
                          stored);
      std::cout << "encoder " << enc.name << ": pre-trained weights from "
                << stored << "\n";
    } else if (needsPretraining && enc.frozen) {
      throw FileError(
          "encoder '" + enc.name +
          "' is frozen and needs its pre-trained weights, but " +
          (stored.empty() ? std::string("no --checkpoint DIR was given")
                          : stored + " does not exist") +
          ": run `" + o.program +
          " pretrain --checkpoint DIR` first, then train with the same "
          "--checkpoint DIR");
    } else if (!declared && enc.frozen) {
      std::cerr << o.program << ": warning: encoder '" << enc.name
                << "' is frozen but has no weights and no pre-training: it "
                   "keeps its random initialisation\n";
    }
  }
}

} // namespace dream::rt::commands
