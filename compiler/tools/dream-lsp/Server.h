//===- Server.h - The open documents and the language features ------------===//
//
// Keeps every open document checked at its latest version and answers the
// protocol's questions about it in the protocol's terms. Nothing here reads
// or writes JSON: LSPServer.cpp does, so this can be driven directly.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LSP_SERVER_H
#define DREAM_LSP_SERVER_H

#include "DocumentIndex.h"

#include <memory>

namespace dream::lsp {

class Server {
public:
  explicit Server(SemaOptions options) : options(std::move(options)) {}

  /// Opens `uri` or replaces its text, checks it and returns the
  /// diagnostics to publish for it.
  std::vector<Diagnostic> update(const URIForFile &uri, std::string text);
  void close(const URIForFile &uri);

  std::optional<mlir::lsp::Hover> hover(const URIForFile &uri,
                                        const Position &position) const;
  std::vector<mlir::lsp::Location> definition(const URIForFile &uri,
                                              const Position &position) const;
  mlir::lsp::CompletionList complete(const URIForFile &uri,
                                     const Position &position) const;
  std::vector<mlir::lsp::DocumentSymbol>
  documentSymbols(const URIForFile &uri) const;
  std::vector<mlir::lsp::InlayHint> inlayHints(const URIForFile &uri,
                                               const Range &range) const;

private:
  /// One check of a document and the index over it.
  struct Checked {
    Checked(std::string path, const std::string &text,
            const SemaOptions &options, const OpenFiles &openFiles)
        : document(std::move(path), text, options, openFiles), index(document) {
    }
    Document document;
    DocumentIndex index;
  };
  struct Open {
    std::shared_ptr<const Checked> latest;
    /// The latest check whose file parsed: completion's names while the
    /// file being typed does not parse.
    std::shared_ptr<const Checked> lastParsed;
  };

  const Checked *latest(const URIForFile &uri) const;
  /// The name under `position` in the latest check of `uri`.
  const Occurrence *occurrenceAt(const Checked &checked,
                                 const Position &position) const;

  SemaOptions options;
  std::map<std::string, Open> documents; ///< By URI.
  OpenFiles texts;                       ///< By path.
};

} // namespace dream::lsp

#endif // DREAM_LSP_SERVER_H
