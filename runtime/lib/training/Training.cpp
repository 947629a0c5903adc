//===- Training.cpp - The training loop, evaluation and checkpoints -------===//

#include "dream/Runtime/Training.h"

#include "dream/Runtime/BatchLoader.h"
#include "dream/Runtime/Files.h"
#include "dream/Runtime/Safetensors.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>

using nlohmann::json;

namespace dream::rt {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Seeds of independent streams derived from the run's seed.
uint64_t mixSeed(int64_t seed, uint64_t stream) {
  uint64_t z =
      static_cast<uint64_t>(seed) + 0x9e3779b97f4a7c15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

const uint64_t noiseStream = 0;
uint64_t epochStream(int64_t epoch) { return 1 + static_cast<uint64_t>(epoch); }
/// Far from the epochs' streams.
const uint64_t validationStream = uint64_t(1) << 62;
/// The augmentation of rank `rank`'s share of step `step`: far from the
/// others, one stream per step and rank.
uint64_t augmentStream(int64_t step, int64_t rank) {
  return (uint64_t(1) << 61) + (static_cast<uint64_t>(step) << 12) +
         static_cast<uint64_t>(rank);
}

/// The seed of rank `rank`'s noise from step `step` on. Rank 0 draws the
/// single-process stream, whose state its checkpoints carry; each other
/// rank draws its own, begun afresh when a run starts or resumes.
uint64_t noiseSeed(int64_t seed, int64_t rank, int64_t step) {
  uint64_t single = mixSeed(seed, noiseStream);
  if (rank == 0)
    return single;
  return mixSeed(static_cast<int64_t>(single),
                 (static_cast<uint64_t>(rank) << 40) +
                     static_cast<uint64_t>(step));
}

/// The rows `rows` (int64) of the host tensor `data`, copied
/// one by one on the calling thread: index_select would start an OpenMP
/// team of its own in the batch loader's thread, competing with the step's
/// team for the cores that --threads allows.
at::Tensor gatherRows(const at::Tensor &data, const at::Tensor &rows) {
  at::Tensor from = data.contiguous(); // A no-op for the data sets' tensors.
  at::Tensor index = rows.contiguous();
  std::vector<int64_t> shape = from.sizes().vec();
  shape[0] = index.size(0);
  at::Tensor out = at::empty(shape, from.options());
  size_t rowBytes = static_cast<size_t>(from[0].numel()) * from.element_size();
  const auto *in = static_cast<const char *>(from.const_data_ptr());
  auto *to = static_cast<char *>(out.data_ptr());
  const int64_t *picked = index.const_data_ptr<int64_t>();
  for (int64_t i = 0; i < index.size(0); ++i)
    std::memcpy(to + i * rowBytes, in + picked[i] * rowBytes, rowBytes);
  return out;
}

std::string metadataValue(const std::map<std::string, std::string> &metadata,
                          const std::string &key, const std::string &path) {
  auto it = metadata.find(key);
  if (it == metadata.end())
    throw FileError(path + ": not a dreamc checkpoint (no '" + key + "')");
  return it->second;
}

} // namespace

json TrainSettings::fingerprint() const {
  return {{"batch", batch},
          {"seed", seed},
          {"limit", limit},
          {"optimizer",
           {{"name", optimizer.name},
            {"lr", optimizer.lr},
            {"betas", {optimizer.beta1, optimizer.beta2}},
            {"eps", optimizer.eps},
            {"weight_decay", optimizer.weightDecay},
            {"momentum", optimizer.momentum},
            {"nesterov", optimizer.nesterov}}},
          {"schedule",
           {{"name", schedule.name},
            {"warmup", schedule.warmup},
            {"every", schedule.every},
            {"gamma", schedule.gamma}}},
          {"clip", clip},
          {"label_smoothing", labelSmoothing},
          {"validation", validation}};
}

Dataset Dataset::slice(int64_t begin, int64_t end) const {
  return {inputs.slice(0, begin, end), labels.slice(0, begin, end)};
}

Dataset Dataset::select(const at::Tensor &indices) const {
  return {inputs.index_select(0, indices), labels.index_select(0, indices)};
}

HeldOut holdOutValidation(const Dataset &all, double fraction, int64_t seed) {
  if (fraction <= 0.0 || all.size() == 0)
    return {all, {}};
  at::Generator generator =
      at::make_generator<at::CPUGeneratorImpl>(mixSeed(seed, validationStream));
  // The classes draw from the generator in sorted order.
  at::Tensor classes = std::get<0>(at::_unique(all.labels, /*sorted=*/true));
  at::Tensor held = at::zeros({all.size()}, at::kBool);
  for (const at::Tensor &label : classes.unbind()) {
    at::Tensor members = all.labels.eq(label).nonzero().squeeze(1);
    int64_t count = members.size(0);
    auto take = static_cast<int64_t>(
        std::llround(static_cast<double>(count) * fraction));
    at::Tensor chosen = at::randperm(count, generator).slice(0, 0, take);
    held.index_fill_(0, members.index_select(0, chosen), true);
  }
  return {all.select(held.logical_not().nonzero().squeeze(1)),
          all.select(held.nonzero().squeeze(1))};
}

//===--- Evaluation
//--------------------------------------------------------===//

namespace {

/// An evaluation from its sums over the examples: of the loss, of the
/// correct predictions, of the examples and of the confusion counts (one
/// process's, or every rank's added up).
Evaluation fromSums(double lossSum, int64_t correct, int64_t samples,
                    std::vector<int64_t> confusion, int64_t classes,
                    double seconds) {
  Evaluation result;
  result.correct = correct;
  result.samples = samples;
  result.loss = lossSum / static_cast<double>(std::max<int64_t>(1, samples));
  result.seconds = seconds;
  if (classes > 0 && samples > 0) {
    result.accuracy =
        static_cast<double>(correct) / static_cast<double>(samples);
    result.confusion = std::move(confusion);
  }
  return result;
}

} // namespace

Evaluation evaluate(const LossFunction &loss, const Dataset &data,
                    int64_t batch, at::Device device, int64_t classes) {
  at::NoGradGuard noGrad;
  Clock::time_point start = Clock::now();
  double lossSum = 0.0;
  int64_t correct = 0, samples = 0;
  at::Tensor confusion = at::zeros({classes * classes}, at::kLong);
  std::vector<at::Tensor> predictions;
  for (int64_t begin = 0; begin < data.size(); begin += batch) {
    int64_t end = std::min(begin + batch, data.size());
    at::Tensor labels = data.labels.slice(0, begin, end).to(device);
    BatchOutput out =
        loss(data.inputs.slice(0, begin, end).to(device), labels, RunMode{});
    awaitKernels(device);
    lossSum += out.loss.item<double>() * static_cast<double>(end - begin);
    samples += end - begin;
    if (out.predictions.defined() && classes > 0) {
      correct += out.predictions.eq(labels).sum().item<int64_t>();
      confusion += at::bincount((labels * classes + out.predictions).cpu(), {},
                                classes * classes);
      predictions.push_back(out.predictions.cpu());
    }
  }
  const int64_t *counts = confusion.const_data_ptr<int64_t>();
  Evaluation result =
      fromSums(lossSum, correct, samples,
               std::vector<int64_t>(counts, counts + classes * classes),
               classes, secondsSince(start));
  if (!predictions.empty())
    result.predictions = at::cat(predictions).to(at::kLong);
  return result;
}


//===--- Checkpoints
//-------------------------------------------------------===//

TensorMap readCheckpoint(const std::string &path, const Plan &plan,
                         std::map<std::string, std::string> &metadata) {
  TensorMap tensors = loadTensorFile(path, &metadata);
  if (metadataValue(metadata, "format", path) != "dreamc-checkpoint")
    throw FileError(path + ": not a dreamc checkpoint");
  if (metadataValue(metadata, "version", path) != "1")
    throw FileError(path + ": checkpoint version " + metadata["version"] +
                    " is not the version 1 this runtime reads");
  std::string network = metadataValue(metadata, "network", path);
  std::string hash = metadataValue(metadata, "plan_hash", path);
  if (hash != plan.hash)
    throw FileError(
        path +
        ": this checkpoint belongs to another network: it was written "
        "for network '" +
        network + "' (plan " + hash + "), this trainer runs '" + plan.network +
        "' (plan " + plan.hash +
        "); use another --checkpoint directory or train afresh");
  return tensors;
}

TensorMap modelTensors(const TensorMap &checkpoint) {
  TensorMap model;
  for (const auto &[key, value] : checkpoint)
    if (startsWith(key, "model/"))
      model[key.substr(6)] = value;
  return model;
}

//===--- The training loop
//-------------------------------------------------===//

Trainer::Trainer(Model &model, TrainSettings trainSettings,
                 LossFunction lossFunction, Options trainerOptions)
    : model(model), settings(std::move(trainSettings)),
      loss(std::move(lossFunction)), options(std::move(trainerOptions)),
      optim(settings.optimizer, model.trainableParams()),
      noise(at::make_generator<at::CPUGeneratorImpl>(
          noiseSeed(settings.seed, rank(), 0))) {
  if (options.group)
    averager = options.group->averager(optim.params());
  if (options.captureSteps && options.group)
    throw std::invalid_argument(
        "Trainer: captured steps do not average gradients over a "
        "data-parallel group; train with one or the other");
}

Trainer::~Trainer() = default;

void Trainer::save(const std::string &path) const {
  TensorMap tensors;
  for (const auto &[name, value] : model.tensorsWithPrefix(""))
    tensors["model/" + name] = value;
  optim.save(tensors);
  tensors["rng/noise"] = noise.get_state();
  json runningState = {{"loss_sum", running.lossSum},
                       {"correct", running.correct},
                       {"samples", running.samples},
                       {"seconds", running.seconds},
                       {"data_wait_s", running.dataWait}};
  saveTensorFile(path, tensors,
                 {{"format", "dreamc-checkpoint"},
                  {"version", "1"},
                  {"network", model.plan().network},
                  {"plan_hash", model.plan().hash},
                  {"phase", options.phase},
                  {"epoch", std::to_string(epoch)},
                  {"epochs", std::to_string(settings.epochs)},
                  {"step_in_epoch", std::to_string(stepInEpoch)},
                  {"global_step", std::to_string(step)},
                  {"settings", settings.fingerprint().dump()},
                  {"running", runningState.dump()}});
}

void Trainer::checkSettings(const std::string &path,
                            const std::string &stored) const {
  json before = json::parse(stored), now = settings.fingerprint();
  std::string differences;
  for (const auto &[key, value] : now.items())
    if (!before.contains(key) || before[key] != value)
      differences += (differences.empty() ? "" : "; ") + key + " " +
                     (before.contains(key) ? before[key].dump() : "unset") +
                     " in the checkpoint, " + value.dump() + " now";
  if (!differences.empty())
    throw FileError(path +
                    ": --resume continues the same run, but the "
                    "settings differ (" +
                    differences +
                    "); give the same settings, or train afresh without "
                    "--resume");
}

void Trainer::resume(const std::string &path) {
  std::map<std::string, std::string> metadata;
  TensorMap tensors = readCheckpoint(path, model.plan(), metadata);
  std::string phase = metadataValue(metadata, "phase", path);
  if (phase != options.phase)
    throw FileError(path + ": holds a '" + phase + "' run, not '" +
                    options.phase + "'");
  checkSettings(path, metadataValue(metadata, "settings", path));
  model.importTensors(modelTensors(tensors), "", path);
  optim.load(tensors, path);
  auto state = tensors.find("rng/noise");
  if (state == tensors.end())
    throw FileError(path + ": the checkpoint has no 'rng/noise' state");
  noise.set_state(state->second);
  epoch = std::stoll(metadataValue(metadata, "epoch", path));
  stepInEpoch = std::stoll(metadataValue(metadata, "step_in_epoch", path));
  step = std::stoll(metadataValue(metadata, "global_step", path));
  json runningState = json::parse(metadataValue(metadata, "running", path));
  running = {runningState["loss_sum"].get<double>(),
             runningState["correct"].get<int64_t>(),
             runningState["samples"].get<int64_t>(),
             runningState["seconds"].get<double>(),
             runningState.value("data_wait_s", 0.0)};
  // The checkpoint's sums are over all ranks (totalRunning); rank 0 alone
  // carries them on, so that the next total counts them once.
  if (rank() != 0) {
    running = Running();
    noise = at::make_generator<at::CPUGeneratorImpl>(
        noiseSeed(settings.seed, rank(), step));
  }
}

/// A last, partial batch is skipped if a rank's share of it would be a
/// single example (or none): batch norm cannot compute batch statistics
/// from one value per channel.
int64_t Trainer::stepsPerEpoch(int64_t examples) const {
  int64_t last = examples % settings.batch;
  return examples / settings.batch + (last >= 2 * worldSize() ? 1 : 0);
}

bool Trainer::stopNow() const {
  bool stop = (options.stopAtStep > 0 && step >= options.stopAtStep) ||
              (options.stopRequested && options.stopRequested());
  // All ranks stop after the same step, or the others would wait in vain.
  return options.group ? options.group->any(stop) : stop;
}

std::pair<int64_t, int64_t> Trainer::shareOf(int64_t count) const {
  return {count * rank() / worldSize(), count * (rank() + 1) / worldSize()};
}

void Trainer::checkpoint() const {
  if (!options.checkpointPath.empty() && rank() == 0)
    save(options.checkpointPath);
}

Trainer::Running Trainer::totalRunning() const {
  if (!options.group)
    return running;
  at::Tensor sums =
      at::tensor({running.lossSum, static_cast<double>(running.correct),
                  static_cast<double>(running.samples)},
                 at::kDouble);
  options.group->sum(sums);
  const double *total = sums.const_data_ptr<double>();
  return {total[0], std::llround(total[1]), std::llround(total[2]),
          running.seconds, running.dataWait};
}

void Trainer::shareRankZeroState(bool buffersOnly) {
  std::vector<at::Tensor> tensors;
  for (const ParamSpec &param : model.plan().params)
    if (param.buffer || !buffersOnly)
      tensors.push_back(model.tensor(param.name));
  options.group->broadcast(tensors);
}

/// Counts travel as doubles, exact below 2^53.
Evaluation Trainer::evaluateShared(const Dataset &data) const {
  if (!options.group)
    return evaluate(loss, data, settings.batch, model.device(),
                    options.classes);
  auto [begin, end] = shareOf(data.size());
  Evaluation share = evaluate(loss, data.slice(begin, end), settings.batch,
                              model.device(), options.classes);
  std::vector<double> sums = {share.loss * static_cast<double>(share.samples),
                              static_cast<double>(share.correct),
                              static_cast<double>(share.samples)};
  share.confusion.resize(options.classes * options.classes, 0);
  sums.insert(sums.end(), share.confusion.begin(), share.confusion.end());
  at::Tensor total = at::tensor(sums, at::kDouble);
  options.group->sum(total);
  const double *t = total.const_data_ptr<double>();
  std::vector<int64_t> confusion;
  for (size_t i = 3; i < sums.size(); ++i)
    confusion.push_back(std::llround(t[i]));
  return fromSums(t[0], std::llround(t[1]), std::llround(t[2]),
                  std::move(confusion), options.classes, share.seconds);
}

bool Trainer::run(
    const Dataset &train,
    const std::vector<std::pair<std::string, Dataset>> &evaluations) {
  if (stepsPerEpoch(train.size()) == 0)
    throw std::invalid_argument("too few training examples (" +
                                std::to_string(train.size()) + ") for a batch");
  if (options.group)
    shareRankZeroState(/*buffersOnly=*/false);
  while (epoch < settings.epochs) {
    if (!trainEpoch(train))
      return false;
    finishEpoch(evaluations);
    if (epoch < settings.epochs && stopNow())
      return false;
  }
  return true;
}

/// Trains the rest of the current epoch; false if stopped in the middle
/// (after writing a checkpoint).
bool Trainer::trainEpoch(const Dataset &train) {
  int64_t perEpoch = stepsPerEpoch(train.size());
  at::Tensor order = at::randperm(
      train.size(), at::make_generator<at::CPUGeneratorImpl>(
                        mixSeed(settings.seed, epochStream(epoch))));
  if (options.progress)
    options.progress->beginEpoch(options.trainSplit, epoch + 1, settings.epochs,
                                 perEpoch, stepInEpoch);
  Clock::time_point start = Clock::now();
  double secondsBefore = running.seconds;
  double waitBefore = running.dataWait;
  int64_t samplesBefore = running.samples;
  // The worker reads only what stays fixed during the epoch. (contiguous()
  // copies nothing for the data sets the sources give.)
  Dataset source{train.inputs.contiguous(), train.labels.contiguous()};
  int64_t firstStep = epoch * perEpoch;
  BatchLoader loader(
      [this, source, order, firstStep](int64_t k) {
        int64_t begin = k * settings.batch;
        int64_t globalBatch = std::min(settings.batch, source.size() - begin);
        auto [first, last] = shareOf(globalBatch);
        at::Tensor rows = order.slice(0, begin + first, begin + last);
        Batch batch{gatherRows(source.inputs, rows),
                    gatherRows(source.labels, rows), globalBatch};
        if (options.augment) { // On the host, before the batch moves.
          at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(
              mixSeed(settings.seed, augmentStream(firstStep + k, rank())));
          options.augment(batch, generator);
        }
        batch.inputs = batch.inputs.to(model.device());
        batch.labels = batch.labels.to(model.device());
        if (batch.targets.defined())
          batch.targets = batch.targets.to(model.device());
        return batch;
      },
      stepInEpoch, perEpoch);
  while (stepInEpoch < perEpoch) {
    Batch batch = loader.next();
    trainStep(batch, perEpoch);
    ++stepInEpoch;
    ++step;
    running.seconds = secondsBefore + secondsSince(start);
    running.dataWait = waitBefore + loader.waitSeconds();
    if (options.logEvery > 0 && step % options.logEvery == 0)
      reportSteps(running.seconds);
    if (options.progress)
      options.progress->update(stepInEpoch,
                               (running.samples - samplesBefore) * worldSize(),
                               losses.back());
    if (stepInEpoch < perEpoch && stopNow()) {
      if (options.progress)
        options.progress->endEpoch();
      running = totalRunning();
      checkpoint();
      return false;
    }
  }
  if (options.progress)
    options.progress->endEpoch();
  return true;
}

std::string Trainer::notFinite(double lossValue, double norm) const {
  std::ostringstream message;
  message << "step " << step + 1 << " (epoch " << epoch + 1 << "): "
          << (std::isfinite(lossValue) ? "the gradients are not finite (norm " +
                                             std::to_string(norm) + ")"
                                       : "the loss is " +
                                             std::to_string(lossValue))
          << "; training stopped before this update. ";
  if (options.checkpointPath.empty())
    message << "Nothing was saved (no --checkpoint).";
  else if (epoch == 0 && stepInEpoch == 0 && !pathExists(options.checkpointPath))
    message << "No checkpoint was written yet.";
  else
    message << "The last checkpoint (" << options.checkpointPath
            << ") is the last good state; resume from it with --resume.";
  message << " Lower the learning rate (--lr) or clip the gradients (the "
             "recipe's `clip`).";
  return message.str();
}

void Trainer::trainStep(const Batch &batch, int64_t perEpoch) {
  lastLr = scheduledLearningRate(settings.schedule, settings.optimizer.lr,
                                 step, perEpoch, perEpoch * settings.epochs);
  if (!options.captureSteps)
    return eagerStep(batch);
  int64_t size = batch.inputs.size(0);
  auto known = captured.find(size);
  if (known != captured.end())
    return finishCapturedStep(
        batch, known->second->run(batch, optim.nextUpdateNumbers(lastLr)));
  // The first step of a batch shape runs eagerly: it loads the kernels and
  // creates the optimiser's state, which a capture must not do.
  at::Tensor noiseBefore = noise.get_state();
  eagerStep(batch);
  if (!noiseBefore.equal(noise.get_state()))
    throw std::invalid_argument(
        "--cuda-graph: network '" + model.plan().network +
        "' draws dropout or masking noise on the host in its training step, "
        "which a CUDA graph would replay unchanged; train it without "
        "--cuda-graph");
  captured.emplace(size, std::make_unique<CapturedStep>(
                             [this](const StepInputs &in) {
                               return graphSafeStep(in);
                             },
                             batch, optim.nextUpdateNumbers(lastLr)));
}

void Trainer::eagerStep(const Batch &batch) {
  const at::Tensor &inputs = batch.inputs, &labels = batch.labels;
  int64_t globalBatch = batch.globalBatch;
  optim.zeroGrad();
  if (averager)
    averager->beginStep();
  BatchOutput out =
      loss(inputs, batch.targets.defined() ? batch.targets : labels,
           RunMode{/*training=*/true, options.honourFrozen, noise});
  if (averager) {
    // The averager divides the ranks' summed gradients by their number;
    // weighting each rank's mean loss by its share of the global batch
    // makes that the gradient of the global batch's mean loss, also when
    // the last batch does not split evenly.
    double weight = static_cast<double>(inputs.size(0) * worldSize()) /
                    static_cast<double>(globalBatch);
    averager->backward(weight == 1.0 ? out.loss : out.loss * weight);
  } else {
    out.loss.backward();
  }
  // The step's first wait for the GPU: a compiled kernel that failed is
  // named here rather than reported by the next LibTorch op.
  awaitKernels(inputs.device());
  // A NaN or Inf would spoil every parameter it reaches: stop before the
  // update, so the last checkpoint stays the last good state. The ranks of
  // a data-parallel run agree, so that none waits for the others in vain.
  double norm = gradientNorm(optim.params());
  double value = out.loss.item<double>();
  bool bad = !std::isfinite(norm) || !std::isfinite(value);
  if (options.group ? options.group->any(bad) : bad)
    throw TrainingError(notFinite(value, norm));
  if (settings.clip > 0.0)
    clipGradientNorm(optim.params(), settings.clip, norm);
  lastNorm = norm;
  optim.step(lastLr);
  losses.push_back(value);
  running.lossSum += value * static_cast<double>(inputs.size(0));
  running.samples += inputs.size(0);
  if (out.predictions.defined())
    running.correct += out.predictions.eq(labels).sum().item<int64_t>();
}

StepTensors Trainer::graphSafeStep(const StepInputs &in) {
  optim.zeroGrad();
  BatchOutput out =
      loss(in.inputs, in.targets.defined() ? in.targets : in.labels,
           RunMode{/*training=*/true, options.honourFrozen, noise});
  out.loss.backward();
  at::NoGradGuard noGrad;
  at::Tensor norm = gradientNormOnDevice(optim.params());
  if (!norm.defined())
    norm = at::zeros({}, out.loss.options());
  // The eager step's guard, on the device: a non-finite loss or norm
  // leaves every parameter and state as it was, and the host, reading
  // the summary, stops as the eager step does.
  at::Tensor apply = at::isfinite(norm).logical_and(at::isfinite(out.loss));
  if (settings.clip > 0.0)
    clipGradientNormOnDevice(optim.params(), settings.clip, norm);
  optim.stepOnDevice(in.numbers, apply);
  at::Tensor correct = out.predictions.defined()
                           ? out.predictions.eq(in.labels).sum()
                           : at::zeros({}, in.labels.options());
  return {at::stack({out.loss.detach().to(at::kDouble), norm.to(at::kDouble),
                     apply.to(at::kDouble), correct.to(at::kDouble)})};
}

void Trainer::finishCapturedStep(const Batch &batch,
                                 const at::Tensor &summary) {
  const double *read = summary.const_data_ptr<double>();
  double value = read[0], norm = read[1];
  if (read[2] == 0.0)
    throw TrainingError(notFinite(value, norm));
  optim.countStep();
  lastNorm = norm;
  losses.push_back(value);
  running.lossSum += value * static_cast<double>(batch.inputs.size(0));
  running.samples += batch.inputs.size(0);
  running.correct += std::llround(read[3]);
}

void Trainer::report(const std::string &split, double lossValue,
                     double accuracy, int64_t samples, double seconds,
                     std::optional<double> dataWait) {
  if (rank() != 0)
    return;
  nlohmann::ordered_json record = {
      {"epoch", epoch}, {"split", split}, {"loss", lossValue}};
  if (!std::isnan(accuracy))
    record["accuracy"] = accuracy;
  record["samples_per_s"] =
      static_cast<double>(samples) / std::max(seconds, 1e-9);
  record["wall_s"] = seconds;
  if (dataWait)
    record["data_wait_s"] = *dataWait;
  record.update(options.metricsExtra);
  if (options.metrics)
    options.metrics->write(record);
  if (!options.log)
    return;
  char line[200];
  std::snprintf(line, sizeof line, "%-10s epoch %lld/%lld  loss %.4f",
                split.c_str(), static_cast<long long>(epoch),
                static_cast<long long>(settings.epochs), lossValue);
  *options.log << line;
  if (!std::isnan(accuracy)) {
    std::snprintf(line, sizeof line, "  accuracy %.2f%%", 100.0 * accuracy);
    *options.log << line;
  }
  std::snprintf(line, sizeof line, "  %.0f samples/s  %.1f s",
                record["samples_per_s"].get<double>(), seconds);
  *options.log << line;
  if (dataWait) {
    std::snprintf(line, sizeof line, "  data wait %.2f s", *dataWait);
    *options.log << line;
  }
  *options.log << std::endl;
}

void Trainer::reportSteps(double seconds) {
  // The mean loss of this rank's steps since the last record: cheap, and
  // on rank 0 it is what a single process would see on its own share.
  int64_t count = std::min<int64_t>(options.logEvery,
                                    static_cast<int64_t>(losses.size()));
  double lossSum = 0.0;
  for (int64_t i = 0; i < count; ++i)
    lossSum += losses[losses.size() - 1 - i];
  double interval = std::max(seconds - loggedSeconds, 1e-9);
  double samples =
      static_cast<double>((running.samples - loggedSamples) * worldSize());
  loggedSeconds = seconds;
  loggedSamples = running.samples;
  if (rank() != 0 || !options.metrics)
    return;
  nlohmann::ordered_json record = {
      {"step", step},
      {"epoch", epoch + 1},
      {"split", "step"},
      {"loss", lossSum / static_cast<double>(std::max<int64_t>(count, 1))},
      {"lr", lastLr},
      {"grad_norm", lastNorm},
      {"samples_per_s", samples / interval},
      {"wall_s", seconds}};
  record.update(options.metricsExtra);
  options.metrics->write(record);
}

void Trainer::finishEpoch(
    const std::vector<std::pair<std::string, Dataset>> &evaluations) {
  ++epoch;
  stepInEpoch = 0;
  Running total = totalRunning();
  double samples = static_cast<double>(std::max<int64_t>(1, total.samples));
  double accuracy = options.classes > 0
                        ? static_cast<double>(total.correct) / samples
                        : std::numeric_limits<double>::quiet_NaN();
  report(options.trainSplit, total.lossSum / samples, accuracy, total.samples,
         total.seconds, total.dataWait);
  running = Running();
  loggedSamples = 0;
  loggedSeconds = 0.0;
  if (options.group)
    shareRankZeroState(/*buffersOnly=*/true);
  for (const auto &[split, data] : evaluations) {
    Evaluation result = evaluateShared(data);
    evaluated[split] = result;
    report(split, result.loss, result.accuracy, result.samples, result.seconds);
  }
  checkpoint();
}

} // namespace dream::rt
