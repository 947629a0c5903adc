//===- TrainerMain.cpp - main() of every trainer
//---------------------------===//
//
// The command line of a trainer. A trainer linked by dreamc embeds its plan
// and its kernel table through the symbols below, which dreamc's object
// defines; dream-trainer has neither, reads the plan given with --plan FILE
// (which also overrides an embedded plan) and runs fused steps as their
// reference steps.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Commands.h"
#include "dream/Runtime/Launch.h"
#include "dream/Runtime/Plan.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

// Weak, so that linking without a plan leaves them null.
extern "C" const char dream_embedded_plan[] __attribute__((weak));
extern "C" const unsigned long dream_embedded_plan_size __attribute__((weak));
extern "C" const DreamKernelEntry dream_kernel_table[] __attribute__((weak));
extern "C" const long dream_kernel_count __attribute__((weak));
extern "C" const char dream_kernel_cpu[] __attribute__((weak));
extern "C" const DreamKernelEntry dream_gpu_kernel_table[]
    __attribute__((weak));
extern "C" const long dream_gpu_kernel_count __attribute__((weak));

namespace {

using dream::rt::TrainerOptions;

const char *const usageText = R"(usage: %s <command> [options]

commands:
  pretrain   pre-train the encoders (self-supervised) and store their weights
             in --checkpoint DIR
  train      supervised training; frozen encoders use the weights pretrain
             stored in --checkpoint DIR
  eval       evaluate the model trained in --checkpoint DIR on the test set
  dream      draw the dreams of the model trained in --checkpoint DIR: the
             first test images (8, or --limit N up to 64) and what each
             dream connection reconstructs from them, as a PNG grid
  info       parameters, FLOPs per sample, kernels and the recipe
  check      run one step through the compiled kernels and through their
             reference steps; compare losses, gradients and running
             statistics (exit status 1 if they differ)

options (the recipe of the .dream file gives the defaults):
  --data SOURCE      images: fashion_mnist (IDX files in
                     $DREAMC_FASHION_MNIST), idx:DIR (MNIST's layout, any
                     size), cifar10:DIR, cifar100:DIR (binary versions),
                     images:DIR (a folder of PNG/JPEG files per class);
                     texts: wordnet_glosses, csv:DIR (train.csv, test.csv:
                     class from 1, [title,] text), imdb:DIR (aclImdb),
                     maildir:DIR (a folder of raw mails per class). Folder
                     sets without train/ and test/ hold out every 5th file
                     of each class for testing. A plain DIR means idx:DIR
  --epochs N         epochs (pretrain: the encoder's pre-training epochs)
  --batch N          examples per step
  --lr X             learning rate (pretrain: default 1e-3)
  --schedule NAME    train: the learning-rate schedule instead of the
                     recipe's: constant, cosine (to 0 at the last step),
                     linear (10%% warm-up, then to 0) or step (x0.1 every
                     10 epochs)
  --limit N          use the first N training and at most N test examples
                     (folder sets: taken from the classes in turn)
  --threads N        intra-op threads (default: all cores, shared among
                     the processes of --nproc)
  --seed N           seed of initialisation, data order, validation split
                     and noise
  --checkpoint DIR   where weights and checkpoints are stored
  --resume           continue the run saved in --checkpoint DIR (from the
                     beginning, saying so, if it holds none yet)
  --metrics FILE     write JSON lines, one object per epoch and split
                     (training epochs: with data_wait_s, the seconds
                     spent waiting for batches) and, every
                     --log-every steps, a "step" record
  --log-every N      steps between "step" records of --metrics: step,
                     epoch, lr, loss (mean since the last record),
                     grad_norm, samples_per_s, wall_s (default 50; 0: none)
  --out FILE         dream: the PNG to write (default DIR/dreams.png)
  --input FILE       dream: a PNG or JPEG image to dream about instead of
                     the first test images (repeatable)
  --weights FILE     info: check a safetensors file and summarise it (its
                     tensors, and which of the network's parameters it holds)
  --reference        run fused kernels as their plain LibTorch steps
  --resize           resize images of another height and width to the
                     network's input (stb_image_resize)
  --no-cache         decode the data set from its files, without the cache
                     of decoded sets ($DREAMC_CACHE, else ~/.cache/dreamc)
  --tokenizer NAME   texts: wordpiece (MiniLM's vocabulary, the default)
                     or words (a vocabulary of the training texts' words,
                     as many as the network's input vocabulary, kept as
                     DIR/words.txt for the later commands)
  --min-count N      --tokenizer words: leave out words seen fewer than N
                     times (default 1)
  --device cpu|cuda  where to train (default cpu)
  -h, --help         show this help
)";

const char *const planHelp =
    "  --plan FILE        the plan to run (dreamc --emit=plan); needed when\n"
    "                     the trainer embeds none\n";

const char *const distributedHelp = R"(
data-parallel training (train only; docs/distributed.md):
  --nproc N          start N local processes (ranks) on this machine; --batch
                     is the global batch, split evenly among all ranks
  --rank R           this process's rank (with --nproc: the first of its N);
                     default $RANK or 0
  --world-size W     processes in the whole run; default $WORLD_SIZE, or N
  --master-addr A    address of rank 0's rendezvous (TCPStore); default
                     $MASTER_ADDR or 127.0.0.1
  --master-port P    its port; default $MASTER_PORT, a free port for a
                     one-machine --nproc run, or 29500
  --dist-timeout S   seconds a rank waits for the others before the run
                     stops with an error (default 300)
)";

bool hasEmbeddedPlan() {
  return &dream_embedded_plan_size != nullptr && dream_embedded_plan != nullptr;
}

void printUsage(std::FILE *out, const std::string &program) {
  std::fprintf(out, usageText, program.c_str());
  if (!hasEmbeddedPlan())
    std::fputs(planHelp, out);
  std::fputs(distributedHelp, out);
}

/// A command line that does not parse.
struct ArgumentError {
  std::string message;
};

int64_t parseInteger(const std::string &flag, const std::string &text,
                     int64_t minimum) {
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno || value < minimum)
    throw ArgumentError{flag + " expects an integer of at least " +
                        std::to_string(minimum) + ", not '" + text + "'"};
  return value;
}

double parsePositive(const std::string &flag, const std::string &text) {
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || !(value > 0))
    throw ArgumentError{flag + " expects a positive number, not '" + text +
                        "'"};
  return value;
}

struct CommandLine {
  TrainerOptions options;
  dream::rt::WorldFlags world;
  std::string planPath;
  bool help = false;
  /// The arguments without the world flags: what --nproc passes to each
  /// rank, which reads its world from the environment instead.
  std::vector<std::string> rankArgs;
};

bool isWorldFlag(const std::string &flag) {
  for (const char *world :
       {"--nproc", "--rank", "--world-size", "--master-addr", "--master-port"})
    if (flag == world)
      return true;
  return false;
}

/// Applies one option that takes a value.
void applyValue(CommandLine &line, const std::string &flag,
                const std::string &value) {
  TrainerOptions &o = line.options;
  if (flag == "--data")
    o.data = value;
  else if (flag == "--epochs")
    o.epochs = parseInteger(flag, value, 1);
  else if (flag == "--batch")
    o.batch = parseInteger(flag, value, 1);
  else if (flag == "--lr")
    o.lr = parsePositive(flag, value);
  else if (flag == "--schedule") {
    const std::vector<std::string> &names = dream::rt::scheduleNames();
    if (std::find(names.begin(), names.end(), value) == names.end()) {
      std::string list;
      for (size_t i = 0; i < names.size(); ++i)
        list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
      throw ArgumentError{"--schedule expects " + list + ", not '" + value +
                          "'"};
    }
    o.schedule = value;
  } else if (flag == "--tokenizer") {
    if (value != "wordpiece" && value != "words")
      throw ArgumentError{"--tokenizer expects wordpiece or words, not '" +
                          value + "'"};
    o.tokenizer = value;
  } else if (flag == "--min-count") {
    o.minCount = parseInteger(flag, value, 1);
  } else if (flag == "--limit")
    o.limit = parseInteger(flag, value, 1);
  else if (flag == "--threads")
    o.threads = parseInteger(flag, value, 1);
  else if (flag == "--seed")
    o.seed = parseInteger(flag, value, 0);
  else if (flag == "--checkpoint")
    o.checkpointDir = value;
  else if (flag == "--metrics")
    o.metricsPath = value;
  else if (flag == "--log-every")
    o.logEvery = parseInteger(flag, value, 0);
  else if (flag == "--out")
    o.out = value;
  else if (flag == "--input")
    o.inputs.push_back(value);
  else if (flag == "--weights")
    o.weights = value;
  else if (flag == "--device")
    o.device = value;
  else if (flag == "--nproc")
    line.world.nproc = parseInteger(flag, value, 1);
  else if (flag == "--rank")
    line.world.rank = parseInteger(flag, value, 0);
  else if (flag == "--world-size")
    line.world.worldSize = parseInteger(flag, value, 1);
  else if (flag == "--master-addr")
    line.world.masterAddr = value;
  else if (flag == "--master-port")
    line.world.masterPort = parseInteger(flag, value, 1);
  else if (flag == "--dist-timeout")
    line.world.timeoutSeconds = parseInteger(flag, value, 1);
  else if (flag == "--plan")
    line.planPath = value;
  else
    throw ArgumentError{"unknown option '" + flag + "'"};
}

/// Applies a flag without a value; false if `flag` takes a value.
bool applySwitch(CommandLine &line, const std::string &flag) {
  if (flag == "--resume")
    line.options.resume = true;
  else if (flag == "--reference")
    line.options.reference = true;
  else if (flag == "--resize")
    line.options.resize = true;
  else if (flag == "--no-cache")
    line.options.cache = false;
  else if (flag == "--help" || flag == "-h")
    line.help = true;
  else
    return false;
  return true;
}

CommandLine parseArguments(int argc, char **argv) {
  CommandLine line;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.empty() || arg[0] != '-') {
      if (!line.options.command.empty())
        throw ArgumentError{"unexpected argument '" + arg + "'"};
      line.options.command = arg;
      line.rankArgs.push_back(arg);
      continue;
    }
    if (applySwitch(line, arg)) {
      line.rankArgs.push_back(arg);
      continue;
    }
    size_t equals = arg.find('=');
    std::string flag = arg.substr(0, equals);
    if (!isWorldFlag(flag))
      line.rankArgs.push_back(arg);
    if (equals != std::string::npos) {
      applyValue(line, flag, arg.substr(equals + 1));
      continue;
    }
    if (i + 1 >= argc)
      throw ArgumentError{arg + " needs a value"};
    if (!isWorldFlag(flag))
      line.rankArgs.push_back(argv[i + 1]);
    applyValue(line, arg, argv[++i]);
  }
  return line;
}

bool knownCommand(const std::string &command) {
  for (const char *known :
       {"pretrain", "train", "eval", "dream", "info", "check"})
    if (command == known)
      return true;
  return false;
}

std::string baseName(const char *path) {
  const char *slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

} // namespace

int main(int argc, char **argv) {
  std::string program = baseName(argv[0]);
  // Past a file size limit (ulimit -f) a write then fails with EFBIG, which
  // the trainer reports with the file's name, instead of killing it.
  std::signal(SIGXFSZ, SIG_IGN);
  CommandLine line;
  try {
    line = parseArguments(argc, argv);
    line.options.program = program;
    if (line.help) {
      printUsage(stdout, program);
      return 0;
    }
    if (!knownCommand(line.options.command))
      throw ArgumentError{line.options.command.empty()
                              ? "no command given"
                              : "unknown command '" + line.options.command +
                                    "'"};
  } catch (const ArgumentError &e) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.message.c_str());
    printUsage(stderr, program);
    return 2;
  }
  try {
    line.options.world = dream::rt::resolveWorld(line.world);
    bool several = line.world.nproc > 1 || line.options.world.distributed();
    if (several && line.options.command != "train")
      throw dream::rt::WorldError("only `train` runs on several processes, "
                                  "not `" +
                                  line.options.command + "`");
  } catch (const dream::rt::WorldError &e) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
    return 2;
  }
  if (line.world.nproc > 0)
    return dream::rt::launchLocalRanks(line.options.world, line.world.nproc,
                                       argv[0], line.rankArgs, program);
  std::string text, origin;
  if (!line.planPath.empty()) {
    std::ifstream in(line.planPath, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot open the plan %s\n", program.c_str(),
                   line.planPath.c_str());
      return 1;
    }
    std::ostringstream content;
    content << in.rdbuf();
    text = content.str();
    origin = line.planPath;
  } else if (hasEmbeddedPlan()) {
    text.assign(dream_embedded_plan, dream_embedded_plan_size);
    origin = "embedded plan";
  } else {
    std::fprintf(stderr,
                 "%s: this trainer embeds no plan: give --plan FILE (from "
                 "`dreamc --emit=plan`)\n",
                 program.c_str());
    return 2;
  }
  try {
    dream::rt::KernelLibrary kernels;
    if (&dream_kernel_count != nullptr && hasEmbeddedPlan() &&
        !line.options.reference)
      dream::rt::requireCpuLevel(dream_kernel_cpu ? dream_kernel_cpu
                                                  : "x86-64-v2");
    if (&dream_kernel_count != nullptr && hasEmbeddedPlan())
      kernels = dream::rt::KernelLibrary(
          {dream_kernel_table, dream_kernel_count},
          {dream_gpu_kernel_table,
           &dream_gpu_kernel_count ? dream_gpu_kernel_count : 0},
          dream::rt::parsePlan(std::string(dream_embedded_plan,
                                           dream_embedded_plan_size),
                               "embedded plan")
              .kernelAbi);
    line.options.kernels = &kernels;
    return dream::rt::runTrainerCommand(text, origin, line.options);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), e.what());
    return 1;
  }
}
