//===- ParseTree.h - One file's tokens and ANTLR parse tree --------------===//
//
// Private to compiler/lib/Parse: the parser builds the AST from this, and
// the formatter lays the text out again from the same tree and tokens
// (comments included, on the hidden channel). No ANTLR type leaves this
// directory.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LIB_PARSE_PARSETREE_H
#define DREAM_LIB_PARSE_PARSETREE_H

#include "dream/Support/Diagnostics.h"

#include "DreamLexer.h"
#include "DreamParser.h"

#include <algorithm>

namespace dream {

/// Maps ANTLR's code-point positions to byte-based Locations.
class LocationMap {
public:
  LocationMap(const std::string &text, llvm::StringRef file) : file(file) {
    lineStarts.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      unsigned char c = text[i];
      if ((c & 0xC0) != 0x80)
        codePointOffsets.push_back(i);
      if (c == '\n')
        lineStarts.push_back(i + 1);
    }
    codePointOffsets.push_back(text.size());
  }

  Location atByte(size_t offset) const {
    auto it = std::upper_bound(lineStarts.begin(), lineStarts.end(), offset);
    size_t line = it - lineStarts.begin();
    return {file, static_cast<unsigned>(line),
            static_cast<unsigned>(offset - lineStarts[line - 1] + 1)};
  }

  Location at(const antlr4::Token *token) const {
    size_t index = std::min<size_t>(token->getStartIndex(),
                                    codePointOffsets.size() - 1);
    if (token->getType() == antlr4::Token::EOF)
      index = codePointOffsets.size() - 1;
    return atByte(codePointOffsets[index]);
  }

  Location at(antlr4::ParserRuleContext *ctx) const {
    return at(ctx->getStart());
  }
  Location at(antlr4::tree::TerminalNode *node) const {
    return at(node->getSymbol());
  }

private:
  llvm::StringRef file;
  std::vector<size_t> lineStarts;
  std::vector<size_t> codePointOffsets;
};

/// A parsed file: the tree points into the parser and its token stream, so
/// they live and die together. `text` must be valid UTF-8 (ANTLR's input
/// stream throws on anything else).
struct ParseTree {
  ParseTree(const std::string &text, LocationMap locations)
      : locations(std::move(locations)), input(text), lexer(&input),
        tokens(&lexer), parser(&tokens) {}

  LocationMap locations;
  antlr4::ANTLRInputStream input;
  parser::DreamLexer lexer;
  antlr4::CommonTokenStream tokens; ///< Every token, comments included.
  parser::DreamParser parser;
  parser::DreamParser::FileContext *file = nullptr;
};

/// Parses `text` as parseModule does, reporting the same first error, and
/// keeps the parse tree; nullptr after an error.
std::unique_ptr<ParseTree> parseTree(const std::string &text,
                                     llvm::StringRef fileName,
                                     DiagnosticEngine &diag);

} // namespace dream

#endif // DREAM_LIB_PARSE_PARSETREE_H
