//===- Cost.h - What an op, a block or a network costs per sample --------===//
//
// Parameter counts and FLOPs, from the checked program alone. The execution
// plan counts FLOPs per op of the lowered IR with the registry's opFlops; dream-lsp sums the
// same rule over a block instance to show, on hover, what applying a block
// costs before anything is generated.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_SEMA_COST_H
#define DREAM_SEMA_COST_H

#include "dream/Sema/Sema.h"

namespace dream {

/// Parameters (buffers such as running statistics left out) and FLOPs per
/// sample.
struct Cost {
  int64_t trainable = 0;
  int64_t frozen = 0;
  int64_t flops = 0;
};

/// What one application of `instance` costs: its ops, its connections'
/// adapters and nested block applications (each application owns its
/// parameters), and the encoders its connections run. An encoder's
/// parameters (an autoencoder's decoder's too, as the plan holds them) count
/// once however often it runs, as trainable or frozen as it is declared; so
/// do the adapters of `share: shared` connections. The layout steps around
/// adapters are left out of the FLOPs.
Cost costOf(const BlockInstance &instance);

/// What stage `stage` of `owner`'s body costs when applied once (a repeat:
/// all its applications), counted as costOf counts.
Cost costOf(const Stage &stage, const BlockInstance &owner);

/// The value stage `stage` of `owner`'s body reads: the output of the stage
/// before it in its pipe, or the pipe's source; nullptr if `owner` did not
/// get that far.
const ValueType *stageInput(const Stage &stage, const BlockInstance &owner);

} // namespace dream

#endif // DREAM_SEMA_COST_H
