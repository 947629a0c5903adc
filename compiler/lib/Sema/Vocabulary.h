//===- Vocabulary.h - The recipe vocabulary as Sema signatures --*- C++ -*-===//
//
// Sema checks `train` blocks and `pretrain` with its signatures; the names,
// defaults and ranges are the plan schema's (dream/Schema/Recipe.h), which
// the runtime reads recipes with.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_SEMA_VOCABULARY_H
#define DREAM_SEMA_VOCABULARY_H

#include "dream/Schema/Recipe.h"
#include "dream/Sema/Sema.h"

namespace dream {

/// The schema's argument as a parameter: its kind, default and range.
ParamSpec paramOf(const schema::Arg &arg);

/// The schema's callee as a signature.
Signature signatureOf(const schema::Callee &callee);

/// The recipe `preset` stands for, as resolved settings.
std::map<std::string, RecipeSetting> presetSettings(const schema::Preset &preset);

} // namespace dream

#endif // DREAM_SEMA_VOCABULARY_H
