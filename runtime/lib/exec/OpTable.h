//===- OpTable.h - The plan's ops: counts, attributes, implementations ----===//
//
// One entry per op a plan step may name, generated from the compiler's op
// registry (PlanOps.inc, written by dream-opgen) and defined in Ops.cpp,
// beside the reference implementations it points to. OpChecks.cpp checks
// steps against it when a plan is loaded.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_EXEC_OPTABLE_H
#define DREAM_RUNTIME_EXEC_OPTABLE_H

#include "dream/Runtime/Ops.h"

#include <string>
#include <vector>

namespace dream::rt {

enum class AttrKind { Int, Number, Bool, String, IntList };

struct AttrSpec {
  const char *name;
  AttrKind kind;
  bool required;
  std::vector<std::string> values = {}; ///< Allowed strings, if limited.
};

using OpFunction = at::Tensor (*)(const OpArgs &);

struct OpDef {
  const char *name;
  int minInputs, maxInputs; ///< maxInputs -1: any number.
  int minParams, maxParams; ///< maxParams -1: any number.
  std::vector<AttrSpec> attrs;
  OpFunction run; ///< Null for `fused`, which the executor runs.
};

/// Every op, in the registry's order.
const std::vector<OpDef> &opTable();
/// The entry of op `name`, or nullptr.
const OpDef *findOp(const std::string &name);

} // namespace dream::rt

#endif // DREAM_RUNTIME_EXEC_OPTABLE_H
