//===- Elaborate.cpp - Instantiating blocks and networks -------------------===//
//
// Names, block signatures and instances, the bodies of blocks with the
// shape of every value, calls and connections; the network, and a
// library's blocks each on its own. Compile-time values are in
// Evaluate.cpp, encoders in Encoders.cpp.
//
//===----------------------------------------------------------------------===//

#include "Elaborate.h"

using namespace dream;

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

/// The file a value was written in: where it came from through parameters,
/// else where it is used.
static llvm::StringRef writtenIn(const ConstValue &value) {
  return value.origin.isValid() ? value.origin.file : value.loc.file;
}

const Symbol *Elaborator::lookup(const Module &module, const std::string &name,
                                 Location loc, bool report) {
  const Scope &scope = imports.scopeOf(&module);
  auto it = scope.names.find(name);
  if (it != scope.names.end() && it->second.size() == 1)
    return &it->second.front();
  if (!report)
    return nullptr;
  if (it != scope.names.end()) {
    auto builder = diag.error(loc, quote(name) + " is ambiguous: more than "
                                                 "one import declares it");
    for (const Symbol &candidate : it->second)
      builder.note(candidate.loc(), "declared here");
    return nullptr;
  }
  std::vector<std::string> candidates;
  for (const auto &entry : scope.names)
    candidates.push_back(entry.first);
  for (const OpSpec &spec : allOps())
    candidates.push_back(spec.signature.name);
  auto builder = diag.error(loc, "unknown block or op " + quote(name));
  std::string suggestion = closestMatch(name, candidates);
  if (!suggestion.empty())
    builder.note(loc, "did you mean " + quote(suggestion) + "?");
  return nullptr;
}

const Module &Elaborator::moduleWritten(const ConstValue &value,
                                        const Module &fallback) const {
  llvm::StringRef file = writtenIn(value);
  for (const auto &module : program.modules)
    if (module->path == file)
      return *module;
  return fallback;
}

const Symbol *Elaborator::resolveEncoder(const ConstValue &name,
                                         const Module &module) {
  const Symbol *symbol = lookup(moduleWritten(name, module), name.text,
                                name.loc, /*report=*/false);
  if (symbol && symbol->encoder)
    return symbol;
  auto builder =
      reportValue(diag, name,
                  quote(name.text) + " is not an encoder or "
                                     "autoencoder declared in scope");
  if (symbol)
    builder.note(symbol->loc(), quote(name.text) + " is declared here");
  return nullptr;
}

bool Elaborator::checkEncoderArguments(const Signature &signature,
                                       const ArgMap &args,
                                       const Module &module) {
  // A symbolic encoder names none yet: the call that gives it is checked.
  for (const ParamSpec &param : signature.params)
    if (param.kind == ParamKind::Encoder && !args.at(param.name).symbolic &&
        !resolveEncoder(args.at(param.name), module))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Blocks and bodies
//===----------------------------------------------------------------------===//

std::optional<Signature> Elaborator::blockSignature(const BlockDecl &decl,
                                                    const ArgMap &outerParams) {
  Signature signature{decl.name, {}};
  for (const Param &param : decl.params) {
    ParamSpec spec{param.name, ParamKind::Int, std::nullopt, {}};
    static const std::map<std::string, ParamKind> kinds = {
        {"int", ParamKind::Int},       {"float", ParamKind::Float},
        {"bool", ParamKind::Bool},     {"string", ParamKind::String},
        {"encoder", ParamKind::Encoder}};
    auto kind = kinds.find(param.kind);
    if (kind == kinds.end()) {
      diag.error(param.kindLoc, "unknown parameter kind " + quote(param.kind) +
                                    "; expected int, float, bool, string or "
                                    "encoder");
      return std::nullopt;
    }
    spec.kind = kind->second;
    if (signature.find(param.name)) {
      diag.error(param.loc, "parameter " + quote(param.name) +
                                " is declared twice");
      return std::nullopt;
    }
    if (param.defaultValue) {
      auto value = evalConst(*param.defaultValue, outerParams);
      if (!value)
        return std::nullopt;
      spec.defaultValue = *value;
      // Check the default against the declared kind once, here.
      ArgumentValue arg{param.name, param.defaultValue->loc, *value};
      Signature single{decl.name, {ParamSpec{param.name, spec.kind, {}, {}}}};
      auto bound = bindArguments(single, {arg}, param.loc, diag);
      if (!bound)
        return std::nullopt;
      spec.defaultValue = bound->at(param.name);
    }
    signature.params.push_back(spec);
  }
  return signature;
}

static std::string instanceKey(const BlockDecl &decl, const ArgMap &params,
                               const std::vector<TensorType> &inputs) {
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(&decl)) + "(";
  for (const auto &[name, value] : params) {
    key += name + "=" + value.str();
    // A symbolic value is not the word or number it is spelled like.
    if (value.symbolic)
      key += "?";
    // A word (an encoder's name) means what it means where it was written.
    if (value.kind == ConstValue::Kind::Word)
      key += "@" + writtenIn(value).str();
    key += ",";
  }
  key += ")";
  for (const TensorType &input : inputs)
    key += input.str();
  return key;
}

const BlockInstance *Elaborator::instantiate(const BlockDecl &decl,
                                             const Module &module,
                                             ArgMap params,
                                             std::vector<TensorType> inputs,
                                             Location callLoc,
                                             unsigned depth) {
  std::string key = instanceKey(decl, params, inputs);
  if (auto it = memo.find(key); it != memo.end())
    return it->second;
  if (std::find(active.begin(), active.end(), &decl) != active.end()) {
    diag.error(callLoc, "block " + quote(decl.name) +
                            " applies itself; blocks cannot be recursive")
        .note(decl.loc, quote(decl.name) + " is declared here");
    return nullptr;
  }
  if (depth > kMaxInstanceDepth) {
    diag.error(callLoc, "blocks nest deeper than " +
                            std::to_string(kMaxInstanceDepth) + " levels");
    return nullptr;
  }
  BlockInstance &instance = program.instances.emplace_back();
  instance.decl = &decl;
  instance.params = std::move(params);
  instance.inputs = std::move(inputs);
  active.push_back(&decl);
  // A block checked on its own has no application to point at.
  std::optional<DiagnosticEngine::Context> context;
  if (callLoc.isValid())
    context.emplace(diag, callLoc,
                    "in block " + quote(decl.name) + " applied here");
  BodyState state{instance, module, {}, {}, depth};
  bool ok = elaborateBody(state);
  active.pop_back();
  if (!ok)
    return nullptr;
  memo[key] = &instance;
  return &instance;
}

bool Elaborator::elaborateBody(BodyState &state) {
  BlockInstance &instance = state.instance;
  const BlockDecl &decl = *instance.decl;
  size_t nextInput = 0;
  const Stmt *returned = nullptr;
  auto bind = [&](const Stmt &stmt, ValueType type, bool isInput) {
    if (auto it = state.values.find(stmt.name); it != state.values.end())
      state.retired.emplace_back(stmt.name, it->second);
    state.values[stmt.name] = Binding{type, stmt.loc, false, isInput};
    instance.stmtTypes[&stmt] = std::move(type);
  };

  for (const Stmt &stmt : decl.body) {
    if (returned) {
      diag.error(stmt.loc, "statement after 'return' is never reached")
          .note(returned->loc, "the block returns here");
      return false;
    }
    switch (stmt.kind) {
    case Stmt::Kind::Input: {
      TensorType type;
      if (decl.isNetwork) {
        if (!stmt.type) {
          diag.error(stmt.loc, "network input " + quote(stmt.name) +
                                   " needs a type, e.g. `input " + stmt.name +
                                   " : image[1, 28, 28]`");
          return false;
        }
        auto declared = evalType(*stmt.type, instance.params);
        if (!declared)
          return false;
        type = *declared;
        instance.inputs.push_back(type);
      } else {
        if (nextInput >= instance.inputs.size())
          return false; // Arity was checked at the call.
        type = instance.inputs[nextInput];
        if (stmt.type) {
          auto declared = evalType(*stmt.type, instance.params);
          if (!declared)
            return false;
          // Without a call site, the declaration is all there is to know.
          if (!type.known)
            type = *declared;
          else if (declared->known && *declared != type) {
            diag.error(stmt.loc, "block " + quote(decl.name) + " input " +
                                     quote(stmt.name) + " is declared " +
                                     declared->str() + " but receives " +
                                     type.str());
            return false;
          }
        }
      }
      ++nextInput;
      bind(stmt, ValueType::tensor(type), true);
      break;
    }
    case Stmt::Kind::Let: {
      auto type = evalExpr(*stmt.value, state);
      if (!type)
        return false;
      bind(stmt, *type, false);
      break;
    }
    case Stmt::Kind::Emit: {
      auto type = evalExpr(*stmt.value, state);
      if (!type)
        return false;
      if (type->isTuple) {
        diag.error(stmt.value->loc, "'emit' sends one tensor, not the tuple " +
                                        type->str());
        return false;
      }
      instance.stmtTypes[&stmt] = *type;
      instance.emits.push_back({decl.name, type->single(), stmt.loc});
      break;
    }
    case Stmt::Kind::Return: {
      auto type = evalExpr(*stmt.value, state);
      if (!type)
        return false;
      instance.stmtTypes[&stmt] = *type;
      instance.result = *type;
      returned = &stmt;
      break;
    }
    }
  }
  if (!returned) {
    diag.error(decl.loc, quote(decl.name) + " has no 'return'; end its body "
                                            "with `return <value>`");
    return false;
  }
  if (!decl.isNetwork && nextInput != instance.inputs.size())
    return false; // Arity was checked at the call.
  warnUnused(state);
  return true;
}

void Elaborator::warnUnused(const BodyState &state) {
  // Every instance of a block has the same unused values: warn once.
  auto check = [&](const std::string &name, const Binding &binding) {
    const Location &loc = binding.loc;
    if (binding.used ||
        !warnedUnused.insert({loc.file.str(), loc.line, loc.col}).second)
      return;
    diag.warning(loc, (binding.isInput ? "input " : "value ") + quote(name) +
                          " is never used");
  };
  for (const auto &[name, binding] : state.retired)
    check(name, binding);
  for (const auto &[name, binding] : state.values)
    check(name, binding);
}

/// Where the argument for parameter `param` was written, or `fallback`.
static Location blameLocation(llvm::ArrayRef<ArgumentValue> args,
                              const Signature &signature,
                              llvm::StringRef param, Location fallback) {
  for (size_t i = 0; i < args.size(); ++i) {
    llvm::StringRef name = args[i].name;
    if (name.empty() && i < signature.params.size())
      name = signature.params[i].name;
    if (!param.empty() && name == param)
      return args[i].loc;
  }
  return fallback;
}

/// Whether `args` hold a symbolic value: their instance is a block checked
/// on its own, or applied by one.
static bool hasSymbolic(const ArgMap &args) {
  return llvm::any_of(args,
                      [](const auto &arg) { return arg.second.symbolic; });
}

/// Whether a shape rule can run on `inputs` with `args`: a block checked on
/// its own may know neither.
static bool shapesKnown(llvm::ArrayRef<TensorType> inputs,
                        const ArgMap &args = {}) {
  return llvm::all_of(inputs, [](const TensorType &t) { return t.known; }) &&
         !hasSymbolic(args);
}


std::optional<ValueType> Elaborator::evalExpr(const Expr &expr,
                                              BodyState &state) {
  std::optional<ValueType> type;
  switch (expr.kind) {
  case Expr::Kind::ValueRef: {
    auto it = state.values.find(expr.name);
    if (it == state.values.end()) {
      std::vector<std::string> names;
      for (const auto &entry : state.values)
        names.push_back(entry.first);
      auto builder = diag.error(expr.loc, "unknown value " + quote(expr.name));
      std::string suggestion = closestMatch(expr.name, names);
      if (!suggestion.empty())
        builder.note(state.values[suggestion].loc,
                     "did you mean " + quote(suggestion) + "?");
      return std::nullopt;
    }
    it->second.used = true;
    type = it->second.type;
    break;
  }
  case Expr::Kind::Tuple: {
    ValueType tuple{true, {}};
    for (const auto &operand : expr.operands) {
      auto element = evalExpr(*operand, state);
      if (!element)
        return std::nullopt;
      if (element->isTuple) {
        diag.error(operand->loc, "tuples cannot be nested");
        return std::nullopt;
      }
      tuple.elements.push_back(element->single());
    }
    type = tuple;
    break;
  }
  case Expr::Kind::Collect: {
    ValueType tuple{true, {}};
    for (const Emitted &emitted : state.instance.emits)
      if (emitted.block == expr.name)
        tuple.elements.push_back(emitted.type);
    if (tuple.elements.empty()) {
      diag.error(expr.loc, "nothing emitted by block " + quote(expr.name) +
                               " before this point; `collect` gathers the "
                               "values a block sends with `emit`");
      return std::nullopt;
    }
    // A repeat with a symbolic count emits that many times, not once.
    type = hasSymbolic(state.instance.params) ? ValueType::unknown() : tuple;
    break;
  }
  case Expr::Kind::Add: {
    std::vector<TensorType> operands;
    for (const auto &operand : expr.operands) {
      auto element = evalExpr(*operand, state);
      if (!element)
        return std::nullopt;
      if (element->isTuple) {
        diag.error(operand->loc, "cannot add the tuple " + element->str() +
                                     "; merge it with `-> sum` first");
        return std::nullopt;
      }
      operands.push_back(element->single());
    }
    ShapeResult result = shapesKnown(operands)
                             ? inferAdd(operands)
                             : ShapeResult::ok(TensorType::unknown());
    if (!result.type) {
      auto builder = diag.error(expr.loc, result.error);
      for (const auto &operand : expr.operands)
        builder.note(operand->loc,
                     "this branch is " +
                         state.instance.exprTypes[operand.get()].str());
      return std::nullopt;
    }
    type = ValueType::tensor(*result.type);
    break;
  }
  case Expr::Kind::Pipe: {
    const Expr &source = *expr.operands.front();
    type = evalExpr(source, state);
    Location inputLoc = source.loc;
    for (const Stage &stage : expr.stages) {
      if (!type)
        return std::nullopt;
      type = applyStage(stage, *type, inputLoc, state);
      inputLoc = stage.loc;
    }
    if (!type)
      return std::nullopt;
    break;
  }
  }
  state.instance.exprTypes[&expr] = *type;
  return type;
}

std::optional<ValueType> Elaborator::applyStage(const Stage &stage,
                                                ValueType input,
                                                Location inputLoc,
                                                BodyState &state) {
  if (++elaboratedStages > kMaxStages) {
    diag.error(stage.loc, "the network grows past " +
                              std::to_string(kMaxStages) +
                              " ops (counting each block instance's stages); "
                              "lower the repeat counts or the nesting");
    return std::nullopt;
  }
  StageInfo info;
  std::optional<ValueType> output;
  switch (stage.kind) {
  case Stage::Kind::Call:
    output = applyCall(stage.call, input, inputLoc, state, info);
    break;
  case Stage::Kind::Sleep:
  case Stage::Kind::Dream:
    output = applyConnection(stage, input, state, info);
    break;
  case Stage::Kind::Repeat: {
    auto count = evalConst(*stage.count, state.instance.params);
    if (!count)
      return std::nullopt;
    if (count->kind != ConstValue::Kind::Int ||
        (!count->symbolic &&
         (count->intValue < 1 || count->intValue > kMaxRepeat))) {
      reportValue(diag, *count,
                  "repeat count " + count->str() +
                      " is out of range; it must be an integer from 1 to " +
                      std::to_string(kMaxRepeat));
      return std::nullopt;
    }
    const Symbol *symbol = lookup(state.module, stage.call.callee,
                                  stage.call.loc, /*report=*/false);
    if (!symbol || !symbol->block || symbol->block->isNetwork) {
      diag.error(stage.call.loc, "'repeat' applies a block, and " +
                                     quote(stage.call.callee) +
                                     " is not a block");
      return std::nullopt;
    }
    output = input;
    // A symbolic count: one application checks the call.
    int64_t times = count->symbolic ? 1 : count->intValue;
    for (int64_t i = 0; i < times && output; ++i) {
      output = applyCall(stage.call, *output, inputLoc, state, info);
      inputLoc = stage.call.loc;
    }
    break;
  }
  }
  if (!output)
    return std::nullopt;
  info.output = *output;
  state.instance.stages[&stage] = std::move(info);
  return output;
}

std::optional<ValueType> Elaborator::applyCall(const Call &call,
                                               const ValueType &input,
                                               Location inputLoc,
                                               BodyState &state,
                                               StageInfo &info) {
  auto args = evalArguments(call.args, state.instance.params);
  if (!args)
    return std::nullopt;

  if (const OpSpec *spec = lookupOp(call.callee)) {
    auto bound = bindArguments(spec->signature, *args, call.loc, diag);
    if (!bound)
      return std::nullopt;
    // A value of unknown arity passes: its call site will tell.
    if (input.known && spec->arity == kVariadic && !input.isTuple) {
      diag.error(call.loc, quote(call.callee) + " takes a tuple such as "
                                                "`(a, b) -> " +
                               call.callee + "`, not the single tensor " +
                               input.str());
      return std::nullopt;
    }
    if (spec->arity == 1 && input.isTuple) {
      diag.error(call.loc, quote(call.callee) + " takes one tensor, not the "
                                                "tuple " +
                               input.str());
      return std::nullopt;
    }
    if (input.known && spec->arity != 1 && spec->arity != kVariadic &&
        input.elements.size() != spec->arity) {
      diag.error(call.loc, quote(call.callee) + " takes a tuple of " +
                               std::to_string(spec->arity) +
                               " tensors, not " + input.str());
      return std::nullopt;
    }
    ShapeResult result = shapesKnown(input.elements, *bound)
                             ? spec->infer(*bound, input.elements)
                             : ShapeResult::ok(TensorType::unknown());
    if (!result.type) {
      diag.error(blameLocation(*args, spec->signature, result.blame,
                               call.loc), quote(call.callee) + " " + result.error)
          .note(inputLoc, "its input " + input.str() + " comes from here");
      return std::nullopt;
    }
    if (info.kind == StageInfo::Kind::Op && !info.op) {
      info.op = spec;
      info.args = *bound;
    }
    return ValueType::tensor(*result.type);
  }

  const Symbol *symbol = lookup(state.module, call.callee, call.loc, true);
  if (!symbol)
    return std::nullopt;
  if (symbol->encoder)
    return applyEncoder(call, *symbol, *args, input, inputLoc, info);
  const BlockDecl &decl = *symbol->block;
  if (decl.isNetwork) {
    diag.error(call.loc, quote(call.callee) +
                             " is a network and cannot be applied; declare "
                             "the reusable part as a block")
        .note(decl.loc, "declared here");
    return std::nullopt;
  }
  auto signature = blockSignature(decl, {});
  if (!signature)
    return std::nullopt;
  auto bound = bindArguments(*signature, *args, call.loc, diag);
  if (!bound || !checkEncoderArguments(*signature, *bound, state.module))
    return std::nullopt;
  size_t arity = blockArity(decl);
  if (input.known && arity != input.elements.size()) {
    diag.error(call.loc, "block " + quote(decl.name) + " takes " +
                             std::to_string(arity) + " input" +
                             (arity == 1 ? "" : "s") + ", but receives " +
                             input.str())
        .note(decl.loc, quote(decl.name) + " is declared here");
    return std::nullopt;
  }
  std::vector<TensorType> inputs =
      input.known ? input.elements
                  : std::vector<TensorType>(arity, TensorType::unknown());
  const BlockInstance *instance = instantiate(
      decl, *symbol->module, *bound, inputs, call.loc, state.depth + 1);
  if (!instance)
    return std::nullopt;
  info.kind = StageInfo::Kind::Block;
  info.args = *bound;
  info.blocks.push_back(instance);
  state.instance.emits.insert(state.instance.emits.end(),
                              instance->emits.begin(), instance->emits.end());
  return instance->result;
}

std::optional<ValueType>
Elaborator::applyEncoder(const Call &call, const Symbol &symbol,
                         const std::vector<ArgumentValue> &args,
                         const ValueType &input, Location inputLoc,
                         StageInfo &info) {
  const EncoderInstance *encoder =
      elaborateEncoder(*symbol.encoder, *symbol.module);
  if (!encoder)
    return std::nullopt;
  std::string connect = "; connect it to a hidden state of another type "
                        "with `-> sleep(" +
                        call.callee + ")` or `-> dream(" + call.callee + ")`";
  if (!args.empty()) {
    diag.error(call.loc, "encoder " + quote(call.callee) +
                             " takes no arguments: its declaration fixes them")
        .note(symbol.loc(), "declared here");
    return std::nullopt;
  }
  if (input.isTuple ||
      (input.single().known && input.single() != encoder->input)) {
    diag.error(call.loc, "encoder " + quote(call.callee) + " reads " +
                             encoder->input.str() + ", not " + input.str() +
                             connect)
        .note(inputLoc, "its input " + input.str() + " comes from here")
        .note(symbol.loc(), "declared here");
    return std::nullopt;
  }
  info.kind = StageInfo::Kind::Encode;
  info.connection.encoder = encoder;
  return ValueType::tensor(encoder->latent);
}

std::optional<ValueType> Elaborator::applyConnection(const Stage &stage,
                                                     const ValueType &input,
                                                     BodyState &state,
                                                     StageInfo &info) {
  bool isDream = stage.kind == Stage::Kind::Dream;
  const char *what = isDream ? "dream" : "sleep";
  auto args = evalArguments(stage.args, state.instance.params);
  if (!args)
    return std::nullopt;
  auto bound =
      bindArguments(connectionSignature(isDream), *args, stage.loc, diag);
  if (!bound)
    return std::nullopt;
  if (input.isTuple || input.single().isTokens()) {
    diag.error(stage.loc, std::string("a ") + what +
                              " connection takes one hidden state of float "
                              "activations, not " +
                              input.str());
    return std::nullopt;
  }
  const ConstValue &name = bound->at("encoder");
  info.kind = StageInfo::Kind::Connection;
  info.connection.isDream = isDream;
  info.connection.options = *bound;
  // A symbolic encoder is resolved where the block is applied.
  if (name.symbolic)
    return input;
  const Symbol *symbol = resolveEncoder(name, state.module);
  if (!symbol)
    return std::nullopt;
  const EncoderInstance *encoder =
      elaborateEncoder(*symbol->encoder, *symbol->module);
  if (!encoder)
    return std::nullopt;
  bool needsDecoder =
      isDream || bound->at("returns").text == std::string("decoded");
  if (needsDecoder && !encoder->decoder) {
    diag.error(name.loc, std::string(isDream ? "a dream connection"
                                             : "`returns: decoded`") +
                             " needs an autoencoder, but " + quote(name.text) +
                             " is an encoder without a decoder")
        .note(encoder->decl->loc, quote(name.text) + " is declared here");
    return std::nullopt;
  }
  info.connection.encoder = encoder;
  // The adapters need the hidden state's shape and the options' words.
  if (!shapesKnown(input.elements, *bound))
    return input;
  if (!planConnection(stage, input.single(), info.connection, diag))
    return std::nullopt;
  return input;
}

//===----------------------------------------------------------------------===//
// Networks, blocks on their own, and encoders
//===----------------------------------------------------------------------===//

const BlockInstance *Elaborator::checkBlock(const BlockDecl &decl,
                                            const Module &module) {
  auto signature = blockSignature(decl, {});
  if (!signature)
    return nullptr;
  ArgMap params;
  for (size_t i = 0; i < decl.params.size(); ++i)
    params[decl.params[i].name] =
        symbolicValue(signature->params[i], decl.params[i].loc);
  // No call site: no location to note, and no enclosing instance.
  return instantiate(decl, module, std::move(params),
                     std::vector<TensorType>(blockArity(decl),
                                             TensorType::unknown()),
                     Location{}, 0);
}

bool Elaborator::elaborateNetwork(const BlockDecl &network,
                                  const Module &module, const ArgMap &params) {
  // Checked first: without an input, the body's first use of it would fail.
  if (blockArity(network) == 0) {
    diag.error(network.loc, "network " + quote(network.name) +
                                " has no input; declare one such as `input x "
                                ": image[1, 28, 28]`");
    return false;
  }
  BlockInstance &instance = program.instances.emplace_back();
  instance.decl = &network;
  instance.params = params;
  active.push_back(&network);
  BodyState state{instance, module, {}, {}, 0};
  bool ok = elaborateBody(state);
  active.pop_back();
  if (ok && instance.result.isTuple) {
    diag.error(network.body.back().loc,
               "a network returns one tensor of class scores, not the tuple " +
                   instance.result.str());
    ok = false;
  }
  if (ok)
    program.network = &instance;
  return ok;
}
