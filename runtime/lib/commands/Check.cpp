//===- Check.cpp - The check command --------------------------------------===//
//
// One training step and one evaluation through the compiled kernels and
// through their reference steps, compared with a tolerance per kind of
// value (docs/runtime.md, Fused kernels).
//
//===----------------------------------------------------------------------===//

#include "CommandSupport.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cstdio>
#include <iostream>

namespace dream::rt::commands {

namespace {

/// Everything one training step and one evaluation produce, by name.
using Outcome = std::map<std::string, at::Tensor>;

/// One training step (no update) and one evaluation of `loss` on a batch,
/// from the parameters and buffers in `start`, with fused steps running
/// through `kernels` (null: their reference steps).
Outcome checkPass(Model &model, const KernelLibrary *kernels,
                  const LossFunction &loss, const Dataset &batch,
                  bool honourFrozen, uint64_t seed, const TensorMap &start) {
  model.useKernels(kernels);
  model.importTensors(start, "", "the check's initial state");
  Outcome outcome;
  RunMode mode;
  mode.training = true;
  mode.honourFrozen = honourFrozen;
  mode.generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto params = model.trainableParams();
  for (auto &[name, tensor] : params)
    tensor.mutable_grad().reset();
  at::Tensor trainLoss = loss(batch.inputs, batch.labels, mode).loss;
  trainLoss.backward();
  outcome["training loss"] = trainLoss.detach();
  for (auto &[name, tensor] : params)
    if (tensor.grad().defined())
      outcome["gradient of " + name] = tensor.grad().clone();
  for (const ParamSpec &param : model.plan().params)
    if (param.buffer)
      outcome["after the step, " + param.name] = model.tensor(param.name).clone();
  at::NoGradGuard noGrad;
  RunMode evaluation;
  evaluation.generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  outcome["evaluation loss"] =
      loss(batch.inputs, batch.labels, evaluation).loss.detach();
  return outcome;
}

/// The kind of a quantity of an Outcome, which sets its tolerance's scale.
std::string kindOf(const std::string &name) {
  if (name.rfind("gradient of ", 0) == 0)
    return "gradients";
  if (name.rfind("after the step, ", 0) == 0)
    return "running statistics";
  return name;
}

/// The largest relative difference `check` accepts for a kind of quantity.
/// Gradients get the widest: at a ReLU kink (an activation within float32
/// rounding of zero) one path can take the other branch, which moves a few
/// dozen gradient entries; measured over six seeds, that reached 1.7e-3 in
/// norm on the vision SleepNet-3 (5e-4 with tanh for ReLU) and 5.3e-3 on
/// the vision DreamNet-3. A wrong derivative is off by far more.
double toleranceOf(const std::string &kind) {
  if (kind == "gradients")
    return 1e-2;
  return kind == "running statistics" ? 1e-4 : 1e-5;
}

/// Compares the two paths on one objective and prints, per kind of
/// quantity, the worst relative difference ||compiled - reference||_2 /
/// ||reference||_2 of a tensor. A tensor whose reference is near zero while
/// others of its kind are not (a bias before a batch norm: zero in theory,
/// rounding noise in practice) is measured against 1e-3 of the largest
/// norm of its kind instead.
bool checkObjective(Model &model, const std::string &what,
                    const LossFunction &loss, const Dataset &batch,
                    bool honourFrozen, const TrainerOptions &o,
                    uint64_t seed) {
  TensorMap start = model.tensorsWithPrefix("");
  for (auto &[name, tensor] : start)
    tensor = tensor.clone();
  Outcome compiled =
      checkPass(model, o.kernels, loss, batch, honourFrozen, seed, start);
  Outcome reference =
      checkPass(model, nullptr, loss, batch, honourFrozen, seed, start);
  model.importTensors(start, "", "the check's initial state");
  std::map<std::string, double> largest;
  for (const auto &[name, expected] : reference) {
    double &norm = largest[kindOf(name)];
    norm = std::max(norm, expected.norm().item<double>());
  }
  bool ok = true;
  std::map<std::string, std::pair<double, std::string>> worst;
  for (const auto &[name, expected] : reference) {
    auto it = compiled.find(name);
    if (it == compiled.end() || it->second.sizes() != expected.sizes()) {
      std::cout << "  " << what << ": the compiled path computes no " << name
                << "\n";
      ok = false;
      continue;
    }
    double norm = std::max(expected.norm().item<double>(),
                           1e-3 * largest[kindOf(name)]);
    double error = (it->second - expected).norm().item<double>() /
                   std::max(norm, 1e-30);
    auto &slot = worst[kindOf(name)];
    if (error >= slot.first)
      slot = {error, name};
    ok = ok && error <= toleranceOf(kindOf(name));
  }
  std::printf("  %s: loss %.7f compiled, %.7f reference\n", what.c_str(),
              compiled["training loss"].item<double>(),
              reference["training loss"].item<double>());
  for (const auto &[kind, entry] : worst)
    std::printf("    %-20s worst relative difference %.1e of %.0e allowed "
                "(%s)\n",
                kind.c_str(), entry.first, toleranceOf(kind),
                entry.second.c_str());
  return ok;
}

/// A batch of seeded random inputs and labels of the plan's types, on
/// `device`.
Dataset randomBatch(const InputSpec &input, int64_t classes, int64_t size,
                    at::Generator generator, at::Device device) {
  std::vector<int64_t> shape = {size};
  shape.insert(shape.end(), input.shape.begin(), input.shape.end());
  Dataset batch;
  batch.inputs = input.tokens ? at::randint(0, input.vocab, shape, generator)
                              : at::randn(shape, generator);
  batch.labels = at::randint(0, std::max<int64_t>(classes, 1), {size},
                             generator);
  batch.inputs = batch.inputs.to(device);
  batch.labels = batch.labels.to(device);
  return batch;
}

} // namespace

int check(const Plan &plan, const TrainerOptions &o, at::Device device) {
  if (!o.kernels || o.kernels->empty())
    throw UsageError("check compares the compiled kernels with their "
                     "reference steps, so it needs a trainer compiled by "
                     "dreamc");
  TrainSettings s = trainSettings(plan.recipe, o);
  uint64_t seed = static_cast<uint64_t>(s.seed);
  Model model(plan, seed, device);
  model.useKernels(o.kernels); // Refuses a table that misses an entry point.
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  int64_t size = o.batch.value_or(16);
  std::printf("checking %zu compiled kernels against their reference steps: "
              "one step on %lld random examples, seed %llu\n",
              plan.kernels.size(), static_cast<long long>(size),
              static_cast<unsigned long long>(seed));
  bool ok = checkObjective(
      model, "network", classificationLoss(model, 0.0),
      randomBatch(plan.input, plan.classes, size, generator, device),
      /*honourFrozen=*/true, o, seed);
  for (const EncoderSpec &enc : plan.encoders) {
    if (!enc.decode || enc.input.tokens || !enc.pretrain)
      continue;
    model.setTrainable([&](const ParamSpec &p) {
      return startsWith(p.name, enc.paramPrefix());
    });
    ok &= checkObjective(model, "pre-training " + enc.name,
                         reconstructionLoss(model, enc),
                         randomBatch(enc.input, 0, size, generator, device),
                         /*honourFrozen=*/false, o, seed);
  }
  std::cout << (ok ? "the compiled kernels agree with the reference steps\n"
                   : "the compiled kernels DIFFER from the reference steps\n");
  return ok ? 0 : 1;
}

} // namespace dream::rt::commands
