//===- DreamAttributes.h - The dialect's discardable attributes ----------===//
//
// The `dream.*` attributes that MLIRGen and the passes put on modules,
// functions, calls and ops outside the dialect's own definitions. They are
// part of the dialect's vocabulary, so they are named here: MLIRGen writes
// them and the passes read them, and neither side owns them.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_DIALECT_DREAMATTRIBUTES_H
#define DREAM_DIALECT_DREAMATTRIBUTES_H

#include "mlir/IR/Operation.h"

#include "llvm/ADT/StringRef.h"

namespace dream {

/// Module attributes: the .dream file, the vocabulary of a token input, the
/// resolved training recipe (a dictionary; optimizer, schedule and augment
/// are dictionaries with a `name`).
constexpr llvm::StringLiteral kSourceAttr = "dream.source";
constexpr llvm::StringLiteral kInputVocabAttr = "dream.input_vocab";
constexpr llvm::StringLiteral kRecipeAttr = "dream.recipe";
/// Set by dream-inline-blocks: encoder runs per network evaluation.
constexpr llvm::StringLiteral kEncoderCallsAttr = "dream.encoder_calls";

/// On the functions dream-generate-kernels adds: a kernel entry point.
constexpr llvm::StringLiteral kKernelAttr = "dream.kernel";

/// Attribute names on `func.call` that the inliner reads.
constexpr llvm::StringLiteral kScopeAttr = "dream.scope";
constexpr llvm::StringLiteral kAbsoluteScopeAttr = "dream.absolute_scope";
constexpr llvm::StringLiteral kFrozenCallAttr = "dream.frozen";
/// On ops inlined from a frozen encoder: run in evaluation mode.
constexpr llvm::StringLiteral kFrozenOpAttr = "dream.frozen_op";

/// Whether a training-mode kernel computes this batch norm's batch
/// statistics (and returns them for the running averages) or normalises
/// with the running statistics: the one rule GenerateKernels and the plan's
/// `statistics` list share.
inline bool usesBatchStatistics(mlir::Operation *batchNorm) {
  return !batchNorm->hasAttr(kFrozenOpAttr);
}
/// On encoder calls: the connection's masking mode (a MaskingAttr) for the
/// masks inside.
constexpr llvm::StringLiteral kMaskingAttr = "dream.masking";
/// On the copy of an encoder function that dream-expand-connections makes
/// for differentiable token bridges (input: a distribution over the
/// vocabulary): the function it copies.
constexpr llvm::StringLiteral kSoftInputOfAttr = "dream.soft_input_of";

} // namespace dream

#endif // DREAM_DIALECT_DREAMATTRIBUTES_H
