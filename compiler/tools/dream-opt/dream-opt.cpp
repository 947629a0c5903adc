//===- dream-opt.cpp - Runs dream passes on .mlir files -------------------===//
//
// The `mlir-opt` of this project: the dream dialect, the dialects it lowers
// to, every project pass and the named pipelines, for tests and debugging.
//
//===----------------------------------------------------------------------===//

#include "dream/InitAll.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  dream::registerAllDialects(registry);
  dream::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "dream-opt: runs the dream dialect's passes\n", registry));
}
