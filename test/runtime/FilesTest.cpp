//===- FilesTest.cpp - Folder locks and metrics trimming ------------------===//

#include "TestSupport.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

using namespace dream::rt;
using namespace dream::rt::test;
using ::testing::HasSubstr;

TEST(FolderLockTest, SecondWriterIsRefusedUntilTheFirstLetsGo) {
  TempDir dir;
  std::string folder = dir / "ck";
  {
    FolderLock first(folder);
    // flock locks belong to open files: a second open conflicts even in
    // the same process.
    try {
      FolderLock second(folder);
      FAIL() << "the second lock was granted";
    } catch (const FileError &e) {
      EXPECT_THAT(e.what(), HasSubstr(folder + " is in use by another run (pid " +
                                      std::to_string(::getpid()) + " on "));
      EXPECT_THAT(e.what(), HasSubstr(folder + "/.dreamc.lock"));
    }
    FolderLock moved = std::move(first); // Still held after a move.
    EXPECT_THROW(FolderLock{folder}, FileError);
  }
  // Released with its holder; the file stays for the next one.
  EXPECT_NO_THROW(FolderLock{folder});
  EXPECT_THAT(readText(folder + "/.dreamc.lock"),
              HasSubstr("pid " + std::to_string(::getpid())));
}

TEST(MetricsTest, ResumingDropsTheRecordsPastTheCheckpointOfItsPhaseOnly) {
  TempDir dir;
  std::string path = dir / "m.jsonl";
  std::ofstream(path)
      << R"({"epoch":1,"split":"pretrain","loss":1,"encoder":"ae"})" "\n"
      << R"({"epoch":2,"split":"pretrain","loss":1,"encoder":"ae"})" "\n"
      << R"({"step":4,"epoch":1,"split":"step","loss":1})" "\n"
      << R"({"epoch":1,"split":"train","loss":1})" "\n"
      << R"({"epoch":1,"split":"test","loss":1})" "\n"
      << R"({"step":8,"epoch":2,"split":"step","loss":1})" "\n"
      << R"({"step":12,"epoch":2,"split":"step","loss":1})" "\n"
      << R"({"epoch":2,"split":"train","loss":1})" "\n"
      << R"({"epoch":2,"spl)";
  // A checkpoint after 1 epoch and 9 steps: the second epoch's records
  // and step 12 go, so does the half-written line; pre-training stays.
  keepMetricsUpTo(path, "", 1, 9);
  EXPECT_EQ(readText(path),
            R"({"epoch":1,"split":"pretrain","loss":1,"encoder":"ae"})" "\n"
            R"({"epoch":2,"split":"pretrain","loss":1,"encoder":"ae"})" "\n"
            R"({"step":4,"epoch":1,"split":"step","loss":1})" "\n"
            R"({"epoch":1,"split":"train","loss":1})" "\n"
            R"({"epoch":1,"split":"test","loss":1})" "\n"
            R"({"step":8,"epoch":2,"split":"step","loss":1})" "\n");
  // Pre-training of `ae` resumed from its start: only its records go.
  keepMetricsUpTo(path, "ae", 0, 0);
  EXPECT_EQ(readText(path).find("pretrain"), std::string::npos);
  EXPECT_THAT(readText(path), HasSubstr(R"("split":"test")"));
  // No metrics file yet: nothing to do, nothing created.
  keepMetricsUpTo(dir / "none.jsonl", "", 0, 0);
  EXPECT_FALSE(pathExists(dir / "none.jsonl"));
}

TEST(FolderLockTest, ARunRefusedBeforeItsFirstWriteLeavesNoFolderItMade) {
  TempDir dir;
  auto refused = [](const std::string &folder) {
    try {
      FolderLock lock(folder);
      throw FileError("bad data");
    } catch (const FileError &) {
    }
  };
  refused(dir / "new");
  EXPECT_FALSE(pathExists(dir / "new"));
  // A folder that was there stays, and so does one the run wrote into.
  createDirectories(dir / "old");
  refused(dir / "old");
  EXPECT_TRUE(pathExists(dir / "old"));
  try {
    FolderLock lock(dir / "written");
    writeFileAtomically(dir / "written/x", {{"x", 1}});
    throw FileError("later");
  } catch (const FileError &) {
  }
  EXPECT_TRUE(pathExists(dir / "written/x"));
}

TEST(FilesTest, FilesUnderListsEveryRegularFileThroughLinkedFolders) {
  TempDir dir;
  createDirectories(dir / "a/b");
  std::ofstream(dir / "a/b/x.bin") << "12345";
  std::ofstream(dir / "top.txt") << "1";
  ASSERT_EQ(::symlink((dir / "a").c_str(), (dir / "link").c_str()), 0);
  std::optional<std::vector<FileStamp>> files = filesUnder(dir.path());
  ASSERT_TRUE(files);
  std::map<std::string, int64_t> sizes;
  for (const FileStamp &file : *files)
    sizes[file.path] = file.size;
  EXPECT_EQ(sizes, (std::map<std::string, int64_t>{
                       {"a/b/x.bin", 5}, {"link/b/x.bin", 5}, {"top.txt", 1}}));
  EXPECT_FALSE(filesUnder(dir / "missing"));
  // A link to its own folder nests without end: refused, not followed.
  ASSERT_EQ(::symlink(dir.path().c_str(), (dir / "a/loop").c_str()), 0);
  EXPECT_FALSE(filesUnder(dir.path()));
}

TEST(FilesTest, AbsolutePathResolvesDotsAsText) {
  EXPECT_EQ(absolutePath("/a/./b//c/../d/"), "/a/b/d");
  EXPECT_EQ(absolutePath("/.."), "/");
  char cwd[4096];
  ASSERT_TRUE(::getcwd(cwd, sizeof cwd));
  EXPECT_EQ(absolutePath("x/../y"), std::string(cwd) + "/y");
}
