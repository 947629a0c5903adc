//===- TestSupport.h - Helpers of the runtime's tests ----------*- C++ -*-===//

#ifndef DREAM_TEST_RUNTIME_TESTSUPPORT_H
#define DREAM_TEST_RUNTIME_TESTSUPPORT_H

#include "dream/Runtime/Plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <ftw.h>
#include <sstream>
#include <string>

namespace dream::rt::test {

inline std::string planPath(const std::string &name) {
  return std::string(DREAMRT_PLAN_DIR) + "/" + name;
}

inline std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline Plan loadTestPlan(const std::string &name) {
  return loadPlanFile(planPath(name));
}

/// A test plan as JSON, to derive variants from.
inline nlohmann::json planJson(const std::string &name) {
  return nlohmann::json::parse(readText(planPath(name)));
}

/// A fresh directory, removed with everything in it at the end of the test.
/// (POSIX calls: std::filesystem is unusable next to libtorch, Files.h.)
class TempDir {
public:
  TempDir() {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp && *tmp ? tmp : "/tmp") + "/dreamrt-test-XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    nftw(
        path_.c_str(),
        [](const char *path, const struct stat *, int, struct FTW *) {
          return ::remove(path);
        },
        16, FTW_DEPTH | FTW_PHYS);
  }
  const std::string &path() const { return path_; }
  std::string operator/(const std::string &name) const {
    return path_ + "/" + name;
  }

private:
  std::string path_;
};

/// The names in a directory, without "." and "..".
inline std::vector<std::string> directoryEntries(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *handle = opendir(dir.c_str())) {
    while (dirent *entry = readdir(handle))
      if (std::string(entry->d_name) != "." &&
          std::string(entry->d_name) != "..")
        names.push_back(entry->d_name);
    closedir(handle);
  }
  return names;
}

/// The text of the exception `body` throws, or "" if it throws none.
template <typename Body> std::string errorOf(Body body) {
  try {
    body();
  } catch (const std::exception &e) {
    return e.what();
  }
  return "";
}

} // namespace dream::rt::test

#endif // DREAM_TEST_RUNTIME_TESTSUPPORT_H
