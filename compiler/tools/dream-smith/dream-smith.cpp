//===- dream-smith.cpp - Writes random valid networks and checks them -----===//
//
// `dream-smith --seed N [--count K] -o DIR` writes K networks,
// DIR/smith-<seed>.dream for seeds N to N+K-1 (the same seed gives the same
// file), and checks each with Sema in-process. A network Sema rejects is a
// bug of the generator: its diagnostics are printed and it is counted.
// scripts/smith.py takes the networks through dreamc and the trainers.
//
// Exit status: 0 if Sema accepts every network; 1 if it rejects one, or a
// file cannot be written.
//
//===----------------------------------------------------------------------===//

#include "Generator.h"

#include "dream/Sema/Sema.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace dream;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("dream-smith options");

cl::opt<uint64_t> seed("seed", cl::desc("The first network's seed"),
                       cl::Required, cl::cat(category));
cl::opt<unsigned> count("count", cl::desc("How many networks (default 1)"),
                        cl::init(1), cl::cat(category));
cl::opt<std::string> outputDir("o", cl::desc("The folder to write them to"),
                               cl::value_desc("dir"), cl::Required,
                               cl::cat(category));
cl::opt<int64_t> maxElements(
    "max-elements",
    cl::desc("The most elements a value may have per sample (default 4096)"),
    cl::init(4096), cl::cat(category));

int error(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "dream-smith") << message << "\n";
  return 1;
}

/// Writes the network of seed `n` and checks it with Sema. Returns 0, or
/// 1 after printing why: the file cannot be written, or Sema rejects it.
int writeAndCheck(uint64_t n, const smith::Limits &limits,
                  const std::string &stdlib) {
  llvm::SmallString<256> path(outputDir);
  llvm::sys::path::append(path, "smith-" + std::to_string(n) + ".dream");
  std::error_code ec;
  llvm::raw_fd_ostream file(path, ec);
  if (!ec) {
    file << smith::generateNetwork(n, limits);
    file.close();
    ec = file.error();
  }
  if (ec)
    return error("cannot write '" + path + "': " + ec.message());

  // Sema's diagnostics are kept apart: warnings (an unused value) are no
  // finding, and an error is printed under the line that names the seed.
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  SourceManager sources;
  DiagnosticEngine diag(sources, os);
  SemaOptions options;
  options.stdlibDir = stdlib;
  if (analyze(path, sources, diag, options))
    return 0;
  llvm::errs() << "dream-smith: generator bug: seed " << n
               << ": Sema rejects " << path << ":\n"
               << diagnostics;
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "dream-smith: writes seeded random networks that Sema must accept\n");
  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return error("cannot create '" + outputDir + "': " + ec.message());
  smith::Limits limits;
  limits.maxElements = maxElements;
  std::string stdlib = stdlibDir("", argv[0]);
  unsigned bugs = 0;
  for (unsigned i = 0; i < count; ++i)
    bugs += writeAndCheck(seed + i, limits, stdlib);
  if (bugs)
    llvm::errs() << "dream-smith: " << bugs << " of " << count
                 << " networks rejected by Sema\n";
  return bugs ? 1 : 0;
}
