//===- CommandSupport.h - What the trainer's commands share ----*- C++ -*-===//
//
// Private to runtime/lib/commands: the pieces the commands (one file each)
// are built from. Setup.cpp turns the command line into settings, data and
// a model; Losses.cpp holds the objectives; EncoderWeights.cpp the weights'
// paths and loading.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_COMMANDS_COMMANDSUPPORT_H
#define DREAM_RUNTIME_COMMANDS_COMMANDSUPPORT_H

#include "dream/Runtime/Commands.h"
#include "dream/Runtime/Data.h"
#include "dream/Runtime/Model.h"
#include "dream/Runtime/Ops.h"
#include "dream/Runtime/Progress.h"
#include "dream/Runtime/Text.h"
#include "dream/Runtime/Training.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dream::rt::commands {

//===--- Setup.cpp ---------------------------------------------------------===//

/// 1234567 as "1,234,567".
std::string withCommas(int64_t n);

/// The recipe with the command line's overrides.
TrainSettings trainSettings(const Recipe &recipe, const TrainerOptions &o);
/// Pre-training uses Adam at 1e-3 with torch's defaults, a constant rate
/// and the encoder's own number of epochs; --epochs, --batch and --lr
/// override.
TrainSettings pretrainSettings(const Recipe &recipe, const PretrainSpec &spec,
                               const TrainerOptions &o);

/// --data, else the recipe's.
std::string dataName(const Plan &plan, const TrainerOptions &o);

/// What a command runs on: the training set (the `validation` fraction
/// held out by seed, holdOutValidation) and the test set, each cut to
/// --limit examples, and the normalisation of image inputs (for drawing
/// them).
struct Data {
  Dataset train;
  Dataset validation;
  Dataset test;
  std::vector<double> pixelMean, pixelStd;
  /// Texts: the vocabulary they were tokenised with.
  std::optional<WordPieceTokenizer> tokenizer;
  /// The classes' names where the data set has them (DataSplits).
  std::vector<std::string> classNames;
};

Data loadData(const Plan &plan, const TrainerOptions &o,
              const TrainSettings &s, bool withTrain);

/// --metrics FILE, appended to on --resume; a writer that writes nothing
/// without one.
MetricsWriter openMetrics(const TrainerOptions &o);
/// On --resume: drops from the metrics file the records of a phase
/// (pre-training `encoder`, or training if empty) that a killed run wrote
/// past `trainer`'s point (keepMetricsUpTo), and reopens `metrics` after
/// the rest.
void continueMetrics(MetricsWriter &metrics, const TrainerOptions &o,
                     const std::string &encoder, const Trainer &trainer);
/// Whether --resume has a checkpoint at `path` to continue. Without one (a
/// job requeued before its first checkpoint) the run starts from the
/// beginning, so that the same command line works before and after.
bool resumable(const TrainerOptions &o, const std::string &path);

/// --device; UsageError for an unknown one or a GPU that is not there.
at::Device parseDevice(const std::string &name);

/// The model of `plan`, running the linked kernels unless --reference.
Model makeModel(const Plan &plan, uint64_t seed, at::Device device,
                const TrainerOptions &o);
/// How fused steps run, for `info` and the training header.
std::string kernelMode(const Model &model, const TrainerOptions &o);
/// The model `train` left in --checkpoint DIR; `metadata` receives its
/// checkpoint's metadata.
Model trainedModel(const Plan &plan, const TrainerOptions &o,
                   at::Device device,
                   std::map<std::string, std::string> &metadata);
/// UsageError unless --checkpoint DIR is given: the command `why` it.
void requireCheckpointDir(const TrainerOptions &o, const std::string &why);

//===--- Losses.cpp --------------------------------------------------------===//

/// Cross-entropy of the logits, label-smoothed in training.
LossFunction classificationLoss(const Model &model, double smoothing);
/// Mean squared error of encode+decode against the whole clean input; for
/// `masked`, the encoder reads it with pieces masked (maskPieces;
/// evaluation masks with a fixed seed, so its loss measures the same task
/// every epoch).
LossFunction reconstructionLoss(const Model &model, const EncoderSpec &enc);
/// The objective of an encoder's pre-training; PlanError for an encoder
/// that does not fit its kind (the plan loader refuses unknown kinds).
LossFunction pretrainingLoss(const Model &model, const EncoderSpec &enc,
                             const Data &data);

//===--- EncoderWeights.cpp ------------------------------------------------===//

std::string encoderWeightsPath(const std::string &dir, const EncoderSpec &enc);
/// The supervised run's checkpoint in --checkpoint DIR.
std::string trainCheckpointPath(const TrainerOptions &o);
std::string pretrainCheckpointPath(const TrainerOptions &o,
                                   const EncoderSpec &enc);
/// What `pretrain` trains and stores of an encoder: the decoder alone for
/// `decode` (on top of given encoder weights), else everything.
std::string pretrainedPrefix(const EncoderSpec &enc);
/// Loads the weights an encoder declares (`weights`): a Hugging Face
/// checkpoint of a known layout or a pre-trained model of the runtime's
/// (Pretrained.h), or a safetensors file of plan-named tensors; false if it
/// declares none.
bool loadDeclaredWeights(Model &model, const EncoderSpec &enc);
/// Every encoder's weights for supervised training: those it declares,
/// and what `pretrain` stored in --checkpoint DIR. A frozen encoder that
/// needs pre-training and has not had it is an error that says how to get
/// the weights; training never runs against a random "pre-trained" one.
void loadEncoderWeights(Model &model, const TrainerOptions &o);

//===--- The commands, one file each ---------------------------------------===//

int info(const Plan &plan, const TrainerOptions &o);
int pretrain(const Plan &plan, const TrainerOptions &o, at::Device device);
int train(const Plan &plan, const TrainerOptions &o, at::Device device);
int evaluateCommand(const Plan &plan, const TrainerOptions &o,
                    at::Device device);
int dreamCommand(const Plan &plan, const TrainerOptions &o,
                 at::Device device);
int check(const Plan &plan, const TrainerOptions &o, at::Device device);

} // namespace dream::rt::commands

#endif // DREAM_RUNTIME_COMMANDS_COMMANDSUPPORT_H
