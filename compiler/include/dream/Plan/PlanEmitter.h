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

/// Fails, with an error at the network and a note at its largest
/// activation, if training `plan`'s network at its recipe's batch needs more
/// than `budget` bytes by the estimate of docs/plan.md (fp32: trainable
/// parameters four times, for values, gradients and Adam's two moments,
/// frozen ones once; the steps' per-sample outputs twice per example).
mlir::LogicalResult checkMemoryBudget(mlir::ModuleOp module,
                                      const nlohmann::ordered_json &plan,
                                      uint64_t budget);

/// Python source of a plain torch.nn module that computes what `plan`
/// does (`dreamc --emit=pytorch`, docs/plan.md "PyTorch export"): class
/// `Model`, with the plan's parameter names, and `load_checkpoint`.
llvm::Expected<std::string> emitPyTorch(const nlohmann::ordered_json &plan);

} // namespace dream

#endif // DREAM_PLAN_PLANEMITTER_H
