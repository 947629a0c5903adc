//===- Outline.cpp - The declarations of a document, and shapes inline ----===//

#include "Outline.h"

using namespace dream;
using namespace dream::lsp;
using mlir::lsp::DocumentSymbol;
using mlir::lsp::InlayHint;
using mlir::lsp::InlayHintKind;
using mlir::lsp::SymbolKind;

namespace {

/// Byte offset of `loc` in the document.
size_t offsetOf(const Document &document, Location loc) {
  return document.lineText(loc.line).data() - document.text().data() + loc.col -
         1;
}

/// The position of byte offset `offset` of the document.
Position positionAt(const Document &document, size_t offset) {
  llvm::StringRef before = llvm::StringRef(document.text()).take_front(offset);
  unsigned line = before.count('\n') + 1;
  size_t lineStart = before.rfind('\n') + 1; // npos + 1 is 0.
  return toPosition(document.lineText(line), line, offset - lineStart + 1);
}

/// The offset just past the `}` that closes the first `{` from `from`,
/// skipping comments and strings; the end of the text if it never closes.
size_t pastClosingBrace(llvm::StringRef text, size_t from) {
  int depth = 0;
  for (size_t i = from; i < text.size(); ++i) {
    llvm::StringRef rest = text.drop_front(i);
    if (rest.starts_with("//")) {
      i = text.find('\n', i);
      if (i == llvm::StringRef::npos)
        break;
    } else if (rest.starts_with("/*")) {
      i = text.find("*/", i + 2);
      if (i == llvm::StringRef::npos)
        break;
      ++i;
    } else if (text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"' && text[i] != '\n'; ++i)
        if (text[i] == '\\')
          ++i;
    } else if (text[i] == '{') {
      ++depth;
    } else if (text[i] == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return text.size();
}

/// A symbol from the start of its declaration's line to its closing brace;
/// `loc` is the declared name, of `length` bytes.
DocumentSymbol symbolAt(const Document &document, llvm::StringRef name,
                        SymbolKind kind, Location loc, size_t length) {
  size_t end = pastClosingBrace(document.text(), offsetOf(document, loc));
  Range whole(Position(loc.line - 1, 0), positionAt(document, end));
  return DocumentSymbol(name, kind, whole,
                        toRange(document.sources(), loc, length));
}

/// Where the code of line `line` ends, before trailing space and comments.
unsigned endOfCode(llvm::StringRef lineText) {
  size_t end = lineText.size();
  bool inString = false;
  for (size_t i = 0; i < lineText.size(); ++i) {
    if (lineText[i] == '"')
      inString = !inString;
    else if (!inString && lineText.substr(i).starts_with("//")) {
      end = i;
      break;
    } else if (inString && lineText[i] == '\\') {
      ++i;
    }
  }
  return lineText.take_front(end).rtrim().size() + 1;
}

} // namespace

std::vector<DocumentSymbol> lsp::documentSymbols(const Document &document) {
  std::vector<DocumentSymbol> symbols;
  const Module *root = document.root();
  if (!root)
    return symbols;
  for (const BlockDecl &block : root->blocks) {
    DocumentSymbol &symbol = symbols.emplace_back(
        symbolAt(document, block.name,
                 block.isNetwork ? SymbolKind::Class : SymbolKind::Function,
                 block.loc, block.name.size()));
    symbol.detail = block.isNetwork ? "network" : "block";
    for (const Stmt &stmt : block.body)
      if (stmt.kind == Stmt::Kind::Input || stmt.kind == Stmt::Kind::Let) {
        Range name = toRange(document.sources(), stmt.loc, stmt.name.size());
        symbol.children.emplace_back(stmt.name, SymbolKind::Variable, name,
                                     name);
      }
  }
  for (const EncoderDecl &encoder : root->encoders)
    symbols
        .emplace_back(symbolAt(document, encoder.name, SymbolKind::Struct,
                               encoder.loc, encoder.name.size()))
        .detail = encoder.isAutoencoder ? "autoencoder" : "encoder";
  for (const TrainDecl &train : root->trains)
    symbols
        .emplace_back(symbolAt(document, "train " + train.network,
                               SymbolKind::Event, train.loc,
                               train.network.size()))
        .detail = "recipe";
  return symbols;
}

std::vector<InlayHint> lsp::inlayHints(const DocumentIndex &index,
                                       const Range &range) {
  const Document &document = index.document();
  std::vector<InlayHint> hints;
  for (const Occurrence &binding : index.occurrences()) {
    if (binding.kind != Occurrence::Kind::Binding ||
        binding.stmt->kind != Stmt::Kind::Let)
      continue;
    int line = binding.loc.line - 1;
    if (line < range.start.line || line > range.end.line)
      continue;
    auto types = index.typesOf(binding);
    if (types.empty())
      continue;
    std::string label;
    for (const DocumentIndex::Typed &typed : types)
      label += (label.empty() ? ": " : " | ") + typed.type.str();
    llvm::StringRef text = document.lineText(binding.loc.line);
    // Several statements may share a line: the hint goes before the next.
    unsigned end = endOfCode(text);
    for (const Stmt &stmt : binding.body->body)
      if (stmt.loc.line == binding.loc.line && stmt.loc.col > binding.loc.col)
        end = std::min<unsigned>(
            end, text.take_front(stmt.loc.col - 1).rtrim().size() + 1);
    InlayHint &hint = hints.emplace_back(
        InlayHintKind::Type, toPosition(text, binding.loc.line, end));
    hint.label = label;
    hint.paddingLeft = true;
  }
  return hints;
}
