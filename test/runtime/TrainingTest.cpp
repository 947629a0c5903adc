//===- TrainingTest.cpp - Frozen parameters, determinism, checkpoints -----===//

#include "TestSupport.h"

#include "dream/Runtime/Launch.h"
#include "dream/Runtime/Safetensors.h"
#include "dream/Runtime/Training.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cstdlib>
#include <fstream>
#include <thread>

using namespace dream::rt;
using namespace dream::rt::test;
using testing::HasSubstr;

namespace {

at::Generator generator(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

/// Random images whose class is the largest of their first pixels, so
/// that there is something to learn.
Dataset syntheticImages(int64_t n, std::vector<int64_t> shape,
                        int64_t classes) {
  shape.insert(shape.begin(), n);
  at::Tensor inputs = at::randn(shape, generator(42));
  return {inputs, inputs.flatten(1).narrow(1, 0, classes).argmax(1)};
}

/// Random token sequences labelled by their first token.
Dataset syntheticTokens(int64_t n, int64_t length, int64_t vocab,
                        int64_t classes) {
  at::Tensor tokens = at::randint(vocab, {n, length}, generator(42));
  return {tokens, at::remainder(tokens.select(1, 0), classes)};
}

Dataset syntheticData(const Plan &plan, int64_t n) {
  return plan.input.tokens ? syntheticTokens(n, plan.input.shape[0],
                                             plan.input.vocab, plan.classes)
                           : syntheticImages(n, plan.input.shape, plan.classes);
}

LossFunction classification(const Model &model) {
  return [&model](const at::Tensor &inputs, const at::Tensor &labels,
                  const RunMode &mode) {
    at::Tensor logits = model.logits(inputs, mode);
    return BatchOutput{at::cross_entropy_loss(logits, labels),
                       logits.detach().argmax(-1), logits.detach()};
  };
}

TrainSettings settingsFor(const Plan &plan, int64_t epochs, int64_t batch) {
  TrainSettings s;
  s.epochs = epochs;
  s.batch = batch;
  s.seed = 3;
  s.optimizer = plan.recipe.optimizer;
  s.schedule = plan.recipe.schedule;
  s.clip = plan.recipe.clip;
  return s;
}

Trainer::Options optionsFor(const Plan &plan) {
  Trainer::Options options;
  options.classes = plan.classes;
  return options;
}

RunMode training(bool honourFrozen = true) {
  return RunMode{true, honourFrozen, generator(1)};
}

TEST(TrainingTest, GradientsReachTrainableParametersOnly) {
  Model model(loadTestPlan("frozen.json"), 0);
  Dataset data = syntheticImages(8, {1, 6, 6}, 3);
  at::cross_entropy_loss(model.logits(data.inputs, training()), data.labels)
      .backward();
  for (const ParamSpec &spec : model.plan().params) {
    SCOPED_TRACE(spec.name);
    const at::Tensor &t = model.tensor(spec.name);
    bool trains = spec.trainable && !spec.buffer;
    EXPECT_EQ(t.requires_grad(), trains);
    EXPECT_EQ(t.grad().defined(), trains);
    if (trains) {
      EXPECT_GT(t.grad().abs().sum().item<double>(), 0.0);
    }
  }
}

TEST(TrainingTest, FrozenParametersStayAndGetNoOptimizerState) {
  Plan plan = loadTestPlan("frozen.json");
  Model model(plan, 0);
  TensorMap before;
  for (const auto &[name, value] : model.tensorsWithPrefix(""))
    before[name] = value.clone();
  Trainer trainer(model, settingsFor(plan, 2, 8), classification(model),
                  optionsFor(plan));
  ASSERT_TRUE(trainer.run(syntheticImages(40, {1, 6, 6}, 3), {}));
  for (const ParamSpec &spec : plan.params) {
    SCOPED_TRACE(spec.name);
    bool frozen = spec.name.rfind("enc.", 0) == 0;
    EXPECT_EQ(model.tensor(spec.name).equal(before[spec.name]), frozen);
    EXPECT_EQ(trainer.optimizer().hasState(spec.name), !frozen && !spec.buffer);
  }
}

TEST(TrainingTest, FrozenBatchNormUsesRunningStatisticsWhileTraining) {
  Model model(loadTestPlan("frozen.json"), 0);
  at::Tensor mean = at::tensor({0.5f, -0.2f, 1.0f, 0.0f});
  at::Tensor var = at::tensor({2.0f, 0.5f, 1.0f, 3.0f});
  model.importTensors({{"enc.encoder.norm.running_mean", mean},
                       {"enc.encoder.norm.running_var", var}},
                      "enc.encoder.norm.running_", "test");
  at::Tensor x = syntheticImages(6, {1, 6, 6}, 3).inputs;
  at::Tensor y = at::conv2d(x, model.tensor("conv.weight"),
                            model.tensor("conv.bias"), {1, 1}, {1, 1})
                     .detach();
  at::Tensor out = model.run(model.plan().graph, {x}, training())[1];
  at::Tensor expected =
      (y - mean.view({1, 4, 1, 1})) / at::sqrt(var.view({1, 4, 1, 1}) + 1e-5);
  EXPECT_TRUE(at::allclose(out, expected, 1e-5, 1e-5));
  EXPECT_TRUE(model.tensor("enc.encoder.norm.running_mean").equal(mean));
  EXPECT_TRUE(model.tensor("enc.encoder.norm.running_var").equal(var));

  // Pre-training the encoder trains the same step: batch statistics, and
  // the running statistics move.
  out = model.run(model.plan().graph, {x}, training(false))[1];
  at::Tensor batchMean = y.mean({0, 2, 3}, true);
  at::Tensor batchVar = y.var({0, 2, 3}, false, true);
  EXPECT_TRUE(at::allclose(out, (y - batchMean) / at::sqrt(batchVar + 1e-5),
                           1e-4, 1e-4));
  EXPECT_FALSE(model.tensor("enc.encoder.norm.running_mean").equal(mean));
}

std::vector<double> trainLosses(const std::string &planName, int64_t seed) {
  Plan plan = loadTestPlan(planName);
  Model model(plan, static_cast<uint64_t>(seed));
  TrainSettings s = settingsFor(plan, 2, 16);
  s.seed = seed;
  Trainer trainer(model, s, classification(model), optionsFor(plan));
  trainer.run(syntheticData(plan, 72), {});
  return trainer.stepLosses();
}

TEST(TrainingTest, SameSeedGivesBitwiseIdenticalLosses) {
  // dreamnet_tiny: fused kernels, a frozen encoder, clipping, a cosine
  // schedule; text_ops: dropout noise inside the transformer.
  for (const char *name : {"dreamnet_tiny.json", "text_ops.json"}) {
    SCOPED_TRACE(name);
    std::vector<double> first = trainLosses(name, 3);
    ASSERT_EQ(first.size(), 10u);
    EXPECT_EQ(first, trainLosses(name, 3));
    EXPECT_NE(first, trainLosses(name, 4));
  }
}

/// Metrics records without their timings.
std::vector<nlohmann::json> recordsOf(const std::string &path) {
  std::vector<nlohmann::json> records;
  std::istringstream lines(readText(path));
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json record = nlohmann::json::parse(line);
    record.erase("samples_per_s");
    record.erase("wall_s");
    record.erase("data_wait_s");
    records.push_back(record);
  }
  return records;
}

/// k steps, a checkpoint, then a fresh model and trainer resuming from it,
/// against one run without a break.
void checkResume(const std::string &planName, int64_t k) {
  SCOPED_TRACE(planName + " resumed after step " + std::to_string(k));
  Plan plan = loadTestPlan(planName);
  Dataset train = syntheticData(plan, 72), test = syntheticData(plan, 20);
  TrainSettings s = settingsFor(plan, 2, 16);
  TempDir dir;

  Model whole(plan, 3);
  MetricsWriter wholeMetrics(dir / "whole.jsonl", false);
  Trainer::Options options = optionsFor(plan);
  options.metrics = &wholeMetrics;
  Trainer uninterrupted(whole, s, classification(whole), options);
  ASSERT_TRUE(uninterrupted.run(train, {{"test", test}}));

  Model first(plan, 3);
  MetricsWriter firstMetrics(dir / "parts.jsonl", false);
  options.metrics = &firstMetrics;
  options.checkpointPath = dir / "run.safetensors";
  options.stopAtStep = k;
  Trainer stopped(first, s, classification(first), options);
  ASSERT_FALSE(stopped.run(train, {{"test", test}}));
  ASSERT_EQ(stopped.globalStep(), k);

  Model second(plan, 99); // Another initialisation: the checkpoint decides.
  MetricsWriter secondMetrics(dir / "parts.jsonl", true);
  options.metrics = &secondMetrics;
  options.stopAtStep = 0;
  Trainer resumed(second, s, classification(second), options);
  resumed.resume(dir / "run.safetensors");
  ASSERT_TRUE(resumed.run(train, {{"test", test}}));

  std::vector<double> expected(uninterrupted.stepLosses().begin() + k,
                               uninterrupted.stepLosses().end());
  EXPECT_EQ(resumed.stepLosses(), expected);
  for (const auto &[name, value] : whole.tensorsWithPrefix(""))
    EXPECT_TRUE(second.tensor(name).equal(value)) << name;
  EXPECT_EQ(recordsOf(dir / "parts.jsonl"), recordsOf(dir / "whole.jsonl"));
}

TEST(TrainingTest, ResumeContinuesExactly) {
  checkResume("dreamnet_tiny.json", 3); // In the middle of epoch 1.
  checkResume("text_ops.json", 5);      // At the end of epoch 1.
  checkResume("text_ops.json", 7);      // In epoch 2, after dropout noise.
}

/// 100 examples whose input is their index: 40 of class 0, 30 of class
/// 1, 20 of class 2 and 10 of class 3, the classes interleaved.
Dataset numberedExamples() {
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 100; ++i)
    labels.push_back(i % 10 < 4 ? 0 : i % 10 < 7 ? 1 : i % 10 < 9 ? 2 : 3);
  return {at::arange(100, at::kLong).unsqueeze(1), at::tensor(labels)};
}

std::vector<int64_t> valuesOf(const at::Tensor &t) {
  at::Tensor flat = t.flatten().contiguous();
  return {flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel()};
}

TEST(TrainingTest, ValidationIsHeldOutByClassAndSeed) {
  Dataset all = numberedExamples();
  HeldOut parts = holdOutValidation(all, 0.2, 7);
  EXPECT_EQ(valuesOf(at::bincount(parts.validation.labels)),
            (std::vector<int64_t>{8, 6, 4, 2}));
  EXPECT_EQ(valuesOf(at::bincount(parts.train.labels)),
            (std::vector<int64_t>{32, 24, 16, 8}));
  // Disjoint, together all examples, each part in the data's order, and
  // every input still with its label.
  at::Tensor both = at::cat({parts.train.inputs, parts.validation.inputs});
  EXPECT_TRUE(std::get<0>(both.flatten().sort()).equal(at::arange(100)));
  for (const Dataset *part : {&parts.train, &parts.validation}) {
    at::Tensor inputs = part->inputs.flatten();
    EXPECT_TRUE(inputs.equal(std::get<0>(inputs.sort())));
    EXPECT_TRUE(part->labels.equal(all.labels.index_select(0, inputs)));
  }
  // Not the last 20 examples, which the split used to be.
  EXPECT_LT(parts.validation.inputs.min().item<int64_t>(), 80);

  EXPECT_TRUE(holdOutValidation(all, 0.2, 7)
                  .validation.inputs.equal(parts.validation.inputs));
  EXPECT_FALSE(holdOutValidation(all, 0.2, 8)
                   .validation.inputs.equal(parts.validation.inputs));
  HeldOut none = holdOutValidation(all, 0.0, 7);
  EXPECT_EQ(none.validation.size(), 0);
  EXPECT_TRUE(none.train.inputs.equal(all.inputs));
}

/// What the steps of a run trained on, and their losses.
struct Seen {
  std::vector<at::Tensor> batches;
  std::vector<double> losses;
};

/// Two epochs of dreamnet_tiny on 72 examples (4 full batches of 16 and
/// one of 8), each step taking at least `stepMilliseconds`.
Seen trainWithStepsOf(int stepMilliseconds) {
  Plan plan = loadTestPlan("dreamnet_tiny.json");
  Model model(plan, 3);
  Seen seen;
  LossFunction slow = [&](const at::Tensor &inputs, const at::Tensor &labels,
                          const RunMode &mode) {
    std::this_thread::sleep_for(std::chrono::milliseconds(stepMilliseconds));
    seen.batches.push_back(inputs.clone());
    return classification(model)(inputs, labels, mode);
  };
  Trainer trainer(model, settingsFor(plan, 2, 16), slow, optionsFor(plan));
  EXPECT_TRUE(trainer.run(syntheticData(plan, 72), {}));
  seen.losses = trainer.stepLosses();
  return seen;
}

TEST(TrainingTest, BackgroundBatchesDoNotDependOnTheStepsSpeed) {
  // With slow steps the loader is always two batches ahead; with fast
  // ones the steps wait for it.
  Seen fast = trainWithStepsOf(0), slow = trainWithStepsOf(15);
  ASSERT_EQ(fast.batches.size(), 10u);
  ASSERT_EQ(slow.batches.size(), 10u);
  for (size_t i = 0; i < fast.batches.size(); ++i)
    EXPECT_TRUE(fast.batches[i].equal(slow.batches[i])) << "step " << i;
  EXPECT_EQ(fast.losses, slow.losses);
  // Each epoch is a permutation of the training set.
  Dataset train = syntheticData(loadTestPlan("dreamnet_tiny.json"), 72);
  at::Tensor sorted = std::get<0>(train.inputs.flatten(1).sum(1).sort());
  for (size_t first : {0u, 5u}) {
    std::vector<at::Tensor> epoch(fast.batches.begin() + first,
                                  fast.batches.begin() + first + 5);
    at::Tensor sums = at::cat(epoch).flatten(1).sum(1);
    EXPECT_TRUE(std::get<0>(sums.sort()).equal(sorted)) << "epoch at " << first;
  }
}

TEST(TrainingTest, TrainingRecordsSayHowLongTheyWaitedForData) {
  Plan plan = loadTestPlan("dreamnet_tiny.json");
  Model model(plan, 3);
  TempDir dir;
  MetricsWriter metrics(dir / "m.jsonl", false);
  std::ostringstream log;
  Trainer::Options options = optionsFor(plan);
  options.metrics = &metrics;
  options.log = &log;
  Trainer trainer(model, settingsFor(plan, 2, 16), classification(model),
                  options);
  Dataset data = syntheticData(plan, 72);
  ASSERT_TRUE(trainer.run(data, {{"test", data.slice(0, 20)}}));
  std::istringstream lines(readText(dir / "m.jsonl"));
  int trainRecords = 0;
  for (std::string line; std::getline(lines, line);) {
    nlohmann::ordered_json record = nlohmann::ordered_json::parse(line);
    SCOPED_TRACE(line);
    if (record["split"] != "train") {
      EXPECT_FALSE(record.contains("data_wait_s"));
      continue;
    }
    ++trainRecords;
    EXPECT_EQ(std::prev(record.end()).key(), "data_wait_s");
    double wait = record["data_wait_s"].get<double>();
    EXPECT_GE(wait, 0.0);
    EXPECT_LE(wait, record["wall_s"].get<double>());
  }
  EXPECT_EQ(trainRecords, 2);
  EXPECT_THAT(log.str(), testing::ContainsRegex("train .*data wait [0-9.]+ s"));
}

TEST(TrainingTest, CheckpointLayout) {
  Plan plan = loadTestPlan("frozen.json");
  Model model(plan, 0);
  Trainer trainer(model, settingsFor(plan, 1, 8), classification(model),
                  optionsFor(plan));
  trainer.run(syntheticImages(16, {1, 6, 6}, 3), {});
  TempDir dir;
  trainer.save(dir / "nested/run.safetensors");
  SafetensorsFile file = SafetensorsFile::read(dir / "nested/run.safetensors");
  const auto &meta = file.metadata();
  EXPECT_EQ(meta.at("format"), "dreamc-checkpoint");
  EXPECT_EQ(meta.at("network"), "Frozen");
  EXPECT_EQ(meta.at("plan_hash"), plan.hash);
  EXPECT_EQ(meta.at("epoch"), "1");
  EXPECT_EQ(meta.at("global_step"), "2");
  EXPECT_TRUE(file.find("model/conv.weight"));
  EXPECT_TRUE(file.find("model/enc.encoder.norm.running_var"));
  EXPECT_TRUE(file.find("optimizer/conv.weight/exp_avg_sq"));
  EXPECT_FALSE(file.find("optimizer/enc.encoder.proj.weight/exp_avg"));
  EXPECT_TRUE(file.find("rng/noise"));
  // The temporary file was renamed: the directory holds the file alone.
  EXPECT_EQ(directoryEntries(dir / "nested"),
            std::vector<std::string>{"run.safetensors"});
}

/// `model`'s classification loss, made NaN (or given an infinite gradient)
/// at the third training step, the first of epoch 2 at 2 steps an epoch.
LossFunction poisonedAtStep3(Model &model, bool nanLoss) {
  auto calls = std::make_shared<int64_t>(0);
  LossFunction healthy = classification(model);
  return [&model, healthy, nanLoss, calls](const at::Tensor &inputs,
                                           const at::Tensor &labels,
                                           const RunMode &mode) {
    BatchOutput out = healthy(inputs, labels, mode);
    if (mode.training && ++*calls == 3) {
      at::Tensor w = model.tensor("conv.weight");
      // sqrt at 0: value 0, gradient infinite.
      out.loss = nanLoss ? out.loss * NAN
                         : out.loss + at::sqrt(w - w.detach()).sum();
    }
    return out;
  };
}

/// Runs `trainer` over 16 images (2 steps an epoch); checks that it stops
/// at step 3 saying why, and returns the error.
std::string stopsAtStep3(Trainer &trainer, bool nanLoss) {
  std::string error =
      errorOf([&] { trainer.run(syntheticImages(16, {1, 6, 6}, 3), {}); });
  EXPECT_THAT(error, testing::HasSubstr(
                         nanLoss ? "step 3 (epoch 2): the loss is nan"
                                 : "step 3 (epoch 2): the gradients are not "
                                   "finite (norm inf)"));
  return error;
}

// A NaN loss, or a finite loss with an infinite gradient, in epoch 2 stops
// training before the update: the parameters and the checkpoint written
// after epoch 1 stay as they were, and the message says so.
TEST(TrainingTest, NonFiniteLossOrGradientStopsAndKeepsTheCheckpoint) {
  Plan plan = loadTestPlan("frozen.json");
  for (bool nanLoss : {true, false}) {
    SCOPED_TRACE(nanLoss ? "NaN loss" : "infinite gradient");
    Model model(plan, 0);
    TempDir dir;
    Trainer::Options options = optionsFor(plan);
    options.checkpointPath = dir / "train.safetensors";
    Trainer trainer(model, settingsFor(plan, 2, 8),
                    poisonedAtStep3(model, nanLoss), options);
    std::string error = stopsAtStep3(trainer, nanLoss);
    EXPECT_THAT(error, testing::HasSubstr("training stopped before this "
                                          "update. The last checkpoint ("));
    SafetensorsFile file = SafetensorsFile::read(options.checkpointPath);
    EXPECT_EQ(file.metadata().at("global_step"), "2");
    TensorMap saved = loadTensorFile(options.checkpointPath);
    EXPECT_TRUE(saved.at("model/conv.weight").equal(model.tensor("conv.weight")));
    EXPECT_TRUE(at::isfinite(model.tensor("conv.weight")).all().item<bool>());
  }
}

/// The losses of a run, and its parameters and optimiser state afterwards.
struct Trained {
  std::vector<double> losses;
  TensorMap state;
};

Trained trainWith(const Plan &plan, const OptimizerSpec &optimizer,
                  bool captureSteps) {
  Model model(plan, 5);
  TrainSettings s = settingsFor(plan, 2, 16);
  s.optimizer = optimizer;
  s.clip = 0.5; // Below the first steps' norms: the clipping scales.
  Trainer::Options options = optionsFor(plan);
  options.captureSteps = captureSteps;
  Trainer trainer(model, s, classification(model), options);
  // 72 examples: four batches of 16 and one of 8 per epoch, so both sizes
  // run eagerly once and graph-safe after that.
  trainer.run(syntheticData(plan, 72), {});
  Trained result{trainer.stepLosses(), model.tensorsWithPrefix("")};
  trainer.optimizer().save(result.state);
  return result;
}

// The graph-safe step (--cuda-graph's, here uncaptured on the CPU) keeps
// the learning rate's numbers, the clipping and the non-finite guard on the
// device, and trains as the eager step does: same losses, parameters and
// optimiser state (step counts included) over ten steps of two batch
// sizes, with Adam with weight decay, AdamW and SGD with Nesterov momentum,
// a cosine schedule's changing rate and active clipping.
TEST(TrainingTest, GraphSafeStepsTrainAsEagerStepsDo) {
  Plan plan = loadTestPlan("dreamnet_tiny.json");
  OptimizerSpec adam = plan.recipe.optimizer;
  adam.weightDecay = 0.01;
  OptimizerSpec adamw = adam;
  adamw.name = "adamw";
  OptimizerSpec sgd = adam;
  sgd.name = "sgd";
  sgd.momentum = 0.9;
  sgd.nesterov = true;
  for (const OptimizerSpec &optimizer : {adam, adamw, sgd}) {
    SCOPED_TRACE(optimizer.name);
    Trained eager = trainWith(plan, optimizer, false);
    Trained graphSafe = trainWith(plan, optimizer, true);
    ASSERT_EQ(eager.losses.size(), 10u);
    ASSERT_EQ(graphSafe.losses.size(), 10u);
    for (size_t i = 0; i < eager.losses.size(); ++i)
      EXPECT_NEAR(eager.losses[i], graphSafe.losses[i], 1e-6) << "step " << i;
    ASSERT_EQ(eager.state.size(), graphSafe.state.size());
    for (const auto &[name, value] : eager.state) {
      SCOPED_TRACE(name);
      ASSERT_TRUE(graphSafe.state.count(name));
      EXPECT_TRUE(at::allclose(value.to(at::kDouble),
                               graphSafe.state.at(name).to(at::kDouble), 0.0,
                               1e-6));
    }
  }
}

// A NaN loss, or a finite loss with an infinite gradient, in a graph-safe
// step stops training as the eager step does: the update is skipped on the
// device, so the parameters stay the last checkpoint's, and the message
// is the eager step's.
TEST(TrainingTest, GraphSafeStepSkipsANonFiniteUpdate) {
  Plan plan = loadTestPlan("frozen.json");
  for (bool nanLoss : {true, false}) {
    SCOPED_TRACE(nanLoss ? "NaN loss" : "infinite gradient");
    Model model(plan, 0);
    TempDir dir;
    Trainer::Options options = optionsFor(plan);
    options.checkpointPath = dir / "train.safetensors";
    options.captureSteps = true;
    // Step 3 is the second graph-safe one.
    Trainer trainer(model, settingsFor(plan, 2, 8),
                    poisonedAtStep3(model, nanLoss), options);
    stopsAtStep3(trainer, nanLoss);
    TensorMap saved = loadTensorFile(options.checkpointPath);
    for (const auto &[name, value] : model.tensorsWithPrefix(""))
      EXPECT_TRUE(saved.at("model/" + name).equal(value)) << name;
    TensorMap state;
    trainer.optimizer().save(state);
    for (const auto &[name, value] : state)
      EXPECT_TRUE(saved.at(name).equal(value.cpu())) << name;
  }
}

// Noise drawn on the host in the step would be frozen into a CUDA graph:
// the first (eager) step notices the noise generator moved and refuses.
TEST(TrainingTest, GraphSafeStepsRefuseNoiseDrawnOnTheHost) {
  Plan plan = loadTestPlan("text_ops.json");
  Model model(plan, 0);
  Trainer::Options options = optionsFor(plan);
  options.captureSteps = true;
  Trainer trainer(model, settingsFor(plan, 1, 16), classification(model),
                  options);
  EXPECT_THAT(errorOf([&] { trainer.run(syntheticData(plan, 32), {}); }),
              HasSubstr("draws dropout or masking noise on the host in its "
                        "training step, which a CUDA graph would replay "
                        "unchanged; train it without --cuda-graph"));
  EXPECT_EQ(trainer.globalStep(), 0);
}

// A checkpoint cut short, or of another format version, is refused with
// the file's name, and the run's state is left as it was.
TEST(TrainingTest, TruncatedOrFutureCheckpointsAreRefused) {
  Plan plan = loadTestPlan("frozen.json");
  Model model(plan, 0);
  Trainer trainer(model, settingsFor(plan, 1, 8), classification(model),
                  optionsFor(plan));
  TempDir dir;
  trainer.save(dir / "good.safetensors");
  std::string bytes = readText(dir / "good.safetensors");
  std::ofstream(dir / "cut.safetensors", std::ios::binary)
      << bytes.substr(0, bytes.size() - 100);
  std::map<std::string, std::string> metadata;
  TensorMap tensors = loadTensorFile(dir / "good.safetensors", &metadata);
  metadata["version"] = "2";
  saveTensorFile(dir / "future.safetensors", tensors, metadata);

  at::Tensor before = model.tensor("conv.weight").clone();
  EXPECT_THAT(errorOf([&] { trainer.resume(dir / "cut.safetensors"); }),
              HasSubstr(dir / "cut.safetensors"));
  EXPECT_EQ(errorOf([&] { trainer.resume(dir / "future.safetensors"); }),
            dir / "future.safetensors" +
                ": checkpoint version 2 is not the version 1 this runtime "
                "reads");
  EXPECT_TRUE(model.tensor("conv.weight").equal(before));
}

TEST(TrainingTest, CheckpointOfAnotherNetworkIsRefused) {
  Plan tiny = loadTestPlan("tiny_conv.json");
  Model tinyModel(tiny, 0);
  Trainer tinyTrainer(tinyModel, settingsFor(tiny, 1, 8),
                      classification(tinyModel), optionsFor(tiny));
  TempDir dir;
  tinyTrainer.save(dir / "tiny.safetensors");

  Plan frozen = loadTestPlan("frozen.json");
  Model model(frozen, 0);
  Trainer trainer(model, settingsFor(frozen, 1, 8), classification(model),
                  optionsFor(frozen));
  std::string error =
      errorOf([&] { trainer.resume(dir / "tiny.safetensors"); });
  EXPECT_THAT(error, HasSubstr("this checkpoint belongs to another network: "
                               "it was written for network 'TinyConv'"));
  EXPECT_THAT(error, HasSubstr("this trainer runs 'Frozen'"));
}

TEST(TrainingTest, ResumeRefusesOtherSettingsAndPhases) {
  Plan plan = loadTestPlan("frozen.json");
  Model model(plan, 0);
  Trainer trainer(model, settingsFor(plan, 1, 8), classification(model),
                  optionsFor(plan));
  TempDir dir;
  trainer.save(dir / "run.safetensors");

  Trainer otherBatch(model, settingsFor(plan, 1, 4), classification(model),
                     optionsFor(plan));
  EXPECT_THAT(errorOf([&] { otherBatch.resume(dir / "run.safetensors"); }),
              HasSubstr("settings differ (batch 8 in the checkpoint, 4 now)"));

  Trainer::Options pretraining = optionsFor(plan);
  pretraining.phase = "pretrain:enc";
  Trainer otherPhase(model, settingsFor(plan, 1, 8), classification(model),
                     pretraining);
  EXPECT_THAT(errorOf([&] { otherPhase.resume(dir / "run.safetensors"); }),
              HasSubstr("holds a 'train' run, not 'pretrain:enc'"));
}

TEST(TrainingTest, EncoderWeightsRoundTrip) {
  Plan plan = loadTestPlan("dreamnet_tiny.json");
  Model source(plan, 1), target(plan, 2);
  TempDir dir;
  saveTensorFile(dir / "ae.safetensors", source.tensorsWithPrefix("ae."), {});
  target.importTensors(loadTensorFile(dir / "ae.safetensors"), "ae.",
                       dir / "ae.safetensors");
  EXPECT_TRUE(target.tensor("ae.encoder.conv_0.weight")
                  .equal(source.tensor("ae.encoder.conv_0.weight")));
  EXPECT_FALSE(target.tensor("stem.conv.weight")
                   .equal(source.tensor("stem.conv.weight")));
  // A file lacking some of the encoder's tensors is refused.
  TensorMap partial = source.tensorsWithPrefix("ae.encoder.");
  EXPECT_THAT(errorOf([&] { target.importTensors(partial, "ae.", "f"); }),
              HasSubstr("f: 4 tensor(s) of the plan are missing, the first "
                        "is 'ae.decoder.deconv_0.weight'"));
}

//===--- Data-parallel training (docs/distributed.md) --------------------===//

/// Runs `body` on two threads as ranks 0 and 1 of one data-parallel run
/// on loopback; rethrows what a rank threw.
void onTwoRanks(const std::function<void(DataParallelGroup &)> &body) {
  WorldFlags flags;
  flags.nproc = 2; // The whole world here: a free port.
  WorldSpec world = resolveWorld(flags);
  world.timeoutSeconds = 60;
  std::exception_ptr failures[2];
  std::vector<std::thread> ranks;
  for (int64_t rank : {0, 1})
    ranks.emplace_back([&, rank] {
      try {
        WorldSpec mine = world;
        mine.rank = rank;
        DataParallelGroup group(mine);
        body(group);
      } catch (...) {
        failures[rank] = std::current_exception();
      }
    });
  for (std::thread &rank : ranks)
    rank.join();
  for (const std::exception_ptr &failure : failures)
    if (failure)
      std::rethrow_exception(failure);
}

// The GPU side, on a machine without one: which backend and which GPU a
// rank would use, and what building the NCCL group says here.
TEST(DistributedTest, CudaRanksUseNcclOnTheirLocalGpu) {
  EXPECT_EQ(backendFor(at::kCPU), "gloo");
  EXPECT_EQ(backendFor(at::Device("cuda:1")), "nccl");
  WorldSpec world;
  world.rank = 5;
  world.size = 8;
  world.localSize = 4;
  world.localRank = 1;
  EXPECT_EQ(rankDevice(at::Device("cuda"), world, 4), at::Device("cuda:1"));
  EXPECT_EQ(rankDevice(at::Device("cuda:3"), world, 4), at::Device("cuda:3"));
  EXPECT_EQ(rankDevice(at::kCPU, world, 0), at::Device(at::kCPU));
  EXPECT_EQ(errorOf([&] { rankDevice(at::Device("cuda"), world, 1); }),
            "rank 5 is local rank 1 (LOCAL_RANK) and trains on GPU 1, but this "
            "machine has 1; start at most 1 processes per machine, or give "
            "--device cuda:N");
  world.size = 1;
  EXPECT_EQ(rankDevice(at::Device("cuda"), world, 1), at::Device("cuda"));
  // Without a GPU, c10d refuses the NCCL group; the rank says so.
  if (at::getNumGPUs() > 0)
    GTEST_SKIP() << "a GPU is here: the NCCL group would be built";
  WorldFlags alone;
  alone.nproc = 1;
  WorldSpec one = resolveWorld(alone);
  one.timeoutSeconds = 10;
  EXPECT_THAT(errorOf([&] { DataParallelGroup group(one, at::Device("cuda:0")); }),
              HasSubstr("rank 0 of 1: c10d's NCCL backend for cuda:0 failed: "
                        "ProcessGroupNCCL is only supported with GPUs"));
}

TEST(DistributedTest, LocalRankComesFromTheEnvironment) {
  ASSERT_EQ(setenv("LOCAL_RANK", "3", 1), 0);
  WorldFlags flags;
  flags.nproc = 4;
  EXPECT_EQ(resolveWorld(flags).localRank, 3);
  ASSERT_EQ(setenv("LOCAL_RANK", "-1", 1), 0);
  EXPECT_THAT(errorOf([&] { resolveWorld(flags); }),
              HasSubstr("LOCAL_RANK is -1; it must not be negative"));
  unsetenv("LOCAL_RANK");
  flags.rank = 6;
  flags.worldSize = 8;
  flags.nproc = 0;
  EXPECT_EQ(resolveWorld(flags).localRank, 0); // 6 % LOCAL_WORLD_SIZE 1
}

TEST(DistributedTest, AveragesGradientsOverRanksAndSkipsUnusedParameters) {
  at::Tensor gradients[2];
  bool unusedHasGradient[2] = {true, true};
  onTwoRanks([&](DataParallelGroup &group) {
    at::Tensor used = at::ones({3}).requires_grad_();
    at::Tensor unused = at::ones({2}).requires_grad_();
    std::unique_ptr<GradientAverager> averager = group.averager({used, unused});
    for (int step = 0; step < 2; ++step) { // The Reducer's state carries on.
      used.mutable_grad().reset();
      averager->beginStep();
      double factor = static_cast<double>(group.rank() + 1);
      averager->backward((used * factor).sum());
    }
    gradients[group.rank()] = used.grad().clone();
    unusedHasGradient[group.rank()] = unused.grad().defined();
  });
  for (int rank : {0, 1}) {
    SCOPED_TRACE(rank);
    EXPECT_TRUE(gradients[rank].equal(at::full({3}, 1.5))); // (1 + 2) / 2
    EXPECT_FALSE(unusedHasGradient[rank]);
  }
}

TEST(DistributedTest, TwoRanksTrainLikeOneProcessWithFrozenParametersAlone) {
  Plan plan = loadTestPlan("frozen.json");
  // 45 examples, batch 8: the last batch of 5 splits into shares of 2 and
  // 3, which the loss weights must even out. The plan's batch norm is in
  // its frozen encoder, so it uses running statistics on both.
  Dataset data = syntheticImages(45, {1, 6, 6}, 3);
  TrainSettings s = settingsFor(plan, 2, 8);
  Model alone(plan, 0);
  TensorMap initial;
  for (const auto &[name, value] : alone.tensorsWithPrefix(""))
    initial[name] = value.clone();
  Trainer single(alone, s, classification(alone), optionsFor(plan));
  ASSERT_TRUE(single.run(data, {{"test", data}}));

  TensorMap rankZero;
  Evaluation shared;
  onTwoRanks([&](DataParallelGroup &group) {
    Model model(plan, 0);
    Trainer::Options options = optionsFor(plan);
    options.group = &group;
    Trainer trainer(model, s, classification(model), options);
    ASSERT_TRUE(trainer.run(data, {{"test", data}}));
    if (group.leader()) {
      rankZero = model.tensorsWithPrefix("");
      shared = trainer.lastEvaluations().at("test");
    }
  });
  for (const ParamSpec &spec : plan.params) {
    SCOPED_TRACE(spec.name);
    const at::Tensor &expected = alone.tensor(spec.name);
    if (!spec.trainable) {
      EXPECT_TRUE(rankZero.at(spec.name).equal(initial.at(spec.name)));
      continue;
    }
    EXPECT_FALSE(expected.equal(initial.at(spec.name))); // It trained.
    double difference =
        (rankZero.at(spec.name) - expected).norm().item<double>();
    EXPECT_LE(difference, 1e-5 * expected.norm().item<double>());
  }
  const Evaluation &test = single.lastEvaluations().at("test");
  EXPECT_EQ(shared.samples, 45);
  EXPECT_EQ(shared.correct, test.correct);
  EXPECT_EQ(shared.confusion, test.confusion);
  EXPECT_NEAR(shared.loss, test.loss, 1e-5 * test.loss);
}

} // namespace
