//===- Files.cpp - Paths, directories and atomic writes -------------------===//

#include "dream/Runtime/Files.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
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

} // namespace dream::rt
