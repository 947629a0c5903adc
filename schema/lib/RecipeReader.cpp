//===- RecipeReader.cpp - A plan's recipe and pre-training, checked --------===//
//
// Names and defaults come from the vocabulary (Recipe.h). The checks are
// those a hand-edited plan needs before training: Sema has checked what
// dreamc writes against the same table.
//
//===----------------------------------------------------------------------===//

#include "JsonNode.h"


namespace dream::schema {
namespace {

/// The range of `callee`'s argument `name` (the vocabulary's).
Range rangeOf(const std::vector<Callee> &callees, const char *callee,
              const char *name) {
  return findCallee(callees, callee)->find(name)->range;
}

OptimizerSpec readOptimizer(const Node &node) {
  std::string name = stringOr(node, "name", "adam");
  requireOneOf(node, name, namesOf(optimizers()), "optimizer");
  OptimizerSpec spec = defaultOptimizer(name);
  spec.lr = numberOr(node, "lr", spec.lr);
  if (std::optional<Node> betas = node.find("betas")) {
    if (betas->size() != 2)
      betas->fail("expected two numbers");
    spec.beta1 = (*betas)[0].number();
    spec.beta2 = (*betas)[1].number();
  }
  spec.eps = numberOr(node, "eps", spec.eps);
  spec.weightDecay = numberOr(node, "weight_decay", spec.weightDecay);
  spec.momentum = numberOr(node, "momentum", spec.momentum);
  spec.nesterov = booleanOr(node, "nesterov", spec.nesterov);
  if (!rangeOf(optimizers(), "adam", "lr").contains(spec.lr))
    node.fail("the learning rate must be positive");
  return spec;
}

ScheduleSpec readSchedule(const Node &node) {
  std::string name = stringOr(node, "name", "constant");
  requireOneOf(node, name, scheduleNames(), "schedule");
  ScheduleSpec spec = defaultSchedule(name);
  spec.warmup = numberOr(node, "warmup", spec.warmup);
  // The language's range (Sema): warm-up that takes every step never
  // reaches the schedule.
  if (!Range::fraction().contains(spec.warmup))
    node.fail("warmup is a fraction of the training steps, in [0, 1)");
  ScheduleSpec step = defaultSchedule("step");
  spec.every = node.find("every") ? node.at("every").positive() : step.every;
  spec.gamma = numberOr(node, "gamma", step.gamma);
  return spec;
}

/// A bare name, or {"name": ..., args} with the ranges Sema checks.
AugmentSpec readAugment(const Node &node) {
  AugmentSpec spec;
  if (node.raw().is_string()) {
    spec.name = node.string();
  } else {
    spec.name = node.at("name").string();
    spec.n = integerOr(node, "n", spec.n);
    spec.m = integerOr(node, "m", spec.m);
    spec.alpha = numberOr(node, "alpha", spec.alpha);
    spec.fraction = numberOr(node, "fraction", spec.fraction);
  }
  requireOneOf(node, spec.name, namesOf(augmentations()), "augment");
  const std::vector<Callee> &all = augmentations();
  if (!rangeOf(all, "randaugment", "n").contains(spec.n) ||
      !rangeOf(all, "randaugment", "m").contains(spec.m))
    node.fail("randaugment takes n >= 0 and m from 0 to 30");
  if (!rangeOf(all, "mixup", "alpha").contains(spec.alpha))
    node.fail("mixup takes alpha > 0");
  if (!rangeOf(all, "word_noise", "fraction").contains(spec.fraction))
    node.fail("word_noise takes a fraction in [0, 1)");
  return spec;
}

} // namespace

PretrainSpec readPretrain(const Node &node) {
  PretrainSpec pretrain;
  pretrain.kind = node.at("kind").string();
  std::vector<std::string> kinds;
  for (const PretrainKind &kind : pretrainKinds())
    kinds.push_back(kind.callee.name);
  requireOneOf(node.at("kind"), pretrain.kind, kinds, "pretrain kind");
  // What a plan leaves out takes the kind's defaults, as in the language.
  const Callee &kind = findPretrainKind(pretrain.kind)->callee;
  if (const Arg *epochs = kind.find("epochs"); epochs && epochs->byDefault)
    pretrain.epochs = static_cast<int64_t>(*epochs->byDefault);
  if (const Arg *ratio = kind.find("ratio"); ratio && ratio->byDefault)
    pretrain.ratio = *ratio->byDefault;
  pretrain.epochs =
      node.find("epochs") ? node.at("epochs").positive() : pretrain.epochs;
  pretrain.ratio = numberOr(node, "ratio", pretrain.ratio);
  if (!Range::fraction().contains(pretrain.ratio))
    node.at("ratio").fail("the masking ratio must be in [0, 1)");
  return pretrain;
}

Recipe readRecipe(const Node &node) {
  Recipe recipe = presetRecipe(*findPreset(kPlanPreset));
  if (std::optional<Node> data = node.find("data"))
    recipe.data = data->string();
  if (node.find("epochs"))
    recipe.epochs = node.at("epochs").positive();
  if (node.find("batch"))
    recipe.batch = node.at("batch").positive();
  recipe.seed = integerOr(node, "seed", recipe.seed);
  if (std::optional<Node> opt = node.find("optimizer")) {
    if (opt->raw().is_string()) {
      requireOneOf(*opt, opt->string(), namesOf(optimizers()), "optimizer");
      recipe.optimizer = defaultOptimizer(opt->string());
    } else {
      recipe.optimizer = readOptimizer(*opt);
    }
  }
  if (std::optional<Node> schedule = node.find("schedule")) {
    if (schedule->raw().is_string()) {
      requireOneOf(*schedule, schedule->string(), scheduleNames(), "schedule");
      recipe.schedule = defaultSchedule(schedule->string());
    } else {
      recipe.schedule = readSchedule(*schedule);
    }
  }
  recipe.clip = numberOr(node, "clip", recipe.clip);
  recipe.labelSmoothing = numberOr(node, "label_smoothing", 0.0);
  recipe.validation = numberOr(node, "validation", 0.0);
  if (!Range::fraction().contains(recipe.labelSmoothing))
    node.at("label_smoothing").fail("expected a value in [0, 1)");
  if (!Range::fraction().contains(recipe.validation))
    node.at("validation").fail("expected a fraction in [0, 1)");
  if (std::optional<Node> augment = node.find("augment"))
    recipe.augment = readAugment(*augment);
  recipe.preset = stringOr(node, "preset", recipe.preset);
  return recipe;
}

Recipe readRecipe(const nlohmann::json &recipe, const std::string &origin) {
  return readRecipe(Node(recipe, "recipe", origin));
}

} // namespace dream::schema
