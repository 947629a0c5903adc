//===- Files.h - Paths, directories and atomic writes -----------*- C++ -*-===//
//
// POSIX file helpers. The runtime does not use std::filesystem: the torch
// wheel's libtorch.so exports its own statically linked copies of those
// functions, which take precedence over libstdc++'s and crash (for example
// remove_all; pytorch/pytorch#133437).
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_FILES_H
#define DREAM_RUNTIME_FILES_H

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dream::rt {

/// A file that cannot be read or written; the message names the file.
class FileError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

bool pathExists(const std::string &path);
bool isDirectory(const std::string &path);

/// "dir/name" (just "name" if `dir` is empty).
std::string joinPath(const std::string &dir, const std::string &name);

/// `path` made absolute against the working directory, with `.`, `..`
/// and repeated slashes resolved as text (links are not followed).
std::string absolutePath(const std::string &path);

/// A regular file under a folder: its path relative to the folder, size
/// and modification time.
struct FileStamp {
  std::string path;
  int64_t size = 0;
  int64_t modifiedNs = 0;
};

/// Every regular file under `dir`, following links, in no particular
/// order; none if some file or folder cannot be examined (or links nest
/// past 64 folders, as a loop would).
std::optional<std::vector<FileStamp>> filesUnder(const std::string &dir);

/// Creates `path` and its missing parents. Throws FileError.
void createDirectories(const std::string &path);

/// Writes `chunks` to `path` atomically: a temporary file next to it is
/// written, flushed to disk and renamed over `path`, so an interrupted
/// write never leaves a half-written file. Creates missing parent
/// directories. Throws FileError.
void writeFileAtomically(
    const std::string &path,
    const std::vector<std::pair<const char *, size_t>> &chunks);

/// The lock of a folder that one run writes to: an advisory lock (`flock`)
/// on DIR/.dreamc.lock, held from construction to destruction. The file
/// names the holder (pid, host, command line) for the one refused. The
/// kernel releases the lock when its process ends, however it ends, so a
/// lock left by a dead run is taken over without asking. A run that fails
/// (an exception unwinds past the lock) before writing anything into a
/// folder it created leaves no folder behind.
class FolderLock {
public:
  FolderLock() = default;
  /// Creates `dir` if missing and takes its lock; throws FileError naming
  /// the folder and the process that holds it if another one does.
  explicit FolderLock(const std::string &dir);
  FolderLock(FolderLock &&other) noexcept;
  FolderLock &operator=(FolderLock &&other) noexcept;
  FolderLock(const FolderLock &) = delete;
  FolderLock &operator=(const FolderLock &) = delete;
  ~FolderLock();

private:
  int fd = -1;
  std::string dir; ///< Set if this lock created the folder.
};

} // namespace dream::rt

#endif // DREAM_RUNTIME_FILES_H
