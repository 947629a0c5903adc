//===- Parser.h - From .dream text to the project's AST ------------------===//
//
// The only door into the ANTLR-generated parser. Text goes in, a Module (or
// located diagnostics) comes out; no ANTLR type appears in this interface.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_PARSE_PARSER_H
#define DREAM_PARSE_PARSER_H

#include "dream/AST/AST.h"

namespace dream {

/// Brackets and unary minus signs may nest this deep; deeper input is
/// refused before parsing so the recursive-descent parser cannot exhaust the
/// stack.
constexpr unsigned kMaxNesting = 256;

/// One constant expression may have at most this many binary operators: its
/// tree leans on one side, and evaluating or freeing a deeper one would
/// exhaust the stack.
constexpr unsigned kMaxConstOperators = 1000;

/// Parses `text`, registered in the SourceManager under `fileName`. Reports
/// the first lexical or syntax error through `diag` and returns nullptr; a
/// syntax error is reported once, with what was expected, never cascaded.
std::unique_ptr<Module> parseModule(const std::string &text,
                                    llvm::StringRef fileName,
                                    DiagnosticEngine &diag);

/// The words the grammar reserves (`block`, `repeat`, ...), read from the
/// generated lexer's vocabulary, for tools that list them (dream-lsp).
std::vector<std::string> keywords();

} // namespace dream

#endif // DREAM_PARSE_PARSER_H
