//===- Diagnostics.h - Source files, locations and located errors --------===//
//
// Every message dreamc prints goes through one DiagnosticEngine, so that all
// of them share one shape:
//
//   file:line:col: error: <what>
//     <the source line>
//           ^
//   file:line:col: note: <the other side of the conflict>
//
// Columns count bytes from 1, as clang and MLIR do. The engine keeps the text
// of every file it has read so it can quote lines long after parsing.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_SUPPORT_DIAGNOSTICS_H
#define DREAM_SUPPORT_DIAGNOSTICS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dream {

/// A place in a source file. `file` points into the SourceManager's storage,
/// which outlives every AST built from it. Line 0 means "no location".
struct Location {
  llvm::StringRef file;
  unsigned line = 0;
  unsigned col = 0;

  bool isValid() const { return line != 0; }
};

/// Owns the text of every file the compilation reads.
class SourceManager {
public:
  /// Reads `path`. On failure returns nullptr and sets `error` to a reason
  /// a user understands ("no such file", "is a directory", ...).
  const std::string *load(llvm::StringRef path, std::string &error);
  /// Registers text that does not come from disk (tests, fuzzers).
  const std::string *addBuffer(llvm::StringRef name, std::string text);
  /// The stable name under which `path` was registered.
  llvm::StringRef nameOf(const std::string *buffer) const;
  /// The text of line `line` (1-based) of `file`, without its newline.
  llvm::StringRef lineText(llvm::StringRef file, unsigned line) const;

private:
  struct Buffer {
    std::string name;
    std::string text;
    std::vector<size_t> lineStarts;
  };
  const Buffer *find(llvm::StringRef file) const;
  std::deque<Buffer> buffers;
};

enum class Severity { Error, Warning, Note };

/// Collects and prints located diagnostics.
///
/// Like clang's template instantiation notes, an engine keeps a stack of
/// contexts (a block being applied, a file being imported): every error
/// reported while a context is open gets a note at it, innermost first, so
/// an error inside a block body says which application caused it.
class DiagnosticEngine {
public:
  DiagnosticEngine(const SourceManager &sources, llvm::raw_ostream &os)
      : sources(sources), os(os) {}

  struct Entry {
    Severity severity;
    Location loc;
    std::string message;
  };

  /// A diagnostic that prints itself (and its notes) when it goes out of
  /// scope, so callers can chain notes: `diag.error(a, "...").note(b, "...")`.
  class Builder {
  public:
    Builder(DiagnosticEngine &engine, Severity severity, Location loc,
            std::string message);
    Builder(Builder &&other) noexcept;
    ~Builder();
    Builder &note(Location loc, std::string message);

  private:
    /// The notes of the open contexts that this diagnostic does not
    /// already show, innermost first.
    std::vector<Entry> contextNotes() const;

    DiagnosticEngine *engine;
    std::vector<Entry> entries;
    /// The contexts open when the error was reported, innermost first.
    std::vector<Entry> context;
  };

  Builder error(Location loc, std::string message);
  Builder warning(Location loc, std::string message);

  /// Receives each diagnostic whole: the error or warning first, then its
  /// notes, context notes included.
  using Consumer = std::function<void(const std::vector<Entry> &)>;
  /// Hands every diagnostic to `consumer` instead of printing it, for tools
  /// that show diagnostics elsewhere than on a terminal (dream-lsp).
  void setConsumer(Consumer consumer) { this->consumer = std::move(consumer); }

  /// Opens a context for its lifetime: errors reported meanwhile get the
  /// note `message` at `loc`.
  class Context {
  public:
    Context(DiagnosticEngine &engine, Location loc, std::string message);
    ~Context();
    Context(const Context &) = delete;
    Context &operator=(const Context &) = delete;

  private:
    DiagnosticEngine &engine;
  };

  unsigned errorCount() const { return errors; }
  bool hasErrors() const { return errors != 0; }

private:
  void print(Severity severity, Location loc, llvm::StringRef message);

  const SourceManager &sources;
  llvm::raw_ostream &os;
  unsigned errors = 0;
  std::vector<Entry> contexts; ///< Open contexts, outermost first.
  Consumer consumer;
};

/// Quotes a name for a message, shortening very long names so that a
/// megabyte-long identifier does not become a megabyte-long error.
std::string quote(llvm::StringRef name);

/// Quotes a file path for a message. Unlike quote(), never shortens it: a
/// path is only useful whole.
std::string quotePath(llvm::StringRef path);

/// The closest candidate to `name` within a small edit distance, or "", for
/// "did you mean ...?" notes. `name` itself is never suggested.
std::string closestMatch(llvm::StringRef name,
                         const std::vector<std::string> &candidates);

} // namespace dream

#endif // DREAM_SUPPORT_DIAGNOSTICS_H
