//===- Outline.h - The declarations of a document, and shapes inline ------===//
//
// Document symbols list the file's networks, blocks, encoders and train
// recipes, with the values each block binds. Inlay hints put the inferred
// shape at the end of each `name = ...` line, as `--emit=ast` shows it on
// the `Let` line.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LSP_OUTLINE_H
#define DREAM_LSP_OUTLINE_H

#include "DocumentIndex.h"

namespace dream::lsp {

std::vector<mlir::lsp::DocumentSymbol>
documentSymbols(const Document &document);

/// The shapes of the assignments on lines `range` covers.
std::vector<mlir::lsp::InlayHint> inlayHints(const DocumentIndex &index,
                                             const Range &range);

} // namespace dream::lsp

#endif // DREAM_LSP_OUTLINE_H
