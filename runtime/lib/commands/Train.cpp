//===- Train.cpp - The pretrain, train and eval commands ------------------===//
//
// Each hands the work to Trainer or evaluate(); Ctrl-C lets the current
// step finish and the run write its checkpoint.
//
//===----------------------------------------------------------------------===//

#include "CommandSupport.h"

#include "dream/Runtime/Augment.h"
#include "dream/Runtime/Distributed.h"
#include "dream/Runtime/Files.h"

#include <ATen/Parallel.h>

#include <csignal>
#include <cstdio>
#include <iostream>

namespace dream::rt::commands {

namespace {

//===--- Interrupts
//--------------------------------------------------------===//

volatile std::sig_atomic_t interruptSignalled = 0;

extern "C" void onInterrupt(int) { interruptSignalled = 1; }

/// While alive, the first Ctrl-C lets the current step finish and the run
/// write its checkpoint; the handler resets itself, so a second one kills.
class InterruptGuard {
public:
  InterruptGuard() {
    struct sigaction action = {};
    action.sa_handler = onInterrupt;
    action.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &action, &previous);
  }
  ~InterruptGuard() { sigaction(SIGINT, &previous, nullptr); }
  static bool requested() { return interruptSignalled != 0; }

private:
  struct sigaction previous = {};
};

int reportInterrupt(const std::string &checkpoint) {
  std::cerr << "interrupted; "
            << (checkpoint.empty() ? "nothing saved (no --checkpoint DIR)"
                                   : "checkpoint written to " + checkpoint +
                                         ", continue with --resume")
            << "\n";
  return 130;
}

/// Pre-trains one encoder; false if interrupted.
bool pretrainEncoder(Model &model, const EncoderSpec &enc, const Data &data,
                     const TrainerOptions &o, MetricsWriter &metrics,
                     ProgressReporter &progress) {
  LossFunction loss = pretrainingLoss(model, enc, data);
  TrainSettings s = pretrainSettings(model.plan().recipe, *enc.pretrain, o);
  std::string trained = pretrainedPrefix(enc);
  model.setTrainable(
      [&](const ParamSpec &p) { return startsWith(p.name, trained); });
  Trainer::Options options;
  options.phase = "pretrain:" + enc.name;
  options.trainSplit = "pretrain";
  options.metricsExtra = {{"encoder", enc.name}};
  options.checkpointPath = pretrainCheckpointPath(o, enc);
  options.metrics = &metrics;
  options.logEvery = o.logEvery;
  options.progress = &progress;
  options.log = &std::cout;
  options.honourFrozen = false;
  options.stopRequested = InterruptGuard::requested;
  Trainer trainer(model, s, loss, options);
  if (resumable(o, options.checkpointPath))
    trainer.resume(options.checkpointPath);
  continueMetrics(metrics, o, enc.name, trainer);
  std::cout << "pre-training encoder " << enc.name << " (" << enc.pretrain->kind
            << "): epochs " << s.epochs << ", batch " << s.batch << ", adam lr "
            << s.optimizer.lr << ", " << data.train.size() << " examples\n";
  if (!trainer.run(data.train, {{"test", data.test}}))
    return false;
  std::string weights = encoderWeightsPath(o.checkpointDir, enc);
  saveTensorFile(weights, model.tensorsWithPrefix(trained),
                 {{"format", "dreamc-encoder"},
                  {"encoder", enc.name},
                  {"network", model.plan().network},
                  {"pretrain", enc.pretrain->kind},
                  {"epochs", std::to_string(s.epochs)}});
  std::cout << "encoder " << enc.name << ": weights written to " << weights
            << "\n";
  return true;
}

/// process trains alone). Rank 0 reports for the run; the other ranks'
/// stdout is silenced, their errors still reach stderr.
std::unique_ptr<DataParallelGroup> joinRun(const TrainerOptions &o,
                                           const TrainSettings &s,
                                           at::Device device) {
  if (!o.world.distributed())
    return nullptr;
  if (s.batch % o.world.size != 0)
    throw UsageError("--batch " + std::to_string(s.batch) +
                     " is the global batch, split evenly among the " +
                     std::to_string(o.world.size) +
                     " processes; give a multiple of " +
                     std::to_string(o.world.size));
  auto group = std::make_unique<DataParallelGroup>(o.world, device);
  if (!group->leader() && !std::freopen("/dev/null", "w", stdout))
    throw FileError("cannot redirect the stdout of rank " +
                    std::to_string(group->rank()) + " to /dev/null");
  return group;
}

void printTrainingHeader(const Model &model, const TrainSettings &s,
                         const Data &data, const TrainerOptions &o) {
  int64_t trainable = 0, frozen = 0;
  for (const ParamSpec &p : model.plan().params)
    if (!p.buffer)
      (model.tensor(p.name).requires_grad() ? trainable : frozen) += p.numel();
  std::cout << "training " << model.plan().network << " on " << o.device
            << ", threads " << at::get_num_threads() << ": "
            << withCommas(trainable) << " trainable, " << withCommas(frozen)
            << " frozen parameters; " << withCommas(data.train.size())
            << " training, " << withCommas(data.test.size())
            << " test examples; epochs " << s.epochs << ", batch " << s.batch
            << ", " << s.optimizer.name << " lr " << s.optimizer.lr << ", "
            << s.schedule.name << " schedule";
  const AugmentSpec &augment = model.plan().recipe.augment;
  if (augment.name != "none")
    std::cout << ", augment " << describe(augment);
  std::cout << "\n";
  if (!model.plan().kernels.empty())
    std::cout << model.plan().kernels.size() << " fused kernels run as "
              << kernelMode(model, o) << "\n";
  if (o.world.distributed())
    std::cout << "data-parallel: " << o.world.size << " processes (c10d "
              << (backendFor(model.device()) == "nccl" ? "NCCL" : "Gloo")
              << ", rendezvous at " << o.world.masterAddr << ":"
              << o.world.masterPort << "), " << s.batch / o.world.size
              << " examples per process and step\n";
}

Trainer::Options trainOptions(const Plan &plan, const TrainerOptions &o,
                              MetricsWriter &metrics,
                              ProgressReporter &progress) {
  Trainer::Options options;
  if (!o.checkpointDir.empty())
    options.checkpointPath = trainCheckpointPath(o);
  options.metrics = &metrics;
  options.logEvery = o.logEvery;
  options.progress = &progress;
  options.log = &std::cout;
  options.classes = plan.classes;
  options.stopRequested = InterruptGuard::requested;
  return options;
}

void printConfusion(const Evaluation &result, int64_t classes) {
  std::cout << "confusion matrix (rows: true class, columns: predicted)\n";
  for (int64_t row = 0; row < classes; ++row) {
    for (int64_t col = 0; col < classes; ++col)
      std::printf("%6lld", static_cast<long long>(
                               result.confusion[row * classes + col]));
    std::printf("\n");
  }
}

/// `eval --predictions`: one line per test example, written atomically.
void writePredictions(const std::string &path, const at::Tensor &labels,
                      const at::Tensor &predictions) {
  at::Tensor truth = labels.to(at::kLong).contiguous();
  const int64_t *label = truth.const_data_ptr<int64_t>();
  const int64_t *predicted = predictions.const_data_ptr<int64_t>();
  std::string csv = "index,label,predicted\n";
  for (int64_t i = 0; i < predictions.size(0); ++i)
    csv += std::to_string(i) + "," + std::to_string(label[i]) + "," +
           std::to_string(predicted[i]) + "\n";
  writeFileAtomically(path, {{csv.data(), csv.size()}});
}

} // namespace

int pretrain(const Plan &plan, const TrainerOptions &o, at::Device device) {
  requireCheckpointDir(o, "stores the encoder weights in");
  FolderLock lock(o.checkpointDir); // One writer per checkpoint folder.
  TrainSettings s = trainSettings(plan.recipe, o);
  Model model =
      makeModel(plan, static_cast<uint64_t>(s.seed), device, o);
  bool any = false;
  for (const EncoderSpec &enc : plan.encoders)
    any = any || enc.pretrain.has_value();
  if (!any) {
    std::cout << plan.network << " has no encoder to pre-train\n";
    return 0;
  }
  // `decode` trains a decoder on top of the encoder weights given.
  for (const EncoderSpec &enc : plan.encoders)
    if (enc.pretrain)
      loadDeclaredWeights(model, enc);
  Data data = loadData(plan, o, s, /*withTrain=*/true);
  MetricsWriter metrics = openMetrics(o);
  ProgressReporter progress = ProgressReporter::forStderr();
  InterruptGuard interrupts;
  for (const EncoderSpec &enc : plan.encoders)
    if (enc.pretrain &&
        !pretrainEncoder(model, enc, data, o, metrics, progress))
      return reportInterrupt(pretrainCheckpointPath(o, enc));
  return 0;
}

/// Joins the data-parallel run of `o.world`, if there is one (null: this

int train(const Plan &plan, const TrainerOptions &o, at::Device device) {
  if (o.cudaGraph && !device.is_cuda())
    throw UsageError("--cuda-graph captures the training step as a CUDA "
                     "graph, which needs --device cuda; on the CPU leave it "
                     "out");
  if (o.cudaGraph && o.world.distributed())
    throw UsageError("--cuda-graph captures one process's step, and a "
                     "data-parallel run's ranks wait for each other inside "
                     "it: use --cuda-graph or --nproc, not both");
  TrainSettings s = trainSettings(plan.recipe, o);
  device = rankDevice(device, o.world, at::getNumGPUs());
  std::unique_ptr<DataParallelGroup> group = joinRun(o, s, device);
  bool leader = !group || group->leader();
  // One run writes to a checkpoint folder at a time; rank 0 holds the lock
  // for all the ranks of its run.
  FolderLock lock;
  if (leader && !o.checkpointDir.empty())
    lock = FolderLock(o.checkpointDir);
  if (o.resume)
    requireCheckpointDir(o, "--resume continues the run saved in");
  bool resuming = resumable(o, trainCheckpointPath(o));
  Model model =
      makeModel(plan, static_cast<uint64_t>(s.seed), device, o);
  if (!resuming)
    loadEncoderWeights(model, o);
  model.setTrainable([](const ParamSpec &p) { return p.trainable; });
  Data data = loadData(plan, o, s, /*withTrain=*/true);
  MetricsWriter metrics = leader ? openMetrics(o) : MetricsWriter();
  ProgressReporter progress = ProgressReporter::forStderr();
  Trainer::Options options = trainOptions(plan, o, metrics, progress);
  options.group = group.get();
  options.captureSteps = o.cudaGraph;
  if (!leader)
    options.progress = nullptr;
  // Word noise draws from the texts' vocabulary, which `data` keeps.
  if (auto augment = makeAugmentation(
          plan.recipe.augment, plan, data.pixelMean, data.pixelStd,
          data.tokenizer ? &*data.tokenizer : nullptr))
    options.augment = *augment;
  Trainer trainer(model, s, classificationLoss(model, s.labelSmoothing),
                  options);
  if (resuming) {
    trainer.resume(options.checkpointPath);
    std::cout << "resuming after step " << trainer.globalStep() << " ("
              << trainer.epochsDone() << " of " << s.epochs
              << " epochs done)\n";
  }
  if (leader)
    continueMetrics(metrics, o, "", trainer);
  printTrainingHeader(model, s, data, o);
  std::vector<std::pair<std::string, Dataset>> evaluations;
  if (data.validation.size() > 0)
    evaluations.emplace_back("validation", data.validation);
  evaluations.emplace_back("test", data.test);
  InterruptGuard interrupts;
  if (!trainer.run(data.train, evaluations))
    return reportInterrupt(options.checkpointPath);
  auto last = trainer.lastEvaluations().find("test");
  Evaluation test = last != trainer.lastEvaluations().end()
                        ? last->second
                        : evaluate(classificationLoss(model, 0.0), data.test,
                                   s.batch, device, plan.classes);
  std::printf("test accuracy: %.2f%% (%lld of %lld)\n", 100.0 * test.accuracy,
              static_cast<long long>(test.correct),
              static_cast<long long>(test.samples));
  return 0;
}

int evaluateCommand(const Plan &plan, const TrainerOptions &o,
                    at::Device device) {
  if (!o.predictionsPath.empty() && plan.classes <= 0)
    throw UsageError("--predictions: network '" + plan.network +
                     "' predicts no classes; leave the option out");
  TrainSettings s = trainSettings(plan.recipe, o);
  std::map<std::string, std::string> metadata;
  Model model = trainedModel(plan, o, device, metadata);
  Data data = loadData(plan, o, s, /*withTrain=*/false);
  Evaluation result = evaluate(classificationLoss(model, 0.0), data.test,
                               s.batch, device, plan.classes);
  std::printf(
      "test loss %.4f, accuracy %.2f%% (%lld of %lld), %.0f samples/s\n",
      result.loss, 100.0 * result.accuracy,
      static_cast<long long>(result.correct),
      static_cast<long long>(result.samples),
      static_cast<double>(result.samples) / std::max(result.seconds, 1e-9));
  printConfusion(result, plan.classes);
  if (!o.predictionsPath.empty())
    writePredictions(o.predictionsPath, data.test.labels, result.predictions);
  MetricsWriter metrics = openMetrics(o);
  metrics.write({{"epoch", std::stoll(metadata.at("epoch"))},
                 {"split", "test"},
                 {"loss", result.loss},
                 {"accuracy", result.accuracy},
                 {"samples_per_s", static_cast<double>(result.samples) /
                                       std::max(result.seconds, 1e-9)},
                 {"wall_s", result.seconds}});
  return 0;
}

} // namespace dream::rt::commands
