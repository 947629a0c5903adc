//===- MutationTest.cpp - Broken inputs never crash the front end ---------===//
//
// Feeds truncated and byte-mutated versions of every .dream file in the
// tree through the whole front end (parse, imports, Sema). A crash or hang
// fails the test binary; every rejected input must come with an error.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <random>

using namespace dream;
using dream::test::check;

namespace {

std::vector<std::string> corpus() {
  std::vector<std::string> files;
  for (const char *dir : {"models", "stdlib", "test/Frontend", "examples"}) {
    std::error_code ec;
    std::string root = std::string(DREAMC_SOURCE_DIR) + "/" + dir;
    for (llvm::sys::fs::recursive_directory_iterator it(root, ec), end;
         it != end && !ec; it.increment(ec))
      if (llvm::sys::path::extension(it->path()) == ".dream")
        files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// Runs the front end and checks the one property every input must have.
void expectCleanOutcome(const std::string &text, const std::string &origin) {
  auto checked = check(text, "mutant.dream");
  if (!checked.program) {
    EXPECT_NE(checked.diagnostics.find("error:"), std::string::npos)
        << "rejected without an error: " << origin;
  }
}

TEST(Mutation, CorpusIsNotEmpty) { EXPECT_GE(corpus().size(), 6u); }

TEST(Mutation, TruncatedInputsAreHandled) {
  for (const std::string &file : corpus()) {
    auto buffer = llvm::MemoryBuffer::getFile(file);
    ASSERT_TRUE(bool(buffer)) << file;
    std::string text = (*buffer)->getBuffer().str();
    for (size_t cut = 0; cut < text.size(); cut += 1 + text.size() / 24)
      expectCleanOutcome(text.substr(0, cut),
                         file + " cut at " + std::to_string(cut));
  }
}

TEST(Mutation, ByteMutatedInputsAreHandled) {
  std::mt19937 rng(20261123);
  const std::string interesting = std::string("\0\xff\xc3(){}[]\"/*-+>,:=.", 19);
  for (const std::string &file : corpus()) {
    auto buffer = llvm::MemoryBuffer::getFile(file);
    ASSERT_TRUE(bool(buffer)) << file;
    const std::string original = (*buffer)->getBuffer().str();
    if (original.empty())
      continue;
    for (int round = 0; round < 40; ++round) {
      std::string text = original;
      int edits = 1 + rng() % 3;
      for (int e = 0; e < edits; ++e) {
        size_t at = rng() % text.size();
        switch (rng() % 3) {
        case 0:
          text[at] = interesting[rng() % interesting.size()];
          break;
        case 1:
          text[at] = static_cast<char>(rng() % 256);
          break;
        default:
          text.erase(at, 1 + rng() % 8);
          if (text.empty())
            text = "x";
        }
      }
      expectCleanOutcome(text, file + " round " + std::to_string(round));
    }
  }
}

} // namespace
