//===- Commands.h - The trainer's commands ----------------------*- C++ -*-===//
//
// `pretrain`, `train`, `eval`, `dream`, `info` and `check` of a trainer,
// behind an interface free of LibTorch types so that the command line
// (dreamrt_main) compiles quickly.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_COMMANDS_H
#define DREAM_RUNTIME_COMMANDS_H

#include "dream/Runtime/Kernels.h"
#include "dream/Runtime/Plan.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dream::rt {

/// A command line that cannot work (exit status 2).
class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Where this process stands in a data-parallel run (docs/distributed.md):
/// rank `rank` of `size`, meeting the others at the master's TCPStore.
struct WorldSpec {
  int64_t rank = 0;
  int64_t size = 1;
  /// Ranks started on this machine by one `--nproc N` (for threads).
  int64_t localSize = 1;
  /// This rank among those of its machine (LOCAL_RANK): its GPU.
  int64_t localRank = 0;
  std::string masterAddr = "127.0.0.1";
  int64_t masterPort = 29500;
  /// How long a collective or the rendezvous waits for the other ranks.
  int64_t timeoutSeconds = 300;

  bool distributed() const { return size > 1; }
};

/// The command line of a trainer. Unset options take the recipe's values.
struct TrainerOptions {
  std::string program = "trainer"; ///< For messages ("run `dn3 pretrain`").
  std::string command;
  std::string data; ///< Empty: the recipe's `data`.
  std::optional<int64_t> epochs;
  std::optional<int64_t> batch;
  std::optional<double> lr;
  /// --schedule: the recipe's schedule replaced by this one, with its
  /// default arguments (defaultSchedule).
  std::optional<std::string> schedule;
  int64_t limit = 0; ///< First N training, at most N test examples; 0: all.
  std::optional<int64_t> threads;
  std::optional<int64_t> seed;
  std::string checkpointDir;
  bool resume = false;
  std::string metricsPath;
  /// `eval --predictions`: a CSV of each test example's true and predicted
  /// class.
  std::string predictionsPath;
  /// --log-every: a "step" record in the metrics every N training steps.
  int64_t logEvery = 50;
  std::string out; ///< `dream`: the PNG to write; empty: DIR/dreams.png.
  /// `dream`: image files to dream about instead of the first test images.
  std::vector<std::string> inputs;
  std::string weights; ///< `info`: a safetensors file to check and summarise.
  bool reference = false;
  /// `check --dump FILE`: the network's step, for another computation of
  /// it to be compared with (docs/runtime.md, "What check dumps").
  std::string dump;
  /// --resize: images of another height and width than the network's
  /// input are resized to it.
  bool resize = false;
  /// --tokenizer: "wordpiece" (MiniLM's vocabulary) or "words" (a word
  /// vocabulary built from the training texts, saved as DIR/words.txt).
  std::string tokenizer = "wordpiece";
  int64_t minCount = 1; ///< --min-count: of a word in the vocabulary.
  /// false: --no-cache, the data set is decoded from its files again.
  bool cache = true;
  std::string device = "cpu";
  /// --cuda-graph: `train` replays each step as a captured CUDA graph.
  bool cudaGraph = false;
  /// The data-parallel run this process belongs to (--rank, --world-size,
  /// --master-addr, --master-port and their environment variables).
  WorldSpec world;
  /// Not a flag: the kernels linked into the trainer (null: none).
  const KernelLibrary *kernels = nullptr;
};

/// Runs one command on `plan`. Prints results on stdout and problems on
/// stderr; returns the exit status: 0 done, 1 failed, 2 a usage error, 130
/// interrupted.
int runTrainerCommand(const Plan &plan, const TrainerOptions &options);

} // namespace dream::rt

#endif // DREAM_RUNTIME_COMMANDS_H
