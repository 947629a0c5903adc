//===- Launch.h - Joining and starting the ranks of a run -------*- C++ -*-===//
//
// Who takes part in a data-parallel run: from the command line (--rank,
// --world-size, --master-addr, --master-port) or the environment variables
// torchrun also sets (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT); and
// `--nproc N`, which starts N local ranks as copies of this trainer and
// watches them. LibTorch-free, so that main() compiles quickly; the process
// group itself is in Distributed.h.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_LAUNCH_H
#define DREAM_RUNTIME_LAUNCH_H

#include "dream/Runtime/Commands.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dream::rt {

/// The world options as given on the command line; unset ones come from
/// the environment.
struct WorldFlags {
  int64_t nproc = 0; ///< --nproc; 0: not given.
  std::optional<int64_t> rank;
  std::optional<int64_t> worldSize;
  std::optional<std::string> masterAddr;
  std::optional<int64_t> masterPort;
  std::optional<int64_t> timeoutSeconds; ///< --dist-timeout.
};

/// A world that cannot be formed (exit status 2); the message names the
/// flag or environment variable.
class WorldError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The world of this process: flags first, then RANK, WORLD_SIZE,
/// MASTER_ADDR, MASTER_PORT and LOCAL_WORLD_SIZE. With
/// --nproc N, `rank` is the first of the N local ranks and the world size
/// defaults to N; when the N ranks are the whole world and no port is
/// given, a free port of 127.0.0.1 is chosen. Throws WorldError.
WorldSpec resolveWorld(const WorldFlags &flags);

/// Starts ranks world.rank .. world.rank + nproc - 1 by running this
/// trainer's executable (/proc/self/exe) with `args` (the command line
/// without the world flags) and the world in the environment, then waits
/// for them. If one fails (a non-zero status other than 130, or a signal),
/// says which rank and how, terminates the others (SIGTERM, then SIGKILL
/// after 10 s) and returns 1; else 0, or 130 if the ranks were interrupted.
/// The ranks receive SIGTERM if the launcher dies.
int launchLocalRanks(const WorldSpec &world, int64_t nproc,
                     const std::string &argv0,
                     const std::vector<std::string> &args,
                     const std::string &program);

} // namespace dream::rt

#endif // DREAM_RUNTIME_LAUNCH_H
