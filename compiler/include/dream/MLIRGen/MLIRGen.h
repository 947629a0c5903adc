//===- MLIRGen.h - From the checked program to the dream dialect ----------===//
//
// Emits one module: a public function for the network, a private function
// per block instance (applications are `func.call`s carrying the scope that
// names their parameters), and a `dream.encoder` per encoder with private
// functions for its encoder and decoder. Every op carries the source
// location of the construct it comes from. The `dream.*` attributes it
// writes are named by the dialect (dream/Dialect/DreamAttributes.h).
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_MLIRGEN_MLIRGEN_H
#define DREAM_MLIRGEN_MLIRGEN_H

#include "dream/Sema/Sema.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace dream {

mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const Program &program);

} // namespace dream

#endif // DREAM_MLIRGEN_MLIRGEN_H
