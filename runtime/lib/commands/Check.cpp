//===- Check.cpp - The check command --------------------------------------===//
//
// One training step and one evaluation through the compiled kernels,
// through their reference steps and through the reference steps in
// float64; the compiled path must be as close to float64 as the kind's
// tolerance or the float32 noise of the reference allows (docs/runtime.md,
// "Agreement").
//
//===----------------------------------------------------------------------===//

#include "CommandSupport.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace dream::rt::commands {

namespace {

/// Everything one training step and one evaluation produce, by name.
using Outcome = std::map<std::string, at::Tensor>;

/// Whether `generator`, made with `seed`, has drawn a number since.
bool drewFrom(const at::Generator &generator, uint64_t seed) {
  return !at::equal(generator.get_state(),
                    at::make_generator<at::CPUGeneratorImpl>(seed).get_state());
}

/// One training step (no update) and one evaluation of `loss` on a batch,
/// from the parameters and buffers in `start`, with fused steps running
/// through `kernels` (null: their reference steps). `random`, if given, is
/// set to whether the training step drew random numbers (dropout, masking).
Outcome checkPass(Model &model, const KernelLibrary *kernels,
                  const LossFunction &loss, const Dataset &batch,
                  bool honourFrozen, uint64_t seed, const TensorMap &start,
                  bool *random = nullptr) {
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
  BatchOutput step = loss(batch.inputs, batch.labels, mode);
  step.loss.backward();
  outcome["training loss"] = step.loss.detach();
  if (step.logits.defined())
    outcome["training logits"] = step.logits;
  if (random)
    *random = drewFrom(mode.generator, seed);
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

/// The error from float64 `check` accepts for a kind of quantity whatever
/// the float32 noise.
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

/// The error from float64 the compiled path may have in a kind whose
/// float32 noise is `noise`.
double allowedError(const std::string &kind, double noise) {
  return std::max(toleranceOf(kind), 2 * noise);
}

/// The same pass through the reference steps in float64: what both
/// float32 paths are measured against.
Outcome exactPass(Model &model, const LossFunction &loss, const Dataset &batch,
                  bool honourFrozen, uint64_t seed, const TensorMap &start) {
  Dataset exact = batch;
  if (at::isFloatingType(batch.inputs.scalar_type()))
    exact.inputs = batch.inputs.to(at::kDouble);
  model.setPrecision(at::kDouble);
  Outcome outcome =
      checkPass(model, nullptr, loss, exact, honourFrozen, seed, start);
  model.setPrecision(at::kFloat);
  return outcome;
}

/// `start` with every float value moved by one float32 rounding (relative
/// 2^-24, random sign): a second float32 computation of the same network.
/// How far its result lands from float64 shows how much the network
/// amplifies a rounding, which in a deep network can be a millionfold.
TensorMap perturbed(const TensorMap &start, uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  TensorMap moved;
  for (const auto &[name, tensor] : start) {
    at::Tensor sign =
        at::randint(0, 2, tensor.sizes(), generator, at::kFloat) * 2 - 1;
    moved[name] = tensor * (1 + std::ldexp(1.0, -24) * sign.to(tensor.device()));
  }
  return moved;
}

/// ||value - exact||_2 / ||exact||_2, with the norm floored at `floor`: a
/// tensor near zero in exact arithmetic (a bias before a batch norm) is
/// measured against its kind's scale instead of its own rounding noise.
double relativeError(const at::Tensor &value, const at::Tensor &exact,
                     double floor) {
  double norm = std::max(exact.norm().item<double>(), floor);
  double error = (value.to(at::kDouble) - exact).norm().item<double>() /
                 std::max(norm, 1e-30);
  // A NaN compares with nothing; as infinity it is the worst of its kind.
  return std::isnan(error) ? INFINITY : error;
}

double median(std::vector<double> &values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2,
                   values.end());
  return values[values.size() / 2];
}

/// Each quantity's relative error from float64, the norm floored at 1e-3
/// of the largest norm of its kind.
using Errors = std::map<std::string, double>;

Errors errorsOf(const Outcome &outcome, const Outcome &exact) {
  std::map<std::string, double> largest;
  for (const auto &[name, value] : exact) {
    double &norm = largest[kindOf(name)];
    norm = std::max(norm, value.norm().item<double>());
  }
  Errors errors;
  for (const auto &[name, value] : exact) {
    auto it = outcome.find(name);
    if (it != outcome.end() && it->second.sizes() == value.sizes())
      errors[name] =
          relativeError(it->second, value, 1e-3 * largest[kindOf(name)]);
  }
  return errors;
}

/// The worst error of each kind of quantity.
std::map<std::string, double> worstByKind(const Errors &errors) {
  std::map<std::string, double> worst;
  for (const auto &[name, error] : errors)
    worst[kindOf(name)] = std::max(worst[kindOf(name)], error);
  return worst;
}

/// How far float32 reference computations land from float64: the worst
/// error of each kind over the plain reference steps and reference steps
/// on perturbed parameters. One perturbed computation says little about
/// the spread (at depth 64, batch 4, ATen's training loss lands 4e-5 to
/// 4e-2 from float64 depending on the seed), so four more are taken where
/// the noise exceeds a kind's tolerance (the network amplifies rounding
/// beyond what the tolerance assumes) or where the compiled path is
/// further from float64 than the first two allow: a single activation
/// within rounding of a ReLU's kink moves every gradient before it, and
/// whether one perturbed computation crosses it too is chance (issue 30:
/// 1e-2 at 10 blocks), so a verdict of DIFFER rests on six.
std::map<std::string, double>
float32Noise(Model &model, const LossFunction &loss, const Dataset &batch,
             bool honourFrozen, uint64_t seed, const TensorMap &start,
             const Outcome &exact, const Errors &reference,
             const Errors &compiled, std::ostream &os) {
  std::map<std::string, double> noise = worstByKind(reference);
  auto addPerturbed = [&](uint64_t perturbation) {
    Outcome moved = checkPass(model, nullptr, loss, batch, honourFrozen, seed,
                              perturbed(start, perturbation));
    for (const auto &[kind, error] : worstByKind(errorsOf(moved, exact)))
      noise[kind] = std::max(noise[kind], error);
  };
  addPerturbed(seed);
  bool amplified = false, outside = false;
  for (const auto &[kind, error] : noise)
    amplified = amplified || error > toleranceOf(kind);
  for (const auto &[kind, error] : worstByKind(compiled))
    outside = outside || error > allowedError(kind, noise[kind]);
  if (amplified || outside) {
    for (uint64_t i = 1; i <= 4; ++i)
      addPerturbed(seed + i);
    os << (amplified ? "    rounding is amplified past the tolerances"
                     : "    the compiled path is outside what two reference "
                       "computations allow")
       << ": the float32 noise below is the worst of 6 reference "
          "computations\n";
  }
  return noise;
}

/// Writes `check --dump FILE` (docs/runtime.md, "What check dumps"): the
/// batch, the parameters and buffers before the step, the compiled path's
/// and float64's outcomes, and per kind the float32 noise and the error
/// allowed, so that another computation of the network (the PyTorch
/// export, scripts/export_check.py) can be judged by check's rules.
void writeDump(const std::string &path, const Dataset &batch,
               const TensorMap &start, const Outcome &compiled,
               const Outcome &exact, const std::map<std::string, double> &noise,
               bool random, uint64_t seed) {
  TensorMap tensors = {{"inputs", batch.inputs}, {"labels", batch.labels}};
  for (const auto &[name, value] : start)
    tensors["parameters/" + name] = value;
  for (const auto &[name, value] : compiled)
    tensors["compiled/" + name] = value;
  for (const auto &[name, value] : exact)
    tensors["float64/" + name] = value;
  std::map<std::string, std::string> metadata = {
      {"seed", std::to_string(seed)},
      {"random draws", random ? "yes" : "no"}};
  char number[32];
  for (const auto &[kind, error] : noise) {
    std::snprintf(number, sizeof number, "%.6e", error);
    metadata["float32 noise of " + kind] = number;
    std::snprintf(number, sizeof number, "%.6e", allowedError(kind, error));
    metadata["allowed error of " + kind] = number;
  }
  saveTensorFile(path, tensors, metadata);
}

/// Compares the two paths on one objective, each against float64, and
/// prints per kind of quantity the worst errors. The compiled path passes
/// if it is no further from float64 than the kind's tolerance, or than
/// twice the float32 noise of the reference computations: it must be as
/// accurate as ATen, not equal to it, and a wrong kernel is off by far more.
/// A non-empty `dump` names the file writeDump writes.
bool checkObjective(Model &model, const std::string &what,
                    const LossFunction &loss, const Dataset &batch,
                    bool honourFrozen, const TrainerOptions &o, uint64_t seed,
                    const std::string &dump) {
  TensorMap start = model.tensorsWithPrefix("");
  for (auto &[name, tensor] : start)
    tensor = tensor.clone();
  bool random = false;
  Outcome compiled = checkPass(model, o.kernels, loss, batch, honourFrozen,
                               seed, start, &random);
  Outcome reference =
      checkPass(model, nullptr, loss, batch, honourFrozen, seed, start);
  Outcome exact = exactPass(model, loss, batch, honourFrozen, seed, start);
  Errors compiledErrors = errorsOf(compiled, exact);
  Errors referenceErrors = errorsOf(reference, exact);
  std::printf("  %s: loss %.7f compiled, %.7f reference, %.7f float64\n",
              what.c_str(), compiled["training loss"].item<double>(),
              reference["training loss"].item<double>(),
              exact["training loss"].item<double>());
  std::cout.flush();
  std::map<std::string, double> noise =
      float32Noise(model, loss, batch, honourFrozen, seed, start, exact,
                   referenceErrors, compiledErrors, std::cout);
  model.importTensors(start, "", "the check's initial state");
  if (!dump.empty())
    writeDump(dump, batch, start, compiled, exact, noise, random, seed);

  bool ok = true;
  for (const auto &[name, value] : exact)
    if (!value.isfinite().all().item<bool>()) {
      std::cout << "  " << what << ": the reference steps compute a "
                << name << " that is not finite even in float64, so the "
                << "paths cannot be compared\n";
      ok = false;
    }
  for (const auto &[name, value] : exact)
    if (!compiledErrors.count(name)) {
      std::cout << "  " << what << ": the compiled path computes no " << name
                << "\n";
      ok = false;
    }
  std::map<std::string, std::vector<std::string>> names;
  for (const auto &[name, error] : compiledErrors)
    names[kindOf(name)].push_back(name);
  for (const auto &[kind, members] : names) {
    std::string worst = members.front();
    std::vector<double> compiledKind, referenceKind;
    for (const std::string &name : members) {
      if (compiledErrors.at(name) > compiledErrors.at(worst))
        worst = name;
      compiledKind.push_back(compiledErrors.at(name));
      referenceKind.push_back(referenceErrors.at(name));
    }
    double allowed = allowedError(kind, noise[kind]);
    std::printf("    %-20s worst error from float64 %.1e compiled (%s), %.1e "
                "float32 noise, %.0e allowed\n",
                kind.c_str(), compiledErrors.at(worst), worst.c_str(),
                noise[kind], allowed);
    if (members.size() > 1)
      std::printf("    %-20s median error from float64 %.1e compiled, %.1e "
                  "reference\n",
                  kind.c_str(), median(compiledKind), median(referenceKind));
    ok = ok && compiledErrors.at(worst) <= allowed;
  }
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
      /*honourFrozen=*/true, o, seed, o.dump);
  for (const EncoderSpec &enc : plan.encoders) {
    if (!enc.decode || enc.input.tokens || !enc.pretrain)
      continue;
    model.setTrainable([&](const ParamSpec &p) {
      return startsWith(p.name, enc.paramPrefix());
    });
    ok &= checkObjective(model, "pre-training " + enc.name,
                         reconstructionLoss(model, enc),
                         randomBatch(enc.input, 0, size, generator, device),
                         /*honourFrozen=*/false, o, seed, "");
  }
  std::cout << (ok ? "the compiled kernels agree with the reference steps\n"
                   : "the compiled kernels DIFFER from the reference steps\n");
  return ok ? 0 : 1;
}

} // namespace dream::rt::commands
