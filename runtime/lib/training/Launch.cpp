//===- Launch.cpp - Joining and starting the ranks of a run ---------------===//

#include "dream/Runtime/Launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

namespace dream::rt {
namespace {

std::optional<std::string> environment(const char *name) {
  const char *value = std::getenv(name);
  if (!value || !*value)
    return std::nullopt;
  return std::string(value);
}

/// The flag's value if given, else the environment variable's.
std::optional<int64_t> integerSetting(const std::optional<int64_t> &flag,
                                      const char *variable) {
  if (flag)
    return flag;
  std::optional<std::string> text = environment(variable);
  if (!text)
    return std::nullopt;
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text->c_str(), &end, 10);
  if (*end || errno)
    throw WorldError(std::string("the environment variable ") + variable +
                     "='" + *text + "' is not an integer");
  return value;
}

/// A port of 127.0.0.1 that nothing listens on now, chosen by the kernel.
int64_t freeLocalPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bool ok =
      fd >= 0 &&
      ::bind(fd, reinterpret_cast<sockaddr *>(&address), length) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0;
  if (fd >= 0)
    ::close(fd);
  if (!ok)
    throw WorldError("no free port on 127.0.0.1 for the rendezvous (" +
                     std::string(std::strerror(errno)) +
                     "); give --master-port");
  return ntohs(address.sin_port);
}

std::string rankRange(int64_t first, int64_t count) {
  return count == 1
             ? std::to_string(first)
             : std::to_string(first) + "-" + std::to_string(first + count - 1);
}

} // namespace

WorldSpec resolveWorld(const WorldFlags &flags) {
  WorldSpec world;
  int64_t local = flags.nproc > 0 ? flags.nproc : 1;
  world.rank = integerSetting(flags.rank, "RANK").value_or(0);
  world.size = integerSetting(flags.worldSize, "WORLD_SIZE").value_or(local);
  world.localSize =
      flags.nproc > 0
          ? flags.nproc
          : integerSetting(std::nullopt, "LOCAL_WORLD_SIZE").value_or(1);
  world.masterAddr = flags.masterAddr
                         ? *flags.masterAddr
                         : environment("MASTER_ADDR").value_or("127.0.0.1");
  if (flags.timeoutSeconds)
    world.timeoutSeconds = *flags.timeoutSeconds;
  if (world.size < 1)
    throw WorldError("the world size (--world-size or WORLD_SIZE) is " +
                     std::to_string(world.size) + "; it must be at least 1");
  if (world.localSize < 1)
    throw WorldError("LOCAL_WORLD_SIZE is " + std::to_string(world.localSize) +
                     "; it must be at least 1");
  world.localRank = integerSetting(std::nullopt, "LOCAL_RANK")
                        .value_or(world.rank % world.localSize);
  if (world.localRank < 0)
    throw WorldError("LOCAL_RANK is " + std::to_string(world.localRank) +
                     "; it must not be negative");
  if (world.rank < 0 || world.rank + local > world.size)
    throw WorldError(
        (flags.nproc > 0
             ? "--nproc " + std::to_string(local) + " would start ranks " +
                   rankRange(world.rank, local)
             : "rank " + std::to_string(world.rank) + " (--rank or RANK)") +
        ", but the world (--world-size or WORLD_SIZE) has ranks 0-" +
        std::to_string(world.size - 1));
  std::optional<int64_t> port = integerSetting(flags.masterPort, "MASTER_PORT");
  if (port && (*port < 1 || *port > 65535))
    throw WorldError("the master port (--master-port or MASTER_PORT) is " +
                     std::to_string(*port) + ", not between 1 and 65535");
  bool wholeWorldHere = flags.nproc > 0 && world.size == flags.nproc;
  world.masterPort = port ? *port : wholeWorldHere ? freeLocalPort() : 29500;
  return world;
}

namespace {

struct RankProcess {
  int64_t rank;
  pid_t pid;
  bool running = true;
};

/// Runs this executable as one rank; returns its pid.
pid_t startRank(const WorldSpec &world, int64_t rank, int64_t localRank,
                const std::vector<char *> &argv) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid != 0)
    return pid;
  // A launcher that dies takes its ranks with it.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent)
    ::_exit(1);
  std::signal(SIGINT, SIG_DFL);
  auto set = [](const char *name, const std::string &value) {
    ::setenv(name, value.c_str(), 1);
  };
  set("RANK", std::to_string(rank));
  set("LOCAL_RANK", std::to_string(localRank));
  set("WORLD_SIZE", std::to_string(world.size));
  set("LOCAL_WORLD_SIZE", std::to_string(world.localSize));
  set("MASTER_ADDR", world.masterAddr);
  set("MASTER_PORT", std::to_string(world.masterPort));
  ::execv("/proc/self/exe", argv.data());
  std::fprintf(stderr, "cannot run /proc/self/exe for rank %lld: %s\n",
               static_cast<long long>(rank), std::strerror(errno));
  ::_exit(127);
}

std::string howItEnded(int status) {
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

/// Status 130 is a rank that stopped after Ctrl-C (with a checkpoint).
bool failed(int status) {
  return WIFSIGNALED(status) ||
         (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 130);
}

void signalRunning(const std::vector<RankProcess> &ranks, int signal) {
  for (const RankProcess &r : ranks)
    if (r.running)
      ::kill(r.pid, signal);
}

/// Waits for every rank; on the first failure terminates the others.
int superviseRanks(std::vector<RankProcess> &ranks,
                   const std::string &program) {
  using Clock = std::chrono::steady_clock;
  const auto grace = std::chrono::seconds(10);
  bool stopping = false, killed = false, anyFailed = false, interrupted = false;
  // Ranks that all refused their command line (exit status 2) fail the
  // run as a usage error too.
  bool allUsageErrors = true;
  Clock::time_point stopped;
  for (size_t left = ranks.size(); left > 0;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, stopping ? WNOHANG : 0);
    if (pid < 0 && errno == EINTR)
      continue;
    if (pid < 0)
      break;
    if (pid == 0) {
      if (!killed && Clock::now() - stopped > grace) {
        signalRunning(ranks, SIGKILL);
        killed = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    for (RankProcess &r : ranks) {
      if (r.pid != pid)
        continue;
      r.running = false;
      --left;
      interrupted |= WIFEXITED(status) && WEXITSTATUS(status) == 130;
      bool terminatedByUs =
          stopping && WIFSIGNALED(status) &&
          (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGKILL);
      if (!failed(status) || terminatedByUs)
        continue;
      anyFailed = true;
      allUsageErrors &= WIFEXITED(status) && WEXITSTATUS(status) == 2;
      std::cerr << program << ": rank " << r.rank << " (pid " << pid << ") "
                << howItEnded(status)
                << (stopping ? "" : "; stopping the other ranks") << "\n";
      if (!stopping) {
        signalRunning(ranks, SIGTERM);
        stopping = true;
        stopped = Clock::now();
      }
    }
  }
  if (anyFailed && allUsageErrors)
    return 2;
  if (anyFailed) {
    std::cerr << program
              << ": the run failed; if it wrote a checkpoint, --resume "
                 "continues from there (with any number of processes)\n";
    return 1;
  }
  return interrupted ? 130 : 0;
}

} // namespace

int launchLocalRanks(const WorldSpec &world, int64_t nproc,
                     const std::string &argv0,
                     const std::vector<std::string> &args,
                     const std::string &program) {
  std::vector<std::string> strings = {argv0};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (std::string &s : strings)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  // Ctrl-C reaches every rank of the terminal's process group, and each
  // stops with a checkpoint; the launcher waits for them to do so.
  struct sigaction ignore = {}, previous = {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &previous);
  std::cout.flush();
  std::vector<RankProcess> ranks;
  for (int64_t i = 0; i < nproc; ++i) {
    pid_t pid = startRank(world, world.rank + i, i, argv);
    if (pid < 0) {
      std::cerr << program << ": cannot start rank " << world.rank + i << ": "
                << std::strerror(errno) << "\n";
      signalRunning(ranks, SIGTERM);
      while (::wait(nullptr) > 0) {
      }
      ::sigaction(SIGINT, &previous, nullptr);
      return 1;
    }
    ranks.push_back({world.rank + i, pid});
  }
  std::cerr << program << ": started ranks " << rankRange(world.rank, nproc)
            << " of " << world.size << " (pids";
  for (const RankProcess &r : ranks)
    std::cerr << " " << r.pid;
  std::cerr << "); rendezvous at " << world.masterAddr << ":"
            << world.masterPort << std::endl;
  int status = superviseRanks(ranks, program);
  ::sigaction(SIGINT, &previous, nullptr);
  return status;
}

} // namespace dream::rt
