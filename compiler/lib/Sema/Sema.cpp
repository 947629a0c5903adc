//===- Sema.cpp - Checking a .dream program -------------------------------===//
//
// The entry point of semantic analysis: load the file and its imports, pick
// the network, bind its parameters (defaults < `train` arguments < -D),
// elaborate it and the encoders, and resolve the training recipe. A file
// without a network is a library: its encoders and blocks are checked.
//
//===----------------------------------------------------------------------===//

#include "Elaborate.h"
#include "Vocabulary.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>

using namespace dream;

namespace {

/// A recipe key: a plain value checked against `value`, or a call to one of
/// `calls` (a bare word such as `constant` is a call without arguments).
struct RecipeKey {
  std::string key;
  std::optional<ParamSpec> value;
  std::vector<Signature> calls;
};

/// The recipe keys of the plan schema's vocabulary (dream/Schema/Recipe.h).
const std::vector<RecipeKey> &recipeKeys() {
  static const std::vector<RecipeKey> keys = [] {
    std::vector<RecipeKey> keys;
    for (const schema::RecipeKey &key : schema::recipeKeys()) {
      RecipeKey entry{key.name, std::nullopt, {}};
      if (key.value)
        entry.value = paramOf(*key.value);
      for (const schema::Callee &callee : key.callees)
        entry.calls.push_back(signatureOf(callee));
      keys.push_back(std::move(entry));
    }
    return keys;
  }();
  return keys;
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
    if (!network)
      return checkLibrary(*root);
    ArgMap params;
    if (!bindNetworkParams(*network, train, params))
      return false;
    if (!checkEncoders(*root) ||
        !elaborator.elaborateNetwork(*network, *root, params) ||
        !checkSharedAdapters(program, diag))
      return false;
    return resolveRecipe(train, root->path);
  }

private:
  /// Every encoder of the input file is checked, used or not.
  bool checkEncoders(const Module &root) {
    for (const EncoderDecl &encoder : root.encoders)
      if (!elaborator.elaborateEncoder(encoder, root))
        return false;
    return true;
  }

  /// Picks the network to compile; leaves it null for a library.
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
        auto builder = diag.error(where, "no network named " + quote(wanted) +
                                             " in " + quotePath(root.path));
        std::vector<std::string> names;
        for (const BlockDecl *candidate : networks)
          names.push_back(candidate->name);
        std::string suggestion = closestMatch(wanted, names);
        for (const BlockDecl *candidate : networks)
          if (candidate->name == suggestion)
            builder.note(candidate->loc,
                         "did you mean " + quote(suggestion) + "?");
        return false;
      }
    } else if (networks.size() == 1) {
      network = networks.front();
    } else if (networks.empty()) {
      return true; // A library.
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

  /// Checks a file without a network: its encoders, as for a network, and
  /// each block on its own. Compiling it is still an error, once it is clean.
  bool checkLibrary(const Module &root) {
    if (!options.defines.empty()) {
      diag.error(Location{root.path, 0, 0},
                 "-D " + options.defines.front().first +
                     ": there is no network in " + quotePath(root.path) +
                     " to set a parameter of");
      return false;
    }
    if (!checkEncoders(root))
      return false;
    for (const BlockDecl &block : root.blocks) {
      const BlockInstance *instance = elaborator.checkBlock(block, root);
      if (!instance)
        return false;
      program.library.push_back(instance);
    }
    if (options.allowLibrary)
      return true;
    diag.error(Location{root.path, 1, 1},
               "no network to compile: declare one with `network Name { "
               "input x : image[1, 28, 28] ... return ... }`");
    return false;
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
    // The parameter an argument binds, by name or by position.
    auto paramOf = [&](size_t i) -> llvm::StringRef {
      if (!args[i].name.empty() || i >= signature->params.size())
        return args[i].name;
      return signature->params[i].name;
    };
    // -D messages have no source position: they name the file.
    Location defineLoc{network.loc.file, 0, 0};
    for (const auto &[name, text] : options.defines) {
      const ParamSpec *spec = signature->find(name);
      if (!spec) {
        std::string known;
        for (const ParamSpec &param : signature->params)
          known += (known.empty() ? "" : ", ") + param.name;
        diag.error(defineLoc,
                   "-D " + name + ": network " + quote(network.name) +
                       " has no parameter " + quote(name) +
                       (known.empty() ? "" : " (it has " + known + ")"));
        return false;
      }
      auto value = parseDefine(*spec, network, text, defineLoc);
      if (!value)
        return false;
      // -D wins over the recipe: it replaces the recipe's argument in place,
      // so that the positions of the others still hold.
      bool replaced = false;
      for (size_t i = 0; i < args.size(); ++i) {
        if (paramOf(i) != name)
          continue;
        args[i].value = *value;
        args[i].loc = defineLoc;
        replaced = true;
      }
      if (!replaced)
        args.push_back({name, defineLoc, *value});
    }
    for (const ParamSpec &param : signature->params) {
      bool given = false;
      for (size_t i = 0; i < args.size(); ++i)
        given |= paramOf(i) == param.name;
      if (given || param.defaultValue)
        continue;
      diag.error(train ? train->loc : network.loc,
                 "network " + quote(network.name) + " needs a value for " +
                     quote(param.name) + ": give it in the recipe, `train " +
                     network.name + "(" + param.name +
                     ": ...)`, or on the command line, -D " + param.name +
                     "=VALUE");
      return false;
    }
    auto bound =
        bindArguments(*signature, args, train ? train->loc : network.loc, diag);
    if (!bound)
      return false;
    params = *bound;
    return true;
  }

  /// The value of `-D NAME=TEXT` for parameter `spec`: the text itself for a
  /// string parameter; otherwise an int, a float, true/false or a word, which
  /// must fit the parameter's kind.
  std::optional<ConstValue> parseDefine(const ParamSpec &spec,
                                        const BlockDecl &network,
                                        const std::string &text,
                                        Location defineLoc) {
    const std::string &name = spec.name;
    if (text.empty()) {
      diag.error(defineLoc,
                 "-D " + name + " needs a value: -D " + name + "=VALUE");
      return std::nullopt;
    }
    ConstValue value;
    llvm::StringRef ref(text);
    double number;
    if (spec.kind == ParamKind::String) {
      value.kind = ConstValue::Kind::String;
      value.text = text;
    } else if (!ref.getAsInteger(10, value.intValue)) {
      value.kind = ConstValue::Kind::Int;
    } else if (!ref.getAsDouble(number) && std::isfinite(number)) {
      value = ConstValue::ofFloat(number);
    } else if (text == "true" || text == "false") {
      value = ConstValue::ofBool(text == "true");
    } else {
      value = ConstValue::ofWord(text);
    }
    value.loc = defineLoc;
    if (fitsKind(spec.kind, value))
      return value;
    llvm::StringRef kind = paramKindName(spec.kind);
    diag.error(defineLoc, "-D " + name + "=" + text + ": parameter " +
                              quote(name) + " of " + quote(network.name) +
                              " is " + (kind.front() == 'i' ? "an " : "a ") +
                              kind.str() + ", not " + describeValue(value));
    return std::nullopt;
  }

  bool resolveRecipe(const TrainDecl *train, llvm::StringRef path) {
    // The preset is the base that the other items override, whatever its
    // position: it is resolved first.
    const RecipeItem *preset = nullptr;
    if (train)
      for (const RecipeItem &item : train->items)
        if (item.key == "preset" && !preset)
          preset = &item;
    std::optional<RecipeSetting> presetSetting;
    if (preset && !(presetSetting = resolveItem(*preset)))
      return false;
    // dreamc --preset replaces the file's preset; the file's other items
    // still apply on top of it.
    std::string name =
        presetSetting ? presetSetting->value.text : schema::kDefaultPreset;
    if (!options.preset.empty()) {
      if (!schema::findPreset(options.preset)) {
        std::string known;
        for (const schema::Preset &candidate : schema::presets())
          known += (known.empty() ? "" : ", ") + std::string(candidate.name);
        diag.error(Location{path, 0, 0}, "--preset " + options.preset +
                                             ": no such preset (expected " +
                                             known + ")");
        return false;
      }
      name = options.preset;
    }
    program.recipe = presetSettings(*schema::findPreset(name));
    if (!train)
      return true;
    std::map<std::string, Location> seen;
    for (const RecipeItem &item : train->items) {
      if (auto it = seen.find(item.key); it != seen.end()) {
        diag.error(item.loc, "recipe setting " + quote(item.key) +
                                 " is given twice")
            .note(it->second, "first given here");
        return false;
      }
      seen[item.key] = item.loc;
      if (&item == preset && !options.preset.empty())
        continue;
      auto setting = &item == preset ? presetSetting : resolveItem(item);
      if (!setting)
        return false;
      program.recipe[item.key] = *setting;
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

  /// Resolves one recipe item against the table of keys.
  std::optional<RecipeSetting> resolveItem(const RecipeItem &item) {
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
      return std::nullopt;
    }
    if (key->value) {
      auto value = itemValue(item);
      if (!value || !checkItemValue(item, *key->value, *value))
        return std::nullopt;
      return RecipeSetting{*value, {}, item.loc};
    }
    return resolveCall(item, key->calls);
  }

  /// A recipe item that calls one of `calls`, or names one as a bare word
  /// (a call without arguments). The arguments it does not give take the
  /// preset's values when the preset calls the same callee (`preset code`
  /// then `optimizer adam(lr: 0.01)` keeps the code's eps), else the
  /// callee's defaults.
  std::optional<RecipeSetting> resolveCall(const RecipeItem &item,
                                           llvm::ArrayRef<Signature> calls) {
    std::vector<std::string> callees;
    for (const Signature &signature : calls)
      callees.push_back(signature.name);
    std::string expected = llvm::join(callees, ", ");
    ConstValue callee;
    const std::vector<Argument> noArgs;
    const std::vector<Argument> *args = &noArgs;
    if (item.call) {
      callee = ConstValue::ofWord(item.call->callee);
      callee.loc = item.call->loc;
      args = &item.call->args;
    } else {
      auto value = elaborator.evalConst(*item.value, {});
      if (!value)
        return std::nullopt;
      callee = *value;
      if (callee.kind != ConstValue::Kind::Word) {
        diag.error(callee.loc, quote(item.key) + " must be one of " + expected +
                                   ", not " + describeValue(callee));
        return std::nullopt;
      }
    }
    auto found = llvm::find_if(calls, [&](const Signature &signature) {
      return signature.name == callee.text;
    });
    if (found == calls.end()) {
      auto builder = diag.error(callee.loc, "unknown " + item.key + " " +
                                                quote(callee.text) +
                                                "; expected " + expected);
      std::string suggestion = closestMatch(callee.text, callees);
      if (!suggestion.empty())
        builder.note(callee.loc, "did you mean " + quote(suggestion) + "?");
      return std::nullopt;
    }
    Signature signature = withPresetDefaults(item.key, *found);
    auto values = elaborator.evalArguments(*args, {});
    if (!values)
      return std::nullopt;
    auto bound = bindArguments(signature, *values, callee.loc, diag);
    if (!bound)
      return std::nullopt;
    callee.loc = item.loc;
    return RecipeSetting{callee, *bound, item.loc};
  }

  /// `signature` with the preset's arguments as defaults when the preset's
  /// setting for `key` calls the same callee.
  Signature withPresetDefaults(const std::string &key, Signature signature) {
    auto preset = program.recipe.find(key);
    if (preset == program.recipe.end() ||
        preset->second.value.text != signature.name)
      return signature;
    for (ParamSpec &param : signature.params)
      if (auto it = preset->second.args.find(param.name);
          it != preset->second.args.end())
        param.defaultValue = it->second;
    return signature;
  }

  /// The value of a plain recipe item. The grammar reads a bare word such
  /// as `fashion_mnist` as a call without arguments.
  std::optional<ConstValue> itemValue(const RecipeItem &item) {
    if (!item.call)
      return elaborator.evalConst(*item.value, {});
    if (!item.call->args.empty()) {
      diag.error(item.call->loc,
                 quote(item.key) + " takes a value, not a call");
      return std::nullopt;
    }
    ConstValue value = ConstValue::ofWord(item.call->callee);
    value.loc = item.call->loc;
    return value;
  }

  bool checkItemValue(const RecipeItem &item, const ParamSpec &spec,
                      ConstValue &value) {
    if (item.key == "data" && value.kind != ConstValue::Kind::Word &&
        value.kind != ConstValue::Kind::String) {
      diag.error(item.loc, "`data` names a data set, such as fashion_mnist "
                           "or \"csv:DIR\"");
      return false;
    }
    return checkValue(spec, value, quote(item.key), diag);
  }

  DiagnosticEngine &diag;
  const SemaOptions &options;
  Program &program;
  ImportLoader imports;
  Elaborator elaborator;
};

} // namespace

bool dream::analyzeInto(Program &program, llvm::StringRef path,
                        SourceManager &sources, DiagnosticEngine &diag,
                        const SemaOptions &options) {
  Analyzer analyzer(sources, diag, options, program);
  return analyzer.run(path) && !diag.hasErrors();
}

std::unique_ptr<Program> dream::analyze(llvm::StringRef path,
                                        SourceManager &sources,
                                        DiagnosticEngine &diag,
                                        const SemaOptions &options) {
  auto program = std::make_unique<Program>();
  if (!analyzeInto(*program, path, sources, diag, options))
    return nullptr;
  return program;
}
