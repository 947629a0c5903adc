//===- Diagnostics.cpp - Source files, locations and located errors ------===//

#include "dream/Support/Diagnostics.h"

#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"

#include <algorithm>

using namespace dream;

//===----------------------------------------------------------------------===//
// SourceManager
//===----------------------------------------------------------------------===//

const std::string *SourceManager::load(llvm::StringRef path,
                                       std::string &error) {
  if (const Buffer *known = find(path))
    return &known->text;
  if (llvm::sys::fs::is_directory(path)) {
    error = "is a directory, not a .dream file";
    return nullptr;
  }
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) {
    error = file.getError().message();
    return nullptr;
  }
  return addBuffer(path, (*file)->getBuffer().str());
}

const std::string *SourceManager::addBuffer(llvm::StringRef name,
                                            std::string text) {
  Buffer &buffer = buffers.emplace_back();
  buffer.name = name.str();
  buffer.text = std::move(text);
  buffer.lineStarts.push_back(0);
  for (size_t i = 0; i < buffer.text.size(); ++i)
    if (buffer.text[i] == '\n')
      buffer.lineStarts.push_back(i + 1);
  return &buffer.text;
}

llvm::StringRef SourceManager::nameOf(const std::string *text) const {
  for (const Buffer &buffer : buffers)
    if (&buffer.text == text)
      return buffer.name;
  return {};
}

const SourceManager::Buffer *SourceManager::find(llvm::StringRef file) const {
  for (const Buffer &buffer : buffers)
    if (buffer.name == file)
      return &buffer;
  return nullptr;
}

llvm::StringRef SourceManager::lineText(llvm::StringRef file,
                                        unsigned line) const {
  const Buffer *buffer = find(file);
  if (!buffer || line == 0 || line > buffer->lineStarts.size())
    return {};
  size_t begin = buffer->lineStarts[line - 1];
  size_t end = buffer->text.find('\n', begin);
  if (end == std::string::npos)
    end = buffer->text.size();
  llvm::StringRef text(buffer->text.data() + begin, end - begin);
  return text.rtrim('\r');
}

//===----------------------------------------------------------------------===//
// DiagnosticEngine
//===----------------------------------------------------------------------===//

DiagnosticEngine::Builder::Builder(DiagnosticEngine &engine, Severity severity,
                                   Location loc, std::string message)
    : engine(&engine) {
  entries.push_back({severity, loc, std::move(message)});
  if (severity == Severity::Error)
    context.assign(engine.contexts.rbegin(), engine.contexts.rend());
}

DiagnosticEngine::Builder::Builder(Builder &&other) noexcept
    : engine(other.engine), entries(std::move(other.entries)),
      context(std::move(other.context)) {
  other.engine = nullptr;
}

/// Context notes beyond this many are summarised, as clang limits its
/// template instantiation backtrace: the innermost and outermost halves are
/// the informative ones.
static constexpr size_t kMaxContextNotes = 10;

static bool sameLocation(Location a, Location b) {
  return a.file == b.file && a.line == b.line && a.col == b.col;
}

DiagnosticEngine::Builder::~Builder() {
  if (!engine)
    return;
  std::vector<Entry> all = entries;
  for (Entry &note : contextNotes())
    all.push_back(std::move(note));
  if (engine->consumer) {
    engine->consumer(all);
    return;
  }
  for (const Entry &entry : all)
    engine->print(entry.severity, entry.loc, entry.message);
}

std::vector<DiagnosticEngine::Entry>
DiagnosticEngine::Builder::contextNotes() const {
  // A context at a place the diagnostic already shows adds nothing.
  std::vector<const Entry *> notes;
  for (const Entry &frame : context)
    if (std::none_of(entries.begin(), entries.end(), [&](const Entry &e) {
          return sameLocation(e.loc, frame.loc);
        }))
      notes.push_back(&frame);
  size_t skipped =
      notes.size() > kMaxContextNotes ? notes.size() - kMaxContextNotes : 0;
  std::vector<Entry> shown;
  for (size_t i = 0; i < notes.size(); ++i) {
    if (skipped && i == kMaxContextNotes / 2) {
      shown.push_back({Severity::Note, {},
                       "(" + std::to_string(skipped) + " more context" +
                           (skipped == 1 ? "" : "s") + " skipped)"});
      i += skipped - 1;
      continue;
    }
    shown.push_back(*notes[i]);
  }
  return shown;
}

DiagnosticEngine::Builder &
DiagnosticEngine::Builder::note(Location loc, std::string message) {
  entries.push_back({Severity::Note, loc, std::move(message)});
  return *this;
}

DiagnosticEngine::Builder DiagnosticEngine::error(Location loc,
                                                  std::string message) {
  ++errors;
  return Builder(*this, Severity::Error, loc, std::move(message));
}

DiagnosticEngine::Builder DiagnosticEngine::warning(Location loc,
                                                    std::string message) {
  return Builder(*this, Severity::Warning, loc, std::move(message));
}

DiagnosticEngine::Context::Context(DiagnosticEngine &engine, Location loc,
                                   std::string message)
    : engine(engine) {
  engine.contexts.push_back({Severity::Note, loc, std::move(message)});
}

DiagnosticEngine::Context::~Context() { engine.contexts.pop_back(); }

/// Lines longer than this are shown as a window around the column, so that
/// a pathological input cannot turn one diagnostic into megabytes of output.
static constexpr size_t kMaxQuotedLine = 160;

/// The quoted form of `line` and the marker line that puts a caret under
/// byte `caret`. Tabs stay tabs under the caret so it lines up in any
/// terminal; control bytes and bytes that are not valid UTF-8 are shown as
/// '?' so the quote cannot corrupt the terminal. One marker column per
/// character, not per byte.
static void showLine(llvm::StringRef line, size_t caret, std::string &shown,
                     std::string &marker) {
  auto *bytes = reinterpret_cast<const llvm::UTF8 *>(line.data());
  for (size_t i = 0; i < line.size();) {
    char c = line[i];
    size_t length = 1;
    if (static_cast<unsigned char>(c) >= 0x80) {
      length = llvm::getNumBytesForUTF8(bytes[i]);
      if (i + length > line.size() ||
          !llvm::isLegalUTF8Sequence(bytes + i, bytes + i + length))
        length = 0;
    }
    bool printable = c == '\t' || static_cast<unsigned char>(c) >= 0x20;
    if (length == 0 || !printable || c == 0x7f)
      shown += '?';
    else
      shown.append(line.data() + i, length);
    if (i < caret)
      marker += c == '\t' ? '\t' : ' ';
    i += std::max<size_t>(length, 1);
  }
}

void DiagnosticEngine::print(Severity severity, Location loc,
                             llvm::StringRef message) {
  if (loc.isValid())
    os << loc.file << ':' << loc.line << ':' << loc.col << ": ";
  else if (!loc.file.empty())
    os << loc.file << ": ";
  switch (severity) {
  case Severity::Error:
    os << "error: ";
    break;
  case Severity::Warning:
    os << "warning: ";
    break;
  case Severity::Note:
    os << "note: ";
    break;
  }
  os << message << '\n';
  if (!loc.isValid())
    return;

  llvm::StringRef line = sources.lineText(loc.file, loc.line);
  size_t caret = std::min<size_t>(loc.col ? loc.col - 1 : 0, line.size());
  size_t begin = 0;
  if (line.size() > kMaxQuotedLine) {
    begin = caret > kMaxQuotedLine / 2 ? caret - kMaxQuotedLine / 2 : 0;
    line = line.substr(begin, kMaxQuotedLine);
  }
  std::string shown, marker;
  showLine(line, caret - begin, shown, marker);
  os << "  " << shown << "\n  " << marker << "^\n";
}
std::string dream::quotePath(llvm::StringRef path) {
  return "'" + path.str() + "'";
}

std::string dream::closestMatch(llvm::StringRef name,
                                const std::vector<std::string> &candidates) {
  std::string best;
  unsigned bestDistance = 3; // Suggest only near misses.
  if (name.size() > 64)
    return best;
  for (const std::string &candidate : candidates) {
    unsigned distance = name.edit_distance(candidate, true, bestDistance);
    if (distance > 0 && distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best;
}

std::string dream::quote(llvm::StringRef name) {
  constexpr size_t kMaxShown = 40;
  if (name.size() <= kMaxShown)
    return "'" + name.str() + "'";
  return "'" + name.take_front(kMaxShown).str() + "...' (" +
         std::to_string(name.size()) + " characters)";
}
