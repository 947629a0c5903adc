//===- Ops.h - Reference implementations of the plan's ops -----*- C++ -*-===//
//
// Every op of docs/plan.md's table as plain ATen calls, recorded by
// autograd. The table that maps op names to these functions also states how
// many inputs and parameters each op takes and which attributes it reads;
// plan loading checks steps against it (checkOpSignature in Plan.h).
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_OPS_H
#define DREAM_RUNTIME_OPS_H

#include "dream/Runtime/Plan.h"

#include <ATen/ATen.h>

#include <vector>

namespace dream::rt {

/// The operands of one step.
struct OpArgs {
  const Step &step;
  const std::vector<at::Tensor> &inputs;
  const std::vector<at::Tensor> &params;
  /// False in evaluation and in frozen steps: batch norm uses its running
  /// statistics and dropout is off.
  bool training;
  /// Draws dropout and masking noise (on the CPU, so runs are reproducible
  /// whatever the device).
  at::Generator generator;
  /// [batch, length], true at the network input's padding (RunMode):
  /// attention over sequences of that length ignores those keys.
  at::Tensor padding = {};
};

/// Runs a step's op (anything but `fused`, which the executor handles).
/// Throws PlanError, or c10::Error from ATen, on operands that do not fit.
at::Tensor runReferenceOp(const OpArgs &args);

/// A [batch, positions] CPU mask, 1 where a position is kept and 0 where it
/// is masked. MAE's rule: each sample keeps int(positions * (1 - ratio))
/// positions chosen at random.
at::Tensor randomKeepMask(int64_t batch, int64_t positions, double ratio,
                          at::Generator generator);

/// The input of `masked` pre-training: `inputs` [B, ...] with a random
/// `ratio` of each sample's pieces (randomKeepMask's rule) set to zero, the
/// mean value after normalisation. A piece is, by the sample's rank: an
/// element of a vector [D]; a position (all its features) of a sequence
/// [L, D]; a 4x4 patch of the last two dimensions of an image [C, H, W] or
/// a tensor of rank 4, across the leading (channel) dimensions, patches at
/// the bottom and right border clipped to the sides.
at::Tensor maskPieces(const at::Tensor &inputs, double ratio,
                      at::Generator generator);

/// Inverted dropout with noise from `generator`; `x` unchanged if p is 0.
at::Tensor dropoutWith(const at::Tensor &x, double p, at::Generator generator);

} // namespace dream::rt

#endif // DREAM_RUNTIME_OPS_H
