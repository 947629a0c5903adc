// RUN: dream-opt %s --dream-lower-to-cpu | FileCheck %s
// RUN: dream-opt %s --dream-lower-to-gpu | FileCheck %s --check-prefix=GPU
// Transcendental functions of activation kernels (GELU's erf, tanh, the
// sigmoid's exp) become polynomial approximations in plain arithmetic: no
// libm calls, and no fmaf calls either, since x86-64-v2 has no FMA unit.
// sqrt stays an instruction. CodegenTest.cpp measures their error.
// On the GPU the kernel calls nothing either: no libdevice, which would
// need the CUDA toolkit when compiling.

// GPU:     gpu.binary @dream_kernels
// GPU-SAME:  .visible .entry activations_forward_kernel(
// GPU-NOT:   __nv_
// GPU-SAME:  sqrt.rn.f32
// GPU-NOT:   __nv_

#rows = affine_map<(n, f) -> (n, f)>

// The kernel's only calls are the four mallocs of the results and the
// runtime's dispatch of its loop to threads; the loop calls nothing.
// CHECK-LABEL: llvm.func @activations_forward(
// CHECK-NOT:     llvm.call @{{[^md]}}
// CHECK:         llvm.call @dream_parallel_for(
// CHECK-NOT:     llvm.call
// CHECK:         llvm.return
// CHECK-LABEL: llvm.func internal @activations_forward_parallel(
// CHECK-NOT:     llvm.call
// CHECK-NOT:     llvm.intr.fma
// CHECK:         llvm.intr.sqrt
// CHECK-NOT:     llvm.call
// CHECK-NOT:     llvm.intr.fma
// CHECK:         llvm.return
// CHECK-NOT:     llvm.func @{{erff|tanhf|expf|fmaf}}
func.func @activations_forward(%x: tensor<?x64xf32>)
    -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>)
    attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %init = tensor.empty(%n) : tensor<?x64xf32>
  %gelu, %tanh, %sigmoid, %rms = linalg.generic {
      indexing_maps = [#rows, #rows, #rows, #rows, #rows],
      iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x64xf32>) outs(%init, %init, %init, %init
          : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  ^bb0(%a: f32, %o0: f32, %o1: f32, %o2: f32, %o3: f32):
    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %rsqrt2 = arith.constant 0.707106769 : f32
    %s = arith.mulf %a, %rsqrt2 : f32
    %e = math.erf %s : f32
    %p = arith.addf %e, %one : f32
    %q = arith.mulf %p, %a : f32
    %g = arith.mulf %q, %half : f32
    %t = math.tanh %a : f32
    %na = arith.negf %a : f32
    %ex = math.exp %na : f32
    %d = arith.addf %ex, %one : f32
    %sig = arith.divf %one, %d : f32
    %sq = arith.mulf %a, %a : f32
    %sq1 = arith.addf %sq, %one : f32
    %r = math.rsqrt %sq1 : f32
    linalg.yield %g, %t, %sig, %r : f32, f32, f32, f32
  } -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>)
  return %gelu, %tanh, %sigmoid, %rms : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}
