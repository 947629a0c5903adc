//===- PlanReader.cpp - Reading and checking execution plans --------------===//
//
// JSON to Plan, with every problem reported as "<origin>: <field>: <what>".
// The checks here are the ones that do not need tensors: field kinds, known
// names, references between parameters, values, kernels and steps. Op
// signatures are checked by the caller's StepCheck (the runtime's op table).
//
//===----------------------------------------------------------------------===//

#include "JsonNode.h"

#include "PlanHash.h"

#include <set>

using nlohmann::json;

namespace dream::schema {

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

namespace {

void checkFormat(const Node &root) {
  std::string format = root.at("format").string();
  int64_t version = root.at("version").integer();
  if (format != kPlanFormat || version != kPlanVersion)
    root.fail(std::string("this runtime reads format '") + kPlanFormat +
              "' version " + std::to_string(kPlanVersion) +
              "; the plan has format '" + format + "' version " +
              std::to_string(version));
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

Step parseStep(const Node &raw, const StepCheck &checkStep) {
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
  step.output = node.at("output").valueNumber();
  if (std::optional<Node> attrs = node.find("attrs"))
    step.attrs = attrs->object();
  step.shape = node.at("shape").shape();
  std::string dtype = stringOr(node, "dtype", "float32");
  requireOneOf(node, dtype, {"float32", "int64"}, "dtype");
  step.tokenOutput = dtype == "int64";
  step.frozen = booleanOr(node, "frozen", false);
  step.kernel = stringOr(node, "kernel", "");
  try {
    checkStep(step);
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

std::vector<Step> parseSteps(const Node &node, const StepCheck &checkStep) {
  std::vector<Step> steps;
  for (size_t i = 0; i < node.size(); ++i)
    steps.push_back(parseStep(node[i], checkStep));
  return steps;
}

Graph parseGraph(const Node &node, const StepCheck &checkStep) {
  Graph graph;
  graph.where = node.where();
  graph.inputs = node.at("inputs").valueNumbers();
  graph.outputs = node.at("outputs").valueNumbers();
  if (graph.inputs.empty() || graph.outputs.empty())
    node.fail("a graph needs at least one input and one output");
  graph.steps = parseSteps(node.at("steps"), checkStep);
  graph.numValues = largestValue(graph) + 1;
  for (int v : graph.outputs)
    graph.numValues = std::max(graph.numValues, v + 1);
  return graph;
}

EncoderSpec parseEncoder(const Node &node, const StepCheck &checkStep) {
  EncoderSpec enc;
  enc.name = node.at("name").string();
  enc.frozen = booleanOr(node, "frozen", true);
  enc.weights = stringOr(node, "weights", "");
  if (std::optional<Node> pretrain = node.find("pretrain"))
    enc.pretrain = readPretrain(*pretrain);
  enc.input = parseInput(node.at("input"));
  if (std::optional<Node> latent = node.find("latent"))
    enc.latent = latent->shape();
  if (std::optional<Node> output = node.find("output"))
    enc.output = output->shape();
  enc.encode = parseGraph(node.at("encode"), checkStep);
  if (std::optional<Node> decode = node.find("decode"))
    enc.decode = parseGraph(*decode, checkStep);
  return enc;
}

/// A bare list of reference steps: the kernel's numbering, the result is
/// the last step's output.
Graph parseReferenceSteps(const Node &node, const StepCheck &checkStep) {
  Graph graph;
  graph.where = node.where();
  graph.steps = parseSteps(node, checkStep);
  if (graph.steps.empty())
    node.fail("a kernel needs at least one reference step");
  graph.outputs = {graph.steps.back().output};
  graph.numValues = largestValue(graph) + 1;
  return graph;
}

KernelSpec parseKernel(const Node &node, const StepCheck &checkStep) {
  KernelSpec kernel;
  kernel.name = node.at("name").string();
  kernel.forward = stringOr(node, "forward", "");
  kernel.forwardEval = stringOr(node, "forward_eval", "");
  kernel.backward = stringOr(node, "backward", "");
  Node reference = node.at("reference");
  kernel.reference = reference.raw().is_object()
                         ? parseGraph(reference, checkStep)
                         : parseReferenceSteps(reference, checkStep);
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

std::vector<EncoderSpec> parseEncoders(const Node &node,
                                       const StepCheck &checkStep) {
  std::vector<EncoderSpec> encoders;
  std::set<std::string> names;
  for (size_t i = 0; i < node.size(); ++i) {
    encoders.push_back(parseEncoder(node[i], checkStep));
    if (!names.insert(encoders.back().name).second)
      node[i].fail("encoder '" + encoders.back().name + "' is listed twice");
  }
  return encoders;
}

std::vector<KernelSpec> parseKernels(const Node &node,
                                     const StepCheck &checkStep) {
  std::vector<KernelSpec> kernels;
  std::set<std::string> names;
  for (size_t i = 0; i < node.size(); ++i) {
    kernels.push_back(parseKernel(node[i], checkStep));
    if (!names.insert(kernels.back().name).second)
      node[i].fail("kernel '" + kernels.back().name + "' is listed twice");
  }
  return kernels;
}

} // namespace

Plan readPlan(const std::string &text, const std::string &origin,
              const StepCheck &checkStep) {
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
  plan.graph = parseGraph(root.at("graph"), checkStep);
  if (std::optional<Node> encoders = root.find("encoders"))
    plan.encoders = parseEncoders(*encoders, checkStep);
  if (std::optional<Node> kernels = root.find("kernels"))
    plan.kernels = parseKernels(*kernels, checkStep);
  plan.recipe = presetRecipe(*findPreset(kPlanPreset));
  if (std::optional<Node> recipe = root.find("recipe"))
    plan.recipe = readRecipe(*recipe);
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

} // namespace dream::schema
