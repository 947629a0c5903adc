//===- Files.cpp - Paths, directories and atomic writes -------------------===//

#include "dream/Runtime/Files.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <exception>
#include <memory>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dream::rt {
namespace {

[[noreturn]] void systemFail(const std::string &path, const char *action) {
  throw FileError(path + ": cannot " + action + ": " + std::strerror(errno));
}

std::string parentPath(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void writeAll(int fd, const char *data, size_t size, const std::string &path) {
  while (size > 0) {
    ssize_t written = ::write(fd, data, size);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      systemFail(path, "write");
    data += written;
    size -= static_cast<size_t>(written);
  }
}

/// Makes a rename in `dir` durable.
void syncDirectory(const std::string &dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return;
  ::fsync(fd);
  ::close(fd);
}

/// Removes the temporary files that writers of `path` killed before their
/// rename left behind (`path.tmp.PID` of processes that no longer run).
void removeAbandonedTemporaries(const std::string &path) {
  std::string dir = parentPath(path);
  std::string prefix = path.substr(dir.empty() ? 0 : dir.size() + 1) + ".tmp.";
  DIR *entries = ::opendir(dir.empty() ? "." : dir.c_str());
  if (!entries)
    return;
  while (const dirent *entry = ::readdir(entries)) {
    std::string name = entry->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0)
      continue;
    char *end = nullptr;
    long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (pid > 0 && *end == '\0' && ::kill(static_cast<pid_t>(pid), 0) != 0 &&
        errno == ESRCH)
      ::unlink(joinPath(dir, name).c_str());
  }
  ::closedir(entries);
}

/// This process's command line, its arguments joined by spaces.
std::string commandLine() {
  std::string text;
  int fd = ::open("/proc/self/cmdline", O_RDONLY);
  if (fd < 0)
    return text;
  char buffer[4096];
  ssize_t size;
  while ((size = ::read(fd, buffer, sizeof buffer)) > 0)
    text.append(buffer, static_cast<size_t>(size));
  ::close(fd);
  while (!text.empty() && text.back() == '\0')
    text.pop_back();
  for (char &c : text)
    if (c == '\0')
      c = ' ';
  return text;
}

/// The whole content of the open file `fd`, from its start.
std::string readAll(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t size;
  ::lseek(fd, 0, SEEK_SET);
  while ((size = ::read(fd, buffer, sizeof buffer)) > 0)
    text.append(buffer, static_cast<size_t>(size));
  return text;
}

} // namespace

bool pathExists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

bool isDirectory(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::string joinPath(const std::string &dir, const std::string &name) {
  if (dir.empty())
    return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string absolutePath(const std::string &path) {
  std::string start = path;
  if (path.empty() || path[0] != '/') {
    char cwd[4096];
    start = ::getcwd(cwd, sizeof cwd) ? joinPath(cwd, path) : path;
  }
  std::vector<std::string> parts;
  size_t from = 0;
  while (from <= start.size()) {
    size_t to = start.find('/', from);
    std::string part = start.substr(from, to - from);
    if (part == "..") {
      if (!parts.empty())
        parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (to == std::string::npos)
      break;
    from = to + 1;
  }
  std::string absolute;
  for (const std::string &part : parts)
    absolute += "/" + part;
  return absolute.empty() ? "/" : absolute;
}

namespace {

/// Adds the regular files under `dir` (as `prefix`/name) to `files`;
/// false if something cannot be examined.
bool collectFiles(const std::string &dir, const std::string &prefix,
                  int depth, std::vector<FileStamp> &files) {
  if (depth > 64)
    return false;
  std::unique_ptr<DIR, int (*)(DIR *)> entries(::opendir(dir.c_str()),
                                               ::closedir);
  if (!entries)
    return false;
  while (const dirent *entry = ::readdir(entries.get())) {
    std::string name = entry->d_name;
    if (name == "." || name == "..")
      continue;
    std::string path = joinPath(dir, name);
    std::string relative = joinPath(prefix, name);
    struct stat info;
    if (::stat(path.c_str(), &info) != 0)
      return false;
    if (S_ISDIR(info.st_mode) &&
        !collectFiles(path, relative, depth + 1, files))
      return false;
    if (S_ISREG(info.st_mode))
      files.push_back({relative, static_cast<int64_t>(info.st_size),
                       info.st_mtim.tv_sec * 1000000000ll +
                           info.st_mtim.tv_nsec});
  }
  return true;
}

} // namespace

std::optional<std::vector<FileStamp>> filesUnder(const std::string &dir) {
  std::vector<FileStamp> files;
  if (!collectFiles(dir, "", 0, files))
    return std::nullopt;
  return files;
}

void createDirectories(const std::string &path) {
  if (path.empty() || isDirectory(path))
    return;
  createDirectories(parentPath(path));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    systemFail(path, "create the directory");
}

void writeFileAtomically(
    const std::string &path,
    const std::vector<std::pair<const char *, size_t>> &chunks) {
  createDirectories(parentPath(path));
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    systemFail(temporary, "create");
  try {
    for (const auto &[data, size] : chunks)
      writeAll(fd, data, size, temporary);
    if (::fsync(fd) != 0)
      systemFail(temporary, "flush");
  } catch (...) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    systemFail(path, "rename the temporary file to");
  }
  syncDirectory(parentPath(path));
  removeAbandonedTemporaries(path);
}

FolderLock::FolderLock(const std::string &folder) {
  bool created = !isDirectory(folder);
  createDirectories(folder);
  std::string path = joinPath(folder, ".dreamc.lock");
  fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    systemFail(path, "open the lock file");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    std::string holder = readAll(fd);
    ::close(fd);
    fd = -1;
    if (error != EWOULDBLOCK) {
      errno = error;
      systemFail(path, "lock");
    }
    while (!holder.empty() && holder.back() == '\n')
      holder.pop_back();
    throw FileError(folder + " is in use by another run (" +
                    (holder.empty() ? "a process that is starting" : holder) +
                    "), which holds " + path +
                    ": wait for it to end, or choose another --checkpoint "
                    "folder");
  }
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  std::string holder = "pid " + std::to_string(::getpid()) + " on " + host +
                       ": " + commandLine() + "\n";
  // The holder's description is informative only: a failure to write it
  // leaves the lock itself intact.
  if (::ftruncate(fd, 0) == 0)
    (void)!::pwrite(fd, holder.data(), holder.size(), 0);
  if (created)
    dir = folder;
}

FolderLock::FolderLock(FolderLock &&other) noexcept
    : fd(other.fd), dir(std::move(other.dir)) {
  other.fd = -1;
  other.dir.clear();
}

FolderLock &FolderLock::operator=(FolderLock &&other) noexcept {
  std::swap(fd, other.fd);
  std::swap(dir, other.dir);
  return *this;
}

/// Whether `dir` holds nothing but its lock file.
static bool holdsOnlyTheLock(const std::string &dir) {
  DIR *entries = ::opendir(dir.c_str());
  if (!entries)
    return false;
  bool only = true;
  while (const dirent *entry = ::readdir(entries)) {
    std::string name = entry->d_name;
    only = only && (name == "." || name == ".." || name == ".dreamc.lock");
  }
  ::closedir(entries);
  return only;
}

FolderLock::~FolderLock() {
  if (fd < 0)
    return;
  // A run refused before its first write (bad data, say) leaves no folder
  // it made. The lock file goes while still held: only a run that opened
  // it in that instant, and locks it after, would hold a removed file.
  if (!dir.empty() && std::uncaught_exceptions() > 0 && holdsOnlyTheLock(dir)) {
    ::unlink(joinPath(dir, ".dreamc.lock").c_str());
    ::rmdir(dir.c_str());
  }
  ::close(fd); // Releases the lock; the file stays for the next holder.
}

} // namespace dream::rt
