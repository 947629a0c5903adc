// RUN: dream-opt %s -split-input-file -verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(gpu.module(dream-libdevice-to-intrinsics))' | FileCheck %s
// One-instruction libdevice functions become LLVM intrinsics and their
// declarations go; other libdevice functions are an error.

// CHECK-LABEL: gpu.module @kernels
// CHECK-NOT:     __nv_
// CHECK:         llvm.func @kernel(%[[X:.*]]: f32)
// CHECK-NEXT:      %[[A:.*]] = llvm.intr.fabs(%[[X]])
// CHECK-NEXT:      %[[S:.*]] = llvm.intr.sqrt(%[[A]])
// CHECK-NEXT:      %[[F:.*]] = llvm.intr.fma(%[[S]], %[[A]], %[[X]])
// CHECK-NEXT:      llvm.return %[[F]]
gpu.module @kernels {
  llvm.func @__nv_fabsf(f32) -> f32
  llvm.func @__nv_sqrtf(f32) -> f32
  llvm.func @__nv_fmaf(f32, f32, f32) -> f32
  llvm.func @kernel(%x: f32) -> f32 {
    %a = llvm.call @__nv_fabsf(%x) : (f32) -> f32
    %s = llvm.call @__nv_sqrtf(%a) : (f32) -> f32
    %f = llvm.call @__nv_fmaf(%s, %a, %x) : (f32, f32, f32) -> f32
    llvm.return %f : f32
  }
}

// -----

gpu.module @kernels {
  llvm.func @__nv_tgammaf(f32) -> f32
  llvm.func @kernel(%x: f32) -> f32 {
    // expected-error @+1 {{calls libdevice's __nv_tgammaf, which kernels cannot use without the CUDA toolkit}}
    %g = llvm.call @__nv_tgammaf(%x) : (f32) -> f32
    llvm.return %g : f32
  }
}
