//===- Passes.td - Passes of the code-generation back end ---*- tablegen -*-===//
//
// The few steps of the lowering pipelines that upstream MLIR has no pass
// for. Pipelines.cpp strings them together with upstream passes.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_CONVERSION_PASSES_TD
#define DREAM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def CollapseContiguousLoops : Pass<"dream-collapse-contiguous-loops",
                                   "mlir::func::FuncOp"> {
  let summary = "Merges consecutive loops that walk every operand contiguously";
  let description = [{
    Collapses each maximal run of consecutive iterators of one type (all
    parallel or all reduction) of a `linalg.generic` on tensors that every
    indexing map either accesses contiguously or does not use, reshaping the
    operands with `tensor.collapse_shape` and the results back with
    `tensor.expand_shape`. relu(x + y) on `tensor<?x64x28x28xf32>` becomes a
    2-D op over `tensor<?x50176xf32>`, whose inner loop LLVM vectorises; the
    28-long loop it had would be unrolled instead.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def WidenSumAccumulators : Pass<"dream-widen-sum-accumulators",
                                "mlir::func::FuncOp"> {
  let summary = "Accumulates f32 sums in f64";
  let description = [{
    Rewrites each `linalg.generic` on tensors that sums f32 values over
    reduction iterators (its body yields `arith.addf` of the accumulator and
    a value) to accumulate into an f64 tensor, followed by an elementwise
    `arith.truncf` back to f32. A batch norm over `?x64x28x28` sums 50,176
    values per channel; summed one after another in f32 the rounding error
    grows with that count, and the backward pass's differences of such sums
    (x - mean, g - mean(g)) amplify it into 1% errors in convolution weight
    gradients (measured by `trainer check`). LibTorch's own kernels sum
    pairwise; an f64 accumulator is as accurate and keeps the loops simple.
    The f64 additions carry `fastmath<reassoc>`: summed in any order, an
    f64 total of f32 values rounds to the same f32 but for ties, and the
    freedom lets LLVM vectorise the reduction into partial sums.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def RecomputeInConsumers : Pass<"dream-recompute-in-consumers",
                                "mlir::func::FuncOp"> {
  let summary = "Recomputes a cheap pointwise value in each consumer instead of storing it";
  let description = [{
    Upstream elementwise fusion moves a `linalg.generic` into its consumer
    only when that is its one use, so a value read by two consumers is
    stored whole and read back: a softmax's `exp(x - max)` feeds both the
    row sums and the division, and for a `?x32x30522` softmax that is a
    250 MB temporary per call, freshly mapped and page-faulted each time.
    This pass fuses such a producer into every consumer, so each computes
    it again from the producer's inputs and the temporary disappears. It
    applies when the producer is an all-parallel generic on tensors with
    one result and a short body (at most `kMaxRecomputedOps` ops), and
    every use is an input of a generic with as many loops that reads it
    through a permutation, so each element is computed once per consumer
    and never once per element of a broadcast.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def FuseSiblingReductions : Pass<"dream-fuse-sibling-reductions",
                                 "mlir::func::FuncOp"> {
  let summary = "Merges independent reductions over the same loops into one generic";
  let description = [{
    Merges `linalg.generic` ops on tensors that have reduction iterators,
    the same iterator types and an input value they both read through the
    same permutation (so the same loop ranges), when none depends on
    another and no result of an earlier one is used before the last: one
    generic with every member's inputs, inits and body, at the last
    member's place, then duplicate operands removed. A derived batch-norm
    backward's four per-channel sums over `?x64x28x28` tensors then read
    those tensors once instead of four times. Each result is computed as
    before, in the same order: the values do not change.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def IsolateKernelBuffers : Pass<"dream-isolate-kernel-buffers",
                                "mlir::func::FuncOp"> {
  let summary = "Keeps the buffers of a kernel's arguments and results apart";
  let description = [{
    In public functions: sets `bufferization.writable = false` on every
    tensor argument, so that bufferization copies an argument before writing
    into it, and returns a copy (`bufferization.alloc_tensor ... copy`) of
    any result that is an argument or an earlier result. The caller then
    owns every result buffer, once, and its arguments are left unchanged.
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect"];
}

def ApproximateMath : Pass<"dream-approximate-math"> {
  let summary = "Replaces transcendental math ops by polynomial approximations";
  let description = [{
    Rewrites f32 `math.exp`, `math.tanh`, `math.erf`, `math.log` and the other
    ops MLIR has polynomial approximations for into `arith` code, and
    `math.rsqrt` into a division by `math.sqrt`, so a kernel needs neither
    libm nor libdevice for them and LLVM can vectorise the loops that use
    them. `math.tanh` beyond |x| = 1 becomes 1 - 2 / (exp(2|x|) + 1) with
    the sign of x, which keeps the ulps below 1 where the polynomial
    returns exactly 1. With `expand-fma`, the `math.fma` ops of the
    approximations become a multiply and an add: targets without an FMA unit
    (x86-64-v2) would otherwise call libm's `fmaf` for each one.
  }];
  let options = [
    Option<"expandFma", "expand-fma", "bool", /*default=*/"false",
           "Expand math.fma into arith.mulf and arith.addf">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def ParallelIteratorsFirst : Pass<"dream-parallel-iterators-first",
                                  "mlir::func::FuncOp"> {
  let summary = "Interchanges linalg.generic loops so parallel ones are outermost";
  let description = [{
    Permutes the iteration space of each `linalg.generic` so that its
    parallel iterators come first, in their original order, followed by its
    reductions. Parallel-loop lowering then yields one `scf.parallel` over
    all parallel dimensions with the reduction loops inside it, which
    becomes one GPU kernel; a per-channel reduction over batch and space
    would otherwise launch one kernel per sample from a host loop.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def FlattenParallelLoops : Pass<"dream-flatten-parallel-loops",
                                "mlir::func::FuncOp"> {
  let summary = "Shapes top-level loops into grid-by-block parallel loops";
  let description = [{
    Collapses each top-level `scf.parallel` into one dimension and tiles it
    by `block-size`, so that gpu-map-parallel-loops maps the tiles to blocks
    and the iterations of a tile to threads: the upstream mapping would run
    one thread per block and iterate any fourth dimension sequentially. A
    top-level `scf.for` nest (a reduction without parallel iterators) is
    wrapped in a one-iteration `scf.parallel`, so it runs on the device
    rather than on the host.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect"];
}

def SplitReductions : Pass<"dream-split-reductions", "mlir::func::FuncOp"> {
  let summary = "Spreads each large reduction over many GPU threads";
  let description = [{
    Rewrites each top-level reduction loop nest that parallel-loop lowering
    made (an `scf.parallel` over a static number of outputs around an
    `scf.for` nest that accumulates into them, or the nest alone) into a
    loop over outputs × K chunks that combines every K-th term of the
    reduced extent into a partial buffer, and a loop over outputs that
    folds the partials into them with the same combining op. K is computed
    on the host from the reduced extent: ceil(extent / terms-per-thread),
    at most max-threads / outputs, at least 1. Without it a batch norm's
    per-channel statistics run on one thread per channel.
  }];
  let options = [
    Option<"termsPerThread", "terms-per-thread", "int64_t", /*default=*/"32",
           "Terms each thread of the partial loop combines, at least">,
    Option<"maxThreads", "max-threads", "int64_t", /*default=*/"65536",
           "Iterations of the partial loop, at most">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def ThreadParallelLoops : Pass<"dream-thread-parallel-loops",
                               "mlir::ModuleOp"> {
  let summary = "Runs the outer dimension of top-level parallel loops on threads";
  let description = [{
    For each `scf.parallel` at the top level of a function, whose first
    dimension starts at 0 with step 1 and which has no reductions: outlines
    the loop into a private function `<function>_parallel[_N](begin, end,
    captures...)` that runs the first dimension over `[begin, end)`, and
    replaces it by a call of the runtime's

        void dream_parallel_for(int64_t n, int64_t work,
                                void (*task)(void *, int64_t, int64_t),
                                void *context);

    with `n` the first dimension's trip count, `work` the iterations of the
    loops inside one step of it (its other dimensions and the nested
    `scf.for` loops whose bounds are known before the loop), and `task` an
    `llvm.func` that unpacks the captured values from `context` (a stack
    struct of their LLVM types) and calls the outlined function. The
    runtime splits `[0, n)` into chunks for its thread pool, or runs it in
    one call when the work is too small to share. The iterations of an
    `scf.parallel` are independent, so any split computes the same values.
    Constants are cloned into the outlined function, not captured, so that
    LLVM still sees the bounds of the inner loops.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::scf::SCFDialect"];
}

def LibdeviceToIntrinsics : Pass<"dream-libdevice-to-intrinsics",
                                 "mlir::gpu::GPUModuleOp"> {
  let summary = "Replaces one-instruction libdevice calls by LLVM intrinsics";
  let description = [{
    convert-gpu-to-nvvm turns `math.absf`, `math.floor`, `math.sqrt` and
    the like into calls of libdevice's `__nv_fabsf`, `__nv_floorf`,
    `__nv_sqrtf`, ..., which only link when the CUDA toolkit is found at
    compile time. Those are single PTX instructions: this pass calls the
    LLVM intrinsics instead (same IEEE results), so PTX generation needs no
    toolkit. Any other libdevice call is an error naming the function:
    dream-approximate-math should have removed it.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def MergeGpuModules : Pass<"dream-merge-gpu-modules", "mlir::ModuleOp"> {
  let summary = "Moves every outlined kernel into one gpu.module";
  let description = [{
    gpu-kernel-outlining puts each kernel in a `gpu.module` of its own. This
    pass moves all of them into one module, `dream_kernels`, each kernel
    renamed after the module it came from (`<function>_kernel[_N]`, unique),
    and updates the `gpu.launch_func` ops. The result is one PTX module with
    one `.entry` per kernel, which the runtime loads once.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def CheckHostSide : Pass<"dream-check-host-side", "mlir::func::FuncOp"> {
  let summary = "Checks that a GPU host function never touches buffer data";
  let description = [{
    After kernel outlining, the host side of a GPU kernel function may only
    compute sizes, allocate and free buffers and launch kernels: its buffers
    live in device memory, which the host cannot read or write. Any
    `memref.load`, `memref.store`, `memref.copy` or linalg op left outside a
    kernel (a fill of a 0-d buffer becomes a host store, for one) is an
    error at that op, instead of a crash on the first GPU that runs it.
  }];
}

#endif // DREAM_CONVERSION_PASSES_TD
