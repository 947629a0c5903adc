//===- Document.h - One version of an open file, checked ------------------===//
//
// Every edit of a .dream file is checked from scratch, as dreamc would check
// it: the text is parsed and analysed with its imports, and what the
// diagnostics engine reports is kept as LSP diagnostics instead of being
// printed. The checked program is kept too, as far as checking got, so that
// hover, definitions and completion can use it even in a file with errors.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LSP_DOCUMENT_H
#define DREAM_LSP_DOCUMENT_H

#include "Positions.h"

#include "dream/Sema/Sema.h"

#include <map>

namespace dream::lsp {

/// The text of the files open in the editor, by path: imports read these
/// rather than what is saved on disk.
using OpenFiles = std::map<std::string, std::string>;

class Document {
public:
  /// Checks `text`, the content of the file at absolute path `path`.
  Document(std::string path, const std::string &text,
           const SemaOptions &options, const OpenFiles &openFiles);

  Document(const Document &) = delete;
  Document &operator=(const Document &) = delete;

  llvm::StringRef path() const { return filePath; }
  const std::string &text() const { return *documentText; }
  const std::vector<Diagnostic> &diagnostics() const { return published; }
  /// The checked program, as far as checking got.
  const Program &program() const { return checked; }
  /// The parsed file, or nullptr when it has a syntax error.
  const Module *root() const;
  /// Every file the check read, this one included, by path.
  const SourceManager &sources() const { return sourceManager; }

  /// The text of line `line` (1-based) of this document.
  llvm::StringRef lineText(unsigned line) const {
    return sourceManager.lineText(filePath, line);
  }

private:
  void collect(const std::vector<DiagnosticEngine::Entry> &entries);
  std::optional<Location>
  shownHere(const std::vector<DiagnosticEngine::Entry> &entries) const;

  std::string filePath;
  SourceManager sourceManager;
  const std::string *documentText = nullptr;
  Program checked;
  std::vector<Diagnostic> published;
};

/// The URI of a file that a diagnostic, a definition or an import names.
URIForFile uriOf(llvm::StringRef path);

} // namespace dream::lsp

#endif // DREAM_LSP_DOCUMENT_H
