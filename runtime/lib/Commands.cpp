//===- Commands.cpp - The trainer's commands
//-------------------------------===//
//
// Each command turns the recipe and the command line into settings, loads
// the data and the weights it needs, and hands the work to Model and
// Trainer. File layout under --checkpoint DIR (docs/runtime.md):
//   DIR/encoders/<encoder>.safetensors  pre-trained encoder weights
//   DIR/pretrain-<encoder>.safetensors  the pre-training run's checkpoint
//   DIR/train.safetensors               the supervised run's checkpoint
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Commands.h"
#include "dream/Runtime/Augment.h"
#include "dream/Runtime/Canvas.h"

#include "dream/Runtime/Data.h"
#include "dream/Runtime/Distributed.h"
#include "dream/Runtime/Files.h"
#include "dream/Runtime/Idx.h"
#include "dream/Runtime/Ops.h"
#include "dream/Runtime/Pretrained.h"
#include "dream/Runtime/Safetensors.h"
#include "dream/Runtime/Text.h"
#include "dream/Runtime/Training.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <numeric>
#include <thread>

#include <dlfcn.h>

namespace dream::rt {
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

//===--- Settings and data
//-------------------------------------------------===//

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

/// Pre-training uses Adam at 1e-3 with torch's defaults, a constant rate
/// and the encoder's own number of epochs; --epochs, --batch and --lr
/// override.
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
  return o.data.empty() ? plan.recipe.data : o.data;
}

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

/// On --resume: drops from the metrics file the records of a phase
/// (pre-training `encoder`, or training if empty) that a killed run wrote
/// past `trainer`'s point (keepMetricsUpTo), and reopens `metrics` after
/// the rest.
void continueMetrics(MetricsWriter &metrics, const TrainerOptions &o,
                     const std::string &encoder, const Trainer &trainer) {
  if (!o.resume || o.metricsPath.empty())
    return;
  keepMetricsUpTo(o.metricsPath, encoder, trainer.epochsDone(),
                  trainer.globalStep());
  metrics = MetricsWriter(o.metricsPath, /*append=*/true);
}

/// Whether --resume has a checkpoint at `path` to continue. Without one (a
/// job requeued before its first checkpoint) the run starts from the
/// beginning, so that the same command line works before and after.
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

//===--- Losses
//------------------------------------------------------------===//

LossFunction classificationLoss(const Model &model, double smoothing) {
  return [&model, smoothing](const at::Tensor &inputs, const at::Tensor &labels,
                             const RunMode &mode) {
    at::Tensor logits = model.logits(inputs, mode);
    at::Tensor loss =
        at::cross_entropy_loss(logits, labels, {}, at::Reduction::Mean, -100,
                               mode.training ? smoothing : 0.0);
    return BatchOutput{loss, logits.detach().argmax(-1)};
  };
}

/// Zeroes a random `ratio` of the 4x4 patches of [B, C, H, W] images (zero
/// is the mean pixel after normalisation).
at::Tensor maskPatches(const at::Tensor &images, double ratio,
                       at::Generator generator) {
  const int64_t p = 4;
  int64_t b = images.size(0), c = images.size(1);
  int64_t h = images.size(2), w = images.size(3);
  at::Tensor keep = randomKeepMask(b, (h / p) * (w / p), ratio, generator)
                        .view({b, 1, h / p, 1, w / p, 1})
                        .expand({b, c, h / p, p, w / p, p})
                        .reshape({b, c, h, w});
  return images * keep.to(images.device());
}

/// Mean squared error of encode+decode against the whole clean image; for
/// `masked`, the input has masked patches (evaluation masks with a fixed
/// seed, so its loss measures the same task every epoch).
LossFunction reconstructionLoss(const Model &model, const EncoderSpec &enc) {
  return [&model, &enc](const at::Tensor &images, const at::Tensor &,
                        const RunMode &mode) {
    at::Tensor input = images;
    if (enc.pretrain->kind == "masked")
      input = maskPatches(images, enc.pretrain->ratio,
                          mode.training
                              ? mode.generator
                              : at::make_generator<at::CPUGeneratorImpl>(0));
    at::Tensor latent = model.run(enc.encode, {input}, mode)[0];
    at::Tensor reconstruction = model.run(*enc.decode, {latent}, mode)[0];
    return BatchOutput{at::mse_loss(reconstruction, images), {}};
  };
}

/// Cross-entropy of the decoder's scores over the vocabulary against the
/// tokens the encoder read, padding left out: `decode` pre-training, which
/// teaches a text autoencoder's decoder to reconstruct its input from the
/// (frozen, pre-trained) encoder's latents.
LossFunction tokenReconstructionLoss(const Model &model,
                                     const EncoderSpec &enc, int64_t padId) {
  return [&model, &enc, padId](const at::Tensor &ids, const at::Tensor &,
                               const RunMode &mode) {
    at::Tensor latent = model.run(enc.encode, {ids}, mode)[0];
    at::Tensor scores = model.run(*enc.decode, {latent}, mode)[0];
    at::Tensor loss = at::cross_entropy_loss(
        scores.reshape({-1, scores.size(-1)}), ids.reshape({-1}), {},
        at::Reduction::Mean, padId);
    return BatchOutput{loss, {}};
  };
}

/// BERT's masking of token ids [B, L]: a `ratio` of the positions that hold
/// words (not [PAD], [CLS] or [SEP]) is chosen; of those, 80% become
/// [MASK], 10% a random token other than [PAD] and 10% stay. Returns the masked ids and the
/// targets: the original id where a position was chosen, else -100.
std::pair<at::Tensor, at::Tensor> maskTokens(const at::Tensor &ids,
                                             double ratio,
                                             const WordPieceTokenizer &words,
                                             at::Generator generator) {
  at::Tensor cpu = ids.cpu();
  at::Tensor structural = at::zeros_like(cpu, at::kBool);
  auto *id = cpu.data_ptr<int64_t>();
  auto *flag = structural.data_ptr<bool>();
  for (int64_t i = 0; i < cpu.numel(); ++i)
    flag[i] = words.isStructural(id[i]);
  auto uniform = [&] {
    return at::rand(cpu.sizes(), generator, at::TensorOptions(at::kFloat));
  };
  at::Tensor chosen = uniform().lt(ratio).logical_and_(structural.logical_not());
  at::Tensor draw = uniform();
  // Never [PAD] (id 0): the attention would take it for padding.
  at::Tensor random = at::randint(1, static_cast<int64_t>(words.size()),
                                  cpu.sizes(), generator, at::kLong);
  at::Tensor masked =
      at::where(chosen.logical_and(draw.lt(0.8)),
                at::full_like(cpu, *words.maskId()), cpu);
  masked = at::where(chosen.logical_and(draw.ge(0.8))
                         .logical_and_(draw.lt(0.9)),
                     random, masked);
  at::Tensor targets = at::where(chosen, cpu, at::full_like(cpu, -100));
  return {masked.to(ids.device()), targets.to(ids.device())};
}

/// The table of an encoder's first embed step, whose transpose is the
/// masked-token head when the encoder has no decoder (BERT ties them).
const Step *firstEmbedding(const EncoderSpec &enc) {
  for (const Step &step : enc.encode.steps)
    if (step.op == "embed")
      return &step;
  return nullptr;
}

/// Scores over the vocabulary from latents [B, L, D] and the embedding
/// table [V, D], divided by sqrt(D) as attention scores are: the table
/// starts as N(0, 1), and unscaled scores would start with a spread of
/// sqrt(D) and a loss far above that of guessing uniformly.
at::Tensor tiedScores(const Model &model, const EncoderSpec &enc,
                      const at::Tensor &latent) {
  const at::Tensor &table =
      model.tensor(firstEmbedding(enc)->params.at(0).name);
  return at::matmul(latent, table.t()) /
         std::sqrt(static_cast<double>(table.size(1)));
}

/// Cross-entropy of the predicted tokens at the masked positions:
/// `masked_tokens` pre-training. The scores come from the decoder if the
/// encoder has one, else from the latents times the embedding table.
LossFunction maskedTokenLoss(const Model &model, const EncoderSpec &enc,
                             WordPieceTokenizer words) {
  return [&model, &enc, words = std::move(words)](
             const at::Tensor &ids, const at::Tensor &, const RunMode &mode) {
    auto [masked, targets] = maskTokens(
        ids, enc.pretrain->ratio, words,
        mode.training ? mode.generator
                      : at::make_generator<at::CPUGeneratorImpl>(0));
    at::Tensor latent = model.run(enc.encode, {masked}, mode)[0];
    at::Tensor scores = enc.decode ? model.run(*enc.decode, {latent}, mode)[0]
                                   : tiedScores(model, enc, latent);
    // A batch of short texts may have no chosen position: its loss is 0,
    // not the NaN of a mean over nothing.
    at::Tensor loss = at::cross_entropy_loss(
                          scores.reshape({-1, scores.size(-1)}),
                          targets.reshape({-1}), {}, at::Reduction::Sum, -100) /
                      std::max<int64_t>(1, targets.ne(-100).sum().item<int64_t>());
    return BatchOutput{loss, {}};
  };
}

//===--- Encoder weights
//---------------------------------------------------===//

std::string encoderWeightsPath(const std::string &dir, const EncoderSpec &enc) {
  return joinPath(joinPath(dir, "encoders"), enc.name + ".safetensors");
}

/// The supervised run's checkpoint in --checkpoint DIR.
std::string trainCheckpointPath(const TrainerOptions &o) {
  return joinPath(o.checkpointDir, "train.safetensors");
}

std::string pretrainCheckpointPath(const TrainerOptions &o,
                                   const EncoderSpec &enc) {
  return joinPath(o.checkpointDir, "pretrain-" + enc.name + ".safetensors");
}

/// What `pretrain` trains and stores of an encoder: the decoder alone for
/// `decode` (on top of given encoder weights), else everything.
std::string pretrainedPrefix(const EncoderSpec &enc) {
  bool decoderOnly = enc.pretrain && enc.pretrain->kind == "decode";
  return enc.paramPrefix() + (decoderOnly ? "decoder." : "");
}

/// Loads the weights an encoder declares (`weights`): a Hugging Face
/// checkpoint of a known layout or a pre-trained model of the runtime's
/// (Pretrained.h), or a safetensors file of plan-named tensors; false if it
/// declares none.
bool loadDeclaredWeights(Model &model, const EncoderSpec &enc) {
  if (enc.weights.empty())
    return false;
  if (enc.weights == "random") {
    std::cout << "encoder " << enc.name
              << ": random initialisation kept (weights \"random\", a "
                 "control)\n";
  } else if (isMappedWeights(enc.weights)) {
    MappedWeights mapped = mappedWeights(model.plan(), enc, enc.weights);
    model.importTensors(mapped.tensors, enc.paramPrefix() + "encoder.",
                        enc.weights);
    std::cout << "encoder " << enc.name << ": weights " << enc.weights
              << " from " << mapped.file << "\n";
  } else {
    model.importTensors(loadTensorFile(enc.weights), enc.paramPrefix(),
                        enc.weights);
    std::cout << "encoder " << enc.name << ": weights from " << enc.weights
              << "\n";
  }
  return true;
}

/// Every encoder's weights for supervised training: those it declares,
/// and what `pretrain` stored in --checkpoint DIR. A frozen encoder that
/// needs pre-training and has not had it is an error that says how to get
/// the weights; training never runs against a random "pre-trained" one.
void loadEncoderWeights(Model &model, const TrainerOptions &o) {
  for (const EncoderSpec &enc : model.plan().encoders) {
    bool declared = loadDeclaredWeights(model, enc);
    bool needsPretraining =
        enc.pretrain && (!declared || enc.pretrain->kind == "decode");
    std::string stored = o.checkpointDir.empty()
                             ? ""
                             : encoderWeightsPath(o.checkpointDir, enc);
    if ((needsPretraining || !declared) && !stored.empty() &&
        pathExists(stored)) {
      model.importTensors(loadTensorFile(stored), pretrainedPrefix(enc),
                          stored);
      std::cout << "encoder " << enc.name << ": pre-trained weights from "
                << stored << "\n";
    } else if (needsPretraining && enc.frozen) {
      throw FileError(
          "encoder '" + enc.name +
          "' is frozen and needs its pre-trained weights, but " +
          (stored.empty() ? std::string("no --checkpoint DIR was given")
                          : stored + " does not exist") +
          ": run `" + o.program +
          " pretrain --checkpoint DIR` first, then train with the same "
          "--checkpoint DIR");
    } else if (!declared && enc.frozen) {
      std::cerr << o.program << ": warning: encoder '" << enc.name
                << "' is frozen but has no weights and no pre-training: it "
                   "keeps its random initialisation\n";
    }
  }
}

//===--- Commands
//----------------------------------------------------------===//

void printParameterCounts(const Plan &plan) {
  int64_t counts[3] = {0, 0, 0}, tensors[3] = {0, 0, 0};
  for (const ParamSpec &p : plan.params) {
    int kind = p.buffer ? 2 : p.trainable ? 0 : 1;
    counts[kind] += p.numel();
    ++tensors[kind];
  }
  const char *names[3] = {"trainable", "frozen", "buffers"};
  std::cout << "parameters\n";
  for (int i = 0; i < 3; ++i)
    std::printf("  %-10s %13s in %lld tensors\n", names[i],
                withCommas(counts[i]).c_str(),
                static_cast<long long>(tensors[i]));
}

void printEncoders(const Plan &plan) {
  if (plan.encoders.empty())
    return;
  std::cout << "encoders\n";
  for (const EncoderSpec &enc : plan.encoders) {
    int64_t size = 0;
    for (const ParamSpec &p : plan.params)
      if (!p.buffer && startsWith(p.name, enc.paramPrefix()))
        size += p.numel();
    std::cout << "  " << enc.name << ": " << (enc.frozen ? "frozen" : "trained")
              << ", " << withCommas(size) << " parameters, input "
              << formatShape(enc.input.shape);
    if (!enc.latent.empty())
      std::cout << ", latent " << formatShape(enc.latent);
    if (enc.pretrain)
      std::cout << ", pretrain " << enc.pretrain->kind << " (epochs "
                << enc.pretrain->epochs << ")";
    if (!enc.weights.empty())
      std::cout << ", weights " << enc.weights;
    std::cout << "\n";
  }
}

void printCost(const Plan &plan) {
  if (plan.cost.empty()) {
    std::cout << "cost: not given by the plan\n";
    return;
  }
  std::cout << "cost (computed by the compiler)\n";
  for (const auto &[key, value] : plan.cost.items())
    std::printf("  %-30s %s\n", key.c_str(),
                value.is_number_integer()
                    ? withCommas(value.get<int64_t>()).c_str()
                    : value.dump().c_str());
}

/// The model of `plan`, running the linked kernels unless --reference.
Model makeModel(const Plan &plan, uint64_t seed, at::Device device,
                const TrainerOptions &o) {
  Model model(plan, seed, device);
  if (!o.reference && o.kernels && !o.kernels->empty())
    model.useKernels(o.kernels);
  return model;
}

/// How fused steps run, for `info` and the training header.
std::string kernelMode(const Model &model, const TrainerOptions &o) {
  if (model.usesKernels())
    return o.kernels->hasGpuKernels()
               ? "compiled kernels (CPU; GPU through the embedded PTX)"
               : "compiled kernels (CPU only: compiled with --gpu-chip=none)";
  return o.reference ? "reference steps (--reference)"
                     : "reference steps (no compiled kernels are linked)";
}

void printKernels(const Model &model, const TrainerOptions &o) {
  const Plan &plan = model.plan();
  std::cout << "kernels: " << plan.kernels.size() << " fused";
  if (plan.kernels.empty()) {
    std::cout << "\n";
    return;
  }
  std::cout << ", run as " << kernelMode(model, o) << "\n";
  for (const KernelSpec &kernel : plan.kernels) {
    std::cout << "  " << kernel.name << " (" << kernel.forward << ", "
              << kernel.backward << "):";
    for (size_t i = 0; i < kernel.reference.steps.size(); ++i)
      std::cout << (i ? " -> " : " ") << kernel.reference.steps[i].op;
    std::cout << "\n";
  }
}

/// The library whose malloc the process calls: the one every allocation of
/// LibTorch, the runtime and the kernels goes through.
std::string mallocLibrary() {
  Dl_info where;
  if (!dladdr(reinterpret_cast<void *>(&std::malloc), &where) ||
      !where.dli_fname)
    return "unknown";
  std::string path = where.dli_fname;
  return path.substr(path.find_last_of('/') + 1);
}

void printRecipe(const Plan &plan, const TrainSettings &s,
                 const TrainerOptions &o) {
  const OptimizerSpec &opt = s.optimizer;
  std::cout << "recipe (command-line overrides applied)\n"
            << "  data " << dataName(plan, o) << ", epochs " << s.epochs
            << ", batch " << s.batch << ", seed " << s.seed << "\n"
            << "  optimizer " << opt.name << "(lr " << opt.lr;
  if (opt.name == "sgd")
    std::cout << ", momentum " << opt.momentum << ", nesterov "
              << (opt.nesterov ? "true" : "false");
  else
    std::cout << ", betas (" << opt.beta1 << ", " << opt.beta2 << "), eps "
              << opt.eps;
  std::cout << ", weight_decay " << opt.weightDecay << ")\n"
            << "  schedule " << s.schedule.name << " (warmup "
            << s.schedule.warmup;
  if (s.schedule.name == "step")
    std::cout << ", every " << s.schedule.every << ", gamma "
              << s.schedule.gamma;
  std::cout << "), clip " << s.clip << ", label_smoothing " << s.labelSmoothing
            << ", validation " << s.validation << ", augment "
            << describe(plan.recipe.augment) << ", preset "
            << plan.recipe.preset << "\n";
}

/// `info --weights FILE`: reads the file with every check of the
/// safetensors reader (a damaged file is a FileError naming the problem)
/// and summarises it against the plan.
int weightsInfo(const Plan &plan, const std::string &path) {
  SafetensorsFile file = SafetensorsFile::read(path);
  std::map<std::string, std::pair<int64_t, int64_t>> byType;
  int64_t elements = 0, matching = 0, sameShape = 0;
  for (const RawTensor &t : file.tensors()) {
    int64_t n = std::accumulate(t.shape.begin(), t.shape.end(), int64_t{1},
                                std::multiplies<int64_t>());
    byType[t.dtype].first += 1;
    byType[t.dtype].second += n;
    elements += n;
    const ParamSpec *param = plan.findParam(t.name);
    matching += param != nullptr;
    sameShape += param && param->shape == t.shape;
  }
  std::cout << "weights " << path << ": " << file.tensors().size()
            << " tensors, " << withCommas(elements) << " elements\n";
  for (const auto &[dtype, counts] : byType)
    std::cout << "  " << dtype << ": " << counts.first << " tensors, "
              << withCommas(counts.second) << " elements\n";
  for (const auto &[key, value] : file.metadata())
    std::cout << "  metadata " << key << " = " << value << "\n";
  std::cout << "  " << matching << " tensors are parameters of "
            << plan.network << " by name, " << sameShape
            << " of them with the plan's shape\n";
  return 0;
}

int info(const Plan &plan, const TrainerOptions &o) {
  if (!o.weights.empty())
    return weightsInfo(plan, o.weights);
  Model model = makeModel(plan, 0, at::kCPU, o); // Checks shapes and kernels.
  std::cout << "network " << plan.network
            << (plan.source.empty() ? "" : " (" + plan.source + ")")
            << ", plan " << plan.hash << "\n"
            << "input " << formatShape(plan.input.shape)
            << (plan.input.tokens ? " int64" : " float32") << ", "
            << plan.classes << " classes\n";
  printParameterCounts(plan);
  printEncoders(plan);
  printCost(plan);
  printKernels(model, o);
  std::cout << "memory allocator: " << mallocLibrary() << "\n";
  printRecipe(plan, trainSettings(plan.recipe, o), o);
  return 0;
}

void requireCheckpointDir(const TrainerOptions &o, const std::string &why) {
  if (o.checkpointDir.empty())
    throw UsageError(o.command + " " + why + " --checkpoint DIR; give one");
}

int reportInterrupt(const std::string &checkpoint) {
  std::cerr << "interrupted; "
            << (checkpoint.empty() ? "nothing saved (no --checkpoint DIR)"
                                   : "checkpoint written to " + checkpoint +
                                         ", continue with --resume")
            << "\n";
  return 130;
}

/// The shape [L, V] of scores over a token encoder's vocabulary; throws
/// unless its decoder, if it has one, gives such scores.
std::vector<int64_t> vocabularyScores(const EncoderSpec &enc) {
  std::vector<int64_t> scores = {enc.input.shape.at(0), enc.input.vocab};
  if (enc.decode && enc.output != scores)
    throw PlanError("encoder '" + enc.name + "'s decoder gives " +
                    formatShape(enc.output) +
                    ", not scores over its vocabulary " + formatShape(scores));
  return scores;
}

/// The vocabulary of the texts the pre-training of a token encoder reads.
WordPieceTokenizer pretrainingVocabulary(const Model &model,
                                         const EncoderSpec &enc,
                                         const Data &data) {
  const std::optional<WordPieceTokenizer> &words = data.tokenizer;
  if (!words)
    throw UsageError("encoder '" + enc.name + "' reads tokens, but network '" +
                     model.plan().network +
                     "' reads no text to pre-train it on");
  return *words;
}

/// `masked_tokens`: checks that the encoder can predict tokens (the
/// vocabulary has [MASK]; a decoder gives scores over it, or the latents
/// are as wide as the first embedding, whose transpose is then the head).
LossFunction maskedTokenPretraining(const Model &model,
                                    const EncoderSpec &enc, const Data &data) {
  std::string what = "encoder '" + enc.name + "'";
  WordPieceTokenizer words = pretrainingVocabulary(model, enc, data);
  if (!words.maskId())
    throw DataError(what + ": the WordPiece vocabulary has no [MASK] token, "
                           "which masked_tokens pre-training puts in");
  std::vector<int64_t> scores = vocabularyScores(enc);
  const Step *embed = firstEmbedding(enc);
  int64_t width = embed ? intAttr(*embed, "dim") : 0;
  if (!enc.decode &&
      (!embed || enc.latent != std::vector<int64_t>{scores[0], width}))
    throw PlanError(
        what + ": masked_tokens predicts the tokens with the transpose of "
               "the encoder's embedding when it has no decoder, so its latent " +
        formatShape(enc.latent) + " must be [L, width of its first embed]" +
        (embed ? " = " + formatShape({scores[0], width}) : "") +
        "; or declare an autoencoder whose decoder gives scores " +
        formatShape(scores));
  return maskedTokenLoss(model, enc, std::move(words));
}

/// The objective of an encoder's pre-training; PlanError for an encoder
/// that does not fit its kind (the plan loader refuses unknown kinds).
LossFunction pretrainingLoss(const Model &model, const EncoderSpec &enc,
                             const Data &data) {
  const std::string &kind = enc.pretrain->kind;
  std::string what = "encoder '" + enc.name + "'";
  if (kind == "masked_tokens")
    return maskedTokenPretraining(model, enc, data);
  if (!enc.decode)
    throw PlanError(what + ": " + kind + " pre-training needs a decoder");
  if (kind == "decode" && enc.input.tokens) {
    vocabularyScores(enc);
    return tokenReconstructionLoss(model, enc,
                                   pretrainingVocabulary(model, enc, data).padId());
  }
  if (enc.input.tokens)
    throw PlanError(what + ": " + kind +
                    " pre-training reconstructs images, but the encoder "
                    "reads token ids");
  if (!enc.output.empty() && enc.output != enc.input.shape)
    throw PlanError(what + " reconstructs " + formatShape(enc.output) +
                    " from " + formatShape(enc.input.shape) + " inputs");
  return reconstructionLoss(model, enc);
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

int train(const Plan &plan, const TrainerOptions &o, at::Device device) {
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

void printConfusion(const Evaluation &result, int64_t classes) {
  std::cout << "confusion matrix (rows: true class, columns: predicted)\n";
  for (int64_t row = 0; row < classes; ++row) {
    for (int64_t col = 0; col < classes; ++col)
      std::printf("%6lld", static_cast<long long>(
                               result.confusion[row * classes + col]));
    std::printf("\n");
  }
}

/// The model `train` left in --checkpoint DIR; `metadata` receives its
/// checkpoint's metadata.
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

int evaluateCommand(const Plan &plan, const TrainerOptions &o,
                    at::Device device) {
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

//===--- dream: the reconstructions of the dream connections -------------===//

/// One grey cell per image of `images` [rows, C, H, W] (pixels normalised
/// with `mean` and `std`; the first channel is drawn), in column `column`
/// of a grid with a 2-pixel border around each cell.
/// The first channel of `images` ([N, C, H, W], normalised) as 8-bit grey
/// pixels, [N, H, W] row-major.
at::Tensor greyPixels(const at::Tensor &images, double mean, double std) {
  return (images.select(1, 0) * std + mean)
      .clamp(0.0, 1.0)
      .mul(255.0)
      .round()
      .to(at::kByte)
      .contiguous();
}

/// What `dream` shows: the first test inputs and, per dream connection,
/// what it reconstructed from them.
struct Dreams {
  std::vector<std::string> names;
  double pixelMean = 0.0, pixelStd = 1.0; ///< Of the first channel.
  at::Tensor inputs, labels, predictions; ///< On the CPU.
  std::map<std::string, at::Tensor> dreams;
  bool labelled = true;                ///< False for --input files.
  std::vector<std::string> classNames; ///< Empty: classes by number.

  std::string className(int64_t index) const {
    return index >= 0 && index < static_cast<int64_t>(classNames.size())
               ? classNames[index]
               : "class " + std::to_string(index);
  }
};

/// A dream connection's name ("dream_block_0.dream_0") as the lines of a
/// column title: one per dotted part.
std::vector<std::string> titleLines(const std::string &name) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t dot; (dot = name.find('.', start)) != std::string::npos;
       start = dot + 1)
    lines.push_back(name.substr(start, dot - start));
  lines.push_back(name.substr(start));
  return lines;
}

/// Draws the inputs and each connection's dreams as a PNG, one row per
/// input (the paper's figure 6), so that it explains itself: each image
/// enlarged to about 112 pixels (4x for 28x28), the columns titled (input,
/// then each dream connection by its block), and each row's label and
/// prediction, by class name where the data set has them, at its left.
void drawImageDreams(const Dreams &d, const std::string &path) {
  const int h = static_cast<int>(d.inputs.size(2));
  const int w = static_cast<int>(d.inputs.size(3));
  const int scale = std::max(1, 112 / std::max(h, w));
  const int gap = 8, cellW = w * scale, cellH = h * scale;
  const float titleSize = 13, labelSize = 14;
  const int rows = static_cast<int>(d.inputs.size(0));
  const int columns = 1 + static_cast<int>(d.names.size());
  std::vector<std::string> rowLines;
  int labelWidth = 0, titleRows = 1;
  for (const std::string &name : d.names)
    titleRows = std::max(titleRows, static_cast<int>(titleLines(name).size()));
  for (int r = 0; r < rows; ++r) {
    std::string predicted = d.className(d.predictions[r].item<int64_t>());
    std::string label = d.labelled ? d.className(d.labels[r].item<int64_t>()) : "";
    for (const std::string &line :
         {d.labelled ? "label: " + label : std::string(),
          "predicted: " + predicted +
              (d.labelled && label != predicted ? " (wrong)" : "")})
      labelWidth = std::max(labelWidth, Canvas::textWidth(line, labelSize));
  }
  const int left = gap + labelWidth + gap;
  const int top = gap + titleRows * static_cast<int>(titleSize + 3) + gap / 2;
  Canvas canvas(left + columns * (cellW + gap), top + rows * (cellH + gap), 255);
  auto drawColumn = [&](const at::Tensor &images, int column,
                        const std::string &title) {
    at::Tensor pixels = greyPixels(images, d.pixelMean, d.pixelStd);
    int x = left + column * (cellW + gap);
    std::vector<std::string> lines = titleLines(title);
    for (size_t k = 0; k < lines.size(); ++k)
      canvas.text(lines[k], x, gap + static_cast<int>(k) * static_cast<int>(titleSize + 3),
                  titleSize, 0);
    for (int r = 0; r < rows; ++r)
      canvas.image(pixels[r].const_data_ptr<uint8_t>(), w, h, x,
                   top + r * (cellH + gap), scale);
  };
  drawColumn(d.inputs, 0, "input");
  for (size_t i = 0; i < d.names.size(); ++i) {
    const at::Tensor &dream = d.dreams.at(d.names[i]);
    if (dream.sizes() != d.inputs.sizes())
      throw UsageError("dream " + d.names[i] + " is " +
                       formatShape(dream.sizes().vec()) +
                       ", not an image like the input; only image dreams "
                       "are drawn");
    drawColumn(dream, static_cast<int>(i) + 1, d.names[i]);
    std::printf("  %-28s mean squared difference from the input %.4f\n",
                d.names[i].c_str(),
                at::mse_loss(dream, d.inputs).item<double>());
  }
  for (int r = 0; r < rows; ++r) {
    int y = top + r * (cellH + gap) + cellH / 2 - static_cast<int>(labelSize);
    std::string predicted = d.className(d.predictions[r].item<int64_t>());
    if (d.labelled) {
      std::string label = d.className(d.labels[r].item<int64_t>());
      canvas.text("label: " + label, gap, y, labelSize, 0);
      canvas.text("predicted: " + predicted + (label != predicted ? " (wrong)" : ""),
                  gap, y + static_cast<int>(labelSize + 4), labelSize,
                  label != predicted ? 96 : 0);
    } else {
      canvas.text("predicted: " + predicted, gap, y + static_cast<int>(labelSize / 2),
                  labelSize, 0);
    }
  }
  std::string png = canvas.png();
  writeFileAtomically(path, {{png.data(), png.size()}});
  std::cout << "written to " << path << "\n";
}

std::vector<int64_t> row(const at::Tensor &ids, int64_t i) {
  at::Tensor r = ids[i].contiguous();
  return {r.const_data_ptr<int64_t>(), r.const_data_ptr<int64_t>() + r.numel()};
}

/// Prints each input text and the tokens each dream connection decoded
/// from it (the most likely token per position; the paper's table 1).
void printTextDreams(const Plan &plan, const Dreams &d,
                     const WordPieceTokenizer &tokenizer) {
  for (int64_t i = 0; i < d.inputs.size(0); ++i) {
    std::cout << "[" << i << "] label " << d.labels[i].item<int64_t>()
              << ", predicted " << d.predictions[i].item<int64_t>() << "\n"
              << "  input: " << tokenizer.decode(row(d.inputs, i)) << "\n";
    for (const std::string &name : d.names) {
      const at::Tensor &dream = d.dreams.at(name);
      if (dream.dim() != 3 || dream.size(2) != plan.input.vocab)
        throw UsageError("dream " + name + " is " +
                         formatShape(dream.sizes().vec()) +
                         ", not scores over the vocabulary; only token "
                         "dreams are printed");
      std::cout << "  " << name << ": "
                << tokenizer.decode(row(dream.argmax(-1), i)) << "\n";
    }
  }
}

int dreamCommand(const Plan &plan, const TrainerOptions &o,
                 at::Device device) {
  Dreams d;
  for (const Step &step : plan.graph.steps)
    if (step.op == "observe")
      d.names.push_back(stringAttr(step, "name", ""));
  if (d.names.empty())
    throw UsageError(plan.network +
                     " has no dream connection, so it has no dreams to show");
  std::map<std::string, std::string> metadata;
  Model model = trainedModel(plan, o, device, metadata);
  TrainSettings firstInputs = trainSettings(plan.recipe, o);
  firstInputs.limit = std::min<int64_t>(o.limit ? o.limit : 8, 64);
  Data data = loadData(plan, o, firstInputs, false);
  // --input files are normalised as the data set the model learnt from.
  const Dataset &batch =
      o.inputs.empty()
          ? data.test
          : loadImageFiles(o.inputs, plan, data.pixelMean, data.pixelStd,
                           o.resize);
  if (!plan.input.tokens) {
    d.pixelMean = data.pixelMean.at(0);
    d.pixelStd = data.pixelStd.at(0);
  }
  d.labelled = o.inputs.empty();
  d.classNames = data.classNames;
  RunMode mode;
  mode.observed = &d.dreams;
  at::NoGradGuard noGrad;
  d.predictions = model.logits(batch.inputs.to(device), mode).argmax(-1).cpu();
  d.inputs = batch.inputs;
  d.labels = batch.labels;
  for (auto &[name, dream] : d.dreams)
    dream = dream.cpu();
  if (o.inputs.empty())
    std::cout << "dreams of " << plan.network << " on the first "
              << d.inputs.size(0) << " test "
              << (plan.input.tokens ? "texts" : "images") << "; ";
  else
    std::cout << "dreams of " << plan.network << " on " << d.inputs.size(0)
              << " image file(s); ";
  std::cout << (plan.input.tokens ? "dream connections: " : "columns: input, ");
  for (size_t i = 0; i < d.names.size(); ++i)
    std::cout << (i ? ", " : "") << d.names[i];
  std::cout << "\n";
  if (plan.input.tokens) {
    printTextDreams(plan, d, *data.tokenizer);
    return 0;
  }
  drawImageDreams(d, o.out.empty() ? joinPath(o.checkpointDir, "dreams.png")
                                   : o.out);
  std::cout << "  predictions "
            << formatShape(row(d.predictions.unsqueeze(0), 0));
  if (o.inputs.empty())
    std::cout << ", labels " << formatShape(row(d.labels.unsqueeze(0), 0));
  std::cout << "\n";
  return 0;
}

//===--- check: compiled kernels against their reference steps -----------===//

/// Everything one training step and one evaluation produce, by name.
using Outcome = std::map<std::string, at::Tensor>;

/// One training step (no update) and one evaluation of `loss` on a batch,
/// from the parameters and buffers in `start`, with fused steps running
/// through `kernels` (null: their reference steps).
Outcome checkPass(Model &model, const KernelLibrary *kernels,
                  const LossFunction &loss, const Dataset &batch,
                  bool honourFrozen, uint64_t seed, const TensorMap &start) {
  model.useKernels(kernels);
  model.importTensors(start, "", "the check's initial state");
  Outcome outcome;
  RunMode mode;
  mode.training = true;
  mode.honourFrozen = honourFrozen;
  mode.generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto params = model.trainableParams();
  for (auto &[name, tensor] : params)
    tensor.mutable_grad().reset();
  at::Tensor trainLoss = loss(batch.inputs, batch.labels, mode).loss;
  trainLoss.backward();
  outcome["training loss"] = trainLoss.detach();
  for (auto &[name, tensor] : params)
    if (tensor.grad().defined())
      outcome["gradient of " + name] = tensor.grad().clone();
  for (const ParamSpec &param : model.plan().params)
    if (param.buffer)
      outcome["after the step, " + param.name] = model.tensor(param.name).clone();
  at::NoGradGuard noGrad;
  RunMode evaluation;
  evaluation.generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  outcome["evaluation loss"] =
      loss(batch.inputs, batch.labels, evaluation).loss.detach();
  return outcome;
}

/// The kind of a quantity of an Outcome, which sets its tolerance's scale.
std::string kindOf(const std::string &name) {
  if (name.rfind("gradient of ", 0) == 0)
    return "gradients";
  if (name.rfind("after the step, ", 0) == 0)
    return "running statistics";
  return name;
}

/// The largest relative difference `check` accepts for a kind of quantity.
/// Gradients get the widest: at a ReLU kink (an activation within float32
/// rounding of zero) one path can take the other branch, which moves a few
/// dozen gradient entries; measured over six seeds, that reached 1.7e-3 in
/// norm on the vision SleepNet-3 (5e-4 with tanh for ReLU) and 5.3e-3 on
/// the vision DreamNet-3. A wrong derivative is off by far more.
double toleranceOf(const std::string &kind) {
  if (kind == "gradients")
    return 1e-2;
  return kind == "running statistics" ? 1e-4 : 1e-5;
}

/// Compares the two paths on one objective and prints, per kind of
/// quantity, the worst relative difference ||compiled - reference||_2 /
/// ||reference||_2 of a tensor. A tensor whose reference is near zero while
/// others of its kind are not (a bias before a batch norm: zero in theory,
/// rounding noise in practice) is measured against 1e-3 of the largest
/// norm of its kind instead.
bool checkObjective(Model &model, const std::string &what,
                    const LossFunction &loss, const Dataset &batch,
                    bool honourFrozen, const TrainerOptions &o,
                    uint64_t seed) {
  TensorMap start = model.tensorsWithPrefix("");
  for (auto &[name, tensor] : start)
    tensor = tensor.clone();
  Outcome compiled =
      checkPass(model, o.kernels, loss, batch, honourFrozen, seed, start);
  Outcome reference =
      checkPass(model, nullptr, loss, batch, honourFrozen, seed, start);
  model.importTensors(start, "", "the check's initial state");
  std::map<std::string, double> largest;
  for (const auto &[name, expected] : reference) {
    double &norm = largest[kindOf(name)];
    norm = std::max(norm, expected.norm().item<double>());
  }
  bool ok = true;
  std::map<std::string, std::pair<double, std::string>> worst;
  for (const auto &[name, expected] : reference) {
    auto it = compiled.find(name);
    if (it == compiled.end() || it->second.sizes() != expected.sizes()) {
      std::cout << "  " << what << ": the compiled path computes no " << name
                << "\n";
      ok = false;
      continue;
    }
    double norm = std::max(expected.norm().item<double>(),
                           1e-3 * largest[kindOf(name)]);
    double error = (it->second - expected).norm().item<double>() /
                   std::max(norm, 1e-30);
    auto &slot = worst[kindOf(name)];
    if (error >= slot.first)
      slot = {error, name};
    ok = ok && error <= toleranceOf(kindOf(name));
  }
  std::printf("  %s: loss %.7f compiled, %.7f reference\n", what.c_str(),
              compiled["training loss"].item<double>(),
              reference["training loss"].item<double>());
  for (const auto &[kind, entry] : worst)
    std::printf("    %-20s worst relative difference %.1e of %.0e allowed "
                "(%s)\n",
                kind.c_str(), entry.first, toleranceOf(kind),
                entry.second.c_str());
  return ok;
}

/// A batch of seeded random inputs and labels of the plan's types, on
/// `device`.
Dataset randomBatch(const InputSpec &input, int64_t classes, int64_t size,
                    at::Generator generator, at::Device device) {
  std::vector<int64_t> shape = {size};
  shape.insert(shape.end(), input.shape.begin(), input.shape.end());
  Dataset batch;
  batch.inputs = input.tokens ? at::randint(0, input.vocab, shape, generator)
                              : at::randn(shape, generator);
  batch.labels = at::randint(0, std::max<int64_t>(classes, 1), {size},
                             generator);
  batch.inputs = batch.inputs.to(device);
  batch.labels = batch.labels.to(device);
  return batch;
}

int check(const Plan &plan, const TrainerOptions &o, at::Device device) {
  if (!o.kernels || o.kernels->empty())
    throw UsageError("check compares the compiled kernels with their "
                     "reference steps, so it needs a trainer compiled by "
                     "dreamc");
  TrainSettings s = trainSettings(plan.recipe, o);
  uint64_t seed = static_cast<uint64_t>(s.seed);
  Model model(plan, seed, device);
  model.useKernels(o.kernels); // Refuses a table that misses an entry point.
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  int64_t size = o.batch.value_or(16);
  std::printf("checking %zu compiled kernels against their reference steps: "
              "one step on %lld random examples, seed %llu\n",
              plan.kernels.size(), static_cast<long long>(size),
              static_cast<unsigned long long>(seed));
  bool ok = checkObjective(
      model, "network", classificationLoss(model, 0.0),
      randomBatch(plan.input, plan.classes, size, generator, device),
      /*honourFrozen=*/true, o, seed);
  for (const EncoderSpec &enc : plan.encoders) {
    if (!enc.decode || enc.input.tokens || !enc.pretrain)
      continue;
    model.setTrainable([&](const ParamSpec &p) {
      return startsWith(p.name, enc.paramPrefix());
    });
    ok &= checkObjective(model, "pre-training " + enc.name,
                         reconstructionLoss(model, enc),
                         randomBatch(enc.input, 0, size, generator, device),
                         /*honourFrozen=*/false, o, seed);
  }
  std::cout << (ok ? "the compiled kernels agree with the reference steps\n"
                   : "the compiled kernels DIFFER from the reference steps\n");
  return ok ? 0 : 1;
}

int dispatch(const std::string &planText, const std::string &planOrigin,
             const TrainerOptions &o) {
  Plan plan = parsePlan(planText, planOrigin);
  if (o.command == "info")
    return info(plan, o);
  at::Device device = parseDevice(o.device);
  if (o.command == "check")
    return check(plan, o, device);
  if (o.command == "pretrain")
    return pretrain(plan, o, device);
  if (o.command == "train")
    return train(plan, o, device);
  if (o.command == "eval")
    return evaluateCommand(plan, o, device);
  if (o.command == "dream")
    return dreamCommand(plan, o, device);
  throw UsageError("unknown command '" + o.command +
                   "'; expected pretrain, train, eval, dream, info or check");
}

} // namespace

int runTrainerCommand(const std::string &planText,
                      const std::string &planOrigin,
                      const TrainerOptions &options) {
  try {
    // Ranks started together on one machine share its cores.
    int64_t cores = std::max(1u, std::thread::hardware_concurrency());
    at::set_num_threads(static_cast<int>(options.threads.value_or(
        std::max<int64_t>(1, cores / options.world.localSize))));
    return dispatch(planText, planOrigin, options);
  } catch (const UsageError &e) {
    std::cerr << options.program << ": " << e.what() << "\n";
    return 2;
  } catch (const c10::Error &e) {
    std::cerr << options.program << ": error: " << e.what_without_backtrace()
              << "\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << options.program << ": error: " << e.what() << "\n";
    return 1;
  }
}

} // namespace dream::rt
