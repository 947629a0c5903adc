//===- Passes.td - The dream dialect's passes ---------------*- tablegen -*-===//

#ifndef DREAM_PASSES_TD
#define DREAM_PASSES_TD

include "mlir/Pass/PassBase.td"

def ExpandConnections : Pass<"dream-expand-connections", "mlir::ModuleOp"> {
  let summary = "Turns sleep and dream connections into adapters and encoder calls";
  let description = [{
    Replaces each `dream.sleep` / `dream.dream` by its in adapter, a call of
    the encoder's function (and the decoder's), a `dream.stop_gradient` when
    the connection detaches the gradient, and its out adapter. Adapter
    parameters are named after the connection's scope (`share = per_block`)
    or after the encoder (`share = shared`, kept global).
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def InlineBlocks : Pass<"dream-inline-blocks", "mlir::ModuleOp"> {
  let summary = "Inlines block applications, giving each its own parameters";
  let description = [{
    Inlines every `func.call` in the public functions, innermost scopes
    first. The parameters of an inlined body are renamed with the call's
    `dream.scope` (prefixed by the enclosing scopes), so two applications of
    one block own distinct parameters; calls with `dream.absolute_scope`
    (encoders) give the same names everywhere, so all connections share one
    encoder. Parameters inlined through a `dream.frozen` call are frozen.
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def FusePointwise : Pass<"dream-fuse-pointwise", "mlir::func::FuncOp"> {
  let summary = "Groups pointwise and normalisation ops into fused regions";
  let description = [{
    Forms maximal trees of pointwise and normalisation ops (the add that
    merges a sleep or dream branch included) whose inner results have no
    other use, of at most 16 normalisations (a longer chain is cut), and
    moves each into a `dream.fused` region: one kernel
    forward, one backward. Ops that draw random numbers (dropout, mask)
    stay outside. Every pointwise or normalisation op ends up in a region,
    so none remains unfused between two heavy ops.
  }];
  let dependentDialects = ["dream::DreamDialect"];
}

def GenerateKernels : Pass<"dream-generate-kernels", "mlir::ModuleOp"> {
  let summary = "Derives forward and backward kernel functions of fused regions";
  let description = [{
    For every `dream.fused` region, adds public functions
    `<kernel>_forward`, `<kernel>_forward_eval` (when batch norms make the
    modes differ) and `<kernel>_backward` built from `linalg.generic` ops on
    tensors, with the C interface. The backward function is derived by
    reverse-mode differentiation: over the generics, and inside each over
    the arith/math ops of its body by the chain rule.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::math::MathDialect",
                           "mlir::tensor::TensorDialect"];
}

def DeduplicateKernels : Pass<"dream-deduplicate-kernels", "mlir::ModuleOp"> {
  let summary = "Keeps one function per distinct kernel, the others as aliases";
  let description = [{
    A block applied several times at the same shapes (the blocks of a
    SleepNet stage, the layers of an LSTM stack) gives kernels that differ
    only in name. Of every set of kernel functions with the same type,
    attributes and body (locations aside), the first stays; the others are
    erased and recorded in the module's `dream.kernel_aliases` dictionary
    (erased name to the symbol of the one that stays), from which the back
    end's kernel tables list the kept entry point under every name. Each
    distinct kernel is thus lowered, optimised and compiled once.
  }];
}

#endif // DREAM_PASSES_TD
