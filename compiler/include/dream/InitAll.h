//===- InitAll.h - Registering the project's dialects and passes ----------===//
//
// One place that knows every dialect and pass the tools need; dreamc and
// dream-opt both call it.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_INITALL_H
#define DREAM_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace dream {

/// The dream dialect and the upstream dialects it is lowered through.
void registerAllDialects(mlir::DialectRegistry &registry);
/// Every dream pass and named pipeline, for command-line tools.
void registerAllPasses();

} // namespace dream

#endif // DREAM_INITALL_H
