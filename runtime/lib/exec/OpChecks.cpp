//===- OpChecks.cpp - Plan steps checked against the op table -------------===//
//
// A step's op must be known, with as many inputs and parameters as the op
// takes and attributes of the kinds it reads: checked when a plan loads, so
// that a wrong plan is refused in the plan's terms before anything runs.
//
//===----------------------------------------------------------------------===//

#include "OpTable.h"

#include <algorithm>
#include <unordered_map>

namespace dream::rt {

const OpDef *findOp(const std::string &name) {
  static const std::unordered_map<std::string, const OpDef *> byName = [] {
    std::unordered_map<std::string, const OpDef *> map;
    for (const OpDef &def : opTable())
      map[def.name] = &def;
    return map;
  }();
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : it->second;
}

namespace {

[[noreturn]] void fail(const std::string &problem) { throw PlanError(problem); }

bool attrHasKind(const nlohmann::json &value, AttrKind kind) {
  switch (kind) {
  case AttrKind::Int:
    return value.is_number_integer();
  case AttrKind::Number:
    return value.is_number();
  case AttrKind::Bool:
    return value.is_boolean();
  case AttrKind::String:
    return value.is_string();
  case AttrKind::IntList:
    if (!value.is_array())
      return false;
    for (const nlohmann::json &item : value)
      if (!item.is_number_integer())
        return false;
    return true;
  }
  return false;
}

const char *kindName(AttrKind kind) {
  switch (kind) {
  case AttrKind::Int:
    return "an integer";
  case AttrKind::Number:
    return "a number";
  case AttrKind::Bool:
    return "true or false";
  case AttrKind::String:
    return "a string";
  case AttrKind::IntList:
    return "a list of integers";
  }
  return "";
}

std::string countRange(int lo, int hi) {
  if (lo == hi)
    return std::to_string(lo);
  return hi < 0 ? "at least " + std::to_string(lo)
                : std::to_string(lo) + " to " + std::to_string(hi);
}

void checkCounts(const OpDef &def, const Step &step) {
  int inputs = static_cast<int>(step.inputs.size());
  int params = static_cast<int>(step.params.size());
  if (inputs < def.minInputs || (def.maxInputs >= 0 && inputs > def.maxInputs))
    fail(std::string(def.name) + " takes " +
         countRange(def.minInputs, def.maxInputs) + " input(s), not " +
         std::to_string(inputs));
  if (params < def.minParams || (def.maxParams >= 0 && params > def.maxParams))
    fail(std::string(def.name) + " takes " +
         countRange(def.minParams, def.maxParams) + " parameter(s), not " +
         std::to_string(params));
}

void checkAttrs(const OpDef &def, const Step &step) {
  for (const AttrSpec &spec : def.attrs) {
    auto it = step.attrs.find(spec.name);
    if (it == step.attrs.end() || it->is_null()) {
      if (spec.required)
        fail(std::string(def.name) + " needs attribute '" + spec.name + "'");
      continue;
    }
    if (!attrHasKind(*it, spec.kind))
      fail("attribute '" + std::string(spec.name) + "' must be " +
           kindName(spec.kind) + ", got " + it->dump());
    if (!spec.values.empty() &&
        std::find(spec.values.begin(), spec.values.end(),
                  it->get<std::string>()) == spec.values.end())
      fail("attribute '" + std::string(spec.name) + "' cannot be " +
           it->dump());
  }
  for (const auto &[key, value] : step.attrs.items()) {
    bool known = false;
    for (const AttrSpec &spec : def.attrs)
      known = known || key == spec.name;
    if (!known)
      fail(std::string(def.name) + " has no attribute '" + key + "'");
  }
}

std::string knownOps() {
  std::string names;
  for (const OpDef &def : opTable())
    names += (names.empty() ? "" : ", ") + std::string(def.name);
  return names;
}

} // namespace

void checkOpSignature(const Step &step) {
  const OpDef *def = findOp(step.op);
  if (!def)
    fail("unknown op '" + step.op + "'; known ops: " + knownOps());
  checkCounts(*def, step);
  checkAttrs(*def, step);
  if (step.op == "fused" && step.kernel.empty())
    fail("missing field 'kernel'");
}

} // namespace dream::rt
