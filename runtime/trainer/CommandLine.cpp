//===- CommandLine.cpp - A trainer's command line, by command -------------===//
//
// One table, `flags`, says what each option means and which commands use
// it; CLI11 parses with it and the refusal of an option names the commands
// that do take it. Every command collects the words it does not know
// (allow_extras) so that this file, not CLI11, words each refusal.
//
//===----------------------------------------------------------------------===//

#include "CommandLine.h"

#include "dream/Runtime/Plan.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace dream::rt {
namespace {

enum Command : unsigned {
  Pretrain = 1,
  Train = 2,
  Eval = 4,
  Dream = 8,
  Info = 16,
  Check = 32,
  /// Not a command: the option may also come before the command.
  Global = 64,
};
constexpr unsigned DataCommands = Pretrain | Train | Eval | Dream;
constexpr unsigned Everywhere = Pretrain | Train | Eval | Dream | Info | Check |
                                Global;

struct CommandInfo {
  Command command;
  const char *name;
  const char *summary;
};

const CommandInfo commands[] = {
    {Pretrain, "pretrain",
     "pre-train the encoders (self-supervised) and store their weights in\n"
     "--checkpoint DIR"},
    {Train, "train",
     "supervised training; frozen encoders use the weights pretrain\n"
     "stored in --checkpoint DIR"},
    {Eval, "eval",
     "evaluate the model trained in --checkpoint DIR on the test set"},
    {Dream, "dream",
     "draw the dreams of the model trained in --checkpoint DIR: the first\n"
     "test images (8, or --limit N up to 64), or the IMAGE files given, and\n"
     "what each dream connection reconstructs from them, as a PNG grid"},
    {Info, "info", "parameters, FLOPs per sample, kernels and the recipe"},
    {Check, "check",
     "run one step through the compiled kernels and through their\n"
     "reference steps; compare losses, gradients and running statistics\n"
     "(exit status 1 if they differ)"},
};

/// `value` as an integer of at least `minimum`; the message names `flag`.
int64_t integer(const std::string &flag, const std::string &value,
                int64_t minimum) {
  char *end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end || errno || parsed < minimum)
    throw CLI::ValidationError(flag + " expects an integer of at least " +
                               std::to_string(minimum) + ", not '" + value +
                               "'");
  return parsed;
}

double positive(const std::string &flag, const std::string &value) {
  char *end = nullptr;
  double parsed = std::strtod(value.c_str(), &end);
  if (value.empty() || *end || !(parsed > 0))
    throw CLI::ValidationError(flag + " expects a positive number, not '" +
                               value + "'");
  return parsed;
}

/// "a, b or c".
std::string listed(const std::vector<std::string> &words) {
  std::string list;
  for (size_t i = 0; i < words.size(); ++i)
    list += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
  return list;
}

std::string oneOf(const std::string &flag, const std::string &value,
                  const std::vector<std::string> &allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
    throw CLI::ValidationError(flag + " expects " + listed(allowed) +
                               ", not '" + value + "'");
  return value;
}

using Apply = void (*)(CommandLine &, const std::string &flag,
                       const std::string &value);

struct Flag {
  const char *name;
  /// The value's name in the help (N, FILE); null: a switch.
  const char *value;
  unsigned commands;
  const char *help;
  Apply apply;
  /// Data-parallel: kept from the ranks that --nproc starts.
  bool world = false;
  /// Every value counts, not only the last.
  bool repeatable = false;
};

const char *const worldGroup = "Data-parallel training (docs/distributed.md)";

// clang-format off
const Flag flags[] = {
  {"--data", "SOURCE", DataCommands | Info,
   "images: fashion_mnist (IDX files in $DREAMC_FASHION_MNIST),\n"
   "idx:DIR (MNIST's layout, any size), cifar10:DIR, cifar100:DIR\n"
   "(binary versions), images:DIR (a folder of PNG/JPEG files per\n"
   "class); texts: wordnet_glosses, csv:DIR (train.csv, test.csv: class\n"
   "from 1, [title,] text), imdb:DIR (aclImdb), maildir:DIR (a folder of\n"
   "raw mails per class). Folder sets without train/ and test/ hold out\n"
   "every 5th file of each class for testing. A plain DIR means idx:DIR",
   [](CommandLine &l, const std::string &, const std::string &v) { l.options.data = v; }},
  {"--epochs", "N", Pretrain | Train | Info,
   "epochs (pretrain: the encoder's pre-training epochs)",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.options.epochs = integer(f, v, 1); }},
  {"--batch", "N", Pretrain | Train | Eval | Info | Check,
   "examples per step (check: default 16)",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.options.batch = integer(f, v, 1); }},
  {"--lr", "X", Pretrain | Train | Info,
   "learning rate (pretrain: default 1e-3)",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.options.lr = positive(f, v); }},
  {"--schedule", "NAME", Train | Info,
   "the learning-rate schedule instead of the recipe's: constant,\n"
   "cosine (to 0 at the last step), linear (10% warm-up, then to 0) or\n"
   "step (x0.1 every 10 epochs)",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.options.schedule = oneOf(f, v, scheduleNames()); }},
  {"--limit", "N", DataCommands,
   "use the first N training and at most N test examples (folder sets:\n"
   "taken from the classes in turn)",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.options.limit = integer(f, v, 1); }},
  {"--seed", "N", Pretrain | Train | Info | Check,
   "seed of initialisation, data order, validation split and noise",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.options.seed = integer(f, v, 0); }},
  {"--checkpoint", "DIR", DataCommands,
   "where weights and checkpoints are stored",
   [](CommandLine &l, const std::string &, const std::string &v) { l.options.checkpointDir = v; }},
  {"--resume", nullptr, Pretrain | Train,
   "continue the run saved in --checkpoint DIR (from the beginning,\n"
   "saying so, if it holds none yet)",
   [](CommandLine &l, const std::string &, const std::string &) { l.options.resume = true; }},
  {"--metrics", "FILE", Pretrain | Train | Eval,
   "write JSON lines, one object per epoch and split (training epochs:\n"
   "with data_wait_s, the seconds spent waiting for batches) and, every\n"
   "--log-every steps, a \"step\" record",
   [](CommandLine &l, const std::string &, const std::string &v) { l.options.metricsPath = v; }},
  {"--predictions", "FILE", Eval,
   "write each test example's index, true class and predicted class\n"
   "as CSV (index,label,predicted), for paired tests between networks",
   [](CommandLine &l, const std::string &, const std::string &v) { l.options.predictionsPath = v; }},
  {"--log-every", "N", Pretrain | Train,
   "steps between \"step\" records of --metrics: step, epoch, lr, loss\n"
   "(mean since the last record), grad_norm, samples_per_s, wall_s\n"
   "(default 50; 0: none)",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.options.logEvery = integer(f, v, 0); }},
  {"--out", "FILE", Dream,
   "the PNG to write (default DIR/dreams.png)",
   [](CommandLine &l, const std::string &, const std::string &v) { l.options.out = v; }},
  {"--input", "FILE", Dream,
   "a PNG or JPEG image to dream about instead of the first test\n"
   "images (repeatable; the same as an IMAGE operand)",
   [](CommandLine &l, const std::string &, const std::string &v) { l.options.inputs.push_back(v); }, false, true},
  {"--weights", "FILE", Info,
   "check a safetensors file and summarise it (its tensors, and which\n"
   "of the network's parameters it holds)",
   [](CommandLine &l, const std::string &, const std::string &v) { l.options.weights = v; }},
  {"--dump", "FILE", Check,
   "write the network's step as a safetensors file: the batch, the\n"
   "parameters before it, the compiled path's and float64's losses,\n"
   "logits, gradients and running statistics, and the errors allowed\n"
   "(docs/runtime.md, \"What check dumps\")",
   [](CommandLine &l, const std::string &, const std::string &v) { l.options.dump = v; }},
  {"--reference", nullptr, DataCommands | Info,
   "run fused kernels as their plain LibTorch steps",
   [](CommandLine &l, const std::string &, const std::string &) { l.options.reference = true; }},
  {"--resize", nullptr, DataCommands,
   "resize images of another height and width to the network's input\n"
   "(stb_image_resize)",
   [](CommandLine &l, const std::string &, const std::string &) { l.options.resize = true; }},
  {"--no-cache", nullptr, DataCommands,
   "decode the data set from its files, without the cache of decoded\n"
   "sets ($DREAMC_CACHE, else ~/.cache/dreamc)",
   [](CommandLine &l, const std::string &, const std::string &) { l.options.cache = false; }},
  {"--tokenizer", "NAME", DataCommands,
   "texts: wordpiece (MiniLM's vocabulary, the default) or words (a\n"
   "vocabulary of the training texts' words, as many as the network's\n"
   "input vocabulary, kept as DIR/words.txt for the later commands)",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.options.tokenizer = oneOf(f, v, {"wordpiece", "words"}); }},
  {"--min-count", "N", Pretrain | Train,
   "--tokenizer words: leave out words seen fewer than N times\n"
   "(default 1)",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.options.minCount = integer(f, v, 1); }},
  {"--device", "cpu|cuda", DataCommands | Check,
   "where to run (default cpu)",
   [](CommandLine &l, const std::string &, const std::string &v) { l.options.device = v; }},
  {"--cuda-graph", nullptr, Train,
   "--device cuda: after an eager step of each batch size, capture\n"
   "the whole training step as one CUDA graph and replay it",
   [](CommandLine &l, const std::string &, const std::string &) { l.options.cudaGraph = true; }},
  {"--threads", "N", Everywhere,
   "intra-op threads (default: all cores, shared among the processes\n"
   "of --nproc)",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.options.threads = integer(f, v, 1); }},
  {"--plan", "FILE", Everywhere,
   "the plan to run (dreamc --emit=plan): needed when the trainer\n"
   "embeds none, else instead of the embedded one",
   [](CommandLine &l, const std::string &, const std::string &v) { l.planPath = v; }},
  {"--version", nullptr, Everywhere,
   "print the dreamc version and the plan's id, and stop",
   [](CommandLine &l, const std::string &, const std::string &) { l.version = true; }},
  {"--nproc", "N", Train,
   "start N local processes (ranks) on this machine; --batch is the\n"
   "global batch, split evenly among all ranks",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.world.nproc = integer(f, v, 1); }, true},
  {"--rank", "R", Train,
   "this process's rank (with --nproc: the first of its N); default\n"
   "$RANK or 0",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.world.rank = integer(f, v, 0); }, true},
  {"--world-size", "W", Train,
   "processes in the whole run; default $WORLD_SIZE, or N",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.world.worldSize = integer(f, v, 1); }, true},
  {"--master-addr", "A", Train,
   "address of rank 0's rendezvous (TCPStore); default $MASTER_ADDR or\n"
   "127.0.0.1",
   [](CommandLine &l, const std::string &, const std::string &v) { l.world.masterAddr = v; }, true},
  {"--master-port", "P", Train,
   "its port; default $MASTER_PORT, a free port for a one-machine\n"
   "--nproc run, or 29500",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.world.masterPort = integer(f, v, 1); }, true},
  {"--dist-timeout", "S", Train,
   "seconds a rank waits for the others before the run stops with an\n"
   "error (default 300)",
   [](CommandLine &l, const std::string &f, const std::string &v) { l.world.timeoutSeconds = integer(f, v, 1); }, true},
};
// clang-format on

const Flag *findFlag(const std::string &word) {
  std::string name = word.substr(0, word.find('='));
  for (const Flag &flag : flags)
    if (name == flag.name)
      return &flag;
  return nullptr;
}

std::string commandNames(unsigned mask) {
  std::vector<std::string> names;
  for (const CommandInfo &c : commands)
    if (mask & c.command)
      names.push_back(c.name);
  return listed(names);
}

/// An option of one command (or of the program) and what it was given.
using Given = std::vector<std::pair<const Flag *, CLI::Option *>>;

void addFlags(CLI::App &app, unsigned command, Given &given) {
  for (const Flag &flag : flags) {
    if (!(flag.commands & command))
      continue;
    CLI::Option *option = flag.value
                              ? app.add_option(flag.name, flag.help)
                                    ->type_name(flag.value)
                              : app.add_flag(flag.name, flag.help);
    if (flag.world)
      option->group(worldGroup);
    given.emplace_back(&flag, option);
  }
}

/// Applies the options given, in the table's order: the last value of
/// each, or all of a repeatable one.
void applyGiven(const Given &given, CommandLine &line) {
  for (const auto &[flag, option] : given) {
    if (option->count() == 0)
      continue;
    if (!flag->value) {
      // CLI11 takes `--resume=false` as a value ("true" when none is given),
      // which a switch would then ignore: refused instead.
      for (const std::string &given : option->results())
        if (given != "true")
          throw CLI::ValidationError(std::string(flag->name) +
                                     " takes no value, not '" + given + "'");
      flag->apply(line, flag->name, "");
      continue;
    }
    std::vector<std::string> values = option->results();
    if (!flag->repeatable)
      values = {values.back()};
    for (const std::string &value : values)
      flag->apply(line, flag->name, value);
  }
}

/// The command `app` stands for, or 0 for the program itself.
unsigned commandOf(const CLI::App &app) {
  for (const CommandInfo &c : commands)
    if (app.get_name() == c.name)
      return c.command;
  return 0;
}

/// The first word `app` did not take, worded as the refusal it is.
std::optional<std::string> refusal(const CLI::App &app,
                                   const std::vector<std::string> &operands,
                                   const std::string &program) {
  unsigned command = commandOf(app);
  std::string where = "`" + app.get_name() + "`";
  for (const std::string &word : app.remaining()) {
    if (word.empty() || word[0] != '-') {
      if (command)
        return "unexpected argument '" + word + "' for " + where;
      return "unknown command '" + word + "'; expected " +
             commandNames(Everywhere);
    }
    const Flag *flag = findFlag(word);
    std::string name = word.substr(0, word.find('='));
    if (!flag)
      return "unknown option '" + name + "'" +
             (command ? " for " + where : "") + "; run `" + program +
             (command ? " " + app.get_name() : "") +
             " --help` for the options";
    if (!command)
      return name + " is an option of " + commandNames(flag->commands) +
             ": give it after the command";
    return where + " does not use " + name + " (an option of " +
           commandNames(flag->commands) + ")";
  }
  if (command != Dream && !operands.empty())
    return "unexpected argument '" + operands.front() + "' for " + where;
  return std::nullopt;
}

/// argv without the world flags and their values (they all take one).
std::vector<std::string> withoutWorldFlags(int argc, char **argv) {
  std::vector<std::string> args;
  bool operands = false;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    operands |= word == "--";
    const Flag *flag = operands ? nullptr : findFlag(word);
    if (flag && flag->world) {
      i += word.find('=') == std::string::npos;
      continue;
    }
    args.push_back(word);
  }
  return args;
}

} // namespace

std::optional<int> parseCommandLine(int argc, char **argv, CommandLine &line,
                                    std::ostream &out, std::ostream &err) {
  const std::string &program = line.options.program;
  CLI::App app("The trainer of a network compiled by dreamc.", program);
  // Every value is kept; applyGiven() takes the last or, if repeatable, all.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.set_help_flag("-h,--help", "show this help and stop");
  app.allow_extras();
  app.require_subcommand(0, 1);
  app.get_formatter()->column_width(22);
  app.get_formatter()->label("SUBCOMMAND", "COMMAND");
  app.get_formatter()->label("Subcommands", "Commands");
  app.footer("Run `" + program + " COMMAND --help` for a command's options.");
  Given global;
  addFlags(app, Global, global);
  std::vector<Given> byCommand;
  std::vector<std::string> operands;
  for (const CommandInfo &c : commands) {
    CLI::App *sub = app.add_subcommand(c.name, c.summary);
    sub->footer("Unset options take the recipe's value (the .dream file's).");
    addFlags(*sub, c.command, byCommand.emplace_back());
    if (c.command == Dream)
      sub->add_option("IMAGE", operands, "an image to dream about, as --input");
  }
  // `--` ends the options: the words after it are operands, which only
  // dream takes (its images).
  std::vector<std::string> words(argv + 1, argv + argc);
  auto end = std::find(words.begin(), words.end(), "--");
  std::vector<std::string> afterOptions(end + (end != words.end()),
                                        words.end());
  words.erase(end, words.end());
  std::reverse(words.begin(), words.end()); // CLI11 takes them from the back.
  try {
    app.parse(words);
    applyGiven(global, line);
    for (size_t i = 0; i < byCommand.size(); ++i)
      applyGiven(byCommand[i], line);
  } catch (const CLI::CallForHelp &) {
    out << app.help();
    return 0;
  } catch (const CLI::ParseError &e) {
    std::vector<CLI::App *> chosen = app.get_subcommands();
    err << program << (chosen.empty() ? "" : " " + chosen.front()->get_name())
        << ": " << e.what() << "\n";
    return 2;
  }
  std::vector<CLI::App *> chosen = app.get_subcommands();
  std::optional<std::string> problem = refusal(app, {}, program);
  if (!problem && !chosen.empty()) {
    operands.insert(operands.end(), afterOptions.begin(), afterOptions.end());
    problem = refusal(*chosen.front(), operands, program);
  }
  if (!problem && chosen.empty() && !line.version)
    problem = afterOptions.empty()
                  ? "no command given; expected " + commandNames(Everywhere)
                  : "unexpected argument '" + afterOptions.front() + "'";
  if (problem) {
    err << program << ": " << *problem << "\n";
    return 2;
  }
  if (!chosen.empty())
    line.options.command = chosen.front()->get_name();
  line.options.inputs.insert(line.options.inputs.end(), operands.begin(),
                             operands.end());
  line.rankArgs = withoutWorldFlags(argc, argv);
  return std::nullopt;
}

} // namespace dream::rt
