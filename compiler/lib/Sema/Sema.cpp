//===- Sema.cpp - Checking a .dream program -------------------------------===//
//
// The entry point of semantic analysis: load the file and its imports, pick
// the network, bind its parameters (defaults < `train` arguments < -D),
// elaborate it and the encoders, and resolve the training recipe.
//
//===----------------------------------------------------------------------===//

#include "Elaborate.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>

using namespace dream;

namespace {

/// A recipe key: a plain value of some kind, or a call to one of `calls`.
struct RecipeKey {
  std::string key;
  std::optional<ParamKind> valueKind;
  std::vector<Signature> calls;
  std::vector<std::string> words; ///< Allowed bare words (no arguments).
};

const std::vector<RecipeKey> &recipeKeys() {
  using C = ConstValue;
  auto F = C::ofFloat;
  auto I = C::ofInt;
  ConstValue betas;
  betas.kind = C::Kind::List;
  betas.items = {F(0.9), F(0.999)};
  auto list = [](std::string name, ConstValue value) {
    return ParamSpec{std::move(name), ParamKind::Any, std::move(value), {}};
  };
  static const std::vector<RecipeKey> keys = {
      {"data", ParamKind::Any, {}, {}},
      {"optimizer",
       std::nullopt,
       {{"adam",
         {{"lr", ParamKind::Float, F(0.005), {}},
          list("betas", betas),
          {"eps", ParamKind::Float, F(1e-5), {}},
          {"weight_decay", ParamKind::Float, F(0), {}}}},
        {"adamw",
         {{"lr", ParamKind::Float, F(0.001), {}},
          list("betas", betas),
          {"eps", ParamKind::Float, F(1e-8), {}},
          {"weight_decay", ParamKind::Float, F(0.01), {}}}},
        {"sgd",
         {{"lr", ParamKind::Float, F(0.1), {}},
          {"momentum", ParamKind::Float, F(0.9), {}},
          {"weight_decay", ParamKind::Float, F(0), {}},
          {"nesterov", ParamKind::Bool, C::ofBool(false), {}}}}},
       {"adam", "adamw", "sgd"}},
      {"lr", ParamKind::Float, {}, {}},
      {"weight_decay", ParamKind::Float, {}, {}},
      {"epochs", ParamKind::Int, {}, {}},
      {"batch", ParamKind::Int, {}, {}},
      {"seed", ParamKind::Int, {}, {}},
      {"clip", ParamKind::Float, {}, {}},
      {"label_smoothing", ParamKind::Float, {}, {}},
      {"validation", ParamKind::Float, {}, {}},
      {"preset", std::nullopt, {}, {"paper", "code"}},
      {"schedule",
       std::nullopt,
       {{"cosine", {{"warmup", ParamKind::Float, F(0), {}}}},
        {"linear", {{"warmup", ParamKind::Float, F(0.1), {}}}},
        {"step",
         {{"every", ParamKind::Int, I(10), {}},
          {"gamma", ParamKind::Float, F(0.1), {}},
          {"warmup", ParamKind::Float, F(0), {}}}}},
       {"constant", "cosine", "linear", "step"}},
      {"augment",
       std::nullopt,
       {{"randaugment",
         {{"n", ParamKind::Int, I(2), {}}, {"m", ParamKind::Int, I(9), {}}}},
        {"mixup", {{"alpha", ParamKind::Float, F(0.2), {}}}},
        {"word_noise", {{"fraction", ParamKind::Float, F(0.1), {}}}}},
       {"none", "randaugment", "mixup", "word_noise"}},
  };
  return keys;
}

/// The settings a preset stands for (docs/language.md, "Presets").
std::map<std::string, RecipeSetting> presetSettings(llvm::StringRef preset) {
  auto setting = [](ConstValue value, ArgMap args = {}) {
    return RecipeSetting{std::move(value), std::move(args), {}};
  };
  ConstValue betas;
  betas.kind = ConstValue::Kind::List;
  betas.items = {ConstValue::ofFloat(0.9), ConstValue::ofFloat(0.999)};
  bool paper = preset == "paper";
  ArgMap adam = {{"lr", ConstValue::ofFloat(paper ? 0.005 : 2e-3)},
                 {"betas", betas},
                 {"eps", ConstValue::ofFloat(paper ? 1e-5 : 1e-8)},
                 {"weight_decay", ConstValue::ofFloat(0)}};
  std::map<std::string, RecipeSetting> settings = {
      {"preset", setting(ConstValue::ofWord(preset.str()))},
      {"optimizer", setting(ConstValue::ofWord("adam"), adam)},
      {"epochs", setting(ConstValue::ofInt(30))},
      {"batch", setting(ConstValue::ofInt(paper ? 128 : 16))},
      {"seed", setting(ConstValue::ofInt(0))},
      {"clip", setting(ConstValue::ofFloat(0))},
      {"label_smoothing", setting(ConstValue::ofFloat(0))},
      {"validation", setting(ConstValue::ofFloat(0))},
      {"augment", setting(ConstValue::ofWord("none"))},
  };
  if (paper)
    settings["schedule"] = setting(ConstValue::ofWord("constant"));
  else
    settings["schedule"] = setting(ConstValue::ofWord("linear"),
                                   {{"warmup", ConstValue::ofFloat(0.1)}});
  return settings;
}

class Analyzer {
public:
  Analyzer(SourceManager &sources, DiagnosticEngine &diag,
           const SemaOptions &options, Program &program)
      : diag(diag), options(options), program(program),
        imports(sources, diag, options, program),
        elaborator(program, imports, diag) {}

  bool run(llvm::StringRef path) {
    const Module *root = imports.loadRoot(path);
    if (!root)
      return false;
    const BlockDecl *network = nullptr;
    const TrainDecl *train = nullptr;
    if (!chooseNetwork(*root, network, train))
      return false;
    ArgMap params;
    if (!bindNetworkParams(*network, train, params))
      return false;
    // Every encoder of the input file is checked, used or not.
    for (const EncoderDecl &encoder : root->encoders)
      if (!elaborator.elaborateEncoder(encoder, *root))
        return false;
    if (!elaborator.elaborateNetwork(*network, *root, params))
      return false;
    return resolveRecipe(train);
  }

private:
  bool chooseNetwork(const Module &root, const BlockDecl *&network,
                     const TrainDecl *&train) {
    if (root.trains.size() > 1) {
      diag.error(root.trains[1].loc, "only one `train` recipe per file")
          .note(root.trains[0].loc, "the first recipe is here");
      return false;
    }
    if (!root.trains.empty())
      train = &root.trains.front();
    std::string wanted = options.network;
    if (wanted.empty() && train)
      wanted = train->network;
    std::vector<const BlockDecl *> networks;
    for (const BlockDecl &block : root.blocks)
      if (block.isNetwork)
        networks.push_back(&block);
    if (!wanted.empty()) {
      for (const BlockDecl *candidate : networks)
        if (candidate->name == wanted)
          network = candidate;
      if (!network) {
        Location where = train && options.network.empty()
                             ? train->loc
                             : Location{root.path, 0, 0};
        diag.error(where, "no network named " + quote(wanted) + " in " +
                              quote(root.path));
        return false;
      }
    } else if (networks.size() == 1) {
      network = networks.front();
    } else if (networks.empty()) {
      diag.error(Location{root.path, 1, 1},
                 "no network to compile: declare one with `network Name { "
                 "input x : image[1, 28, 28] ... return ... }`");
      return false;
    } else {
      diag.error(networks[1]->loc, "several networks in one file; choose one "
                                   "with --network or a `train` recipe")
          .note(networks[0]->loc, "another network is declared here");
      return false;
    }
    if (train && train->network != network->name) {
      diag.error(train->loc, "the recipe trains " + quote(train->network) +
                                 ", but " + quote(network->name) +
                                 " is being compiled");
      return false;
    }
    return true;
  }

  bool bindNetworkParams(const BlockDecl &network, const TrainDecl *train,
                         ArgMap &params) {
    auto signature = elaborator.blockSignature(network, {});
    if (!signature)
      return false;
    std::vector<ArgumentValue> args;
    if (train) {
      auto recipeArgs = elaborator.evalArguments(train->args, {});
      if (!recipeArgs)
        return false;
      args = *recipeArgs;
    }
    for (const auto &[name, text] : options.defines) {
      const ParamSpec *spec = signature->find(name);
      if (!spec) {
        std::string known;
        for (const ParamSpec &param : signature->params)
          known += (known.empty() ? "" : ", ") + param.name;
        diag.error(Location{network.loc.file, 0, 0},
                   "-D " + name + ": network " + quote(network.name) +
                       " has no parameter " + quote(name) +
                       (known.empty() ? "" : " (it has " + known + ")"));
        return false;
      }
      auto value = parseDefine(name, text, network.loc.file);
      if (!value)
        return false;
      // -D wins over the recipe: drop the recipe's argument of that name.
      for (size_t i = 0; i < args.size(); ++i) {
        llvm::StringRef argName = args[i].name;
        if (argName.empty() && i < signature->params.size())
          argName = signature->params[i].name;
        if (argName == name) {
          args[i].name = name;
          args[i].value = *value;
        }
      }
      if (std::none_of(args.begin(), args.end(),
                       [&](const ArgumentValue &a) { return a.name == name; }))
        args.push_back({name, Location{}, *value});
    }
    auto bound =
        bindArguments(*signature, args, train ? train->loc : network.loc, diag);
    if (!bound)
      return false;
    params = *bound;
    return true;
  }

  /// -D values: integers, floats, true/false, otherwise a word.
  std::optional<ConstValue> parseDefine(const std::string &name,
                                        const std::string &text,
                                        llvm::StringRef file) {
    ConstValue value;
    if (text.empty()) {
      diag.error(Location{file, 0, 0}, "-D " + name + " needs a value: -D " +
                                           name + "=VALUE");
      return std::nullopt;
    }
    llvm::StringRef ref(text);
    if (!ref.getAsInteger(10, value.intValue))
      return ConstValue::ofInt(value.intValue);
    double number;
    if (!ref.getAsDouble(number) && std::isfinite(number))
      return ConstValue::ofFloat(number);
    if (text == "true" || text == "false")
      return ConstValue::ofBool(text == "true");
    return ConstValue::ofWord(text);
  }

  bool resolveRecipe(const TrainDecl *train) {
    std::string preset = "paper";
    std::map<std::string, Location> seen;
    // The preset is the base the other items override; its own value is
    // checked with the other items below. The grammar reads the bare word
    // as a call without arguments.
    if (train)
      for (const RecipeItem &item : train->items)
        if (item.key == "preset" && item.call && item.call->args.empty())
          preset = item.call->callee;
    program.recipe = presetSettings(preset == "code" ? "code" : "paper");
    if (!train)
      return true;
    for (const RecipeItem &item : train->items) {
      if (auto it = seen.find(item.key); it != seen.end()) {
        diag.error(item.loc, "recipe setting " + quote(item.key) +
                                 " is given twice")
            .note(it->second, "first given here");
        return false;
      }
      seen[item.key] = item.loc;
      if (!resolveItem(item))
        return false;
    }
    // `lr` and `weight_decay` are shorthands for the optimizer's arguments.
    for (const char *key : {"lr", "weight_decay"}) {
      auto it = program.recipe.find(key);
      if (it == program.recipe.end())
        continue;
      ArgMap &optimizer = program.recipe["optimizer"].args;
      optimizer[key] = it->second.value;
      program.recipe.erase(it);
    }
    return true;
  }

  bool resolveItem(const RecipeItem &item) {
    const RecipeKey *key = nullptr;
    std::vector<std::string> names;
    for (const RecipeKey &candidate : recipeKeys()) {
      names.push_back(candidate.key);
      if (candidate.key == item.key)
        key = &candidate;
    }
    if (!key) {
      auto builder = diag.error(item.loc, "unknown recipe setting " +
                                              quote(item.key) + "; expected " +
                                              llvm::join(names, ", "));
      std::string suggestion = closestMatch(item.key, names);
      if (!suggestion.empty())
        builder.note(item.loc, "did you mean " + quote(suggestion) + "?");
      return false;
    }
    RecipeSetting setting;
    setting.loc = item.loc;
    // A bare word or a call to one of the key's callables.
    std::string callee;
    std::vector<Argument> noArgs;
    const std::vector<Argument> *callArgs = &noArgs;
    if (item.call) {
      callee = item.call->callee;
      callArgs = &item.call->args;
    } else if (item.value->kind == ConstExpr::Kind::Name && !key->valueKind) {
      callee = item.value->text;
    }
    if (!key->valueKind) {
      if (std::find(key->words.begin(), key->words.end(), callee) ==
          key->words.end()) {
        diag.error(item.call ? item.call->loc : item.loc,
                   "unknown " + item.key + " " + quote(callee) +
                       "; expected " + llvm::join(key->words, ", "));
        return false;
      }
      setting.value = ConstValue::ofWord(callee);
      setting.value.loc = item.loc;
      for (const Signature &signature : key->calls) {
        if (signature.name != callee)
          continue;
        auto args = elaborator.evalArguments(*callArgs, {});
        if (!args)
          return false;
        auto bound = bindArguments(signature, *args, item.loc, diag);
        if (!bound)
          return false;
        setting.args = *bound;
      }
      program.recipe[item.key] = setting;
      return true;
    }
    std::optional<ConstValue> value;
    if (item.call) {
      // The grammar reads a bare word such as `fashion_mnist` as a call
      // without arguments.
      if (!item.call->args.empty()) {
        diag.error(item.call->loc, quote(item.key) +
                                       " takes a value, not a call");
        return false;
      }
      value = ConstValue::ofWord(item.call->callee);
      value->loc = item.call->loc;
    } else {
      value = elaborator.evalConst(*item.value, {});
    }
    if (!value)
      return false;
    if (item.key == "data") {
      if (value->kind != ConstValue::Kind::Word &&
          value->kind != ConstValue::Kind::String) {
        diag.error(item.loc, "`data` names a data set, such as fashion_mnist "
                             "or \"csv:DIR\"");
        return false;
      }
    } else {
      Signature single{item.key, {{item.key, *key->valueKind, {}, {}}}};
      auto bound = bindArguments(single, {{"", value->loc, *value}},
                                 item.loc, diag);
      if (!bound)
        return false;
      *value = bound->at(item.key);
      if (!checkRange(item.key, *value))
        return false;
    }
    setting.value = *value;
    program.recipe[item.key] = setting;
    return true;
  }

  bool checkRange(const std::string &key, const ConstValue &value) {
    auto fail = [&](std::string rule) {
      diag.error(value.loc, quote(key) + " " + rule + ", not " + value.str());
      return false;
    };
    if ((key == "epochs" || key == "batch") && value.intValue < 1)
      return fail("must be at least 1");
    if (key == "lr" && value.floatValue <= 0)
      return fail("must be positive");
    if ((key == "weight_decay" || key == "clip") && value.floatValue < 0)
      return fail("must not be negative");
    if ((key == "label_smoothing" || key == "validation") &&
        (value.floatValue < 0 || value.floatValue >= 1))
      return fail("must be in [0, 1)");
    return true;
  }

  DiagnosticEngine &diag;
  const SemaOptions &options;
  Program &program;
  ImportLoader imports;
  Elaborator elaborator;
};

} // namespace

std::unique_ptr<Program> dream::analyze(llvm::StringRef path,
                                        SourceManager &sources,
                                        DiagnosticEngine &diag,
                                        const SemaOptions &options) {
  auto program = std::make_unique<Program>();
  Analyzer analyzer(sources, diag, options, *program);
  if (!analyzer.run(path) || diag.hasErrors())
    return nullptr;
  return program;
}
