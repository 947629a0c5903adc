//===- Vocabulary.cpp - The recipe vocabulary as Sema signatures ----------===//

#include "Vocabulary.h"

#include "dream/Schema/Plan.h"

using namespace dream;

namespace {

/// A recipe value as the plan writes it, as a constant.
ConstValue constantOf(const nlohmann::json &value) {
  if (value.is_boolean())
    return ConstValue::ofBool(value.get<bool>());
  if (value.is_number_integer())
    return ConstValue::ofInt(value.get<int64_t>());
  if (value.is_number())
    return ConstValue::ofFloat(value.get<double>());
  if (value.is_array()) {
    ConstValue list;
    list.kind = ConstValue::Kind::List;
    for (const nlohmann::json &item : value)
      list.items.push_back(constantOf(item));
    return list;
  }
  return ConstValue::ofWord(value.get<std::string>());
}

} // namespace

ParamSpec dream::paramOf(const schema::Arg &arg) {
  ParamSpec param{arg.name, ParamKind::Any, std::nullopt, {}, std::nullopt};
  switch (arg.kind) {
  case schema::ArgKind::Int:
    param.kind = ParamKind::Int;
    if (arg.byDefault)
      param.defaultValue = ConstValue::ofInt(static_cast<int64_t>(*arg.byDefault));
    break;
  case schema::ArgKind::Float:
    param.kind = ParamKind::Float;
    if (arg.byDefault)
      param.defaultValue = ConstValue::ofFloat(*arg.byDefault);
    break;
  case schema::ArgKind::Bool:
    param.kind = ParamKind::Bool;
    if (arg.byDefault)
      param.defaultValue = ConstValue::ofBool(*arg.byDefault != 0);
    break;
  case schema::ArgKind::FloatPair:
    param.kind = ParamKind::FloatPair;
    if (arg.byDefault) {
      ConstValue pair;
      pair.kind = ConstValue::Kind::List;
      pair.items = {ConstValue::ofFloat(*arg.byDefault),
                    ConstValue::ofFloat(arg.secondDefault)};
      param.defaultValue = pair;
    }
    break;
  case schema::ArgKind::Name:
    break;
  }
  if (arg.range.bounded())
    param.range = ValueRange{arg.range.min, arg.range.max, arg.range.minOpen,
                             arg.range.maxOpen};
  return param;
}

Signature dream::signatureOf(const schema::Callee &callee) {
  Signature signature{callee.name, {}};
  for (const schema::Arg &arg : callee.args)
    signature.params.push_back(paramOf(arg));
  return signature;
}

std::map<std::string, RecipeSetting>
dream::presetSettings(const schema::Preset &preset) {
  // The keys and values a plan's recipe has under the preset: settings
  // with arguments are objects, the callee under "name".
  nlohmann::json recipe = schema::toJson(schema::presetRecipe(preset));
  std::map<std::string, RecipeSetting> settings;
  for (auto &[key, value] : recipe.items()) {
    RecipeSetting setting;
    if (value.is_object()) {
      setting.value = ConstValue::ofWord(value["name"].get<std::string>());
      for (auto &[arg, argValue] : value.items())
        if (arg != "name")
          setting.args[arg] = constantOf(argValue);
    } else {
      setting.value = constantOf(value);
    }
    settings[key] = std::move(setting);
  }
  return settings;
}
