//===- Passes.h - Passes of the code-generation back end --------*- C++ -*-===//
//
// Private to DreamConversion: the pipelines in Pipelines.cpp are the public
// face of these passes.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LIB_CONVERSION_PASSES_H
#define DREAM_LIB_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace dream {

#define GEN_PASS_DECL
#include "Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Passes.h.inc"

/// Drops the unused results and the duplicate or unused operands of the
/// generics in `root`, as the passes that merge generics leave them.
mlir::LogicalResult eraseUnusedOperandsAndResults(mlir::Operation *root);

/// The name of the gpu.module that dream-merge-gpu-modules creates.
inline constexpr llvm::StringLiteral kKernelModuleName = "dream_kernels";

} // namespace dream

#endif // DREAM_LIB_CONVERSION_PASSES_H
