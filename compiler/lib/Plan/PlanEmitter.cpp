//===- PlanEmitter.cpp - The execution plan the runtime runs --------------===//

#include "dream/Plan/PlanEmitter.h"

#include "dream/Dialect/DreamAttributes.h"
#include "dream/Dialect/DreamDialect.h"
#include "dream/Sema/Cost.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/Support/FormatVariadic.h"

#include <set>

using namespace dream;
using json = nlohmann::ordered_json;

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

/// The per-sample type of a value as the plan writes it.
json typeToJson(mlir::Type type, std::optional<int64_t> vocab = {}) {
  auto tensor = *fromMLIRType(type);
  json out = {{"shape", tensor.shape},
              {"dtype", tensor.isTokens() ? "int64" : "float32"}};
  if (vocab)
    out["vocab"] = *vocab;
  return out;
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

  mlir::FailureOr<json> run() {
    mlir::func::FuncOp network = networkFunction(module);
    if (!network)
      return module.emitError("no public network function to plan");

    json plan;
    plan["format"] = "dreamc-plan";
    plan["version"] = kPlanVersion;
    plan["network"] = network.getSymName().str();
    if (auto source = module->getAttrOfType<mlir::StringAttr>(kSourceAttr))
      plan["source"] = source.str();
    std::optional<int64_t> vocab;
    if (auto v = module->getAttrOfType<mlir::IntegerAttr>(kInputVocabAttr))
      vocab = v.getInt();
    plan["input"] = typeToJson(network.getArgumentTypes().front(), vocab);
    plan["classes"] =
        fromMLIRType(network.getResultTypes().front())->shape.back();
    plan["params"] = json::array();

    auto graph = emitGraph(network);
    if (mlir::failed(graph))
      return mlir::failure();
    int64_t flops = flopsPerSample, activations = activationBytes;

    json encoders = json::array();
    for (auto encoder : module.getOps<EncoderOp>()) {
      auto entry = emitEncoder(encoder);
      if (mlir::failed(entry))
        return mlir::failure();
      encoders.push_back(*entry);
    }
    plan["params"] = params;
    plan["graph"] = *graph;
    plan["encoders"] = encoders;
    plan["kernels"] = kernels;
    if (auto recipe = module->getAttrOfType<mlir::DictionaryAttr>(kRecipeAttr))
      plan["recipe"] = attributeToJson(recipe);
    int64_t trainable = 0, frozen = 0;
    for (const json &param : params) {
      if (param["buffer"])
        continue;
      int64_t count = 1;
      for (int64_t dim : param["shape"])
        count *= dim;
      (param["trainable"] ? trainable : frozen) += count;
    }
    plan["cost"] = {{"params_trainable", trainable},
                    {"params_frozen", frozen},
                    {"flops_per_sample", flops},
                    {"activation_bytes_per_sample", activations},
                    {"encoder_calls_per_step", encoderCalls(module)},
                    {"fused_kernels", kernels.size()}};
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
    json entry = {{"name", name},
                  {"shape", type.getShape().vec()},
                  {"init", param.getInit().str()}};
    if (param.getFanIn())
      entry["fan_in"] = param.getFanIn();
    entry["trainable"] = !param.getFrozen() && !param.getBuffer();
    entry["buffer"] = param.getBuffer();
    params.push_back(entry);
    return mlir::success();
  }

  /// The graph of a function. Parameters are the ParamOps it uses.
  mlir::FailureOr<json> emitGraph(mlir::func::FuncOp function) {
    flopsPerSample = activationBytes = 0;
    return emitSteps(function.getBody().front(),
                     llvm::DenseMap<mlir::Value, std::string>());
  }

  /// The steps of `block`. `paramOf` names the block arguments that stand
  /// for parameters (inside a fused region); the other arguments are the
  /// graph's inputs.
  mlir::FailureOr<json>
  emitSteps(mlir::Block &block,
            const llvm::DenseMap<mlir::Value, std::string> &paramOf) {
    llvm::DenseMap<mlir::Value, int64_t> ids;
    json inputs = json::array(), steps = json::array();
    for (mlir::BlockArgument arg : block.getArguments()) {
      if (paramOf.count(arg))
        continue;
      ids[arg] = static_cast<int64_t>(ids.size());
      inputs.push_back(ids[arg]);
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
      json step;
      step["op"] = op.getName().stripDialect().str();
      json stepInputs = json::array(), stepParams = json::array();
      bool allFrozen = true, anyParam = false;
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
          stepParams.push_back(*name);
          anyParam = true;
          allFrozen &= frozen;
        } else {
          stepInputs.push_back(ids.at(operand));
        }
      }
      if (auto fused = mlir::dyn_cast<FusedOp>(op)) {
        step["kernel"] = fused.getKernel().str();
        if (mlir::failed(emitKernel(fused)))
          return mlir::failure();
      }
      step["inputs"] = stepInputs;
      if (anyParam)
        step["params"] = stepParams;
      mlir::Value result = op.getResult(0);
      ids[result] = static_cast<int64_t>(ids.size());
      step["output"] = ids[result];
      // A fused step's only attribute is its kernel, written above.
      json attrs = json::object();
      for (mlir::NamedAttribute attr : op.getAttrs())
        if (!attr.getName().getValue().starts_with("dream.") &&
            !mlir::isa<FusedOp>(op))
          attrs[attr.getName().str()] = attributeToJson(attr.getValue());
      if (!attrs.empty())
        step["attrs"] = attrs;
      auto type = *fromMLIRType(result.getType());
      step["shape"] = type.shape;
      if (type.isTokens())
        step["dtype"] = "int64";
      if ((anyParam && allFrozen) || op.hasAttr(kFrozenOpAttr))
        step["frozen"] = true;
      std::string where = locationText(op.getLoc());
      if (!where.empty())
        step["loc"] = where;
      steps.push_back(step);
      flopsPerSample += mlir::isa<FusedOp>(op) ? 0 : flopsOf(&op);
      activationBytes += bytesPerSample(result.getType());
    }
    json outputs = json::array();
    for (mlir::Value value : block.getTerminator()->getOperands())
      outputs.push_back(ids.at(value));
    return json{{"inputs", inputs}, {"outputs", outputs}, {"steps", steps}};
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
    // The reference steps whose batch statistics the training forward
    // returns, in its result order; an evaluation entry exists with them.
    json statistics = json::array();
    for (auto [index, op] : llvm::enumerate(body.without_terminator()))
      if (mlir::isa<BatchNormOp>(op) && usesBatchStatistics(&op))
        statistics.push_back(index);
    std::string name = fused.getKernel().str();
    json entry = {{"name", name}, {"forward", name + "_forward"}};
    if (!statistics.empty())
      entry["forward_eval"] = name + "_forward_eval";
    entry["backward"] = name + "_backward";
    entry["statistics"] = statistics;
    entry["reference"] = *reference;
    kernels.push_back(entry);
    return mlir::success();
  }

  mlir::FailureOr<json> emitEncoder(EncoderOp encoder) {
    auto graphOf = [&](mlir::FlatSymbolRefAttr part) -> mlir::FailureOr<json> {
      if (!part)
        return json(nullptr);
      auto function =
          module.lookupSymbol<mlir::func::FuncOp>(part.getValue());
      if (!function)
        return encoder.emitOpError("refers to a missing function ") << part;
      return emitGraph(function);
    };
    auto encode = graphOf(encoder.getEncodeAttr());
    auto decode = graphOf(encoder.getDecodeAttr());
    if (mlir::failed(encode) || mlir::failed(decode))
      return mlir::failure();
    std::optional<int64_t> vocab;
    if (encoder.getVocab())
      vocab = *encoder.getVocab();
    json entry = {{"name", encoder.getSymName().str()},
                  {"frozen", encoder.getFrozen()},
                  {"weights", encoder.getWeights()
                                  ? json(encoder.getWeights()->str())
                                  : json(nullptr)}};
    if (encoder.getPretrain()) {
      json pretrain = {{"kind", encoder.getPretrain()->str()}};
      if (auto args = encoder.getPretrainArgs())
        for (mlir::NamedAttribute arg : *args)
          pretrain[arg.getName().str()] = attributeToJson(arg.getValue());
      entry["pretrain"] = pretrain;
    } else {
      entry["pretrain"] = nullptr;
    }
    entry["input"] = typeToJson(encoder.getInput(), vocab);
    entry["latent"] = fromMLIRType(encoder.getLatent())->shape;
    entry["output"] = fromMLIRType(encoder.getOutput())->shape;
    entry["encode"] = *encode;
    entry["decode"] = *decode;
    return entry;
  }

  mlir::ModuleOp module;
  json params = json::array();
  json kernels = json::array();
  std::set<std::string> frozenParams;
  std::map<std::string, std::vector<int64_t>> paramShapes;
  int64_t flopsPerSample = 0, activationBytes = 0;
};

} // namespace

mlir::FailureOr<json> dream::emitPlan(mlir::ModuleOp module) {
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
                                             const json &plan,
                                             uint64_t budget) {
  const json &cost = plan["cost"];
  int64_t batch = plan.contains("recipe") && plan["recipe"].contains("batch")
                      ? plan["recipe"]["batch"].get<int64_t>()
                      : 1;
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
