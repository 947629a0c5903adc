//===- PlanWriter.cpp - Plan to JSON --------------------------------------===//
//
// The keys in docs/plan.md's order. Optional fields are left out where the
// structures say "not given" (an empty loc, no kernel), as the reader takes
// them. Recipe settings and pre-training arguments are written as the
// vocabulary lists them for their name, keys sorted: what dreamc has always
// written, so that plans stay byte-identical.
//
//===----------------------------------------------------------------------===//

#include "dream/Schema/Plan.h"

using nlohmann::json;
using nlohmann::ordered_json;

namespace dream::schema {
namespace {

ordered_json toJson(const InputSpec &input) {
  ordered_json out = {{"shape", input.shape},
                      {"dtype", input.tokens ? "int64" : "float32"}};
  if (input.vocab)
    out["vocab"] = input.vocab;
  return out;
}

ordered_json toJson(const ParamSpec &param) {
  ordered_json out = {
      {"name", param.name}, {"shape", param.shape}, {"init", param.init}};
  if (param.fanIn)
    out["fan_in"] = param.fanIn;
  out["trainable"] = param.trainable;
  out["buffer"] = param.buffer;
  return out;
}

ordered_json toJson(const Step &step) {
  ordered_json out = {{"op", step.op}};
  if (!step.kernel.empty())
    out["kernel"] = step.kernel;
  out["inputs"] = step.inputs;
  if (!step.params.empty()) {
    ordered_json params = ordered_json::array();
    for (const ParamRef &param : step.params)
      params.push_back(param.value >= 0 ? ordered_json(param.value)
                                        : ordered_json(param.name));
    out["params"] = params;
  }
  out["output"] = step.output;
  if (!step.attrs.empty())
    out["attrs"] = ordered_json(step.attrs);
  out["shape"] = step.shape;
  if (step.tokenOutput)
    out["dtype"] = "int64";
  if (step.frozen)
    out["frozen"] = true;
  if (!step.loc.empty())
    out["loc"] = step.loc;
  return out;
}

ordered_json toJson(const Graph &graph) {
  ordered_json steps = ordered_json::array();
  for (const Step &step : graph.steps)
    steps.push_back(toJson(step));
  return {{"inputs", graph.inputs},
          {"outputs", graph.outputs},
          {"steps", steps}};
}

/// `callee`'s arguments as the vocabulary lists them for `name`, each
/// valued by `valueOf`, and the name; keys sorted.
template <typename ValueOf>
ordered_json callJson(const std::vector<Callee> &callees,
                      const std::string &name, ValueOf valueOf) {
  json out = {{"name", name}};
  if (const Callee *callee = findCallee(callees, name))
    for (const Arg &arg : callee->args)
      out[arg.name] = valueOf(std::string(arg.name));
  return ordered_json(out);
}

ordered_json toJson(const PretrainSpec &pretrain) {
  ordered_json out = {{"kind", pretrain.kind}};
  for (const PretrainKind &kind : pretrainKinds()) {
    if (pretrain.kind != kind.callee.name)
      continue;
    json args = json::object();
    for (const Arg &arg : kind.callee.args) {
      std::string name = arg.name;
      if (name == "epochs")
        args[name] = pretrain.epochs;
      else if (name == "ratio")
        args[name] = pretrain.ratio;
    }
    for (auto &[key, value] : args.items())
      out[key] = value;
  }
  return out;
}

ordered_json toJson(const EncoderSpec &encoder) {
  ordered_json out = {{"name", encoder.name},
                      {"frozen", encoder.frozen},
                      {"weights", encoder.weights.empty()
                                      ? ordered_json(nullptr)
                                      : ordered_json(encoder.weights)}};
  out["pretrain"] =
      encoder.pretrain ? toJson(*encoder.pretrain) : ordered_json(nullptr);
  out["input"] = toJson(encoder.input);
  out["latent"] = encoder.latent;
  out["output"] = encoder.output;
  out["encode"] = toJson(encoder.encode);
  out["decode"] =
      encoder.decode ? toJson(*encoder.decode) : ordered_json(nullptr);
  return out;
}

ordered_json toJson(const KernelSpec &kernel) {
  ordered_json out = {{"name", kernel.name}, {"forward", kernel.forward}};
  if (!kernel.forwardEval.empty())
    out["forward_eval"] = kernel.forwardEval;
  out["backward"] = kernel.backward;
  out["statistics"] = kernel.statistics;
  out["reference"] = toJson(kernel.reference);
  return out;
}

} // namespace

ordered_json toJson(const Recipe &recipe) {
  const OptimizerSpec &opt = recipe.optimizer;
  const ScheduleSpec &schedule = recipe.schedule;
  const AugmentSpec &augment = recipe.augment;
  json out = {
      {"epochs", recipe.epochs},
      {"batch", recipe.batch},
      {"seed", recipe.seed},
      {"clip", recipe.clip},
      {"label_smoothing", recipe.labelSmoothing},
      {"validation", recipe.validation},
      {"preset", recipe.preset},
      {"optimizer", callJson(optimizers(), opt.name,
                             [&](const std::string &arg) -> json {
                               if (arg == "lr")
                                 return opt.lr;
                               if (arg == "betas")
                                 return {opt.beta1, opt.beta2};
                               if (arg == "eps")
                                 return opt.eps;
                               if (arg == "weight_decay")
                                 return opt.weightDecay;
                               if (arg == "momentum")
                                 return opt.momentum;
                               return opt.nesterov;
                             })},
      {"schedule", callJson(schedules(), schedule.name,
                            [&](const std::string &arg) -> json {
                              if (arg == "warmup")
                                return schedule.warmup;
                              if (arg == "every")
                                return schedule.every;
                              return schedule.gamma;
                            })},
      {"augment", callJson(augmentations(), augment.name,
                           [&](const std::string &arg) -> json {
                             if (arg == "n")
                               return augment.n;
                             if (arg == "m")
                               return augment.m;
                             if (arg == "alpha")
                               return augment.alpha;
                             return augment.fraction;
                           })}};
  if (recipe.data)
    out["data"] = *recipe.data;
  return ordered_json(out);
}

ordered_json toJson(const Cost &cost) {
  return {{"params_trainable", cost.paramsTrainable},
          {"params_frozen", cost.paramsFrozen},
          {"flops_per_sample", cost.flopsPerSample},
          {"train_flops_per_sample", cost.trainFlopsPerSample},
          {"activation_bytes_per_sample", cost.activationBytesPerSample},
          {"encoder_calls_per_step", cost.encoderCallsPerStep},
          {"fused_kernels", cost.fusedKernels}};
}

ordered_json toJson(const Plan &plan) {
  ordered_json out;
  out["format"] = kPlanFormat;
  out["version"] = kPlanVersion;
  out["network"] = plan.network;
  if (!plan.source.empty())
    out["source"] = plan.source;
  out["input"] = toJson(plan.input);
  out["classes"] = plan.classes;
  ordered_json params = ordered_json::array();
  for (const ParamSpec &param : plan.params)
    params.push_back(toJson(param));
  out["params"] = params;
  out["graph"] = toJson(plan.graph);
  ordered_json encoders = ordered_json::array();
  for (const EncoderSpec &encoder : plan.encoders)
    encoders.push_back(toJson(encoder));
  out["encoders"] = encoders;
  ordered_json kernels = ordered_json::array();
  for (const KernelSpec &kernel : plan.kernels)
    kernels.push_back(toJson(kernel));
  out["kernels"] = kernels;
  out["recipe"] = toJson(plan.recipe);
  out["cost"] = plan.cost;
  return out;
}

} // namespace dream::schema
