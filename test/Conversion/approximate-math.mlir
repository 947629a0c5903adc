// RUN: dream-opt %s --dream-approximate-math | FileCheck %s
// RUN: dream-opt %s --dream-approximate-math=expand-fma | FileCheck %s --check-prefix=NOFMA
// Transcendental functions become arithmetic; what remains are operations
// with an instruction on both targets (fma, sqrt, abs, floor).

// CHECK-LABEL: func.func @activations(
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.tanh
// CHECK-NOT:     math.erf
// CHECK-NOT:     math.rsqrt
// CHECK:         math.fma
// CHECK:         math.sqrt
// CHECK:         return

// x86-64-v2 has no FMA unit: multiply and add instead.
// NOFMA-LABEL: func.func @activations(
// NOFMA-NOT:     math.fma
// NOFMA:         arith.mulf
// NOFMA:         arith.addf
// NOFMA-NOT:     math.fma
// NOFMA:         return
func.func @activations(%x: f32) -> (f32, f32, f32, f32) {
  %e = math.exp %x : f32
  %t = math.tanh %x : f32
  %g = math.erf %x : f32
  %r = math.rsqrt %x : f32
  return %e, %t, %g, %r : f32, f32, f32, f32
}
