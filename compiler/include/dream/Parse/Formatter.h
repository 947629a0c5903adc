//===- Formatter.h - The canonical layout of .dream files ----------------===//
//
// dream-format's engine: parses a file with the compiler's parser and lays
// its tokens out again (docs/format.md), keeping every comment. Only spaces
// and line breaks change, so the file means what it meant before.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_PARSE_FORMATTER_H
#define DREAM_PARSE_FORMATTER_H

#include "dream/Support/Diagnostics.h"

#include <optional>

namespace dream {

/// Lines longer than this are broken (the widest line of the standard
/// library before it had a formatter).
constexpr unsigned kFormatColumnLimit = 92;

/// `text`, registered in the SourceManager under `fileName`, in the
/// canonical layout. Reports the parser's first error through `diag` and
/// returns nullopt when the file does not parse.
std::optional<std::string> formatSource(const std::string &text,
                                        llvm::StringRef fileName,
                                        DiagnosticEngine &diag);

} // namespace dream

#endif // DREAM_PARSE_FORMATTER_H
