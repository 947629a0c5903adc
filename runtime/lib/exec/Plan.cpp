//===- Plan.cpp - Reading and checking execution plans --------------------===//
//
// JSON to Plan, with every problem reported as "<origin>: <field>: <what>".
// The checks here are the ones that do not need tensors: field kinds, known
// names, references between parameters, values, kernels and steps. Op
// signatures are checked against the op table in Ops.cpp.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Plan.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using nlohmann::json;

namespace dream::rt {

int64_t ParamSpec::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

const ParamSpec *Plan::findParam(const std::string &name) const {
  for (const ParamSpec &p : params)
    if (p.name == name)
      return &p;
  return nullptr;
}

const KernelSpec *Plan::findKernel(const std::string &name) const {
  for (const KernelSpec &k : kernels)
    if (k.name == name)
      return &k;
  return nullptr;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

namespace {

/// A JSON value with its path in the plan, so that every error can say
/// which field is wrong ("graph.steps[3].output: expected an integer").
class Node {
public:
  Node(const json &value, std::string path, const std::string &origin)
      : value(value), path(std::move(path)), origin(origin) {}

  [[noreturn]] void fail(const std::string &problem) const {
    throw PlanError(origin + ": " + (path.empty() ? "" : path + ": ") +
                    problem);
  }

  /// A required field of an object.
  Node at(const std::string &key) const {
    std::optional<Node> child = find(key);
    if (!child)
      fail("missing field '" + key + "'");
    return *child;
  }

  /// An optional field; null counts as absent.
  std::optional<Node> find(const std::string &key) const {
    requireKind(value.is_object(), "an object");
    auto it = value.find(key);
    if (it == value.end() || it->is_null())
      return std::nullopt;
    return Node(*it, path.empty() ? key : path + "." + key, origin);
  }

  size_t size() const {
    requireKind(value.is_array(), "an array");
    return value.size();
  }

  Node operator[](size_t i) const {
    return Node(value.at(i), path + "[" + std::to_string(i) + "]", origin);
  }

  /// The same value under a more telling name (a step with its op and loc).
  Node renamed(std::string newPath) const {
    return Node(value, std::move(newPath), origin);
  }

  int64_t integer() const {
    requireKind(value.is_number_integer(), "an integer");
    return value.get<int64_t>();
  }
  int64_t positive() const {
    int64_t n = integer();
    if (n <= 0)
      fail("expected a positive integer, got " + std::to_string(n));
    return n;
  }
  double number() const {
    requireKind(value.is_number(), "a number");
    return value.get<double>();
  }
  bool boolean() const {
    requireKind(value.is_boolean(), "true or false");
    return value.get<bool>();
  }
  std::string string() const {
    requireKind(value.is_string(), "a string");
    return value.get<std::string>();
  }
  std::vector<int64_t> shape() const {
    std::vector<int64_t> dims;
    for (size_t i = 0; i < size(); ++i)
      dims.push_back((*this)[i].positive());
    return dims;
  }
  std::vector<int> valueNumbers() const {
    std::vector<int> numbers;
    for (size_t i = 0; i < size(); ++i) {
      int64_t n = (*this)[i].integer();
      if (n < 0 || n > 1000000)
        (*this)[i].fail("value numbers are between 0 and 1000000");
      numbers.push_back(static_cast<int>(n));
    }
    return numbers;
  }
  const json &object() const {
    requireKind(value.is_object(), "an object");
    return value;
  }
  const json &raw() const { return value; }
  const std::string &where() const { return path; }

private:
  void requireKind(bool ok, const char *expected) const {
    if (!ok)
      fail(std::string("expected ") + expected + ", got " + value.dump());
  }

  const json &value;
  std::string path;
  const std::string &origin;
};

std::string stringOr(const Node &node, const char *key, std::string fallback) {
  std::optional<Node> child = node.find(key);
  return child ? child->string() : fallback;
}
double numberOr(const Node &node, const char *key, double fallback) {
  std::optional<Node> child = node.find(key);
  return child ? child->number() : fallback;
}
int64_t integerOr(const Node &node, const char *key, int64_t fallback) {
  std::optional<Node> child = node.find(key);
  return child ? child->integer() : fallback;
}
bool booleanOr(const Node &node, const char *key, bool fallback) {
  std::optional<Node> child = node.find(key);
  return child ? child->boolean() : fallback;
}

/// `name` must be one of `known`.
void requireOneOf(const Node &node, const std::string &name,
                  const std::vector<std::string> &known, const char *what) {
  for (const std::string &k : known)
    if (k == name)
      return;
  std::string list;
  for (const std::string &k : known)
    list += (list.empty() ? "" : ", ") + k;
  node.fail("unknown " + std::string(what) + " '" + name + "'; expected " +
            list);
}

void checkFormat(const Node &root) {
  std::string format = root.at("format").string();
  int64_t version = root.at("version").integer();
  if (format != "dreamc-plan" || version != 1)
    root.fail("this runtime reads format 'dreamc-plan' version 1; the plan "
              "has format '" +
              format + "' version " + std::to_string(version));
}

InputSpec parseInput(const Node &node) {
  InputSpec input;
  input.shape = node.at("shape").shape();
  std::string dtype = stringOr(node, "dtype", "float32");
  requireOneOf(node, dtype, {"float32", "int64"}, "dtype");
  input.tokens = dtype == "int64";
  if (input.tokens)
    input.vocab = node.at("vocab").positive();
  return input;
}

ParamSpec parseParam(const Node &node) {
  ParamSpec p;
  p.name = node.at("name").string();
  p.shape = node.at("shape").shape();
  p.init = node.at("init").string();
  requireOneOf(
      node.at("init"), p.init,
      {"uniform", "normal", "normal_0.02", "xavier_uniform", "ones", "zeros"},
      "init");
  if (p.init == "uniform")
    p.fanIn = node.at("fan_in").positive();
  if (p.init == "xavier_uniform" && p.shape.size() != 2)
    node.fail("init 'xavier_uniform' needs a 2-D shape, got " +
              formatShape(p.shape));
  p.trainable = booleanOr(node, "trainable", true);
  p.buffer = booleanOr(node, "buffer", false);
  return p;
}

std::vector<ParamSpec> parseParams(const Node &node) {
  std::vector<ParamSpec> params;
  std::set<std::string> names;
  for (size_t i = 0; i < node.size(); ++i) {
    params.push_back(parseParam(node[i]));
    if (!names.insert(params.back().name).second)
      node[i].fail("parameter '" + params.back().name + "' is listed twice");
  }
  return params;
}

ParamRef parseParamRef(const Node &node) {
  if (node.raw().is_number_integer())
    return ParamRef{"", static_cast<int>(node.integer())};
  return ParamRef{node.string(), -1};
}

Step parseStep(const Node &raw) {
  Step step;
  step.op = raw.at("op").string();
  step.loc = stringOr(raw, "loc", "");
  step.where = raw.where() + " (" + step.op +
               (step.loc.empty() ? "" : " at " + step.loc) + ")";
  Node node = raw.renamed(step.where);
  step.inputs = node.at("inputs").valueNumbers();
  if (std::optional<Node> params = node.find("params"))
    for (size_t i = 0; i < params->size(); ++i)
      step.params.push_back(parseParamRef((*params)[i]));
  step.output = static_cast<int>(node.at("output").integer());
  if (std::optional<Node> attrs = node.find("attrs"))
    step.attrs = attrs->object();
  step.shape = node.at("shape").shape();
  std::string dtype = stringOr(node, "dtype", "float32");
  requireOneOf(node, dtype, {"float32", "int64"}, "dtype");
  step.tokenOutput = dtype == "int64";
  step.frozen = booleanOr(node, "frozen", false);
  step.kernel = stringOr(node, "kernel", "");
  try {
    checkOpSignature(step);
  } catch (const PlanError &e) {
    node.fail(e.what());
  }
  return step;
}

/// Which values die after which step, for Graph::releaseAfter.
void computeReleases(Graph &graph) {
  std::vector<int> lastUse(graph.numValues, -1);
  for (size_t i = 0; i < graph.steps.size(); ++i) {
    for (int v : graph.steps[i].inputs)
      lastUse[v] = static_cast<int>(i);
    for (const ParamRef &p : graph.steps[i].params)
      if (p.value >= 0)
        lastUse[p.value] = static_cast<int>(i);
  }
  for (int v : graph.outputs)
    lastUse[v] = static_cast<int>(graph.steps.size());
  graph.releaseAfter.assign(graph.steps.size(), {});
  for (int v = 0; v < graph.numValues; ++v)
    if (lastUse[v] >= 0 && lastUse[v] < static_cast<int>(graph.steps.size()))
      graph.releaseAfter[lastUse[v]].push_back(v);
}

int largestValue(const Graph &graph) {
  int largest = -1;
  for (int v : graph.inputs)
    largest = std::max(largest, v);
  for (const Step &step : graph.steps) {
    largest = std::max(largest, step.output);
    for (int v : step.inputs)
      largest = std::max(largest, v);
    for (const ParamRef &p : step.params)
      largest = std::max(largest, p.value);
  }
  return largest;
}

std::vector<Step> parseSteps(const Node &node) {
  std::vector<Step> steps;
  for (size_t i = 0; i < node.size(); ++i)
    steps.push_back(parseStep(node[i]));
  return steps;
}

Graph parseGraph(const Node &node) {
  Graph graph;
  graph.where = node.where();
  graph.inputs = node.at("inputs").valueNumbers();
  graph.outputs = node.at("outputs").valueNumbers();
  if (graph.inputs.empty() || graph.outputs.empty())
    node.fail("a graph needs at least one input and one output");
  graph.steps = parseSteps(node.at("steps"));
  graph.numValues = largestValue(graph) + 1;
  for (int v : graph.outputs)
    graph.numValues = std::max(graph.numValues, v + 1);
  return graph;
}

PretrainSpec parsePretrain(const Node &node) {
  PretrainSpec pretrain;
  pretrain.kind = node.at("kind").string();
  requireOneOf(node.at("kind"), pretrain.kind,
               {"masked", "reconstruct", "masked_tokens", "decode"},
               "pretrain kind");
  pretrain.epochs = node.find("epochs") ? node.at("epochs").positive() : 1;
  pretrain.ratio = numberOr(node, "ratio", 0.75);
  if (pretrain.ratio < 0 || pretrain.ratio >= 1)
    node.at("ratio").fail("the masking ratio must be in [0, 1)");
  return pretrain;
}

EncoderSpec parseEncoder(const Node &node) {
  EncoderSpec enc;
  enc.name = node.at("name").string();
  enc.frozen = booleanOr(node, "frozen", true);
  enc.weights = stringOr(node, "weights", "");
  if (std::optional<Node> pretrain = node.find("pretrain"))
    enc.pretrain = parsePretrain(*pretrain);
  enc.input = parseInput(node.at("input"));
  if (std::optional<Node> latent = node.find("latent"))
    enc.latent = latent->shape();
  if (std::optional<Node> output = node.find("output"))
    enc.output = output->shape();
  enc.encode = parseGraph(node.at("encode"));
  if (std::optional<Node> decode = node.find("decode"))
    enc.decode = parseGraph(*decode);
  return enc;
}

/// A bare list of reference steps: the kernel's numbering, the result is
/// the last step's output.
Graph parseReferenceSteps(const Node &node) {
  Graph graph;
  graph.where = node.where();
  graph.steps = parseSteps(node);
  if (graph.steps.empty())
    node.fail("a kernel needs at least one reference step");
  graph.outputs = {graph.steps.back().output};
  graph.numValues = largestValue(graph) + 1;
  return graph;
}

KernelSpec parseKernel(const Node &node) {
  KernelSpec kernel;
  kernel.name = node.at("name").string();
  kernel.forward = stringOr(node, "forward", "");
  kernel.forwardEval = stringOr(node, "forward_eval", "");
  kernel.backward = stringOr(node, "backward", "");
  Node reference = node.at("reference");
  kernel.reference = reference.raw().is_object()
                         ? parseGraph(reference)
                         : parseReferenceSteps(reference);
  for (const Step &step : kernel.reference.steps)
    if (step.op == "fused")
      reference.fail("a kernel's reference steps cannot call a kernel");
  if (std::optional<Node> statistics = node.find("statistics")) {
    for (size_t i = 0; i < statistics->size(); ++i) {
      int64_t index = (*statistics)[i].integer();
      if (index < 0 ||
          static_cast<size_t>(index) >= kernel.reference.steps.size() ||
          kernel.reference.steps[index].op != "batchnorm")
        (*statistics)[i].fail("expected the index of a batchnorm among the "
                              "kernel's reference steps");
      kernel.statistics.push_back(static_cast<size_t>(index));
    }
  }
  if (!kernel.statistics.empty() && kernel.forwardEval.empty())
    node.fail("a kernel with batch statistics needs 'forward_eval'");
  computeReleases(kernel.reference);
  return kernel;
}

OptimizerSpec defaultOptimizer(const std::string &name) {
  OptimizerSpec spec;
  spec.name = name;
  if (name == "adamw") {
    spec.lr = 0.001;
    spec.eps = 1e-8;
    spec.weightDecay = 0.01;
  } else if (name == "sgd") {
    spec.lr = 0.1;
  }
  return spec;
}

OptimizerSpec parseOptimizer(const Node &node) {
  std::string name = stringOr(node, "name", "adam");
  requireOneOf(node, name, {"adam", "adamw", "sgd"}, "optimizer");
  OptimizerSpec spec = defaultOptimizer(name);
  spec.lr = numberOr(node, "lr", spec.lr);
  if (std::optional<Node> betas = node.find("betas")) {
    if (betas->size() != 2)
      betas->fail("expected two numbers");
    spec.beta1 = (*betas)[0].number();
    spec.beta2 = (*betas)[1].number();
  }
  spec.eps = numberOr(node, "eps", spec.eps);
  spec.weightDecay = numberOr(node, "weight_decay", spec.weightDecay);
  spec.momentum = numberOr(node, "momentum", spec.momentum);
  spec.nesterov = booleanOr(node, "nesterov", spec.nesterov);
  if (spec.lr <= 0)
    node.fail("the learning rate must be positive");
  return spec;
}

ScheduleSpec parseSchedule(const Node &node) {
  std::string name = stringOr(node, "name", "constant");
  requireOneOf(node, name, scheduleNames(), "schedule");
  ScheduleSpec spec = defaultSchedule(name);
  spec.warmup = numberOr(node, "warmup", spec.warmup);
  if (spec.warmup < 0 || spec.warmup > 1)
    node.fail("warmup is a fraction of the training steps, in [0, 1]");
  spec.every = node.find("every") ? node.at("every").positive() : 10;
  spec.gamma = numberOr(node, "gamma", 0.1);
  return spec;
}

/// A bare name, or {"name": ..., args} with the ranges Sema checks.
AugmentSpec parseAugment(const Node &node) {
  AugmentSpec spec;
  if (node.raw().is_string()) {
    spec.name = node.string();
  } else {
    spec.name = node.at("name").string();
    spec.n = integerOr(node, "n", spec.n);
    spec.m = integerOr(node, "m", spec.m);
    spec.alpha = numberOr(node, "alpha", spec.alpha);
    spec.fraction = numberOr(node, "fraction", spec.fraction);
  }
  requireOneOf(node, spec.name, {"none", "randaugment", "mixup", "word_noise"},
               "augment");
  if (spec.n < 0 || spec.m < 0 || spec.m > 30)
    node.fail("randaugment takes n >= 0 and m from 0 to 30");
  if (!(spec.alpha > 0))
    node.fail("mixup takes alpha > 0");
  if (spec.fraction < 0 || spec.fraction >= 1)
    node.fail("word_noise takes a fraction in [0, 1)");
  return spec;
}

/// A setting given either as a bare name or as {"name": ..., args}.
std::string settingName(const Node &node) {
  return node.raw().is_string() ? node.string() : node.at("name").string();
}

Recipe parseRecipe(const Node &node) {
  Recipe recipe;
  recipe.data = stringOr(node, "data", recipe.data);
  if (node.find("epochs"))
    recipe.epochs = node.at("epochs").positive();
  if (node.find("batch"))
    recipe.batch = node.at("batch").positive();
  recipe.seed = integerOr(node, "seed", recipe.seed);
  if (std::optional<Node> opt = node.find("optimizer"))
    recipe.optimizer = opt->raw().is_string()
                           ? defaultOptimizer(settingName(*opt))
                           : parseOptimizer(*opt);
  if (std::optional<Node> schedule = node.find("schedule")) {
    if (schedule->raw().is_string()) {
      requireOneOf(*schedule, schedule->string(), scheduleNames(), "schedule");
      recipe.schedule = defaultSchedule(schedule->string());
    } else {
      recipe.schedule = parseSchedule(*schedule);
    }
  }
  recipe.clip = numberOr(node, "clip", 0.0);
  recipe.labelSmoothing = numberOr(node, "label_smoothing", 0.0);
  recipe.validation = numberOr(node, "validation", 0.0);
  if (recipe.labelSmoothing < 0 || recipe.labelSmoothing >= 1)
    node.at("label_smoothing").fail("expected a value in [0, 1)");
  if (recipe.validation < 0 || recipe.validation >= 1)
    node.at("validation").fail("expected a fraction in [0, 1)");
  if (std::optional<Node> augment = node.find("augment"))
    recipe.augment = parseAugment(*augment);
  recipe.preset = stringOr(node, "preset", recipe.preset);
  return recipe;
}

/// Checks that every value is defined once before it is read and that
/// parameters exist: by name in graphs, by value number (an operand of the
/// kernel) in reference steps. `defined` holds the values available before
/// step 0; `prefix` starts every message.
void checkValues(const Plan &plan, const Graph &graph, std::set<int> defined,
                 bool kernelReference, const std::string &prefix) {
  auto fail = [&](const std::string &where, const std::string &problem) {
    throw PlanError(prefix + where + ": " + problem);
  };
  for (const Step &step : graph.steps) {
    for (int v : step.inputs)
      if (!defined.count(v))
        fail(step.where,
             "value " + std::to_string(v) + " is used before it is defined");
    for (const ParamRef &p : step.params) {
      if (p.value >= 0 && !kernelReference)
        fail(step.where, "parameters of a graph step are names, not values");
      if (p.value >= 0 && !defined.count(p.value))
        fail(step.where,
             "kernel operand " + std::to_string(p.value) + " is not defined");
      if (p.value < 0 && !plan.findParam(p.name))
        fail(step.where, "unknown parameter '" + p.name + "'");
    }
    if (!defined.insert(step.output).second)
      fail(step.where,
           "value " + std::to_string(step.output) + " is defined twice");
  }
  for (int v : graph.outputs)
    if (!defined.count(v))
      fail(graph.where + ".outputs",
           "value " + std::to_string(v) + " is never defined");
}

/// A fused step must name a known kernel whose reference steps only read
/// what the step passes: its inputs (a graph reference), or its inputs and
/// parameters as operands 0, 1, ... (a list of steps).
void checkFusedStep(const Plan &plan, const Step &step) {
  const KernelSpec *kernel = plan.findKernel(step.kernel);
  std::string where = plan.origin + ": " + step.where;
  if (!kernel)
    throw PlanError(where + ": unknown kernel '" + step.kernel + "'");
  const Graph &reference = kernel->reference;
  std::set<int> defined(reference.inputs.begin(), reference.inputs.end());
  if (!reference.inputs.empty() &&
      reference.inputs.size() != step.inputs.size())
    throw PlanError(where + ": " + kernel->name + " takes " +
                    std::to_string(reference.inputs.size()) +
                    " input(s), the step gives " +
                    std::to_string(step.inputs.size()));
  if (reference.inputs.empty())
    for (size_t i = 0; i < step.inputs.size() + step.params.size(); ++i)
      defined.insert(static_cast<int>(i));
  checkValues(plan, reference, defined, /*kernelReference=*/true,
              where + " calls " + kernel->name + " with " +
                  std::to_string(defined.size()) + " operands: ");
}

void checkGraph(const Plan &plan, Graph &graph) {
  checkValues(plan, graph,
              std::set<int>(graph.inputs.begin(), graph.inputs.end()),
              /*kernelReference=*/false, plan.origin + ": ");
  for (const Step &step : graph.steps)
    if (step.op == "fused")
      checkFusedStep(plan, step);
  computeReleases(graph);
}

/// The network's first output is the logits: [classes].
void checkLogits(const Plan &plan) {
  int logits = plan.graph.outputs.front();
  for (const Step &step : plan.graph.steps)
    if (step.output == logits &&
        step.shape != std::vector<int64_t>{plan.classes})
      throw PlanError(plan.origin +
                      ": graph.outputs[0]: the network's output "
                      "has shape " +
                      formatShape(step.shape) + " but classes is " +
                      std::to_string(plan.classes));
}

/// The plan without what does not change the network's computation.
json networkPart(json value) {
  if (value.is_object()) {
    value.erase("loc");
    for (auto &[key, child] : value.items())
      child = networkPart(child);
  } else if (value.is_array()) {
    for (json &child : value)
      child = networkPart(child);
  }
  return value;
}

std::string hashPlan(json plan) {
  for (const char *key : {"recipe", "cost", "source"})
    plan.erase(key);
  return fnv1a(networkPart(std::move(plan)).dump());
}

/// The hash of every fused step's kernel, entry points and operand and
/// result shapes (per sample), over all graphs.
std::string kernelAbiHash(const Plan &plan) {
  json calls = json::array();
  auto addGraph = [&](const Graph &graph, const InputSpec &input) {
    std::map<int, std::vector<int64_t>> shapes;
    for (int v : graph.inputs)
      shapes[v] = input.shape;
    for (const Step &step : graph.steps) {
      shapes[step.output] = step.shape;
      if (step.op != "fused")
        continue;
      const KernelSpec &kernel = *plan.findKernel(step.kernel);
      json call = {kernel.name, kernel.forward, kernel.forwardEval,
                   kernel.backward, kernel.statistics, step.shape};
      for (int v : step.inputs)
        call.push_back(shapes[v]);
      for (const ParamRef &p : step.params)
        call.push_back(plan.findParam(p.name)->shape);
      calls.push_back(call);
    }
  };
  addGraph(plan.graph, plan.input);
  for (const EncoderSpec &enc : plan.encoders) {
    addGraph(enc.encode, enc.input);
    if (enc.decode) {
      InputSpec latent;
      latent.shape = enc.latent;
      addGraph(*enc.decode, latent);
    }
  }
  return fnv1a(calls.dump());
}

std::vector<EncoderSpec> parseEncoders(const Node &node) {
  std::vector<EncoderSpec> encoders;
  std::set<std::string> names;
  for (size_t i = 0; i < node.size(); ++i) {
    encoders.push_back(parseEncoder(node[i]));
    if (!names.insert(encoders.back().name).second)
      node[i].fail("encoder '" + encoders.back().name + "' is listed twice");
  }
  return encoders;
}

std::vector<KernelSpec> parseKernels(const Node &node) {
  std::vector<KernelSpec> kernels;
  std::set<std::string> names;
  for (size_t i = 0; i < node.size(); ++i) {
    kernels.push_back(parseKernel(node[i]));
    if (!names.insert(kernels.back().name).second)
      node[i].fail("kernel '" + kernels.back().name + "' is listed twice");
  }
  return kernels;
}

} // namespace

std::string fnv1a(const std::string &text) {
  // One digit short of FNV's published offset basis (14695981039346656037):
  // kept, because checkpoints record plan hashes made with it.
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(hash));
  return hex;
}

Plan parsePlan(const std::string &text, const std::string &origin) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception &e) {
    // parse_error, or out_of_range for a number beyond a double (1e400).
    throw PlanError(origin + ": not valid JSON: " + e.what());
  }
  Plan plan;
  plan.origin = origin;
  Node root(document, "", plan.origin);
  checkFormat(root);
  plan.network = root.at("network").string();
  plan.source = stringOr(root, "source", "");
  plan.input = parseInput(root.at("input"));
  plan.classes = root.at("classes").positive();
  plan.params = parseParams(root.at("params"));
  plan.graph = parseGraph(root.at("graph"));
  if (std::optional<Node> encoders = root.find("encoders"))
    plan.encoders = parseEncoders(*encoders);
  if (std::optional<Node> kernels = root.find("kernels"))
    plan.kernels = parseKernels(*kernels);
  if (std::optional<Node> recipe = root.find("recipe"))
    plan.recipe = parseRecipe(*recipe);
  if (std::optional<Node> cost = root.find("cost"))
    plan.cost = cost->raw();

  checkGraph(plan, plan.graph);
  checkLogits(plan);
  for (EncoderSpec &enc : plan.encoders) {
    checkGraph(plan, enc.encode);
    if (enc.decode)
      checkGraph(plan, *enc.decode);
  }
  plan.hash = hashPlan(document);
  plan.kernelAbi = kernelAbiHash(plan);
  return plan;
}

Plan loadPlanFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw PlanError(path + ": cannot open the plan file");
  std::ostringstream text;
  text << in.rdbuf();
  return parsePlan(text.str(), path);
}

} // namespace dream::rt
