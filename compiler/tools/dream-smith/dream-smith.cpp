//===- dream-smith.cpp - Writes random valid networks and checks them -----===//
//
// `dream-smith --seed N [--count K] -o DIR` writes K networks,
// DIR/smith-<seed>.dream for seeds N to N+K-1 (the same seed gives the same
// file), and checks each with Sema in-process. A network Sema rejects is a
// bug of the generator: its diagnostics are printed and it is counted.
// scripts/smith.py takes the networks through dreamc and the trainers.
//
// `--coverage` prints what the accepted networks hold, as Sema checked
// them: how many networks apply each primitive op of the registry, each
// adapter, connection option, pre-training kind and input kind, and the
// ops that none applies.
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

#include <map>
#include <set>

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

cl::opt<bool>
    coverage("coverage",
             cl::desc("Print how many networks hold each op and construct"),
             cl::cat(category));

/// Feature name -> the number of networks that hold it.
using Coverage = std::map<std::string, unsigned>;

/// What one stage of a checked block instance adds to `features`.
void stageFeatures(const Stage &stage, const StageInfo &info,
                   std::set<std::string> &features) {
  switch (info.kind) {
  case StageInfo::Kind::Op:
    features.insert("op " + info.op->signature.name);
    break;
  case StageInfo::Kind::Block:
    features.insert(stage.kind == Stage::Kind::Repeat ? "repeat" : "block");
    if (info.blocks.size() > 3)
      features.insert("repeat more than 3");
    break;
  case StageInfo::Kind::Connection: {
    const ConnectionInfo &c = info.connection;
    std::string kind = c.isDream ? "dream" : "sleep";
    features.insert(kind);
    features.insert("adapter " + c.in.kind);
    features.insert("adapter " + c.out.kind);
    for (const auto &[option, value] : c.options)
      features.insert(kind + " " + option + ": " + value.str());
    break;
  }
  case StageInfo::Kind::Encode:
    features.insert("encoder applied as a layer");
    break;
  }
}

/// The features of one checked network.
std::set<std::string> features(const Program &program) {
  std::set<std::string> found;
  const TensorType &input = program.network->inputs.front();
  found.insert(input.isTokens()
                   ? "input tokens"
                   : "input of rank " + std::to_string(input.rank()));
  for (const BlockInstance &instance : program.instances) {
    bool nested = &instance != program.network;
    for (const auto &[stage, info] : instance.stages) {
      stageFeatures(*stage, info, found);
      if (nested && info.kind == StageInfo::Kind::Block)
        found.insert("block applied in a block");
    }
    if (instance.inputs.size() > 1)
      found.insert("block of several inputs");
    if (instance.result.isTuple)
      found.insert("block returning a tuple");
    for (const auto &[expr, type] : instance.exprTypes)
      if (expr->kind == Expr::Kind::Collect)
        found.insert("collect");
    if (!instance.emits.empty())
      found.insert("emit");
  }
  for (const EncoderInstance &encoder : program.encoders) {
    found.insert(encoder.decoder ? "autoencoder" : "encoder");
    found.insert(encoder.frozen ? "frozen" : "trainable");
    if (encoder.pretrainKind)
      found.insert("pretrain " + *encoder.pretrainKind);
  }
  if (!program.modules.front()->trains.empty())
    found.insert("train recipe");
  if (program.network->result.single().shape.back() == 1)
    found.insert("one class");
  return found;
}

void printCoverage(const Coverage &counts) {
  for (const auto &[feature, count] : counts)
    llvm::outs() << feature << ": " << count << "\n";
  std::string never;
  for (const OpSpec &spec : allOps())
    if (!counts.count("op " + spec.signature.name))
      never += " " + spec.signature.name;
  llvm::outs() << "ops never generated:" << (never.empty() ? " none" : never)
               << "\n";
}

int error(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "dream-smith") << message << "\n";
  return 1;
}

/// Writes the network of seed `n` and checks it with Sema. Returns 0, or
/// 1 after printing why: the file cannot be written, or Sema rejects it.
int writeAndCheck(uint64_t n, const smith::Limits &limits,
                  const std::string &stdlib, Coverage &counts) {
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
  if (auto program = analyze(path, sources, diag, options)) {
    for (const std::string &feature : features(*program))
      ++counts[feature];
    return 0;
  }
  llvm::errs() << "dream-smith: generator bug: seed " << n << ": Sema rejects "
               << path << ":\n"
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
  Coverage counts;
  for (unsigned i = 0; i < count; ++i)
    bugs += writeAndCheck(seed + i, limits, stdlib, counts);
  if (coverage)
    printCoverage(counts);
  if (bugs)
    llvm::errs() << "dream-smith: " << bugs << " of " << count
                 << " networks rejected by Sema\n";
  return bugs ? 1 : 0;
}
