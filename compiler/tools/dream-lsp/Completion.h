//===- Completion.h - Names that fit where the cursor is ------------------===//
//
// Completion reads the text before the cursor, not the AST: the file being
// typed rarely parses. After `->` come stages (blocks, ops, encoders,
// `repeat`, `sleep`, `dream`); inside the parentheses of a call, the named
// arguments of what is called; after `import std.`, the standard modules;
// elsewhere keywords, values of the enclosing block and everything
// applicable. Names come from the last version of the document that parsed.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LSP_COMPLETION_H
#define DREAM_LSP_COMPLETION_H

#include "DocumentIndex.h"

namespace dream::lsp {

/// Completions at byte offset `offset` of `text`. `index` is the last
/// version of the document that parsed, or nullptr; `stdlibDir` is where
/// `import std.` modules are.
mlir::lsp::CompletionList complete(llvm::StringRef text, size_t offset,
                                   const DocumentIndex *index,
                                   llvm::StringRef stdlibDir);

} // namespace dream::lsp

#endif // DREAM_LSP_COMPLETION_H
