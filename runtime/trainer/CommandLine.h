//===- CommandLine.h - A trainer's command line, by command ---*- C++ -*-===//
//
// `trainer COMMAND [options] [-- operands]`: each command takes its own
// options, listed by `trainer COMMAND --help`; an option another command
// uses is refused naming both. Parsed with CLI11 (docs/runtime.md).
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_TRAINER_COMMANDLINE_H
#define DREAM_TRAINER_COMMANDLINE_H

#include "dream/Runtime/Commands.h"
#include "dream/Runtime/Launch.h"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace dream::rt {

struct CommandLine {
  TrainerOptions options;
  WorldFlags world;
  std::string planPath; ///< --plan; empty: the embedded plan.
  bool version = false; ///< --version: print versions, run nothing.
  /// The arguments without the world flags: what --nproc passes to each
  /// rank, which reads its world from the environment instead.
  std::vector<std::string> rankArgs;
};

/// Parses argv into `line`. Returns the exit status when there is nothing
/// to run: 0 after printing help on `out`, 2 after a usage error on `err`
/// (the message names the program, the command and the option).
std::optional<int> parseCommandLine(int argc, char **argv, CommandLine &line,
                                    std::ostream &out, std::ostream &err);

} // namespace dream::rt

#endif // DREAM_TRAINER_COMMANDLINE_H
