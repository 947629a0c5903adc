//===- Setup.cpp - The command line turned into settings ------------------===//
//
// What every command needs from the recipe and the command line: its
// settings, data, metrics file and model.
//
//===----------------------------------------------------------------------===//

#include "CommandSupport.h"

#include "dream/Runtime/Files.h"

namespace dream::rt::commands {

std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n), text;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      text += ',';
    text += digits[i];
  }
  return text;
}

TrainSettings trainSettings(const Recipe &recipe, const TrainerOptions &o) {
  TrainSettings s;
  s.epochs = o.epochs.value_or(recipe.epochs);
  s.batch = o.batch.value_or(recipe.batch);
  s.seed = o.seed.value_or(recipe.seed);
  s.limit = o.limit;
  s.optimizer = recipe.optimizer;
  if (o.lr)
    s.optimizer.lr = *o.lr;
  s.schedule = o.schedule ? defaultSchedule(*o.schedule) : recipe.schedule;
  s.clip = recipe.clip;
  s.labelSmoothing = recipe.labelSmoothing;
  s.validation = recipe.validation;
  return s;
}

TrainSettings pretrainSettings(const Recipe &recipe, const PretrainSpec &spec,
                               const TrainerOptions &o) {
  TrainSettings s;
  s.epochs = o.epochs.value_or(spec.epochs);
  s.batch = o.batch.value_or(recipe.batch);
  s.seed = o.seed.value_or(recipe.seed);
  s.limit = o.limit;
  s.optimizer.name = "adam";
  s.optimizer.lr = o.lr.value_or(1e-3);
  s.optimizer.eps = 1e-8;
  return s;
}

std::string dataName(const Plan &plan, const TrainerOptions &o) {
  return o.data.empty() ? plan.recipe.dataSet() : o.data;
}

/// Where `--tokenizer words` keeps the word vocabulary: with the
/// checkpoints, so that later commands tokenise as training did.
std::string wordVocabularyPath(const TrainerOptions &o) {
  return o.checkpointDir.empty() ? ""
                                 : joinPath(o.checkpointDir, "words.txt");
}

/// How to read the data: a word vocabulary saved with the checkpoints is
/// used by every command; `--tokenizer words` builds one when training.
DataOptions dataOptions(const Plan &plan, const TrainerOptions &o,
                        bool withTrain) {
  DataOptions options;
  options.resize = o.resize;
  options.minCount = o.minCount;
  options.cache = o.cache;
  if (o.tokenizer == "words" && !plan.input.tokens)
    throw UsageError("--tokenizer words tokenises texts, and network '" +
                     plan.network + "' reads images");
  std::string saved = wordVocabularyPath(o);
  // A new run builds its vocabulary afresh (other data, --limit or
  // --min-count); a resumed run and the later commands read it.
  if (o.tokenizer == "words" && withTrain && !o.resume)
    options.buildWords = true;
  else if (!saved.empty() && pathExists(saved))
    options.vocabulary = saved;
  else if (o.tokenizer == "words")
    throw UsageError("--tokenizer words: no word vocabulary in " +
                     (o.checkpointDir.empty() ? std::string("(no --checkpoint)")
                                              : o.checkpointDir) +
                     "; `train` or `pretrain` with --checkpoint builds it");
  return options;
}

Data loadData(const Plan &plan, const TrainerOptions &o,
              const TrainSettings &s, bool withTrain) {
  DataOptions options = dataOptions(plan, o, withTrain);
  DataSplits splits =
      loadDataSource(dataName(plan, o), plan, s.limit, withTrain, options);
  if (options.buildWords && !o.checkpointDir.empty()) {
    std::string text;
    for (const std::string &token : splits.tokenizer->vocabulary())
      text += token + "\n";
    writeFileAtomically(wordVocabularyPath(o), {{text.data(), text.size()}});
  }
  Data data;
  data.tokenizer = std::move(splits.tokenizer);
  if (withTrain) {
    HeldOut parts = holdOutValidation(splits.train, s.validation, s.seed);
    data.train = std::move(parts.train);
    data.validation = std::move(parts.validation);
  }
  data.test = splits.test;
  data.pixelMean = splits.mean;
  data.pixelStd = splits.std;
  data.classNames = std::move(splits.classNames);
  return data;
}

MetricsWriter openMetrics(const TrainerOptions &o) {
  return o.metricsPath.empty() ? MetricsWriter()
                               : MetricsWriter(o.metricsPath, o.resume);
}

void continueMetrics(MetricsWriter &metrics, const TrainerOptions &o,
                     const std::string &encoder, const Trainer &trainer) {
  if (!o.resume || o.metricsPath.empty())
    return;
  keepMetricsUpTo(o.metricsPath, encoder, trainer.epochsDone(),
                  trainer.globalStep());
  metrics = MetricsWriter(o.metricsPath, /*append=*/true);
}

bool resumable(const TrainerOptions &o, const std::string &path) {
  if (!o.resume)
    return false;
  if (pathExists(path))
    return true;
  std::cout << "--resume: no checkpoint at " << path
            << " yet: starting from the beginning\n";
  return false;
}

at::Device parseDevice(const std::string &name) {
  if (name == "cpu")
    return at::kCPU;
  if (name != "cuda" && !startsWith(name, "cuda:"))
    throw UsageError("--device is cpu or cuda, not '" + name + "'");
  if (at::getNumGPUs() == 0)
    throw UsageError("--device " + name +
                     ": LibTorch has CUDA support but finds no GPU here");
  return at::Device(name);
}

Model makeModel(const Plan &plan, uint64_t seed, at::Device device,
                const TrainerOptions &o) {
  Model model(plan, seed, device);
  if (!o.reference && o.kernels && !o.kernels->empty())
    model.useKernels(o.kernels);
  return model;
}

std::string kernelMode(const Model &model, const TrainerOptions &o) {
  if (model.usesKernels())
    return o.kernels->hasGpuKernels()
               ? "compiled kernels (CPU; GPU through the embedded PTX)"
               : "compiled kernels (CPU only: compiled with --gpu-chip=none)";
  return o.reference ? "reference steps (--reference)"
                     : "reference steps (no compiled kernels are linked)";
}

void requireCheckpointDir(const TrainerOptions &o, const std::string &why) {
  if (o.checkpointDir.empty())
    throw UsageError(o.command + " " + why + " --checkpoint DIR; give one");
}

Model trainedModel(const Plan &plan, const TrainerOptions &o,
                   at::Device device,
                   std::map<std::string, std::string> &metadata) {
  requireCheckpointDir(o, "reads the trained model from");
  std::string path = trainCheckpointPath(o);
  if (!pathExists(path))
    throw UsageError(o.command + ": no trained model at " + path +
                     "; run `" + o.program + " train --checkpoint " +
                     o.checkpointDir + "` first");
  Model model = makeModel(plan, 0, device, o);
  model.importTensors(modelTensors(readCheckpoint(path, plan, metadata)), "",
                      path);
  return model;
}

} // namespace dream::rt::commands
