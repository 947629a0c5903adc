//===- Info.cpp - The info command ----------------------------------------===//
//
// Parameters, encoders, cost, kernels and the recipe of a plan; or a
// weights file checked and summarised against it.
//
//===----------------------------------------------------------------------===//

#include "CommandSupport.h"

#include "dream/Runtime/Augment.h"
#include "dream/Runtime/Safetensors.h"

#include <cstdio>
#include <iostream>
#include <numeric>

#include <dlfcn.h>

namespace dream::rt::commands {

namespace {

void printParameterCounts(const Plan &plan) {
  int64_t counts[3] = {0, 0, 0}, tensors[3] = {0, 0, 0};
  for (const ParamSpec &p : plan.params) {
    int kind = p.buffer ? 2 : p.trainable ? 0 : 1;
    counts[kind] += p.numel();
    ++tensors[kind];
  }
  const char *names[3] = {"trainable", "frozen", "buffers"};
  std::cout << "parameters\n";
  for (int i = 0; i < 3; ++i)
    std::printf("  %-10s %13s in %lld tensors\n", names[i],
                withCommas(counts[i]).c_str(),
                static_cast<long long>(tensors[i]));
}

void printEncoders(const Plan &plan) {
  if (plan.encoders.empty())
    return;
  std::cout << "encoders\n";
  for (const EncoderSpec &enc : plan.encoders) {
    int64_t size = 0;
    for (const ParamSpec &p : plan.params)
      if (!p.buffer && startsWith(p.name, enc.paramPrefix()))
        size += p.numel();
    std::cout << "  " << enc.name << ": " << (enc.frozen ? "frozen" : "trained")
              << ", " << withCommas(size) << " parameters, input "
              << formatShape(enc.input.shape);
    if (!enc.latent.empty())
      std::cout << ", latent " << formatShape(enc.latent);
    if (enc.pretrain)
      std::cout << ", pretrain " << enc.pretrain->kind << " (epochs "
                << enc.pretrain->epochs << ")";
    if (!enc.weights.empty())
      std::cout << ", weights " << enc.weights;
    std::cout << "\n";
  }
}

void printCost(const Plan &plan) {
  if (plan.cost.empty()) {
    std::cout << "cost: not given by the plan\n";
    return;
  }
  std::cout << "cost (computed by the compiler)\n";
  for (const auto &[key, value] : plan.cost.items())
    std::printf("  %-30s %s\n", key.c_str(),
                value.is_number_integer()
                    ? withCommas(value.get<int64_t>()).c_str()
                    : value.dump().c_str());
}

void printKernels(const Model &model, const TrainerOptions &o) {
  const Plan &plan = model.plan();
  std::cout << "kernels: " << plan.kernels.size() << " fused";
  if (plan.kernels.empty()) {
    std::cout << "\n";
    return;
  }
  std::cout << ", run as " << kernelMode(model, o) << "\n";
  for (const KernelSpec &kernel : plan.kernels) {
    std::cout << "  " << kernel.name << " (" << kernel.forward << ", "
              << kernel.backward << "):";
    for (size_t i = 0; i < kernel.reference.steps.size(); ++i)
      std::cout << (i ? " -> " : " ") << kernel.reference.steps[i].op;
    std::cout << "\n";
  }
}

/// The library whose malloc the process calls: the one every allocation of
/// LibTorch, the runtime and the kernels goes through.
std::string mallocLibrary() {
  Dl_info where;
  if (!dladdr(reinterpret_cast<void *>(&std::malloc), &where) ||
      !where.dli_fname)
    return "unknown";
  std::string path = where.dli_fname;
  return path.substr(path.find_last_of('/') + 1);
}

void printRecipe(const Plan &plan, const TrainSettings &s,
                 const TrainerOptions &o) {
  const OptimizerSpec &opt = s.optimizer;
  std::cout << "recipe (command-line overrides applied)\n"
            << "  data " << dataName(plan, o) << ", epochs " << s.epochs
            << ", batch " << s.batch << ", seed " << s.seed << "\n"
            << "  optimizer " << opt.name << "(lr " << opt.lr;
  if (opt.name == "sgd")
    std::cout << ", momentum " << opt.momentum << ", nesterov "
              << (opt.nesterov ? "true" : "false");
  else
    std::cout << ", betas (" << opt.beta1 << ", " << opt.beta2 << "), eps "
              << opt.eps;
  std::cout << ", weight_decay " << opt.weightDecay << ")\n"
            << "  schedule " << s.schedule.name << " (warmup "
            << s.schedule.warmup;
  if (s.schedule.name == "step")
    std::cout << ", every " << s.schedule.every << ", gamma "
              << s.schedule.gamma;
  std::cout << "), clip " << s.clip << ", label_smoothing " << s.labelSmoothing
            << ", validation " << s.validation << ", augment "
            << describe(plan.recipe.augment) << ", preset "
            << plan.recipe.preset << "\n";
}

/// `info --weights FILE`: reads the file with every check of the
/// safetensors reader (a damaged file is a FileError naming the problem)
/// and summarises it against the plan.
int weightsInfo(const Plan &plan, const std::string &path) {
  SafetensorsFile file = SafetensorsFile::read(path);
  std::map<std::string, std::pair<int64_t, int64_t>> byType;
  int64_t elements = 0, matching = 0, sameShape = 0;
  for (const RawTensor &t : file.tensors()) {
    int64_t n = std::accumulate(t.shape.begin(), t.shape.end(), int64_t{1},
                                std::multiplies<int64_t>());
    byType[t.dtype].first += 1;
    byType[t.dtype].second += n;
    elements += n;
    const ParamSpec *param = plan.findParam(t.name);
    matching += param != nullptr;
    sameShape += param && param->shape == t.shape;
  }
  std::cout << "weights " << path << ": " << file.tensors().size()
            << " tensors, " << withCommas(elements) << " elements\n";
  for (const auto &[dtype, counts] : byType)
    std::cout << "  " << dtype << ": " << counts.first << " tensors, "
              << withCommas(counts.second) << " elements\n";
  for (const auto &[key, value] : file.metadata())
    std::cout << "  metadata " << key << " = " << value << "\n";
  std::cout << "  " << matching << " tensors are parameters of "
            << plan.network << " by name, " << sameShape
            << " of them with the plan's shape\n";
  return 0;
}

} // namespace

int info(const Plan &plan, const TrainerOptions &o) {
  if (!o.weights.empty())
    return weightsInfo(plan, o.weights);
  Model model = makeModel(plan, 0, at::kCPU, o); // Checks shapes and kernels.
  std::cout << "network " << plan.network
            << (plan.source.empty() ? "" : " (" + plan.source + ")")
            << ", plan " << plan.hash << "\n"
            << "input " << formatShape(plan.input.shape)
            << (plan.input.tokens ? " int64" : " float32") << ", "
            << plan.classes << " classes\n";
  printParameterCounts(plan);
  printEncoders(plan);
  printCost(plan);
  printKernels(model, o);
  std::cout << "memory allocator: " << mallocLibrary() << "\n";
  printRecipe(plan, trainSettings(plan.recipe, o), o);
  return 0;
}

} // namespace dream::rt::commands
