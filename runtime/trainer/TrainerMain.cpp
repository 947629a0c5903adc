//===- TrainerMain.cpp - main() of every trainer --------------------------===//
//
// A trainer linked by dreamc embeds its plan
// and its kernel table through the symbols below, which dreamc's object
// defines; dream-trainer has neither, reads the plan given with --plan FILE
// (which also overrides an embedded plan) and runs fused steps as their
// reference steps.
//
//===----------------------------------------------------------------------===//

#include "CommandLine.h"

#include "dream/Runtime/Plan.h"
#include "dream/Schema/KernelTable.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

namespace {

bool hasEmbeddedPlan() {
  return &dream_embedded_plan_size != nullptr && dream_embedded_plan != nullptr;
}

std::string baseName(const char *path) {
  const char *slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/// The plan to run and where it came from (for messages): --plan FILE, else
/// the embedded one. Null when there is neither, after saying so.
std::optional<std::pair<std::string, std::string>>
readPlan(const dream::rt::CommandLine &line, const std::string &program) {
  if (!line.planPath.empty()) {
    std::ifstream in(line.planPath, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot open the plan %s: %s\n",
                   program.c_str(), line.planPath.c_str(),
                   std::strerror(errno));
      return std::nullopt;
    }
    std::ostringstream content;
    content << in.rdbuf();
    return std::make_pair(content.str(), line.planPath);
  }
  if (hasEmbeddedPlan())
    return std::make_pair(
        std::string(dream_embedded_plan, dream_embedded_plan_size),
        std::string("embedded plan"));
  std::fprintf(stderr,
               "%s: this trainer embeds no plan: give --plan FILE (from "
               "`dreamc --emit=plan`)\n",
               program.c_str());
  return std::nullopt;
}

/// --version: the dreamc that built this trainer and the id of its plan,
/// the hash its checkpoints record.
int printVersion(const dream::rt::CommandLine &line) {
  std::printf("dreamc %s\n", DREAMC_VERSION);
  if (line.planPath.empty() && !hasEmbeddedPlan()) {
    std::printf("plan: none embedded (give --plan FILE)\n");
    return 0;
  }
  auto text = readPlan(line, line.options.program);
  if (!text)
    return 1;
  dream::rt::Plan plan = dream::rt::parsePlan(text->first, text->second);
  std::printf("plan %s: network %s%s\n", plan.hash.c_str(),
              plan.network.c_str(),
              plan.source.empty() ? "" : (" (" + plan.source + ")").c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  // Past a file size limit (ulimit -f) a write then fails with EFBIG, which
  // the trainer reports with the file's name, instead of killing it.
  std::signal(SIGXFSZ, SIG_IGN);
  dream::rt::CommandLine line;
  line.options.program = baseName(argv[0]);
  const std::string &program = line.options.program;
  if (std::optional<int> status =
          dream::rt::parseCommandLine(argc, argv, line, std::cout, std::cerr))
    return *status;
  if (line.version) {
    try {
      return printVersion(line);
    } catch (const std::exception &e) {
      std::fprintf(stderr, "%s: error: %s\n", program.c_str(), e.what());
      return 1;
    }
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
  auto text = readPlan(line, program);
  if (!text)
    return line.planPath.empty() ? 2 : 1;
  try {
    dream::rt::KernelLibrary kernels;
    bool compiled = &dream_kernel_count != nullptr && hasEmbeddedPlan();
    if (compiled && !line.options.reference)
      dream::rt::requireCpuLevel(dream_kernel_cpu ? dream_kernel_cpu
                                                  : "x86-64-v2");
    // The kernels were compiled for the embedded plan: its kernel signature
    // decides which plans may call them. It is parsed once, also when it
    // is the plan to run.
    std::optional<dream::rt::Plan> embedded;
    if (compiled) {
      embedded = dream::rt::parsePlan(
          std::string(dream_embedded_plan, dream_embedded_plan_size),
          "embedded plan");
      kernels = dream::rt::KernelLibrary(
          {dream_kernel_table, dream_kernel_count},
          {dream_gpu_kernel_table,
           &dream_gpu_kernel_count ? dream_gpu_kernel_count : 0},
          embedded->kernelAbi);
    }
    dream::rt::Plan plan = embedded && line.planPath.empty()
                               ? std::move(*embedded)
                               : dream::rt::parsePlan(text->first, text->second);
    line.options.kernels = &kernels;
    return dream::rt::runTrainerCommand(plan, line.options);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), e.what());
    return 1;
  }
}
