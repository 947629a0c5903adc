//===- Plan.h - The execution plan emitted by dreamc ------------*- C++ -*-===//
//
// The runtime's view of `dreamc --emit=plan` (docs/plan.md): the typed plan
// of dream/Schema/Plan.h, which dreamc writes with the same definitions,
// read with the runtime's op table checking every step (Ops.cpp).
//
// This header does not include LibTorch, so the command line and the data
// readers stay cheap to compile.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_PLAN_H
#define DREAM_RUNTIME_PLAN_H

#include "dream/Schema/Plan.h"

namespace dream::rt {

using schema::AugmentSpec;
using schema::defaultSchedule;
using schema::EncoderSpec;
using schema::fnv1a;
using schema::formatShape;
using schema::Graph;
using schema::InputSpec;
using schema::KernelSpec;
using schema::OptimizerSpec;
using schema::ParamRef;
using schema::PretrainKind;
using schema::ParamSpec;
using schema::Plan;
using schema::PlanError;
using schema::PretrainSpec;
using schema::Recipe;
using schema::ScheduleSpec;
using schema::scheduleNames;
using schema::Step;

/// A step's attribute, or `fallback` where the plan leaves it out (the
/// loader checked the kinds of those present).
inline int64_t intAttr(const Step &step, const char *name,
                       int64_t fallback = 0) {
  auto it = step.attrs.find(name);
  return it == step.attrs.end() ? fallback : it->get<int64_t>();
}
inline double numberAttr(const Step &step, const char *name,
                         double fallback = 0) {
  auto it = step.attrs.find(name);
  return it == step.attrs.end() ? fallback : it->get<double>();
}
inline bool boolAttr(const Step &step, const char *name, bool fallback) {
  auto it = step.attrs.find(name);
  return it == step.attrs.end() ? fallback : it->get<bool>();
}
inline std::string stringAttr(const Step &step, const char *name,
                              const char *fallback) {
  auto it = step.attrs.find(name);
  return it == step.attrs.end() ? fallback : it->get<std::string>();
}

/// Parses and checks a plan; `origin` (a path or "embedded plan") starts
/// every message. Throws PlanError.
Plan parsePlan(const std::string &text, const std::string &origin);

/// Reads and parses a plan file. Throws PlanError.
Plan loadPlanFile(const std::string &path);

/// Checks a step's op name, number of inputs and parameters and its
/// attributes against the op table. Defined in Ops.cpp, next to that table.
void checkOpSignature(const Step &step);

/// Whether `text` begins with `prefix` (parameter scopes, data source names).
inline bool startsWith(const std::string &text, const std::string &prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

} // namespace dream::rt

#endif // DREAM_RUNTIME_PLAN_H
