//===- MLIRGen.cpp - From the checked program to the dream dialect --------===//
//
// Sema decided every type, callee, argument and adapter; this file only
// spells those decisions as IR. Parameters are created next to the op that
// owns them, named `<op>_<n>.<param>` inside their block; the inliner later
// prefixes them with the path of block applications, so every application
// of a block owns its own parameters (as every nn.Module instance does).
//
//===----------------------------------------------------------------------===//

#include "dream/MLIRGen/MLIRGen.h"

#include "dream/Dialect/DreamAttributes.h"
#include "dream/Dialect/DreamDialect.h"
#include "dream/Dialect/PrimitiveBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace dream;

namespace {

/// The case of the dialect's `Enum` that `word` names. Sema checked every
/// word of a connection and planned its adapters, so a word that names no
/// case is a bug of the compiler.
template <typename Enum> Enum enumCase(llvm::StringRef word) {
  std::optional<Enum> value = symbolizeEnum<Enum>(word);
  if (!value)
    llvm::report_fatal_error("no case of the dialect's enum for '" + word +
                             "'");
  return *value;
}

/// Values of a tensor expression with their language types (which keep the
/// vocabulary of token tensors that MLIR types do not carry).
struct Typed {
  std::vector<mlir::Value> values;
  ValueType type;
};

class Generator {
public:
  Generator(mlir::MLIRContext &context, const Program &program)
      : context(context), builder(&context), program(program) {}

  mlir::OwningOpRef<mlir::ModuleOp> run() {
    module = mlir::ModuleOp::create(builder.getUnknownLoc());
    emitMetadata();
    emitNetwork(*program.network);
    for (const EncoderInstance &encoder : program.encoders)
      emitEncoder(encoder);
    // Bodies of block instances, in the order they were first referenced.
    for (size_t i = 0; i < pending.size(); ++i)
      emitBody(*pending[i].first, pending[i].second);
    return std::move(module);
  }

private:
  /// The state of one function body being emitted.
  struct Body {
    const BlockInstance &instance;
    std::map<std::string, Typed> values;
    std::vector<std::pair<std::string, mlir::Value>> emitted;
    std::map<std::string, int> counters;

    std::string scope(const std::string &base) {
      return base + "_" + std::to_string(counters[base]++);
    }
  };

  mlir::Location loc(Location where) {
    if (!where.isValid())
      return builder.getUnknownLoc();
    return mlir::FileLineColLoc::get(builder.getStringAttr(where.file),
                                     where.line, where.col);
  }

  mlir::Type type(const TensorType &t) { return toMLIRType(&context, t); }

  /// The function of a block instance: its inputs, then its result and
  /// everything it emits (in execution order) as results.
  mlir::func::FuncOp functionFor(const BlockInstance *instance) {
    if (auto it = functions.find(instance); it != functions.end())
      return it->second;
    llvm::SmallVector<mlir::Type> inputs, results;
    for (const TensorType &input : instance->inputs)
      inputs.push_back(type(input));
    for (const TensorType &result : instance->result.elements)
      results.push_back(type(result));
    for (const Emitted &emitted : instance->emits)
      results.push_back(type(emitted.type));
    std::string name = instance->decl->name + "." +
                       std::to_string(functions.size());
    mlir::OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(module.getBody());
    auto function = builder.create<mlir::func::FuncOp>(
        loc(instance->decl->loc), name,
        builder.getFunctionType(inputs, results));
    function.setPrivate();
    functions[instance] = function;
    pending.emplace_back(instance, function);
    return function;
  }

  /// What the plan needs beyond the graphs: the source, the token input's
  /// vocabulary, and the resolved training recipe.
  void emitMetadata() {
    const BlockInstance &network = *program.network;
    module->setAttr(kSourceAttr, builder.getStringAttr(network.decl->loc.file));
    if (network.inputs.front().isTokens())
      module->setAttr(kInputVocabAttr,
                      builder.getI64IntegerAttr(network.inputs.front().vocab));
    mlir::NamedAttrList recipe;
    for (const auto &[key, setting] : program.recipe) {
      bool isCall = key == "optimizer" || key == "schedule" || key == "augment";
      if (!isCall) {
        recipe.append(key, toAttributes(builder, {{key, setting.value}})
                               .get(key));
        continue;
      }
      mlir::NamedAttrList call = toAttributes(builder, setting.args);
      call.append("name", builder.getStringAttr(setting.value.text));
      recipe.append(key, call.getDictionary(&context));
    }
    module->setAttr(kRecipeAttr, recipe.getDictionary(&context));
  }

  void emitNetwork(const BlockInstance &network) {
    llvm::SmallVector<mlir::Type> inputs;
    for (const TensorType &input : network.inputs)
      inputs.push_back(type(input));
    builder.setInsertionPointToEnd(module.getBody());
    auto function = builder.create<mlir::func::FuncOp>(
        loc(network.decl->loc), network.decl->name,
        builder.getFunctionType(inputs, {type(network.result.single())}));
    functions[&network] = function;
    emitBody(network, function);
  }

  /// The encoder's own function for one of its parts: a call of the
  /// block instance. dream-inline-blocks names and freezes the parameters
  /// of this function as the encoder's; calling the instance keeps that
  /// from reaching another encoder, or a chain block, that applies the same
  /// block with the same arguments.
  mlir::func::FuncOp ownPart(const BlockInstance *instance,
                             const std::string &name) {
    mlir::func::FuncOp callee = functionFor(instance);
    mlir::OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(module.getBody());
    auto part = builder.create<mlir::func::FuncOp>(callee.getLoc(), name,
                                                   callee.getFunctionType());
    part.setPrivate();
    mlir::Block *entry = part.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    auto call = builder.create<mlir::func::CallOp>(callee.getLoc(), callee,
                                                   entry->getArguments());
    builder.create<mlir::func::ReturnOp>(callee.getLoc(), call.getResults());
    return part;
  }

  void emitEncoder(const EncoderInstance &encoder) {
    const EncoderDecl &decl = *encoder.decl;
    mlir::func::FuncOp encode = ownPart(encoder.encoder, decl.name + ".encode");
    mlir::func::FuncOp decode =
        encoder.decoder ? ownPart(encoder.decoder, decl.name + ".decode")
                        : nullptr;
    builder.setInsertionPointToEnd(module.getBody());
    mlir::DictionaryAttr pretrainArgs;
    if (encoder.pretrainKind)
      pretrainArgs = toAttributes(builder, encoder.pretrainArgs)
                         .getDictionary(&context);
    builder.create<EncoderOp>(
        loc(decl.loc), decl.name, encode.getSymName(),
        decode ? mlir::FlatSymbolRefAttr::get(decode.getSymNameAttr())
               : nullptr,
        type(encoder.input), type(encoder.latent), type(encoder.output),
        encoder.input.isTokens()
            ? builder.getI64IntegerAttr(encoder.input.vocab)
            : nullptr,
        encoder.frozen,
        decl.weights ? builder.getStringAttr(*decl.weights) : nullptr,
        encoder.pretrainKind ? builder.getStringAttr(*encoder.pretrainKind)
                             : nullptr,
        pretrainArgs);
  }

  void emitBody(const BlockInstance &instance, mlir::func::FuncOp function) {
    mlir::Block *entry = function.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    Body body{instance, {}, {}, {}};
    size_t nextInput = 0;
    mlir::Value result;
    std::vector<mlir::Value> returned;
    for (const Stmt &stmt : instance.decl->body) {
      switch (stmt.kind) {
      case Stmt::Kind::Input: {
        const TensorType &input = instance.inputs[nextInput];
        body.values[stmt.name] = {{entry->getArgument(nextInput)},
                                  ValueType::tensor(input)};
        ++nextInput;
        break;
      }
      case Stmt::Kind::Let:
        body.values[stmt.name] = emitExpr(*stmt.value, body);
        break;
      case Stmt::Kind::Emit:
        body.emitted.emplace_back(instance.decl->name,
                                  emitExpr(*stmt.value, body).values.front());
        break;
      case Stmt::Kind::Return:
        returned = emitExpr(*stmt.value, body).values;
        break;
      }
    }
    if (!instance.decl->isNetwork)
      for (auto &[block, value] : body.emitted)
        returned.push_back(value);
    builder.create<mlir::func::ReturnOp>(loc(instance.decl->body.back().loc),
                                         returned);
  }

  Typed emitExpr(const Expr &expr, Body &body) {
    const ValueType &exprType = body.instance.exprTypes.at(&expr);
    switch (expr.kind) {
    case Expr::Kind::ValueRef:
      return body.values.at(expr.name);
    case Expr::Kind::Tuple: {
      Typed tuple{{}, exprType};
      for (const auto &operand : expr.operands)
        tuple.values.push_back(emitExpr(*operand, body).values.front());
      return tuple;
    }
    case Expr::Kind::Collect: {
      Typed tuple{{}, exprType};
      for (auto &[block, value] : body.emitted)
        if (block == expr.name)
          tuple.values.push_back(value);
      return tuple;
    }
    case Expr::Kind::Add: {
      llvm::SmallVector<mlir::Value> operands;
      for (const auto &operand : expr.operands)
        operands.push_back(emitExpr(*operand, body).values.front());
      auto add = builder.create<AddOp>(
          loc(expr.loc), type(exprType.single()), operands);
      return {{add.getResult()}, exprType};
    }
    case Expr::Kind::Pipe: {
      Typed current = emitExpr(*expr.operands.front(), body);
      for (const Stage &stage : expr.stages)
        current = emitStage(stage, current, body);
      return current;
    }
    }
    return {};
  }

  Typed emitStage(const Stage &stage, const Typed &input, Body &body) {
    const StageInfo &info = body.instance.stages.at(&stage);
    switch (info.kind) {
    case StageInfo::Kind::Op:
      return emitOp(stage, *info.op, info.args, input, info.output, body);
    case StageInfo::Kind::Block: {
      Typed current = input;
      for (const BlockInstance *block : info.blocks)
        current = emitCall(stage, block, current, body);
      return current;
    }
    case StageInfo::Kind::Connection:
      return emitConnection(stage, info, input, body);
    case StageInfo::Kind::Encode: {
      auto encoder = mlir::FlatSymbolRefAttr::get(
          builder.getStringAttr(info.connection.encoder->decl->name));
      mlir::Value latent = builder.create<EncodeOp>(
          loc(stage.loc), type(info.output.single()), input.values.front(),
          encoder);
      return {{latent}, info.output};
    }
    }
    return {};
  }

  Typed emitCall(const Stage &stage, const BlockInstance *callee,
                 const Typed &input, Body &body) {
    mlir::func::FuncOp function = functionFor(callee);
    auto call = builder.create<mlir::func::CallOp>(loc(stage.call.loc),
                                                   function, input.values);
    call->setAttr(kScopeAttr,
                  builder.getStringAttr(body.scope(callee->decl->name)));
    size_t results = callee->result.elements.size();
    Typed output{{}, callee->result};
    for (size_t i = 0; i < call.getNumResults(); ++i) {
      if (i < results)
        output.values.push_back(call.getResult(i));
      else
        body.emitted.emplace_back(callee->emits[i - results].block,
                                  call.getResult(i));
    }
    return output;
  }

  Typed emitOp(const Stage &stage, const OpSpec &spec, const ArgMap &bound,
               const Typed &input, const ValueType &output, Body &body) {
    const std::string &name = spec.signature.name;
    std::string scope =
        body.scope(dialectOpName(name, input.type.elements.front()));
    mlir::Value result =
        buildPrimitive(builder, loc(stage.loc), name, bound, input.values,
                       input.type.elements, scope);
    return {{result}, output};
  }

  Typed emitConnection(const Stage &stage, const StageInfo &info,
                       const Typed &input, Body &body) {
    const ConnectionInfo &connection = info.connection;
    auto option = [&](const char *key, const char *fallback) {
      auto it = connection.options.find(key);
      return llvm::StringRef(it == connection.options.end() ? fallback
                                                            : it->second.text);
    };
    auto adapter = [&](const AdapterPlan &plan) {
      return builder.getAttr<AdapterAttr>(enumCase<Adapter>(plan.kind));
    };
    mlir::Location where = loc(stage.loc);
    mlir::Type hidden = type(info.output.single());
    auto encoder = mlir::FlatSymbolRefAttr::get(
        builder.getStringAttr(connection.encoder->decl->name));
    bool decoded = connection.options.count("returns") &&
                   connection.options.at("returns").text == "decoded";
    auto create = [&](auto tag) -> mlir::Operation * {
      using ConnectionOp = decltype(tag);
      return builder.create<ConnectionOp>(
          where, hidden, input.values.front(), encoder,
          adapter(connection.in),
          builder.getI64IntegerAttr(connection.in.stride),
          adapter(connection.out),
          builder.getI64IntegerAttr(connection.out.stride),
          builder.getAttr<ShareAttr>(
              enumCase<Share>(option("share", "per_block"))),
          builder.getAttr<GradAttr>(enumCase<Grad>(option("grad", "through"))),
          builder.getAttr<MaskingAttr>(
              enumCase<Masking>(option("masking", "train"))),
          builder.getBoolAttr(decoded));
    };
    mlir::Operation *op =
        connection.isDream ? create(DreamOp()) : create(SleepOp());
    op->setAttr(kScopeAttr, builder.getStringAttr(body.scope(
                                connection.isDream ? "dream" : "sleep")));
    return {{op->getResult(0)}, info.output};
  }

  mlir::MLIRContext &context;
  mlir::OpBuilder builder;
  const Program &program;
  mlir::ModuleOp module;
  std::map<const BlockInstance *, mlir::func::FuncOp> functions;
  std::vector<std::pair<const BlockInstance *, mlir::func::FuncOp>> pending;
};

} // namespace

mlir::OwningOpRef<mlir::ModuleOp> dream::mlirGen(mlir::MLIRContext &context,
                                                 const Program &program) {
  context.getOrLoadDialect<DreamDialect>();
  context.getOrLoadDialect<mlir::func::FuncDialect>();
  mlir::OwningOpRef<mlir::ModuleOp> module = Generator(context, program).run();
  // Sema checked the program; IR that does not verify is a compiler bug,
  // reported as such by the caller.
  if (mlir::failed(mlir::verify(*module)))
    return nullptr;
  return module;
}
