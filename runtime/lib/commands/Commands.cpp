//===- Commands.cpp - The trainer's commands ------------------------------===//
//
// Dispatches a command line to its command (runtime/lib/commands, one file
// each) and turns what goes wrong into a message and an exit status.
//
//===----------------------------------------------------------------------===//

#include "CommandSupport.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <iostream>
#include <thread>

namespace dream::rt {
namespace {

int dispatch(const Plan &plan, const TrainerOptions &o) {
  using namespace commands;
  if (o.command == "info")
    return info(plan, o);
  at::Device device = parseDevice(o.device);
  if (o.command == "check")
    return check(plan, o, device);
  if (o.command == "pretrain")
    return pretrain(plan, o, device);
  if (o.command == "train")
    return train(plan, o, device);
  if (o.command == "eval")
    return evaluateCommand(plan, o, device);
  if (o.command == "dream")
    return dreamCommand(plan, o, device);
  // The command line (runtime/trainer/CommandLine.cpp) lets only the
  // commands above through; a caller of the library may not.
  throw UsageError("unknown command '" + o.command + "'");
}

} // namespace

int runTrainerCommand(const Plan &plan, const TrainerOptions &options) {
  try {
    // Ranks started together on one machine share its cores.
    int64_t cores = std::max(1u, std::thread::hardware_concurrency());
    at::set_num_threads(static_cast<int>(options.threads.value_or(
        std::max<int64_t>(1, cores / options.world.localSize))));
    return dispatch(plan, options);
  } catch (const UsageError &e) {
    std::cerr << options.program << ": " << e.what() << "\n";
    return 2;
  } catch (const c10::Error &e) {
    std::cerr << options.program << ": error: " << e.what_without_backtrace()
              << "\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << options.program << ": error: " << e.what() << "\n";
    return 1;
  }
}

} // namespace dream::rt
