//===- dream-format.cpp - Lays .dream files out in the canonical style ----===//
//
// `dream-format FILE...` prints each file formatted; `-i` rewrites the
// files in place, `--check` only says which would change (for CI and
// pre-commit hooks). The layout is docs/format.md's.
//
// Exit status: 0 on success; 1 if a file does not parse or cannot be
// written, or, with --check, would change.
//
//===----------------------------------------------------------------------===//

#include "dream/Parse/Formatter.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <unistd.h>

using namespace dream;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("dream-format options");

cl::list<std::string> inputFiles(cl::Positional, cl::desc("<.dream file>..."),
                                 cl::OneOrMore, cl::cat(category));
cl::opt<bool> inPlace("i",
                      cl::desc("Rewrite the files in place (those that "
                               "change, each replaced whole or not at all)"),
                      cl::cat(category));
cl::opt<bool> check("check",
                    cl::desc("Write nothing; name each file that would "
                             "change and exit with 1 if there is one"),
                    cl::cat(category));

int error(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "dream-format") << message << "\n";
  return 1;
}

/// Replaces `path` by `text` through a temporary file in the same
/// directory and a rename: a reader sees the old file or the new one,
/// never a part of it. The file keeps its permissions.
int replaceFile(llvm::StringRef given, llvm::StringRef text) {
  // A link stays a link: the file it points at is the one replaced.
  llvm::SmallString<256> path;
  if (std::error_code ec = llvm::sys::fs::real_path(given, path))
    return error("cannot read '" + given + "': " + ec.message());
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return error("cannot read '" + given + "': " + ec.message());
  int fd;
  llvm::SmallString<256> temporary;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(
          path + ".tmp-%%%%%%", fd, temporary))
    return error("cannot write next to '" + given + "': " + ec.message());
  std::error_code ec;
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << text;
    os.flush();
    // On disk before the rename, so that a crash leaves the old file or
    // the whole new one.
    if (!os.has_error() && ::fsync(fd) != 0)
      ec = std::error_code(errno, std::generic_category());
    os.close();
    if (os.has_error()) {
      ec = os.error();
      os.clear_error();
    }
  }
  if (!ec)
    ec = llvm::sys::fs::setPermissions(temporary, status.permissions());
  if (!ec)
    ec = llvm::sys::fs::rename(temporary, path);
  if (ec) {
    llvm::sys::fs::remove(temporary);
    return error("cannot write '" + given + "': " + ec.message());
  }
  return 0;
}

/// Formats one file as the options say; returns its exit status.
int formatFile(const std::string &path) {
  SourceManager sources;
  DiagnosticEngine diag(sources, llvm::errs());
  std::string reason;
  const std::string *text = sources.load(path, reason);
  if (!text) {
    diag.error(Location{path, 0, 0},
               "cannot read " + quotePath(path) + ": " + reason);
    return 1;
  }
  std::optional<std::string> formatted =
      formatSource(*text, sources.nameOf(text), diag);
  if (!formatted)
    return 1;
  if (check) {
    if (*formatted == *text)
      return 0;
    llvm::outs() << path << ": would be reformatted\n";
    return 1;
  }
  if (inPlace)
    return *formatted == *text ? 0 : replaceFile(path, *formatted);
  llvm::outs() << *formatted;
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "dream-format " << DREAMC_VERSION << " (LLVM/MLIR "
       << LLVM_VERSION_STRING << ")\n";
  });
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "dream-format: lays .dream files out in the canonical style "
      "(docs/format.md)\n");
  if (inPlace && check)
    return error("-i and --check exclude each other: --check writes nothing");
  int status = 0;
  for (const std::string &path : inputFiles)
    status |= formatFile(path);
  return status;
}
