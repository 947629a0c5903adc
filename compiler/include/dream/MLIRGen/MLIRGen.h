//===- MLIRGen.h - From the checked program to the dream dialect ----------===//
//
// Emits one module: a public function for the network, a private function
// per block instance (applications are `func.call`s carrying the scope that
// names their parameters), and a `dream.encoder` per encoder with private
// functions for its encoder and decoder. Every op carries the source
// location of the construct it comes from.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_MLIRGEN_MLIRGEN_H
#define DREAM_MLIRGEN_MLIRGEN_H

#include "dream/Sema/Sema.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

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
/// On encoder calls: the connection's masking mode for the masks inside.
constexpr llvm::StringLiteral kMaskingAttr = "dream.masking";
/// On the copy of an encoder function that dream-expand-connections makes
/// for differentiable token bridges (input: a distribution over the
/// vocabulary): the function it copies.
constexpr llvm::StringLiteral kSoftInputOfAttr = "dream.soft_input_of";

mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const Program &program);

} // namespace dream

#endif // DREAM_MLIRGEN_MLIRGEN_H
