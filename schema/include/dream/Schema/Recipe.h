//===- Recipe.h - The training recipe and its vocabulary --------*- C++ -*-===//
//
// The one table of what a recipe may say (docs/language.md, "Recipes";
// docs/plan.md, "Recipe"): the presets, the optimisers, schedules and
// augmentations with their arguments' defaults and ranges, and the kinds of
// encoder pre-training. Sema checks `train` blocks and `pretrain` against
// it, the plan reader fills in and checks recipes with it, and the trainer's
// settings start from it.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_SCHEMA_RECIPE_H
#define DREAM_SCHEMA_RECIPE_H

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dream::schema {

//===----------------------------------------------------------------------===//
// The vocabulary
//===----------------------------------------------------------------------===//

/// The values an argument may take; unbounded by default.
struct Range {
  double min = -HUGE_VAL, max = HUGE_VAL;
  bool minOpen = false, maxOpen = false;

  static Range positive() { return {0, HUGE_VAL, true, false}; }
  static Range atLeast(double min) { return {min, HUGE_VAL}; }
  /// [min, max], both included.
  static Range between(double min, double max) { return {min, max}; }
  /// [0, 1): fractions that cannot be all.
  static Range fraction() { return {0, 1, false, true}; }

  bool bounded() const { return min != -HUGE_VAL || max != HUGE_VAL; }
  bool contains(double value) const {
    return (minOpen ? value > min : value >= min) &&
           (maxOpen ? value < max : value <= max);
  }
};

enum class ArgKind {
  Int,
  Float,
  Bool,
  FloatPair, ///< Adam's betas.
  Name,      ///< A bare word or a string: `data`.
};

/// One argument of a recipe setting, or a plain recipe value.
struct Arg {
  const char *name;
  ArgKind kind;
  /// The default: Bool as 0 or 1, FloatPair's first; none for plain recipe
  /// values, which the presets give.
  std::optional<double> byDefault = std::nullopt;
  Range range = {};
  double secondDefault = 0; ///< FloatPair only.
};

/// A setting called by name with arguments: `adam(lr: 0.01)`, `cosine`.
struct Callee {
  const char *name;
  std::vector<Arg> args;

  /// The argument called `name`, or null.
  const Arg *find(const std::string &name) const;
};

/// The optimisers: adam, adamw, sgd.
const std::vector<Callee> &optimizers();
/// The learning-rate schedules: constant, cosine, linear, step.
const std::vector<Callee> &schedules();
/// The augmentations: none, randaugment, mixup, word_noise.
const std::vector<Callee> &augmentations();

/// Self-supervised pre-training of an encoder (docs/plan.md, "Encoders").
struct PretrainKind {
  enum class Input { Image, Tokens, Any };
  /// What pre-training minimises.
  enum class Objective {
    Reconstruct,       ///< the autoencoder's output against its input
    MaskedReconstruct, ///< the same, from inputs with patches masked
    MaskedTokens,      ///< BERT's prediction of masked tokens
    Decode,            ///< the decoder's output against what was encoded
  };
  Callee callee; ///< masked, reconstruct, masked_tokens, decode.
  Input input;   ///< What the encoder must read.
  bool needsDecoder;
  Objective objective;
  /// Trains the decoder alone, on declared (pre-trained) encoder weights,
  /// which it therefore needs.
  bool decoderOnly;
};
const std::vector<PretrainKind> &pretrainKinds();
/// The pre-training kind called `name`, or nullptr.
const PretrainKind *findPretrainKind(const std::string &name);

/// What a preset stands for (docs/language.md, "Presets"): an Adam
/// optimizer, a batch size and a schedule; the other settings take the
/// same values under every preset (Recipe's defaults).
struct Preset {
  const char *name;
  double lr, eps;
  int64_t batch;
  const char *schedule;
  double warmup;
};
/// default, paper, code.
const std::vector<Preset> &presets();
const Preset *findPreset(const std::string &name);
/// The preset of a `train` block that names none.
constexpr const char *kDefaultPreset = "default";
/// The preset whose values a plan's recipe takes for keys it leaves out.
constexpr const char *kPlanPreset = "paper";

/// One key of a recipe, in the order messages list them: a plain value
/// (`value`) or a call of one of `callees` (a bare name is a call without
/// arguments). `lr` and `weight_decay` are shorthands for the optimizer's
/// arguments.
struct RecipeKey {
  const char *name;
  std::optional<Arg> value;
  std::vector<Callee> callees;
};
const std::vector<RecipeKey> &recipeKeys();

/// The names of `callees`, in order.
std::vector<std::string> namesOf(const std::vector<Callee> &callees);
/// The callee called `name` among `callees`, or null.
const Callee *findCallee(const std::vector<Callee> &callees,
                         const std::string &name);

//===----------------------------------------------------------------------===//
// The recipe in a plan
//===----------------------------------------------------------------------===//

struct OptimizerSpec {
  std::string name = "adam"; ///< One of optimizers().
  double lr = 0.005;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-5;
  double weightDecay = 0.0;
  double momentum = 0.9;
  bool nesterov = false;
};

struct ScheduleSpec {
  std::string name = "constant"; ///< One of schedules().
  double warmup = 0.0;           ///< Fraction of all steps.
  int64_t every = 10;            ///< step: epochs between decays.
  double gamma = 0.1;            ///< step: the decay factor.
};

/// The recipe's `augment` (runtime Augment.h).
struct AugmentSpec {
  std::string name = "none"; ///< One of augmentations().
  int64_t n = 2;             ///< randaugment: operations per image.
  int64_t m = 9;             ///< randaugment: magnitude, 0 to 30.
  double alpha = 0.2;        ///< mixup: Beta(alpha, alpha).
  double fraction = 0.1;     ///< word_noise: of the words.
};

/// An encoder's `pretrain`. Arguments a plan leaves out take these values.
struct PretrainSpec {
  std::string kind; ///< One of pretrainKinds().
  int64_t epochs = 1;
  double ratio = 0.75;

  /// The kind's entry in pretrainKinds(); throws PlanError for a kind that
  /// is not one (the reader refuses those).
  const PretrainKind &properties() const;
};

/// The data set a recipe that names none trains on.
constexpr const char *kDefaultData = "fashion_mnist";

/// A training recipe; the member defaults are the values every preset
/// shares, presetRecipe() adds a preset's own.
struct Recipe {
  std::optional<std::string> data; ///< None: kDefaultData.
  int64_t epochs = 30;
  int64_t batch = 128;
  int64_t seed = 0;
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  double clip = 0.0;
  double labelSmoothing = 0.0;
  double validation = 0.0;
  AugmentSpec augment;
  std::string preset = kPlanPreset;

  const std::string &dataSet() const;
};

/// The recipe `preset` stands for.
Recipe presetRecipe(const Preset &preset);
/// The optimizer `name` with its default arguments.
OptimizerSpec defaultOptimizer(const std::string &name);
/// The schedule `name` with its default arguments (linear warms up over the
/// first 10% of the steps), as a bare name in a recipe gives it.
ScheduleSpec defaultSchedule(const std::string &name);
/// The schedules a recipe (or the trainer's --schedule) may name.
const std::vector<std::string> &scheduleNames();

} // namespace dream::schema

#endif // DREAM_SCHEMA_RECIPE_H
