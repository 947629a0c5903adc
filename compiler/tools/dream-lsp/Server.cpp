//===- Server.cpp - The open documents and the language features ----------===//

#include "Server.h"

#include "Completion.h"
#include "Hover.h"
#include "Outline.h"

using namespace dream;
using namespace dream::lsp;

std::vector<Diagnostic> Server::update(const URIForFile &uri,
                                       std::string text) {
  texts[uri.file().str()] = text;
  auto checked =
      std::make_shared<const Checked>(uri.file().str(), text, options, texts);
  Open &open = documents[uri.uri().str()];
  open.latest = checked;
  if (checked->document.root())
    open.lastParsed = checked;
  return checked->document.diagnostics();
}

void Server::close(const URIForFile &uri) {
  texts.erase(uri.file().str());
  documents.erase(uri.uri().str());
}

const Server::Checked *Server::latest(const URIForFile &uri) const {
  auto it = documents.find(uri.uri().str());
  return it == documents.end() ? nullptr : it->second.latest.get();
}

const Occurrence *Server::occurrenceAt(const Checked &checked,
                                       const Position &position) const {
  unsigned line = position.line + 1;
  llvm::StringRef text = checked.document.lineText(line);
  return checked.index.at(line, toByteColumn(text, position.character));
}

std::optional<mlir::lsp::Hover> Server::hover(const URIForFile &uri,
                                              const Position &position) const {
  const Checked *checked = latest(uri);
  const Occurrence *occurrence =
      checked ? occurrenceAt(*checked, position) : nullptr;
  if (!occurrence)
    return std::nullopt;
  std::optional<std::string> text = hoverText(checked->index, *occurrence);
  if (!text)
    return std::nullopt;
  mlir::lsp::Hover hover(toRange(checked->document.sources(), occurrence->loc,
                                 occurrence->length));
  hover.contents.value = std::move(*text);
  return hover;
}

std::vector<mlir::lsp::Location>
Server::definition(const URIForFile &uri, const Position &position) const {
  const Checked *checked = latest(uri);
  const Occurrence *occurrence =
      checked ? occurrenceAt(*checked, position) : nullptr;
  if (!occurrence)
    return {};
  std::optional<dream::Location> target =
      checked->index.definition(*occurrence);
  if (!target)
    return {};
  return {mlir::lsp::Location(
      uriOf(target->file), tokenRange(checked->document.sources(), *target))};
}

mlir::lsp::CompletionList Server::complete(const URIForFile &uri,
                                           const Position &position) const {
  auto it = documents.find(uri.uri().str());
  if (it == documents.end())
    return {};
  const Document &document = it->second.latest->document;
  unsigned line = position.line + 1;
  llvm::StringRef text = document.lineText(line);
  // A position past the last line completes at the end.
  size_t offset = text.data() ? text.data() - document.text().data() +
                                    toByteColumn(text, position.character) - 1
                              : document.text().size();
  const Checked *parsed = it->second.lastParsed.get();
  return lsp::complete(document.text(), offset,
                       parsed ? &parsed->index : nullptr, options.stdlibDir);
}

std::vector<mlir::lsp::DocumentSymbol>
Server::documentSymbols(const URIForFile &uri) const {
  const Checked *checked = latest(uri);
  return checked ? lsp::documentSymbols(checked->document)
                 : std::vector<mlir::lsp::DocumentSymbol>();
}

std::vector<mlir::lsp::InlayHint> Server::inlayHints(const URIForFile &uri,
                                                     const Range &range) const {
  const Checked *checked = latest(uri);
  return checked ? lsp::inlayHints(checked->index, range)
                 : std::vector<mlir::lsp::InlayHint>();
}
