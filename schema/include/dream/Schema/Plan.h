//===- Plan.h - The execution plan, typed -----------------------*- C++ -*-===//
//
// The one definition of the plan of docs/plan.md: dreamc builds these
// structures and writes them with `toJson` (PlanEmitter), trainers read them
// with `readPlan` (runtime/lib/exec/Plan.cpp), and `--emit=pytorch`
// translates them. Neither LibTorch nor MLIR: both sides link it.
//
// Reading checks the structure and the references between its parts and
// names the offending field on failure; shapes are checked by the runtime,
// which runs the graphs once (Model.h), because that is the only shape rule
// that cannot drift from the ops themselves.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_SCHEMA_PLAN_H
#define DREAM_SCHEMA_PLAN_H

#include "dream/Schema/Recipe.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dream::schema {

/// What a plan's `format` and `version` say; a reader refuses others.
constexpr const char *kPlanFormat = "dreamc-plan";
constexpr int kPlanVersion = 1;

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
  int64_t fanIn = 0; ///< 0: not written (inits other than `uniform`).
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
  /// Set by the reader.
  std::string where;
};

/// A straight-line list of steps.
struct Graph {
  std::vector<int> inputs;
  std::vector<int> outputs;
  std::vector<Step> steps;
  /// Set by the reader: one more than the largest value number.
  int numValues = 0;
  /// Set by the reader: releaseAfter[i] holds the values no step after step
  /// i reads, so a run can drop them early (evaluation would otherwise hold
  /// every activation).
  std::vector<std::vector<int>> releaseAfter;
  std::string where; ///< "graph", "encoders[0].encode", ...
};

struct EncoderSpec {
  std::string name;
  bool frozen = true;
  std::string weights; ///< Empty, a path, LAYOUT:PATH or "pretrained:NAME".
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
  /// Entry points in the trainer's kernel table (KernelTable.h). The
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
  /// ({"inputs", "outputs", "steps"}, what dreamc writes): its inputs are
  /// the fused step's inputs and its steps name their parameters. As a list
  /// of steps (docs/plan.md): `inputs` is empty, values 0.. are the fused
  /// step's inputs then its parameters, and the result is the last step's
  /// output.
  Graph reference;
};

/// The compiler's estimates (docs/plan.md, "Cost"). A plan carries them as
/// an object that readers only show, so this is what dreamc writes.
struct Cost {
  int64_t paramsTrainable = 0;
  int64_t paramsFrozen = 0;
  int64_t flopsPerSample = 0;
  /// The forward and the backward pass of one training step.
  int64_t trainFlopsPerSample = 0;
  int64_t activationBytesPerSample = 0;
  int64_t encoderCallsPerStep = 0;
  int64_t fusedKernels = 0;
};

struct Plan {
  std::string origin; ///< Where the plan came from, for messages.
  std::string network;
  std::string source; ///< Empty: not written.
  InputSpec input;
  int64_t classes = 0;
  std::vector<ParamSpec> params;
  Graph graph;
  std::vector<EncoderSpec> encoders;
  std::vector<KernelSpec> kernels;
  Recipe recipe;
  /// The `cost` object as the plan gives it (toJson(Cost) for dreamc's).
  nlohmann::ordered_json cost = nlohmann::ordered_json::object();
  /// Set by the reader. Identifies the network (not its recipe):
  /// checkpoints carry it so that a checkpoint of another network is
  /// refused.
  std::string hash;
  /// Set by the reader. Identifies what compiled kernels depend on: each
  /// fused step's kernel entry points and the shapes of its operands and
  /// result. Networks can share kernel names (`SleepNet_fused0`) with other
  /// shapes; a trainer calls its kernels only for a plan with the same
  /// `kernelAbi`.
  std::string kernelAbi;

  const ParamSpec *findParam(const std::string &name) const;
  const KernelSpec *findKernel(const std::string &name) const;
};

/// Checks one step against an op table; throws PlanError with the problem
/// alone (the reader adds where). The runtime's table is LibTorch's side
/// (checkOpSignature in Ops.cpp).
using StepCheck = std::function<void(const Step &)>;

/// Parses and checks a plan; `origin` (a path or "embedded plan") starts
/// every message, and `checkStep` checks each step's op. Throws PlanError.
Plan readPlan(const std::string &text, const std::string &origin,
              const StepCheck &checkStep);

/// A recipe given as JSON (a plan's `recipe`), checked as readPlan checks
/// it; `origin` starts every message. Throws PlanError.
Recipe readRecipe(const nlohmann::json &recipe, const std::string &origin);

/// The plan as docs/plan.md writes it, keys in its order. What the reader
/// computes (`where`, `hash`, ...) is not written.
nlohmann::ordered_json toJson(const Plan &plan);
nlohmann::ordered_json toJson(const Cost &cost);
/// A recipe as a plan's `recipe`: settings with arguments as objects with
/// the vocabulary's arguments for their name, keys sorted.
nlohmann::ordered_json toJson(const Recipe &recipe);

/// FNV-1a (64 bit) of `text` in hex: the plan's hash and the names of
/// cached data sets. Identifies; not a defence against forgery.
std::string fnv1a(const std::string &text);

/// "[64, 28, 28]".
std::string formatShape(const std::vector<int64_t> &shape);

} // namespace dream::schema

#endif // DREAM_SCHEMA_PLAN_H
