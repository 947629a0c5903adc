//===- Plan.h - The execution plan emitted by dreamc ------------*- C++ -*-===//
//
// The runtime's view of `dreamc --emit=plan` (docs/plan.md, format version
// 1): parameters, straight-line graphs of steps, encoders, fused kernels and
// the training recipe. Loading checks the structure and the references
// between its parts and names the offending field on failure; shapes are
// checked by running the graphs once (Model.h), because that is the only
// shape rule that cannot drift from the ops themselves.
//
// This header does not include LibTorch, so the command line and the data
// readers stay cheap to compile.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_PLAN_H
#define DREAM_RUNTIME_PLAN_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dream::rt {

/// A plan that cannot be run. The message names the plan, the field or step
/// and the problem.
class PlanError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The per-sample shape and element type of an input.
struct InputSpec {
  std::vector<int64_t> shape;
  bool tokens = false; ///< dtype "int64" (token ids) rather than "float32".
  int64_t vocab = 0;   ///< Token inputs only.
};

/// One parameter or buffer (docs/plan.md, "Parameters").
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::string init;
  int64_t fanIn = 0;
  bool trainable = true;
  bool buffer = false;

  int64_t numel() const;
};

/// A parameter operand of a step: a name in the plan's `params`, or, inside a
/// fused kernel's reference steps, a value number in the kernel's own
/// numbering (its inputs first, then its parameters).
struct ParamRef {
  std::string name;
  int value = -1;
};

/// One operation over numbered values.
struct Step {
  std::string op;
  std::vector<int> inputs;
  std::vector<ParamRef> params;
  int output = -1;
  nlohmann::json attrs = nlohmann::json::object();
  std::vector<int64_t> shape; ///< Per sample.
  bool tokenOutput = false;   ///< dtype "int64".
  bool frozen = false;
  std::string loc;
  std::string kernel; ///< `fused` only.
  /// Where the step is, for messages: "graph.steps[3] (conv at m.dream:2:7)".
  std::string where;
};

/// A step's attribute, or `fallback` where the plan leaves it out (the
/// loader checked the kinds of those present).
inline int64_t intAttr(const Step &step, const char *name,
                       int64_t fallback = 0) {
  auto it = step.attrs.find(name);
  return it == step.attrs.end() ? fallback : it->get<int64_t>();
}
inline double numberAttr(const Step &step, const char *name,
                         double fallback = 0) {
  auto it = step.attrs.find(name);
  return it == step.attrs.end() ? fallback : it->get<double>();
}
inline bool boolAttr(const Step &step, const char *name, bool fallback) {
  auto it = step.attrs.find(name);
  return it == step.attrs.end() ? fallback : it->get<bool>();
}
inline std::string stringAttr(const Step &step, const char *name,
                              const char *fallback) {
  auto it = step.attrs.find(name);
  return it == step.attrs.end() ? fallback : it->get<std::string>();
}

/// A straight-line list of steps.
struct Graph {
  std::vector<int> inputs;
  std::vector<int> outputs;
  std::vector<Step> steps;
  /// One more than the largest value number.
  int numValues = 0;
  /// releaseAfter[i]: values no step after step i reads, so a run can drop
  /// them early (evaluation would otherwise hold every activation).
  std::vector<std::vector<int>> releaseAfter;
  std::string where; ///< "graph", "encoders[0].encode", ...
};

/// Self-supervised pre-training of an encoder (docs/plan.md, "Encoders").
struct PretrainSpec {
  std::string kind; ///< masked, reconstruct, masked_tokens, decode.
  int64_t epochs = 1;
  double ratio = 0.75;
};

struct EncoderSpec {
  std::string name;
  bool frozen = true;
  std::string weights; ///< Empty, a path, or "pretrained:NAME".
  std::optional<PretrainSpec> pretrain;
  InputSpec input;
  std::vector<int64_t> latent;
  std::vector<int64_t> output;
  Graph encode;
  std::optional<Graph> decode;

  /// The prefix of this encoder's parameter names.
  std::string paramPrefix() const { return name + "."; }
};

/// A compiler-generated kernel and the plain steps it replaces.
struct KernelSpec {
  std::string name;
  /// Entry points in the trainer's kernel table (docs/codegen.md). The
  /// training forward returns the result, then the batch mean and biased
  /// variance of each batch norm in `statistics`; `forwardEval` (present
  /// when `statistics` is not empty) normalises with running statistics.
  std::string forward;
  std::string forwardEval;
  std::string backward;
  /// Indices into `reference.steps` of the batch norms whose statistics the
  /// training forward computes, in its result order.
  std::vector<size_t> statistics;
  /// The steps the kernel replaces, in either of two forms. As a graph
  /// ({"inputs", "outputs", "steps"}, what dreamc emits): its inputs are the
  /// fused step's inputs and its steps name their parameters. As a list of
  /// steps (docs/plan.md): `inputs` is empty, values 0.. are the fused
  /// step's inputs then its parameters, and the result is the last step's
  /// output.
  Graph reference;
};

struct OptimizerSpec {
  std::string name = "adam"; ///< adam, adamw, sgd.
  double lr = 0.005;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-5;
  double weightDecay = 0.0;
  double momentum = 0.9;
  bool nesterov = false;
};

struct ScheduleSpec {
  std::string name = "constant"; ///< constant, cosine, linear, step.
  double warmup = 0.0;           ///< Fraction of all steps.
  int64_t every = 10;            ///< step: epochs between decays.
  double gamma = 0.1;            ///< step: the decay factor.
};

/// The schedules a recipe (or the trainer's --schedule) may name.
inline const std::vector<std::string> &scheduleNames() {
  static const std::vector<std::string> names = {"constant", "cosine",
                                                 "linear", "step"};
  return names;
}

/// The schedule `name` with its default arguments (linear warms up over
/// the first 10% of the steps), as a bare name in a recipe gives it.
inline ScheduleSpec defaultSchedule(const std::string &name) {
  ScheduleSpec spec;
  spec.name = name;
  spec.warmup = name == "linear" ? 0.1 : 0.0;
  return spec;
}

/// The recipe's `augment` (Augment.h).
struct AugmentSpec {
  std::string name = "none"; ///< none, randaugment, mixup, word_noise.
  int64_t n = 2;             ///< randaugment: operations per image.
  int64_t m = 9;             ///< randaugment: magnitude, 0 to 30.
  double alpha = 0.2;        ///< mixup: Beta(alpha, alpha).
  double fraction = 0.1;     ///< word_noise: of the words.
};

/// The training recipe of the .dream file; keys a plan leaves out take the
/// `paper` preset's values.
struct Recipe {
  std::string data = "fashion_mnist";
  int64_t epochs = 30;
  int64_t batch = 128;
  int64_t seed = 0;
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  double clip = 0.0;
  double labelSmoothing = 0.0;
  double validation = 0.0;
  AugmentSpec augment;
  std::string preset = "paper";
};

struct Plan {
  std::string origin; ///< Where the plan came from, for messages.
  std::string network;
  std::string source;
  InputSpec input;
  int64_t classes = 0;
  std::vector<ParamSpec> params;
  Graph graph;
  std::vector<EncoderSpec> encoders;
  std::vector<KernelSpec> kernels;
  Recipe recipe;
  nlohmann::json cost = nlohmann::json::object();
  /// Identifies the network (not its recipe): checkpoints carry it so that a
  /// checkpoint of another network is refused.
  std::string hash;
  /// Identifies what compiled kernels depend on: each fused step's kernel
  /// entry points and the shapes of its operands and result. Networks can
  /// share kernel names (`SleepNet_fused0`) with other shapes; a trainer
  /// calls its kernels only for a plan with the same `kernelAbi`.
  std::string kernelAbi;

  const ParamSpec *findParam(const std::string &name) const;
  const KernelSpec *findKernel(const std::string &name) const;
};

/// Parses and checks a plan; `origin` (a path or "embedded plan") starts
/// every message. Throws PlanError.
Plan parsePlan(const std::string &text, const std::string &origin);

/// Reads and parses a plan file. Throws PlanError.
Plan loadPlanFile(const std::string &path);

/// FNV-1a (64 bit) of `text` in hex: the plan's hash and the names of
/// cached data sets. Identifies; not a defence against forgery.
std::string fnv1a(const std::string &text);

/// Checks a step's op name, number of inputs and parameters and its
/// attributes against the op table. Defined in Ops.cpp, next to that table.
void checkOpSignature(const Step &step);

/// "[64, 28, 28]".
std::string formatShape(const std::vector<int64_t> &shape);

/// Whether `text` begins with `prefix` (parameter scopes, data source names).
inline bool startsWith(const std::string &text, const std::string &prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

} // namespace dream::rt

#endif // DREAM_RUNTIME_PLAN_H
