//===- PlanEmitter.cpp - The execution plan the runtime runs --------------===//

#include "dream/Plan/PlanEmitter.h"

#include "dream/Dialect/DreamAttributes.h"
#include "dream/Dialect/DreamDialect.h"
#include "dream/Schema/KernelTable.h"
#include "dream/Sema/Cost.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <set>

using namespace dream;
using nlohmann::json;

namespace {

json attributeToJson(mlir::Attribute attr) {
  if (auto boolean = mlir::dyn_cast<mlir::BoolAttr>(attr))
    return boolean.getValue();
  if (auto integer = mlir::dyn_cast<mlir::IntegerAttr>(attr))
    return integer.getInt();
  if (auto real = mlir::dyn_cast<mlir::FloatAttr>(attr))
    return real.getValueAsDouble();
  if (auto text = mlir::dyn_cast<mlir::StringAttr>(attr))
    return text.str();
  if (auto word = mlir::dyn_cast<WordAttr>(attr))
    return word.getWord().str();
  if (auto ints = mlir::dyn_cast<mlir::DenseI64ArrayAttr>(attr))
    return json(ints.asArrayRef().vec());
  if (auto list = mlir::dyn_cast<mlir::ArrayAttr>(attr)) {
    json items = json::array();
    for (mlir::Attribute item : list)
      items.push_back(attributeToJson(item));
    return items;
  }
  // Dictionaries are sorted by key, as json objects are.
  if (auto dict = mlir::dyn_cast<mlir::DictionaryAttr>(attr)) {
    json object = json::object();
    for (mlir::NamedAttribute entry : dict)
      object[entry.getName().str()] = attributeToJson(entry.getValue());
    return object;
  }
  if (auto unit = mlir::dyn_cast<mlir::UnitAttr>(attr))
    return true;
  return nullptr;
}

/// The source location of an op; inlined ops carry call-site locations,
/// whose callee side is where the op was written.
std::string locationText(mlir::Location loc) {
  if (auto site = mlir::dyn_cast<mlir::CallSiteLoc>(loc))
    return locationText(site.getCallee());
  if (auto file = mlir::dyn_cast<mlir::FileLineColLoc>(loc))
    return file.getFilename().str() + ":" + std::to_string(file.getLine()) +
           ":" + std::to_string(file.getColumn());
  return "";
}

/// The per-sample type of a value as the plan describes inputs.
schema::InputSpec inputSpec(mlir::Type type, std::optional<int64_t> vocab = {}) {
  auto tensor = *fromMLIRType(type);
  schema::InputSpec input;
  input.shape = tensor.shape;
  input.tokens = tensor.isTokens();
  input.vocab = vocab.value_or(0);
  return input;
}

/// The integer and boolean attributes of `op`: the arguments opFlops reads.
ArgMap countedArguments(mlir::Operation *op) {
  ArgMap args;
  for (mlir::NamedAttribute attr : op->getAttrs()) {
    if (auto boolean = mlir::dyn_cast<mlir::BoolAttr>(attr.getValue()))
      args[attr.getName().str()] = ConstValue::ofBool(boolean.getValue());
    else if (auto integer = mlir::dyn_cast<mlir::IntegerAttr>(attr.getValue()))
      args[attr.getName().str()] = ConstValue::ofInt(integer.getInt());
  }
  return args;
}

/// FLOPs per sample of one op, by the rule Sema's cost report shares.
int64_t flopsOf(mlir::Operation *op) {
  return opFlops(op->getName().stripDialect(), countedArguments(op),
                 *fromMLIRType(op->getOperand(0).getType()),
                 *fromMLIRType(op->getResult(0).getType()));
}

/// FLOPs per sample of the backward pass of the graph in `body`, by the
/// registry's rule for each op that a gradient reaches from the graph's
/// outputs. A value needs a gradient when it depends on a trainable
/// parameter through differentiable ops: a frozen encoder's steps compute
/// the gradient of their input only when something trainable comes before
/// them, and none passes `stop_gradient` or token ids (an `argmax`). Fused
/// ops count nothing, as in `flops_per_sample`.
int64_t backwardFlops(mlir::Block &body) {
  llvm::DenseSet<mlir::Value> varying;
  for (mlir::Operation &op : body.without_terminator()) {
    mlir::Value result = op.getResult(0);
    if (auto param = mlir::dyn_cast<ParamOp>(op)) {
      if (!param.getFrozen() && !param.getBuffer())
        varying.insert(result);
    } else if (!mlir::isa<StopGradientOp>(op) &&
               !fromMLIRType(result.getType())->isTokens() &&
               llvm::any_of(op.getOperands(), [&](mlir::Value operand) {
                 return varying.contains(operand);
               })) {
      varying.insert(result);
    }
  }
  llvm::DenseSet<mlir::Value> reached(body.getTerminator()->operand_begin(),
                                      body.getTerminator()->operand_end());
  int64_t flops = 0;
  for (mlir::Operation &op : llvm::reverse(body.without_terminator())) {
    mlir::Value result = op.getResult(0);
    if (mlir::isa<ParamOp>(op) || !reached.contains(result) ||
        !varying.contains(result))
      continue;
    bool inputGradient = false, paramGradient = false;
    for (mlir::Value operand : op.getOperands())
      if (varying.contains(operand)) {
        (operand.getDefiningOp<ParamOp>() ? paramGradient : inputGradient) =
            true;
        reached.insert(operand);
      }
    if (!mlir::isa<FusedOp>(op))
      flops += opBackwardFlops(op.getName().stripDialect(),
                               countedArguments(&op),
                               *fromMLIRType(op.getOperand(0).getType()),
                               *fromMLIRType(result.getType()), inputGradient,
                               paramGradient);
  }
  return flops;
}

/// What a step's result occupies per sample: fp32, or int64 token ids.
int64_t bytesPerSample(mlir::Type type) {
  TensorType tensor = *fromMLIRType(type);
  return tensor.elementCount() * (tensor.isTokens() ? 8 : 4);
}

/// The public function that is the network (kernel functions are public
/// too, and marked).
mlir::func::FuncOp networkFunction(mlir::ModuleOp module) {
  mlir::func::FuncOp network;
  for (auto function : module.getOps<mlir::func::FuncOp>())
    if (function.isPublic() && !function->hasAttr(kKernelAttr))
      network = function;
  return network;
}

class Emitter {
public:
  explicit Emitter(mlir::ModuleOp module) : module(module) {}

  mlir::FailureOr<schema::Plan> run() {
    mlir::func::FuncOp network = networkFunction(module);
    if (!network)
      return module.emitError("no public network function to plan");

    schema::Plan plan;
    plan.network = network.getSymName().str();
    if (auto source = module->getAttrOfType<mlir::StringAttr>(kSourceAttr))
      plan.source = source.str();
    std::optional<int64_t> vocab;
    if (auto v = module->getAttrOfType<mlir::IntegerAttr>(kInputVocabAttr))
      vocab = v.getInt();
    plan.input = inputSpec(network.getArgumentTypes().front(), vocab);
    plan.classes =
        fromMLIRType(network.getResultTypes().front())->shape.back();

    auto graph = emitGraph(network);
    if (mlir::failed(graph))
      return mlir::failure();
    int64_t flops = flopsPerSample, activations = activationBytes;

    for (auto encoder : module.getOps<EncoderOp>()) {
      auto entry = emitEncoder(encoder);
      if (mlir::failed(entry))
        return mlir::failure();
      plan.encoders.push_back(std::move(*entry));
    }
    plan.params = std::move(params);
    plan.graph = std::move(*graph);
    plan.kernels = std::move(kernels);
    if (auto recipe =
            module->getAttrOfType<mlir::DictionaryAttr>(kRecipeAttr)) {
      try {
        plan.recipe = schema::readRecipe(attributeToJson(recipe),
                                         plan.source);
      } catch (const schema::PlanError &e) {
        return module.emitError(e.what());
      }
    }
    schema::Cost cost;
    for (const schema::ParamSpec &param : plan.params)
      if (!param.buffer)
        (param.trainable ? cost.paramsTrainable : cost.paramsFrozen) +=
            param.numel();
    cost.flopsPerSample = flops;
    cost.trainFlopsPerSample = flops + backwardFlops(network.getBody().front());
    cost.activationBytesPerSample = activations;
    cost.encoderCallsPerStep = encoderCalls(module);
    cost.fusedKernels = static_cast<int64_t>(plan.kernels.size());
    plan.cost = schema::toJson(cost);
    return plan;
  }

private:
  static int64_t encoderCalls(mlir::ModuleOp module) {
    auto calls = module->getAttrOfType<mlir::IntegerAttr>(kEncoderCallsAttr);
    return calls ? calls.getInt() : 0;
  }

  /// Records a parameter once; the same name must always have one shape.
  mlir::LogicalResult addParam(ParamOp param) {
    std::string name = param.getName().str();
    auto type = mlir::cast<mlir::RankedTensorType>(param.getType());
    if (auto it = paramShapes.find(name); it != paramShapes.end()) {
      if (it->second != type.getShape().vec())
        return param.emitOpError("redefines parameter '")
               << name << "' with another shape";
      return mlir::success();
    }
    paramShapes[name] = type.getShape().vec();
    schema::ParamSpec entry;
    entry.name = name;
    entry.shape = type.getShape().vec();
    entry.init = param.getInit().str();
    entry.fanIn = static_cast<int64_t>(param.getFanIn());
    entry.trainable = !param.getFrozen() && !param.getBuffer();
    entry.buffer = param.getBuffer();
    params.push_back(std::move(entry));
    return mlir::success();
  }

  /// The graph of a function. Parameters are the ParamOps it uses.
  mlir::FailureOr<schema::Graph> emitGraph(mlir::func::FuncOp function) {
    flopsPerSample = activationBytes = 0;
    return emitSteps(function.getBody().front(),
                     llvm::DenseMap<mlir::Value, std::string>());
  }

  /// The steps of `block`. `paramOf` names the block arguments that stand
  /// for parameters (inside a fused region); the other arguments are the
  /// graph's inputs.
  mlir::FailureOr<schema::Graph>
  emitSteps(mlir::Block &block,
            const llvm::DenseMap<mlir::Value, std::string> &paramOf) {
    llvm::DenseMap<mlir::Value, int> ids;
    schema::Graph graph;
    for (mlir::BlockArgument arg : block.getArguments()) {
      if (paramOf.count(arg))
        continue;
      ids[arg] = static_cast<int>(ids.size());
      graph.inputs.push_back(ids[arg]);
    }
    for (mlir::Operation &op : block) {
      if (auto param = mlir::dyn_cast<ParamOp>(op)) {
        if (mlir::failed(addParam(param)))
          return mlir::failure();
        continue;
      }
      if (op.hasTrait<mlir::OpTrait::IsTerminator>())
        continue;
      if (!mlir::isa<DreamDialect>(op.getDialect()) ||
          mlir::isa<SleepOp, DreamOp, EncoderOp>(op))
        return op.emitOpError("cannot be planned: run the dream pipeline "
                              "(connections expanded, blocks inlined) first");
      schema::Step step;
      step.op = op.getName().stripDialect().str();
      bool allFrozen = true;
      for (mlir::Value operand : op.getOperands()) {
        std::optional<std::string> name;
        bool frozen = false;
        if (auto param = operand.getDefiningOp<ParamOp>()) {
          name = param.getName().str();
          frozen = param.getFrozen();
        } else if (auto it = paramOf.find(operand); it != paramOf.end()) {
          name = it->second;
          frozen = frozenParams.count(it->second);
        }
        if (name) {
          step.params.push_back(schema::ParamRef{*name});
          allFrozen &= frozen;
        } else {
          step.inputs.push_back(ids.at(operand));
        }
      }
      if (auto fused = mlir::dyn_cast<FusedOp>(op)) {
        step.kernel = fused.getKernel().str();
        if (mlir::failed(emitKernel(fused)))
          return mlir::failure();
      }
      mlir::Value result = op.getResult(0);
      ids[result] = static_cast<int>(ids.size());
      step.output = ids[result];
      // A fused step's only attribute is its kernel, written above.
      for (mlir::NamedAttribute attr : op.getAttrs())
        if (!attr.getName().getValue().starts_with("dream.") &&
            !mlir::isa<FusedOp>(op))
          step.attrs[attr.getName().str()] = attributeToJson(attr.getValue());
      auto type = *fromMLIRType(result.getType());
      step.shape = type.shape;
      step.tokenOutput = type.isTokens();
      step.frozen = (!step.params.empty() && allFrozen) ||
                    op.hasAttr(kFrozenOpAttr);
      step.loc = locationText(op.getLoc());
      graph.steps.push_back(std::move(step));
      flopsPerSample += mlir::isa<FusedOp>(op) ? 0 : flopsOf(&op);
      activationBytes += bytesPerSample(result.getType());
    }
    for (mlir::Value value : block.getTerminator()->getOperands())
      graph.outputs.push_back(ids.at(value));
    return graph;
  }

  /// A kernel entry: its entry points and the steps it replaces, over its
  /// own numbering, for --reference.
  mlir::LogicalResult emitKernel(FusedOp fused) {
    llvm::DenseMap<mlir::Value, std::string> paramOf;
    mlir::Block &body = fused.getBody().front();
    for (auto [operand, arg] :
         llvm::zip(fused.getOperands(), body.getArguments()))
      if (auto param = operand.getDefiningOp<ParamOp>()) {
        paramOf[arg] = param.getName().str();
        if (param.getFrozen())
          frozenParams.insert(param.getName().str());
      }
    int64_t flops = flopsPerSample, bytes = activationBytes;
    auto reference = emitSteps(body, paramOf);
    flopsPerSample = flops, activationBytes = bytes;
    if (mlir::failed(reference))
      return mlir::failure();
    schema::KernelSpec kernel;
    kernel.name = fused.getKernel().str();
    // The reference steps whose batch statistics the training forward
    // returns, in its result order; an evaluation entry exists with them.
    for (auto [index, op] : llvm::enumerate(body.without_terminator()))
      if (mlir::isa<BatchNormOp>(op) && usesBatchStatistics(&op))
        kernel.statistics.push_back(index);
    kernel.forward = schema::forwardEntry(kernel.name);
    if (!kernel.statistics.empty())
      kernel.forwardEval = schema::forwardEvalEntry(kernel.name);
    kernel.backward = schema::backwardEntry(kernel.name);
    kernel.reference = std::move(*reference);
    kernels.push_back(std::move(kernel));
    return mlir::success();
  }

  mlir::FailureOr<schema::EncoderSpec> emitEncoder(EncoderOp encoder) {
    auto graphOf = [&](mlir::FlatSymbolRefAttr part)
        -> mlir::FailureOr<std::optional<schema::Graph>> {
      if (!part)
        return std::optional<schema::Graph>();
      auto function =
          module.lookupSymbol<mlir::func::FuncOp>(part.getValue());
      if (!function)
        return encoder.emitOpError("refers to a missing function ") << part;
      auto graph = emitGraph(function);
      if (mlir::failed(graph))
        return mlir::failure();
      return std::optional<schema::Graph>(std::move(*graph));
    };
    auto encode = graphOf(encoder.getEncodeAttr());
    auto decode = graphOf(encoder.getDecodeAttr());
    if (mlir::failed(encode) || mlir::failed(decode))
      return mlir::failure();
    std::optional<int64_t> vocab;
    if (encoder.getVocab())
      vocab = *encoder.getVocab();
    schema::EncoderSpec entry;
    entry.name = encoder.getSymName().str();
    entry.frozen = encoder.getFrozen();
    if (encoder.getWeights())
      entry.weights = encoder.getWeights()->str();
    if (encoder.getPretrain()) {
      schema::PretrainSpec pretrain;
      pretrain.kind = encoder.getPretrain()->str();
      json args = encoder.getPretrainArgs()
                      ? attributeToJson(*encoder.getPretrainArgs())
                      : json::object();
      pretrain.epochs = args.value("epochs", pretrain.epochs);
      pretrain.ratio = args.value("ratio", pretrain.ratio);
      entry.pretrain = pretrain;
    }
    entry.input = inputSpec(encoder.getInput(), vocab);
    entry.latent = fromMLIRType(encoder.getLatent())->shape;
    entry.output = fromMLIRType(encoder.getOutput())->shape;
    entry.encode = std::move(**encode);
    entry.decode = std::move(*decode);
    return entry;
  }

  mlir::ModuleOp module;
  std::vector<schema::ParamSpec> params;
  std::vector<schema::KernelSpec> kernels;
  std::set<std::string> frozenParams;
  std::map<std::string, std::vector<int64_t>> paramShapes;
  int64_t flopsPerSample = 0, activationBytes = 0;
};

} // namespace

mlir::FailureOr<schema::Plan> dream::emitPlan(mlir::ModuleOp module) {
  return Emitter(module).run();
}

/// "1.5 GiB", "12.0 MiB".
static std::string formatBytes(double bytes) {
  const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return llvm::formatv(unit ? "{0:f1} {1}" : "{0:f0} {1}", bytes, units[unit]);
}

mlir::LogicalResult dream::checkMemoryBudget(mlir::ModuleOp module,
                                             const schema::Plan &plan,
                                             uint64_t budget) {
  const nlohmann::ordered_json &cost = plan.cost;
  // A module without a recipe (hand-written IR) is checked at batch 1.
  int64_t batch = module->hasAttr(kRecipeAttr) ? plan.recipe.batch : 1;
  double weights = 4.0 * (4 * cost["params_trainable"].get<double>() +
                          cost["params_frozen"].get<double>());
  double activations =
      2.0 * batch * cost["activation_bytes_per_sample"].get<double>();
  if (weights + activations <= static_cast<double>(budget))
    return mlir::success();
  mlir::func::FuncOp network = networkFunction(module);
  mlir::Operation *largest = nullptr;
  int64_t largestBytes = 0;
  network.walk([&](mlir::Operation *op) {
    if (op->getNumResults() == 1 && !mlir::isa<ParamOp>(op) &&
        op->getParentOp() == network &&
        bytesPerSample(op->getResult(0).getType()) > largestBytes) {
      largest = op;
      largestBytes = bytesPerSample(op->getResult(0).getType());
    }
  });
  mlir::InFlightDiagnostic error = mlir::emitError(network.getLoc())
      << "network '" << network.getSymName() << "' needs about "
      << formatBytes(weights + activations) << " to train at batch " << batch
      << " (" << formatBytes(weights)
      << " of parameters, gradients and Adam state; "
      << formatBytes(activations)
      << " of activations and their gradients), more than the budget of "
      << formatBytes(static_cast<double>(budget))
      << "; lower the batch or the widths, or raise --memory-budget";
  if (largest)
    error.attachNote(largest->getLoc())
        << "the largest activation, " << formatBytes(largestBytes)
        << " per sample, is made here";
  return error;
}
