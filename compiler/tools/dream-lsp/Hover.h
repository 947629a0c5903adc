//===- Hover.h - What the compiler knows about a name ---------------------===//
//
// The text shown on hover, in Markdown: a value's inferred shape, per sample
// and with the batch dimension; for a block, op or connection applied, its
// bound arguments, what it reads and makes, and what it costs (parameters,
// trainable and frozen, and FLOPs per sample, by the plan's rule); for a
// declaration, every instance Sema made of it.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LSP_HOVER_H
#define DREAM_LSP_HOVER_H

#include "DocumentIndex.h"

namespace dream::lsp {

/// The hover text of `occurrence`, or nullopt when there is nothing to say.
std::optional<std::string> hoverText(const DocumentIndex &index,
                                     const Occurrence &occurrence);

/// "[N, 64, 28, 28]": a type as the batched tensor the trainer computes.
std::string batched(const ValueType &type);

} // namespace dream::lsp

#endif // DREAM_LSP_HOVER_H
