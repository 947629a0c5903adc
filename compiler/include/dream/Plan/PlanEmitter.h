//===- PlanEmitter.h - The execution plan the runtime runs ----------------===//
//
// Writes the JSON plan of docs/plan.md from a module that went through the
// dream pipeline: straight-line network and encoder functions whose ops are
// dream primitives, parameters and fused kernels.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_PLAN_PLANEMITTER_H
#define DREAM_PLAN_PLANEMITTER_H

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

namespace dream {

/// The plan format this compiler writes.
constexpr int kPlanVersion = 1;

/// Builds the plan. Emits an error on the offending op and fails if the
/// module still holds what the pipeline should have removed.
mlir::FailureOr<nlohmann::ordered_json> emitPlan(mlir::ModuleOp module);

/// Python source of a plain torch.nn module that computes what `plan`
/// does (`dreamc --emit=pytorch`, docs/plan.md "PyTorch export"): class
/// `Model`, with the plan's parameter names, and `load_checkpoint`.
llvm::Expected<std::string> emitPyTorch(const nlohmann::ordered_json &plan);

} // namespace dream

#endif // DREAM_PLAN_PLANEMITTER_H
