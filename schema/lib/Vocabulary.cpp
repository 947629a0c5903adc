//===- Vocabulary.cpp - What a recipe may say -----------------------------===//
//
// The tables of Recipe.h. Sema turns them into signatures, the plan reader
// into defaults and checks; changing a default here changes both.
//
//===----------------------------------------------------------------------===//

#include "dream/Schema/Plan.h"
#include "dream/Schema/Recipe.h"

namespace dream::schema {
namespace {

Arg number(const char *name, double byDefault, Range range = {}) {
  return Arg{name, ArgKind::Float, byDefault, range};
}
Arg integer(const char *name, int64_t byDefault, Range range = {}) {
  return Arg{name, ArgKind::Int, static_cast<double>(byDefault), range};
}

Callee adamLike(const char *name, double lr, double eps, double weightDecay) {
  return {name,
          {number("lr", lr, Range::positive()),
           Arg{"betas", ArgKind::FloatPair, 0.9, Range::fraction(), 0.999},
           number("eps", eps, Range::positive()),
           number("weight_decay", weightDecay, Range::atLeast(0))}};
}

Arg warmup(double byDefault) {
  return number("warmup", byDefault, Range::fraction());
}
Arg epochs(int64_t byDefault) {
  return integer("epochs", byDefault, Range::atLeast(1));
}
Arg ratio(double byDefault) {
  return number("ratio", byDefault, Range::fraction());
}

/// A plain recipe value: no default (the presets give one).
RecipeKey value(const char *name, ArgKind kind, Range range = {}) {
  return {name, Arg{name, kind, std::nullopt, range}, {}};
}

} // namespace

const Arg *Callee::find(const std::string &name) const {
  for (const Arg &arg : args)
    if (name == arg.name)
      return &arg;
  return nullptr;
}

const std::vector<Callee> &optimizers() {
  static const std::vector<Callee> table = {
      adamLike("adam", 0.005, 1e-5, 0),
      adamLike("adamw", 0.001, 1e-8, 0.01),
      {"sgd",
       {number("lr", 0.1, Range::positive()),
        number("momentum", 0.9, Range::atLeast(0)),
        number("weight_decay", 0, Range::atLeast(0)),
        Arg{"nesterov", ArgKind::Bool, 0}}},
  };
  return table;
}

const std::vector<Callee> &schedules() {
  static const std::vector<Callee> table = {
      {"constant", {warmup(0)}},
      {"cosine", {warmup(0)}},
      {"linear", {warmup(0.1)}},
      {"step",
       {integer("every", 10, Range::atLeast(1)),
        number("gamma", 0.1, Range::positive()), warmup(0)}},
  };
  return table;
}

const std::vector<Callee> &augmentations() {
  static const std::vector<Callee> table = {
      {"none", {}},
      {"randaugment",
       {integer("n", 2, Range::atLeast(0)),
        integer("m", 9, Range::between(0, 30))}},
      {"mixup", {number("alpha", 0.2, Range::positive())}},
      {"word_noise", {number("fraction", 0.1, Range::fraction())}},
  };
  return table;
}

const std::vector<PretrainKind> &pretrainKinds() {
  using Input = PretrainKind::Input;
  using Objective = PretrainKind::Objective;
  static const std::vector<PretrainKind> table = {
      {{"masked", {ratio(0.75), epochs(10)}},
       Input::Image,
       true,
       Objective::MaskedReconstruct,
       false},
      {{"reconstruct", {epochs(10)}},
       Input::Image,
       true,
       Objective::Reconstruct,
       false},
      {{"masked_tokens", {ratio(0.15), epochs(3)}},
       Input::Tokens,
       false,
       Objective::MaskedTokens,
       false},
      {{"decode", {epochs(3)}}, Input::Any, true, Objective::Decode, true},
  };
  return table;
}

const PretrainKind *findPretrainKind(const std::string &name) {
  for (const PretrainKind &kind : pretrainKinds())
    if (kind.callee.name == name)
      return &kind;
  return nullptr;
}

const PretrainKind &PretrainSpec::properties() const {
  const PretrainKind *found = findPretrainKind(kind);
  if (!found)
    throw PlanError("unknown pretrain kind '" + kind + "'");
  return *found;
}

const std::vector<Preset> &presets() {
  static const std::vector<Preset> table = {
      // dreamc's own, the default: chosen by measurement on the main job
      // (docs/RESULTS.md, "The default recipe"). Warm-up and a cosine decay
      // keep batch norm stable at a rate that learns fast over short runs.
      {"default", 3e-3, 1e-8, 32, "cosine", 0.05},
      // The paper's: "ADAM", lr 0.005, constant, for 30 epochs.
      {"paper", 5e-3, 1e-5, 128, "constant", 0.0},
      // The authors' public code: 10% linear warm-up, then constant.
      {"code", 2e-3, 1e-8, 16, "constant", 0.1},
  };
  return table;
}

const Preset *findPreset(const std::string &name) {
  for (const Preset &preset : presets())
    if (name == preset.name)
      return &preset;
  return nullptr;
}

const std::vector<RecipeKey> &recipeKeys() {
  static const std::vector<RecipeKey> table = [] {
    std::vector<Callee> presetNames;
    for (const Preset &preset : presets())
      presetNames.push_back({preset.name, {}});
    return std::vector<RecipeKey>{
        value("data", ArgKind::Name),
        {"optimizer", std::nullopt, optimizers()},
        value("lr", ArgKind::Float, Range::positive()),
        value("weight_decay", ArgKind::Float, Range::atLeast(0)),
        value("epochs", ArgKind::Int, Range::atLeast(1)),
        value("batch", ArgKind::Int, Range::atLeast(1)),
        value("seed", ArgKind::Int),
        value("clip", ArgKind::Float, Range::atLeast(0)),
        value("label_smoothing", ArgKind::Float, Range::fraction()),
        value("validation", ArgKind::Float, Range::fraction()),
        {"preset", std::nullopt, presetNames},
        {"schedule", std::nullopt, schedules()},
        {"augment", std::nullopt, augmentations()},
    };
  }();
  return table;
}

std::vector<std::string> namesOf(const std::vector<Callee> &callees) {
  std::vector<std::string> names;
  for (const Callee &callee : callees)
    names.push_back(callee.name);
  return names;
}

const Callee *findCallee(const std::vector<Callee> &callees,
                         const std::string &name) {
  for (const Callee &callee : callees)
    if (name == callee.name)
      return &callee;
  return nullptr;
}

const std::string &Recipe::dataSet() const {
  static const std::string byDefault = kDefaultData;
  return data ? *data : byDefault;
}

OptimizerSpec defaultOptimizer(const std::string &name) {
  OptimizerSpec spec;
  spec.name = name;
  const Callee *callee = findCallee(optimizers(), name);
  if (!callee)
    return spec;
  for (const Arg &arg : callee->args) {
    std::string key = arg.name;
    double byDefault = *arg.byDefault;
    if (key == "lr")
      spec.lr = byDefault;
    else if (key == "betas")
      spec.beta1 = byDefault, spec.beta2 = arg.secondDefault;
    else if (key == "eps")
      spec.eps = byDefault;
    else if (key == "weight_decay")
      spec.weightDecay = byDefault;
    else if (key == "momentum")
      spec.momentum = byDefault;
    else if (key == "nesterov")
      spec.nesterov = byDefault != 0;
  }
  return spec;
}

ScheduleSpec defaultSchedule(const std::string &name) {
  ScheduleSpec spec;
  spec.name = name;
  const Callee *callee = findCallee(schedules(), name);
  if (!callee)
    return spec;
  for (const Arg &arg : callee->args) {
    std::string key = arg.name;
    if (key == "warmup")
      spec.warmup = *arg.byDefault;
    else if (key == "every")
      spec.every = static_cast<int64_t>(*arg.byDefault);
    else if (key == "gamma")
      spec.gamma = *arg.byDefault;
  }
  return spec;
}

const std::vector<std::string> &scheduleNames() {
  static const std::vector<std::string> names = namesOf(schedules());
  return names;
}

Recipe presetRecipe(const Preset &preset) {
  Recipe recipe;
  recipe.preset = preset.name;
  recipe.batch = preset.batch;
  recipe.optimizer = defaultOptimizer("adam");
  recipe.optimizer.lr = preset.lr;
  recipe.optimizer.eps = preset.eps;
  recipe.schedule = defaultSchedule(preset.schedule);
  recipe.schedule.warmup = preset.warmup;
  return recipe;
}

} // namespace dream::schema
