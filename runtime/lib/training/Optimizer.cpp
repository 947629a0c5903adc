//===- Optimizer.cpp - Optimisers, schedules and gradient clipping --------===//
//
// Adam, AdamW and SGD as torch.optim computes them, so that a run here and
// one of the exported PyTorch module agree step by step; the learning-rate
// schedules of the recipe; the gradient norm and its clipping.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Training.h"

#include "dream/Runtime/Files.h"

#include <cmath>

namespace dream::rt {

Optimizer::Optimizer(OptimizerSpec optimizerSpec,
                     std::vector<std::pair<std::string, at::Tensor>> params)
    : spec(std::move(optimizerSpec)) {
  for (auto &[name, param] : params)
    slots.push_back(Slot{name, param, {}, {}, 0});
}

void Optimizer::zeroGrad() {
  for (Slot &slot : slots)
    slot.param.mutable_grad().reset();
}

void Optimizer::step(double lr) {
  at::NoGradGuard noGrad;
  for (Slot &slot : slots) {
    const at::Tensor &grad = slot.param.grad();
    if (!grad.defined())
      continue;
    ++slot.steps;
    if (spec.name == "sgd")
      sgdStep(slot, grad, lr);
    else
      adamStep(slot, grad, lr);
  }
}

/// torch.optim.Adam / AdamW (single-tensor form, amsgrad off).
void Optimizer::adamStep(Slot &slot, at::Tensor grad, double lr) {
  if (spec.name == "adamw")
    slot.param.mul_(1.0 - lr * spec.weightDecay);
  else if (spec.weightDecay != 0.0)
    grad = grad.add(slot.param, spec.weightDecay);
  if (!slot.first.defined()) {
    slot.first = at::zeros_like(slot.param);
    slot.second = at::zeros_like(slot.param);
  }
  slot.first.lerp_(grad, 1.0 - spec.beta1);
  slot.second.mul_(spec.beta2).addcmul_(grad, grad, 1.0 - spec.beta2);
  double steps = static_cast<double>(slot.steps);
  double correction1 = 1.0 - std::pow(spec.beta1, steps);
  double correction2 = 1.0 - std::pow(spec.beta2, steps);
  at::Tensor denominator =
      (slot.second.sqrt() / std::sqrt(correction2)).add_(spec.eps);
  slot.param.addcdiv_(slot.first, denominator, -lr / correction1);
}

/// torch.optim.SGD with momentum (no dampening).
void Optimizer::sgdStep(Slot &slot, at::Tensor grad, double lr) {
  if (spec.weightDecay != 0.0)
    grad = grad.add(slot.param, spec.weightDecay);
  if (spec.momentum != 0.0) {
    if (!slot.first.defined())
      slot.first = grad.clone();
    else
      slot.first.mul_(spec.momentum).add_(grad);
    grad = spec.nesterov ? grad.add(slot.first, spec.momentum) : slot.first;
  }
  slot.param.add_(grad, -lr);
}

bool Optimizer::hasState(const std::string &name) const {
  for (const Slot &slot : slots)
    if (slot.name == name)
      return slot.steps > 0;
  return false;
}

std::vector<at::Tensor> Optimizer::params() const {
  std::vector<at::Tensor> params;
  for (const Slot &slot : slots)
    params.push_back(slot.param);
  return params;
}

void Optimizer::save(TensorMap &out) const {
  for (const Slot &slot : slots) {
    if (slot.steps == 0)
      continue;
    std::string key = "optimizer/" + slot.name + "/";
    out[key + "step"] = at::scalar_tensor(slot.steps, at::kLong);
    bool sgd = spec.name == "sgd";
    if (slot.first.defined())
      out[key + (sgd ? "momentum_buffer" : "exp_avg")] = slot.first;
    if (slot.second.defined())
      out[key + "exp_avg_sq"] = slot.second;
  }
}

Optimizer::Slot &Optimizer::slotNamed(const std::string &name,
                                      const std::string &origin) {
  for (Slot &slot : slots)
    if (slot.name == name)
      return slot;
  throw FileError(origin + ": has optimiser state for '" + name +
                  "', which this run does not train");
}

void Optimizer::load(const TensorMap &in, const std::string &origin) {
  for (const auto &[key, value] : in) {
    if (!startsWith(key, "optimizer/"))
      continue;
    size_t slash = key.rfind('/');
    std::string name = key.substr(10, slash - 10), part = key.substr(slash + 1);
    Slot &slot = slotNamed(name, origin);
    if (part == "step") {
      slot.steps = value.item<int64_t>();
      continue;
    }
    at::Tensor state = value.to(slot.param.device()).clone();
    if (state.sizes() != slot.param.sizes())
      throw FileError(origin + ": optimiser state '" + key +
                      "' does not have its parameter's shape");
    (part == "exp_avg_sq" ? slot.second : slot.first) = state;
  }
}

double scheduledLearningRate(const ScheduleSpec &schedule, double baseLr,
                             int64_t step, int64_t stepsPerEpoch,
                             int64_t totalSteps) {
  auto warmupSteps = static_cast<int64_t>(
      std::llround(schedule.warmup * static_cast<double>(totalSteps)));
  if (step < warmupSteps)
    return baseLr * static_cast<double>(step + 1) /
           static_cast<double>(warmupSteps);
  double progress =
      static_cast<double>(step - warmupSteps) /
      static_cast<double>(std::max<int64_t>(1, totalSteps - warmupSteps));
  if (schedule.name == "cosine")
    return baseLr * 0.5 * (1.0 + std::cos(M_PI * progress));
  if (schedule.name == "linear")
    return baseLr * std::max(0.0, 1.0 - progress);
  if (schedule.name == "step") {
    int64_t epoch = step / std::max<int64_t>(1, stepsPerEpoch);
    return baseLr * std::pow(schedule.gamma,
                             static_cast<double>(epoch / schedule.every));
  }
  return baseLr;
}

double gradientNorm(const std::vector<at::Tensor> &params) {
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> norms;
  for (const at::Tensor &param : params)
    if (param.grad().defined())
      norms.push_back(param.grad().norm());
  return norms.empty() ? 0.0 : at::stack(norms).norm().item<double>();
}

double clipGradientNorm(const std::vector<at::Tensor> &params, double maxNorm,
                        std::optional<double> norm) {
  at::NoGradGuard noGrad;
  double total = norm ? *norm : gradientNorm(params);
  double scale = maxNorm / (total + 1e-6);
  if (scale < 1.0)
    for (const at::Tensor &param : params)
      if (param.grad().defined())
        param.grad().mul_(scale);
  return total;
}

} // namespace dream::rt
