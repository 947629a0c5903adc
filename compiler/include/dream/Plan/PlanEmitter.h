//===- PlanEmitter.h - The execution plan the runtime runs ----------------===//
//
// Writes the JSON plan of docs/plan.md from a module that went through the
// dream pipeline: straight-line network and encoder functions whose ops are
// dream primitives, parameters and fused kernels.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_PLAN_PLANEMITTER_H
#define DREAM_PLAN_PLANEMITTER_H

#include "dream/Schema/Plan.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

namespace dream {

/// Builds the plan (schema::toJson writes it). Emits an error on the
/// offending op and fails if the module still holds what the pipeline
/// should have removed.
mlir::FailureOr<schema::Plan> emitPlan(mlir::ModuleOp module);

/// Fails, with an error at the network and a note at its largest
/// activation, if training `plan`'s network at its recipe's batch needs more
/// than `budget` bytes by the estimate of docs/plan.md (fp32: trainable
/// parameters four times, for values, gradients and Adam's two moments,
/// frozen ones once; the steps' per-sample outputs twice per example).
mlir::LogicalResult checkMemoryBudget(mlir::ModuleOp module,
                                      const schema::Plan &plan,
                                      uint64_t budget);

/// Python source of a plain torch.nn module that computes what `plan`
/// does (`dreamc --emit=pytorch`, docs/plan.md "PyTorch export"): class
/// `Model`, with the plan's parameter names, and `load_checkpoint`.
llvm::Expected<std::string> emitPyTorch(const schema::Plan &plan);

} // namespace dream

#endif // DREAM_PLAN_PLANEMITTER_H
