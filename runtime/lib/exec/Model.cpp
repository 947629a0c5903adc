//===- Model.cpp - A plan's parameters and its executor
//--------------------===//

#include "dream/Runtime/Model.h"

#include "dream/Runtime/Ops.h"
#include "dream/Runtime/Safetensors.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstring>

namespace dream::rt {
namespace {

at::Tensor initialValue(const ParamSpec &spec, at::Generator &generator) {
  at::Tensor t = at::empty(spec.shape, at::kFloat);
  if (spec.init == "uniform") {
    // nn.Conv2d's, nn.Linear's and nn.LSTM's default: U(-1/sqrt(fan_in), .)
    double bound = 1.0 / std::sqrt(static_cast<double>(spec.fanIn));
    return t.uniform_(-bound, bound, generator);
  }
  if (spec.init == "normal")
    return t.normal_(0.0, 1.0, generator);
  if (spec.init == "normal_0.02")
    return t.normal_(0.0, 0.02, generator);
  if (spec.init == "xavier_uniform") {
    double bound =
        std::sqrt(6.0 / static_cast<double>(spec.shape[0] + spec.shape[1]));
    return t.uniform_(-bound, bound, generator);
  }
  return spec.init == "ones" ? t.fill_(1.0) : t.zero_();
}

at::Tensor exampleInput(const InputSpec &input, at::Device device) {
  std::vector<int64_t> shape = {2};
  shape.insert(shape.end(), input.shape.begin(), input.shape.end());
  return at::zeros(shape, at::TensorOptions()
                              .dtype(input.tokens ? at::kLong : at::kFloat)
                              .device(device));
}

void checkOutput(const Step &step, const at::Tensor &output) {
  std::vector<int64_t> shape = output.sizes().vec();
  if (!shape.empty())
    shape.erase(shape.begin());
  if (output.dim() == 0 || shape != step.shape)
    throw PlanError("output shape " + formatShape(shape) +
                    " differs from the plan's " + formatShape(step.shape));
  if (step.tokenOutput && output.scalar_type() != at::kLong)
    throw PlanError("the plan says int64 but the output is " +
                    std::string(at::toString(output.scalar_type())));
}

std::string safetensorsDtype(at::ScalarType type) {
  switch (type) {
  case at::kFloat:
    return "F32";
  case at::kDouble:
    return "F64";
  case at::kHalf:
    return "F16";
  case at::kBFloat16:
    return "BF16";
  case at::kLong:
    return "I64";
  case at::kInt:
    return "I32";
  case at::kByte:
    return "U8";
  case at::kBool:
    return "BOOL";
  default:
    throw FileError(std::string("cannot store tensors of type ") +
                    at::toString(type));
  }
}

at::ScalarType scalarType(const std::string &dtype) {
  static const std::map<std::string, at::ScalarType> types = {
      {"F32", at::kFloat},     {"F64", at::kDouble}, {"F16", at::kHalf},
      {"BF16", at::kBFloat16}, {"I64", at::kLong},   {"I32", at::kInt},
      {"U8", at::kByte},       {"BOOL", at::kBool}};
  return types.at(dtype);
}

} // namespace

Model::Model(Plan plan, uint64_t seed, at::Device device)
    : spec(std::move(plan)), where(device) {
  createParams(seed);
  checkShapes();
}

void Model::createParams(uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const ParamSpec &param : spec.params) {
    byName[param.name] = tensors.size();
    tensors.push_back(initialValue(param, generator).to(where));
  }
  setTrainable([](const ParamSpec &param) { return param.trainable; });
}

/// Running every graph once turns shape errors into load-time errors that
/// name the step, instead of failures in the middle of training.
void Model::checkShapes() const {
  at::NoGradGuard noGrad;
  RunMode evaluation;
  try {
    run(spec.graph, {exampleInput(spec.input, where)}, evaluation);
    for (const EncoderSpec &enc : spec.encoders) {
      at::Tensor latent =
          run(enc.encode, {exampleInput(enc.input, where)}, evaluation)[0];
      if (enc.decode)
        run(*enc.decode, {latent}, evaluation);
    }
  } catch (const PlanError &e) {
    throw PlanError(spec.origin + ": " + e.what());
  }
}

const at::Tensor &Model::tensor(const std::string &name) const {
  auto it = byName.find(name);
  if (it == byName.end())
    throw PlanError("no parameter '" + name + "'");
  return tensors[it->second];
}

void Model::setTrainable(const std::function<bool(const ParamSpec &)> &select) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ParamSpec &param = spec.params[i];
    tensors[i].requires_grad_(!param.buffer && select(param));
    tensors[i].mutable_grad().reset();
  }
}

void Model::setPrecision(at::ScalarType type) {
  for (at::Tensor &t : tensors) {
    bool trainable = t.requires_grad();
    t = t.detach().to(type).requires_grad_(trainable);
  }
}

std::vector<std::pair<std::string, at::Tensor>> Model::trainableParams() const {
  std::vector<std::pair<std::string, at::Tensor>> params;
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].requires_grad())
      params.emplace_back(spec.params[i].name, tensors[i]);
  return params;
}

TensorMap Model::tensorsWithPrefix(const std::string &prefix) const {
  TensorMap selected;
  for (size_t i = 0; i < tensors.size(); ++i)
    if (startsWith(spec.params[i].name, prefix))
      selected[spec.params[i].name] = tensors[i].detach();
  return selected;
}

void Model::importTensors(const TensorMap &source, const std::string &prefix,
                          const std::string &origin) {
  std::vector<std::string> missing;
  for (const ParamSpec &param : spec.params) {
    if (!startsWith(param.name, prefix))
      continue;
    auto it = source.find(param.name);
    if (it == source.end()) {
      missing.push_back(param.name);
      continue;
    }
    if (it->second.sizes().vec() != param.shape)
      throw FileError(origin + ": '" + param.name + "' has shape " +
                      formatShape(it->second.sizes().vec()) +
                      ", the plan's is " + formatShape(param.shape));
  }
  if (!missing.empty())
    throw FileError(origin + ": " + std::to_string(missing.size()) +
                    " tensor(s) of the plan are missing, the first is '" +
                    missing.front() + "'");
  for (const auto &[name, value] : source)
    if (startsWith(name, prefix) && !byName.count(name))
      throw FileError(origin + ": '" + name +
                      "' is not a parameter of this plan");
  at::NoGradGuard noGrad;
  for (const auto &[name, value] : source)
    if (startsWith(name, prefix))
      tensors[byName.at(name)].copy_(value);
}

std::vector<at::Tensor> Model::run(const Graph &graph,
                                   const std::vector<at::Tensor> &inputs,
                                   const RunMode &mode) const {
  if (inputs.size() != graph.inputs.size())
    throw PlanError(graph.where + " takes " +
                    std::to_string(graph.inputs.size()) + " input(s), not " +
                    std::to_string(inputs.size()));
  std::vector<at::Tensor> values(graph.numValues);
  for (size_t i = 0; i < inputs.size(); ++i)
    values[graph.inputs[i]] = inputs[i];
  RunMode withPadding = mode;
  if (inputs.size() == 1 && inputs[0].scalar_type() == at::kLong)
    withPadding.padding = inputs[0].eq(0);
  execute(graph, values, withPadding);
  std::vector<at::Tensor> outputs;
  for (int v : graph.outputs)
    outputs.push_back(values[v]);
  return outputs;
}

at::Tensor Model::logits(const at::Tensor &inputs, const RunMode &mode) const {
  return run(spec.graph, {inputs}, mode)[0];
}

void Model::execute(const Graph &graph, std::vector<at::Tensor> &values,
                    const RunMode &mode) const {
  for (size_t i = 0; i < graph.steps.size(); ++i) {
    const Step &step = graph.steps[i];
    values[step.output] = runStep(step, values, mode);
    for (int v : graph.releaseAfter[i])
      values[v].reset();
  }
}

at::Tensor Model::runStep(const Step &step,
                          const std::vector<at::Tensor> &values,
                          const RunMode &mode) const {
  std::vector<at::Tensor> inputs, params;
  for (int v : step.inputs)
    inputs.push_back(values[v]);
  for (const ParamRef &p : step.params)
    params.push_back(p.value >= 0 ? values[p.value] : tensor(p.name));
  RunMode stepMode = mode;
  stepMode.training = mode.training && !(mode.honourFrozen && step.frozen);
  try {
    at::Tensor output;
    if (step.op == "fused")
      output = runFused(step, inputs, params, stepMode);
    else
      output = runReferenceOp({step, inputs, params, stepMode.training,
                               stepMode.generator, stepMode.padding});
    checkOutput(step, output);
    if (step.op == "observe" && mode.observed)
      (*mode.observed)[stringAttr(step, "name", "")] = output.detach();
    return output;
  } catch (const c10::Error &e) {
    throw PlanError(step.where + ": " + e.what_without_backtrace());
  } catch (const PlanError &e) {
    throw PlanError(step.where + ": " + e.what());
  }
}

void Model::useKernels(const KernelLibrary *library) {
  if (library && library->abi() != spec.kernelAbi)
    throw PlanError(spec.origin + ": the trainer's kernels were compiled for "
                    "another network (kernel signature " + library->abi() +
                    "; this plan's, of " + spec.network + ", is " +
                    spec.kernelAbi +
                    "); compile this network with dreamc, or run it with "
                    "--reference");
  bool gpu = where.is_cuda();
  if (library && gpu && !library->hasGpuKernels() && !spec.kernels.empty())
    throw PlanError(spec.origin + ": this trainer has no GPU kernels (dreamc "
                    "was given --gpu-chip=none); recompile it with a GPU "
                    "chip, or run it with --reference");
  if (library)
    for (const KernelSpec &kernel : spec.kernels)
      for (const std::string *entry :
           {&kernel.forward, &kernel.forwardEval, &kernel.backward})
        if (!entry->empty() && !library->find(*entry, gpu))
          throw PlanError(spec.origin + ": kernel " + kernel.name +
                          ": the trainer's kernel table has no entry point '" +
                          *entry + "'; recompile the network with dreamc");
  kernels = library;
}

/// Whether the compiled entry points compute what the reference steps
/// would in `mode`: the training forward computes batch statistics for
/// exactly the batch norms in `statistics`. They differ only where
/// pre-training trains steps that the network runs frozen.
bool Model::compiledKernelFits(const KernelSpec &kernel,
                               const RunMode &mode) const {
  if (!mode.training)
    return true;
  std::vector<size_t> trained;
  for (size_t i = 0; i < kernel.reference.steps.size(); ++i) {
    const Step &step = kernel.reference.steps[i];
    if (step.op == "batchnorm" && !(mode.honourFrozen && step.frozen))
      trained.push_back(i);
  }
  return trained == kernel.statistics;
}

/// The one place a `fused` step runs.
at::Tensor Model::runFused(const Step &step,
                           const std::vector<at::Tensor> &inputs,
                           const std::vector<at::Tensor> &params,
                           const RunMode &mode) const {
  const KernelSpec &kernel = *spec.findKernel(step.kernel);
  const Graph &reference = kernel.reference;
  std::vector<at::Tensor> operands = inputs;
  operands.insert(operands.end(), params.begin(), params.end());
  if (kernels && compiledKernelFits(kernel, mode)) {
    bool training = mode.training && !kernel.statistics.empty();
    bool gpu = where.is_cuda();
    KernelCall call{kernels->find(training || kernel.forwardEval.empty()
                                      ? kernel.forward
                                      : kernel.forwardEval,
                                  gpu),
                    kernels->find(kernel.backward, gpu), operands,
                    static_cast<int64_t>(step.shape.size()) + 1, {}};
    for (size_t index : training ? kernel.statistics : std::vector<size_t>{}) {
      const Step &bn = reference.steps[index];
      auto param = [&](size_t i) -> at::Tensor {
        const ParamRef &p = bn.params.at(i);
        return p.value >= 0 ? operands.at(p.value) : tensor(p.name);
      };
      int64_t perChannel = inputs.front().size(0);
      for (size_t d = 1; d < bn.shape.size(); ++d)
        perChannel *= bn.shape[d];
      call.statistics.push_back({param(2), param(3),
                                 numberAttr(bn, "momentum", 0.1), perChannel});
    }
    return callFusedKernel(call);
  }
  std::vector<at::Tensor> values;
  if (reference.inputs.empty()) // Operands: the inputs, then the params.
    values = operands;
  values.resize(std::max<size_t>(values.size(), reference.numValues));
  for (size_t i = 0; i < reference.inputs.size(); ++i)
    values[reference.inputs[i]] = inputs[i];
  execute(reference, values, mode);
  return values[reference.outputs.front()];
}

void saveTensorFile(const std::string &path, const TensorMap &tensors,
                    const std::map<std::string, std::string> &metadata) {
  std::vector<at::Tensor> host; // Keeps the bytes alive until written.
  std::vector<RawTensor> raw;
  for (const auto &[name, value] : tensors) {
    host.push_back(value.detach().to(at::kCPU).contiguous());
    const at::Tensor &t = host.back();
    raw.push_back({name, safetensorsDtype(t.scalar_type()), t.sizes().vec(),
                   static_cast<const char *>(t.const_data_ptr()), t.nbytes()});
  }
  writeSafetensors(path, raw, metadata);
}

TensorMap loadTensorFile(const std::string &path,
                         std::map<std::string, std::string> *metadata) {
  SafetensorsFile file = SafetensorsFile::read(path);
  TensorMap tensors;
  for (const RawTensor &raw : file.tensors()) {
    at::Tensor t =
        at::empty(raw.shape, at::TensorOptions().dtype(scalarType(raw.dtype)));
    if (raw.bytes)
      std::memcpy(t.mutable_data_ptr(), raw.data, raw.bytes);
    tensors[raw.name] = t;
  }
  if (metadata)
    *metadata = file.metadata();
  return tensors;
}

} // namespace dream::rt
