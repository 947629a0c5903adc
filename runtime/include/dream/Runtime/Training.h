//===- Training.h - Optimisers, schedules and the training loop -*- C++ -*-===//
//
// The training loop shared by supervised training and encoder
// pre-training: shuffled mini-batches, a loss with autograd, gradient
// clipping, an optimiser stepped with a scheduled learning rate, per-epoch
// metrics and evaluation, and checkpoints from which a run resumes exactly.
//
// Reproducibility: the data order of epoch e depends only on (seed, e), the
// dropout and masking noise comes from one generator whose state is
// checkpointed, and everything else is deterministic on the CPU for a fixed
// number of threads, so a run and a resumed run give bitwise-equal losses.
// A worker thread prepares the batches (BatchLoader.h), in step order.
//
// Data-parallel (Options::group): each global batch is split among the
// ranks in contiguous shares, so any number of ranks trains on the same
// examples per step, and the gradients are averaged over the ranks; the
// losses then match a single process's up to the order of float sums.
// Evaluation is sharded and summed; rank 0 alone reports and checkpoints.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_TRAINING_H
#define DREAM_RUNTIME_TRAINING_H

#include "dream/Runtime/BatchLoader.h"
#include "dream/Runtime/CapturedStep.h"
#include "dream/Runtime/Distributed.h"
#include "dream/Runtime/Model.h"
#include "dream/Runtime/Progress.h"

#include <array>
#include <functional>
#include <limits>
#include <optional>
#include <ostream>

namespace dream::rt {

/// What a run trains with: the recipe after the command-line overrides.
struct TrainSettings {
  int64_t epochs = 1;
  int64_t batch = 128;
  int64_t seed = 0;
  int64_t limit = 0; ///< Examples used from each split; 0: all.
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  double clip = 0.0;
  double labelSmoothing = 0.0;
  double validation = 0.0;

  /// The settings a resumed run must share with its checkpoint. `epochs`
  /// is not among them: a run may be extended.
  nlohmann::json fingerprint() const;
};

/// Examples and their labels (int64 class numbers; unused by
/// reconstruction).
struct Dataset {
  at::Tensor inputs;
  at::Tensor labels;

  int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
  /// Examples [begin, end).
  Dataset slice(int64_t begin, int64_t end) const;
  /// The examples at `indices` (int64), in their order.
  Dataset select(const at::Tensor &indices) const;
};

/// A training set and the validation set held out of it.
struct HeldOut {
  Dataset train;
  Dataset validation;
};

/// Holds out round(fraction x n) of the n examples of every class (label),
/// chosen at random by `seed` alone: the same examples every run with that
/// seed and data, so a resumed run validates on what the run began with.
/// Both parts keep the examples' order in `all`.
HeldOut holdOutValidation(const Dataset &all, double fraction, int64_t seed);

/// A batch's mean loss and, for classification, the predicted classes and
/// the logits they come from (detached).
struct BatchOutput {
  at::Tensor loss;
  at::Tensor predictions;
  at::Tensor logits;
};

using LossFunction = std::function<BatchOutput(
    const at::Tensor &inputs, const at::Tensor &labels, const RunMode &mode)>;

/// One pass over a data set without training.
struct Evaluation {
  double loss = 0.0;
  /// NaN when the loss function predicts no classes.
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  int64_t correct = 0;
  int64_t samples = 0;
  double seconds = 0.0;
  /// classes x classes counts, rows the true class; empty without classes.
  std::vector<int64_t> confusion;
  /// Each example's predicted class in the data's order (int64, on the
  /// CPU), for paired tests between two networks; undefined without
  /// classes, and in a data-parallel evaluation.
  at::Tensor predictions;
};

/// Evaluates `loss` over `data` in batches, without gradients.
Evaluation evaluate(const LossFunction &loss, const Dataset &data,
                    int64_t batch, at::Device device, int64_t classes);

/// Adam, AdamW and SGD with momentum, as torch.optim computes them. State
/// exists only for parameters that received a gradient, so frozen
/// parameters never have any.
class Optimizer {
public:
  Optimizer(OptimizerSpec spec,
            std::vector<std::pair<std::string, at::Tensor>> params);

  /// Drops the gradients (torch's zero_grad(set_to_none=True)).
  void zeroGrad();
  /// One update of every parameter that has a gradient.
  void step(double lr);

  /// The numbers of the next update of each parameter that `step(lr)` would
  /// compute on the host (from the learning rate and the parameter's step
  /// count): [parameters, 3] float64 on the CPU, for stepOnDevice.
  at::Tensor nextUpdateNumbers(double lr) const;
  /// `step`'s update with the host's numbers read from `numbers`
  /// (nextUpdateNumbers, on the parameters' device), made only where the
  /// bool scalar `apply` is true: no host read, so that it can be captured
  /// in a CUDA graph and replayed with new numbers. The optimiser's state
  /// must exist (an eager step first) before it is captured. Does not count
  /// the step: countStep does, once it is known to have been made.
  void stepOnDevice(const at::Tensor &numbers, const at::Tensor &apply);
  /// Counts an update made by stepOnDevice.
  void countStep();
  /// Whether `name` has optimiser state.
  bool hasState(const std::string &name) const;
  std::vector<at::Tensor> params() const;

  /// Adds "optimizer/<param>/<slot>" tensors (slots as torch names them:
  /// step, exp_avg, exp_avg_sq, momentum_buffer).
  void save(TensorMap &out) const;
  void load(const TensorMap &in, const std::string &origin);

private:
  struct Slot {
    std::string name;
    at::Tensor param;
    at::Tensor first;  ///< exp_avg, or SGD's momentum_buffer.
    at::Tensor second; ///< exp_avg_sq.
    int64_t steps = 0;
  };
  /// Adam: {1 - lr * weight decay, -lr / bias correction 1, sqrt(bias
  /// correction 2)}; SGD: {-lr, 0, 0}; of a parameter's update number
  /// `steps`. The eager and the graph-safe steps share them.
  using UpdateNumbers = std::array<double, 3>;
  UpdateNumbers updateNumbers(int64_t steps, double lr) const;
  void adamStep(Slot &slot, at::Tensor grad, double lr);
  void sgdStep(Slot &slot, at::Tensor grad, double lr);
  void adamStepOnDevice(Slot &slot, at::Tensor grad, const at::Tensor &numbers,
                        const at::Tensor &apply);
  void sgdStepOnDevice(Slot &slot, at::Tensor grad, const at::Tensor &numbers,
                       const at::Tensor &apply);
  Slot &slotNamed(const std::string &name, const std::string &origin);

  OptimizerSpec spec;
  std::vector<Slot> slots;
};

/// The learning rate of step `step` (from 0) out of `totalSteps`: a linear
/// warm-up over the schedule's `warmup` fraction, then constant, cosine to
/// zero, linear to zero, or multiplied by gamma every `every` epochs.
double scheduledLearningRate(const ScheduleSpec &schedule, double baseLr,
                             int64_t step, int64_t stepsPerEpoch,
                             int64_t totalSteps);

/// The global L2 norm of the parameters' gradients (0 if none has one).
double gradientNorm(const std::vector<at::Tensor> &params);

/// gradientNorm as a scalar tensor on the gradients' device, not read on
/// the host; undefined if no parameter has a gradient.
at::Tensor gradientNormOnDevice(const std::vector<at::Tensor> &params);

/// Scales the gradients so that their global L2 norm is at most `maxNorm`
/// (torch.nn.utils.clip_grad_norm_); returns the norm before clipping,
/// which the caller may already know (`norm`).
double clipGradientNorm(const std::vector<at::Tensor> &params, double maxNorm,
                        std::optional<double> norm = std::nullopt);
/// clipGradientNorm's scaling, by a factor computed on the device from
/// `norm` (gradientNormOnDevice): the same gradients, no host read.
void clipGradientNormOnDevice(const std::vector<at::Tensor> &params,
                              double maxNorm, const at::Tensor &norm);

/// A loss or gradient that is NaN or infinite: training stops before the
/// update, keeping the last checkpoint.
class TrainingError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Reads a checkpoint and checks that it was written for `plan`'s network;
/// refuses others with a message that says which network it belongs to.
TensorMap readCheckpoint(const std::string &path, const Plan &plan,
                         std::map<std::string, std::string> &metadata);

/// The "model/..." tensors of a checkpoint, under their parameter names.
TensorMap modelTensors(const TensorMap &checkpoint);

class Trainer {
public:
  struct Options {
    /// "train" or "pretrain:<encoder>": a checkpoint of one phase cannot
    /// resume another.
    std::string phase = "train";
    /// The "split" of training epochs in the metrics.
    std::string trainSplit = "train";
    /// Added to every metrics record (the encoder being pre-trained).
    nlohmann::ordered_json metricsExtra = nlohmann::ordered_json::object();
    std::string checkpointPath; ///< Empty: no checkpoints.
    MetricsWriter *metrics = nullptr;
    /// A "step" record in the metrics every this many steps; 0: none.
    int64_t logEvery = 0;
    ProgressReporter *progress = nullptr;
    std::ostream *log = nullptr; ///< Epoch summaries.
    bool honourFrozen = true;
    int64_t classes = 0; ///< For accuracy and confusion; 0 if none.
    /// Stop (with a checkpoint) once this many steps are done; 0: never.
    int64_t stopAtStep = 0;
    /// Polled after every step; true stops the run with a checkpoint.
    std::function<bool()> stopRequested;
    /// The data-parallel run this trainer is a rank of; null: alone.
    DataParallelGroup *group = nullptr;
    /// Changes each training batch in the loader's worker thread (the
    /// recipe's `augment`), given the batch's own generator.
    std::function<void(Batch &, at::Generator &)> augment;
    /// --cuda-graph: after an eager step of each batch shape, the steps of
    /// that shape keep every number on the device (graphSafeStep) and run
    /// as a CUDA graph captured once (CapturedStep.h); on the CPU, without
    /// a graph. Not with `group`, nor with noise drawn in the step.
    bool captureSteps = false;
  };

  /// Trains the parameters of `model` that require gradients.
  Trainer(Model &model, TrainSettings settings, LossFunction loss,
          Options options);
  ~Trainer();

  /// Continues the run saved in the checkpoint at `path`. Throws FileError
  /// if it belongs to another network or phase, or if the settings differ.
  void resume(const std::string &path);

  /// Trains until all epochs are done (true) or a stop is requested
  /// (false), evaluating each named data set after every epoch.
  bool run(const Dataset &train,
           const std::vector<std::pair<std::string, Dataset>> &evaluations);

  /// Writes the checkpoint at `path` (atomically). In a data-parallel run,
  /// only rank 0 calls this.
  void save(const std::string &path) const;

  const std::vector<double> &stepLosses() const { return losses; }
  int64_t globalStep() const { return step; }
  int64_t epochsDone() const { return epoch; }
  const Optimizer &optimizer() const { return optim; }
  /// The last evaluation of each split, if any ran.
  const std::map<std::string, Evaluation> &lastEvaluations() const {
    return evaluated;
  }

private:
  struct Running {
    double lossSum = 0.0;
    int64_t correct = 0;
    int64_t samples = 0;
    double seconds = 0.0;
    double dataWait = 0.0; ///< Seconds this rank waited for batches.
  };

  int64_t stepsPerEpoch(int64_t examples) const;
  bool trainEpoch(const Dataset &train);
  void trainStep(const Batch &batch, int64_t perEpoch);
  /// The eager step: reads the loss and the gradient norm on the host.
  void eagerStep(const Batch &batch);
  /// trainStep's forward, backward, clipping, non-finite guard and update
  /// with no host read, on `in`'s buffers.
  StepTensors graphSafeStep(const StepInputs &in);
  /// The bookkeeping of a CapturedStep's run, from its summary.
  void finishCapturedStep(const Batch &batch, const at::Tensor &summary);
  void
  finishEpoch(const std::vector<std::pair<std::string, Dataset>> &evaluations);
  /// `dataWait`: the seconds a training epoch waited for its batches.
  void report(const std::string &split, double loss, double accuracy,
              int64_t samples, double seconds,
              std::optional<double> dataWait = std::nullopt);
  /// The "step" record of the steps since the last one (--log-every).
  void reportSteps(double seconds);
  bool stopNow() const;
  /// What TrainingError says about a non-finite loss or gradient norm.
  std::string notFinite(double lossValue, double norm) const;
  void checkSettings(const std::string &path, const std::string &stored) const;

  int64_t rank() const { return options.group ? options.group->rank() : 0; }
  int64_t worldSize() const {
    return options.group ? options.group->size() : 1;
  }
  /// This rank's share [begin, end) of `count` items.
  std::pair<int64_t, int64_t> shareOf(int64_t count) const;
  /// Writes the checkpoint if there is a path and this is rank 0.
  void checkpoint() const;
  /// The epoch's running sums over all ranks.
  Running totalRunning() const;
  /// Gives every rank rank 0's parameters and buffers (`buffersOnly`: its
  /// running statistics, which each rank updated from its own shares).
  void shareRankZeroState(bool buffersOnly);
  /// Evaluates this rank's share of `data` and sums the results over ranks.
  Evaluation evaluateShared(const Dataset &data) const;

  Model &model;
  TrainSettings settings;
  LossFunction loss;
  Options options;
  Optimizer optim;
  std::unique_ptr<GradientAverager> averager; ///< Null: alone.
  at::Generator noise;
  int64_t epoch = 0;       ///< Epochs completed.
  int64_t stepInEpoch = 0; ///< Steps done in the current epoch.
  int64_t step = 0;        ///< Steps done in all.
  Running running;
  std::vector<double> losses;
  /// The last step's learning rate and gradient norm (before clipping),
  /// and what the last step record had seen, for the next one.
  double lastLr = 0.0, lastNorm = 0.0;
  int64_t loggedSamples = 0;
  double loggedSeconds = 0.0;
  std::map<std::string, Evaluation> evaluated;
  /// By batch size, under Options::captureSteps.
  std::map<int64_t, std::unique_ptr<CapturedStep>> captured;
};

} // namespace dream::rt

#endif // DREAM_RUNTIME_TRAINING_H
