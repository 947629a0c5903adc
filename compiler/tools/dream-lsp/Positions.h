//===- Positions.h - dreamc locations as LSP positions
//---------------------===//
//
// dreamc counts lines from 1 and columns in bytes from 1; LSP counts both
// from 0 and columns in UTF-16 code units (the protocol's default encoding).
// Every conversion between the two goes through here, with the text of the
// line at hand, so that a line with non-ASCII text still lines up.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LSP_POSITIONS_H
#define DREAM_LSP_POSITIONS_H

#include "dream/Support/Diagnostics.h"

#include "mlir/Tools/lsp-server-support/Protocol.h"

namespace dream::lsp {

// The protocol's types used throughout; its Location is spelled in full,
// as dream::Location is the compiler's.
using mlir::lsp::Diagnostic;
using mlir::lsp::DiagnosticRelatedInformation;
using mlir::lsp::DiagnosticSeverity;
using mlir::lsp::Position;
using mlir::lsp::Range;
using mlir::lsp::URIForFile;

/// The position of byte column `col` (1-based) of line `line` (1-based),
/// whose text is `lineText`.
Position toPosition(llvm::StringRef lineText, unsigned line, unsigned col);

/// The 1-based byte column of UTF-16 offset `character` in `lineText`,
/// clamped to one past its end.
unsigned toByteColumn(llvm::StringRef lineText, int character);

/// The bytes of the token that starts at byte column `col`: a (dotted) name
/// or a number; otherwise one character, or none at the end of the line.
unsigned tokenLength(llvm::StringRef lineText, unsigned col);

/// The range of `length` bytes from `loc`, within its line. A location
/// without a line (a whole-file message) is the start of the file.
Range toRange(const SourceManager &sources, Location loc, unsigned length);

/// The range of the token at `loc` (tokenLength).
Range tokenRange(const SourceManager &sources, Location loc);

} // namespace dream::lsp

#endif // DREAM_LSP_POSITIONS_H
