//===- Optimizer.cpp - Optimisers, schedules and gradient clipping --------===//
//
// Adam, AdamW and SGD as torch.optim computes them, so that a run here and
// one of the exported PyTorch module agree step by step; the learning-rate
// schedules of the recipe; the gradient norm and its clipping.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Training.h"

#include "dream/Runtime/Files.h"

#include <algorithm>
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

Optimizer::UpdateNumbers Optimizer::updateNumbers(int64_t steps,
                                                  double lr) const {
  if (spec.name == "sgd")
    return {-lr, 0.0, 0.0};
  double correction1 = 1.0 - std::pow(spec.beta1, static_cast<double>(steps));
  double correction2 = 1.0 - std::pow(spec.beta2, static_cast<double>(steps));
  return {1.0 - lr * spec.weightDecay, -lr / correction1,
          std::sqrt(correction2)};
}

/// torch.optim.Adam / AdamW (single-tensor form, amsgrad off).
void Optimizer::adamStep(Slot &slot, at::Tensor grad, double lr) {
  UpdateNumbers numbers = updateNumbers(slot.steps, lr);
  if (spec.name == "adamw")
    slot.param.mul_(numbers[0]);
  else if (spec.weightDecay != 0.0)
    grad = grad.add(slot.param, spec.weightDecay);
  if (!slot.first.defined()) {
    slot.first = at::zeros_like(slot.param);
    slot.second = at::zeros_like(slot.param);
  }
  slot.first.lerp_(grad, 1.0 - spec.beta1);
  slot.second.mul_(spec.beta2).addcmul_(grad, grad, 1.0 - spec.beta2);
  at::Tensor denominator = (slot.second.sqrt() / numbers[2]).add_(spec.eps);
  slot.param.addcdiv_(slot.first, denominator, numbers[1]);
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
  slot.param.add_(grad, updateNumbers(slot.steps, lr)[0]);
}

//===--- The graph-safe update
//---------------------------------------------===//

at::Tensor Optimizer::nextUpdateNumbers(double lr) const {
  at::Tensor numbers =
      at::empty({static_cast<int64_t>(slots.size()), 3}, at::kDouble);
  double *row = numbers.mutable_data_ptr<double>();
  for (const Slot &slot : slots) {
    UpdateNumbers next = updateNumbers(slot.steps + 1, lr);
    row = std::copy(next.begin(), next.end(), row);
  }
  return numbers;
}

void Optimizer::stepOnDevice(const at::Tensor &numbers,
                             const at::Tensor &apply) {
  at::NoGradGuard noGrad;
  for (size_t i = 0; i < slots.size(); ++i) {
    Slot &slot = slots[i];
    const at::Tensor &grad = slot.param.grad();
    if (!grad.defined())
      continue;
    at::Tensor row = numbers[static_cast<int64_t>(i)];
    if (spec.name == "sgd")
      sgdStepOnDevice(slot, grad, row, apply);
    else
      adamStepOnDevice(slot, grad, row, apply);
  }
}

void Optimizer::countStep() {
  for (Slot &slot : slots)
    if (slot.param.grad().defined())
      ++slot.steps;
}

namespace {

/// `state` becomes `updated` where `apply` is true (a skipped update
/// leaves it as it was, even when `updated` is NaN).
void commit(const at::Tensor &state, const at::Tensor &updated,
            const at::Tensor &apply) {
  state.copy_(at::where(apply, updated, state));
}

} // namespace

/// adamStep with `numbers` (updateNumbers) read on the device. Each float
/// operation is the eager step's, in its order (addcdiv_ is
/// self + value * t1 / t2), so the two agree to rounding of the numbers.
void Optimizer::adamStepOnDevice(Slot &slot, at::Tensor grad,
                                 const at::Tensor &numbers,
                                 const at::Tensor &apply) {
  at::Tensor param = slot.param;
  if (spec.name == "adamw")
    param = param * numbers[0];
  else if (spec.weightDecay != 0.0)
    grad = grad.add(slot.param, spec.weightDecay);
  if (!slot.first.defined()) {
    slot.first = at::zeros_like(slot.param);
    slot.second = at::zeros_like(slot.param);
  }
  at::Tensor first = slot.first.lerp(grad, 1.0 - spec.beta1);
  at::Tensor second =
      slot.second.mul(spec.beta2).addcmul_(grad, grad, 1.0 - spec.beta2);
  at::Tensor denominator = (second.sqrt() / numbers[2]).add_(spec.eps);
  param = param + first * numbers[1] / denominator;
  commit(slot.param, param, apply);
  commit(slot.first, first, apply);
  commit(slot.second, second, apply);
}

/// sgdStep with the negated learning rate read on the device.
void Optimizer::sgdStepOnDevice(Slot &slot, at::Tensor grad,
                                const at::Tensor &numbers,
                                const at::Tensor &apply) {
  if (spec.weightDecay != 0.0)
    grad = grad.add(slot.param, spec.weightDecay);
  if (spec.momentum != 0.0) {
    if (!slot.first.defined())
      slot.first = at::zeros_like(slot.param);
    // The first update's buffer is the gradient itself (torch's clone):
    // a zero buffer times momentum, plus the gradient, is that too.
    at::Tensor momentum = slot.first.mul(spec.momentum).add_(grad);
    commit(slot.first, momentum, apply);
    grad = spec.nesterov ? grad.add(momentum, spec.momentum) : momentum;
  }
  commit(slot.param, slot.param + grad * numbers[0], apply);
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

at::Tensor gradientNormOnDevice(const std::vector<at::Tensor> &params) {
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> norms;
  for (const at::Tensor &param : params)
    if (param.grad().defined())
      norms.push_back(param.grad().norm());
  return norms.empty() ? at::Tensor() : at::stack(norms).norm();
}

double gradientNorm(const std::vector<at::Tensor> &params) {
  at::Tensor norm = gradientNormOnDevice(params);
  return norm.defined() ? norm.item<double>() : 0.0;
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

void clipGradientNormOnDevice(const std::vector<at::Tensor> &params,
                              double maxNorm, const at::Tensor &norm) {
  at::NoGradGuard noGrad;
  // In double, as clipGradientNorm computes the scale; a scale of 1 leaves
  // the gradients exactly as they are, as not scaling does.
  at::Tensor total = norm.to(at::kDouble);
  at::Tensor scale = at::scalar_tensor(maxNorm, total.options())
                         .div_(total + 1e-6)
                         .clamp_max_(1.0);
  for (const at::Tensor &param : params)
    if (param.grad().defined())
      param.grad().mul_(scale);
}

} // namespace dream::rt
