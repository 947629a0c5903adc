//===- Document.cpp - One version of an open file, checked ----------------===//

#include "Document.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace dream;
using namespace dream::lsp;

URIForFile lsp::uriOf(llvm::StringRef path) {
  llvm::SmallString<256> absolute(path);
  llvm::sys::fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  auto uri = URIForFile::fromFile(absolute);
  if (!uri) {
    llvm::consumeError(uri.takeError());
    return URIForFile();
  }
  return *uri;
}

Document::Document(std::string path, const std::string &text,
                   const SemaOptions &options, const OpenFiles &openFiles)
    : filePath(std::move(path)) {
  // Registered before the check, the editor's texts are what loading a
  // file by its path finds.
  documentText = sourceManager.addBuffer(filePath, text);
  for (const auto &[other, otherText] : openFiles)
    if (other != filePath)
      sourceManager.addBuffer(other, otherText);

  // Nothing is printed: the consumer takes every diagnostic.
  std::string unused;
  llvm::raw_string_ostream nowhere(unused);
  DiagnosticEngine diag(sourceManager, nowhere);
  diag.setConsumer([this](const std::vector<DiagnosticEngine::Entry> &entries) {
    collect(entries);
  });
  analyzeInto(checked, filePath, sourceManager, diag, options);
}

const Module *Document::root() const {
  if (checked.modules.empty() || checked.modules.front()->path != filePath)
    return nullptr;
  return checked.modules.front().get();
}

/// Where in this file a diagnostic shows: its own location, or for one in an
/// imported file the first note here (the import that brought it in).
std::optional<Location>
Document::shownHere(const std::vector<DiagnosticEngine::Entry> &entries) const {
  for (const DiagnosticEngine::Entry &entry : entries)
    if (entry.loc.file == filePath)
      return entry.loc;
  return std::nullopt;
}

static DiagnosticSeverity severityOf(Severity severity) {
  switch (severity) {
  case Severity::Error:
    return DiagnosticSeverity::Error;
  case Severity::Warning:
    return DiagnosticSeverity::Warning;
  case Severity::Note:
    return DiagnosticSeverity::Information;
  }
  return DiagnosticSeverity::Error;
}

void Document::collect(const std::vector<DiagnosticEngine::Entry> &entries) {
  const DiagnosticEngine::Entry &main = entries.front();
  // A message about the whole file (no line) shows at its start.
  bool here = main.loc.file == filePath || main.loc.file.empty();
  std::optional<Location> where = here ? main.loc : shownHere(entries);
  if (!where)
    return;
  Diagnostic diagnostic;
  diagnostic.source = "dreamc";
  diagnostic.severity = severityOf(main.severity);
  diagnostic.range = tokenRange(sourceManager, *where);
  diagnostic.message = main.message;
  if (!here)
    diagnostic.message = "in " + main.loc.file.str() + ":" +
                         std::to_string(main.loc.line) + ":" +
                         std::to_string(main.loc.col) + ": " + main.message;
  std::vector<DiagnosticRelatedInformation> related;
  for (const DiagnosticEngine::Entry &entry : entries) {
    if (&entry == &main && here)
      continue;
    if (!entry.loc.isValid()) {
      diagnostic.message += "\n" + entry.message;
      continue;
    }
    related.emplace_back(
        mlir::lsp::Location(uriOf(entry.loc.file),
                            tokenRange(sourceManager, entry.loc)),
        entry.message);
  }
  if (!related.empty())
    diagnostic.relatedInformation = std::move(related);
  published.push_back(std::move(diagnostic));
}
