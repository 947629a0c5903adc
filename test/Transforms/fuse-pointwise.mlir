// RUN: dream-opt %s --pass-pipeline='builtin.module(func.func(dream-fuse-pointwise))' | FileCheck %s
// Maximal trees of pointwise and normalisation ops between heavy ops become
// one fused region each: data operands first, then parameters.

// CHECK-LABEL: func.func @norm_relu_merge
func.func @norm_relu_merge(%x: tensor<?x4x8x8xf32>, %branch: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %g = dream.param "n.weight" {init = "ones"} : tensor<4xf32>
  %b = dream.param "n.bias" {init = "zeros"} : tensor<4xf32>
  %m = dream.param "n.running_mean" {buffer, init = "zeros"} : tensor<4xf32>
  %v = dream.param "n.running_var" {buffer, init = "ones"} : tensor<4xf32>
  // CHECK:      %[[F:.*]] = dream.fused "norm_relu_merge_fused0"(%arg0, %arg1, %0, %1, %2, %3)
  // CHECK-NEXT: ^bb0(%[[X:[a-z0-9]+]]: tensor<?x4x8x8xf32>, %[[BR:[a-z0-9]+]]: tensor<?x4x8x8xf32>, %[[G:[a-z0-9]+]]: tensor<4xf32>,
  // CHECK-NEXT:   %[[N:.*]] = dream.batchnorm %[[X]], %[[G]]
  // CHECK-NEXT:   %[[A:.*]] = dream.add %[[N]], %[[BR]]
  // CHECK-NEXT:   %[[R:.*]] = dream.relu %[[A]]
  // CHECK-NEXT:   dream.yield %[[R]]
  // CHECK-NEXT: }
  // CHECK-NEXT: return %[[F]]
  %n = dream.batchnorm %x, %g, %b, %m, %v : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %a = dream.add %n, %branch : tensor<?x4x8x8xf32>
  %r = dream.relu %a : tensor<?x4x8x8xf32>
  return %r : tensor<?x4x8x8xf32>
}

// A result also used outside the tree ends its region: regions stay
// single-output.
// CHECK-LABEL: func.func @shared_result
func.func @shared_result(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %w = dream.param "d.weight" {fan_in = 8 : i64, init = "uniform"} : tensor<8x8xf32>
  // CHECK:      %[[T:.*]] = dream.fused "shared_result_fused0"(%arg0)
  // CHECK-NEXT: ^bb0
  // CHECK-NEXT:   dream.tanh
  // CHECK-NEXT:   dream.yield
  // CHECK:      %[[D:.*]] = dream.dense %[[T]]
  // CHECK:      dream.fused "shared_result_fused1"(%[[T]], %[[D]])
  // CHECK-NEXT: ^bb0
  // CHECK-NEXT:   dream.sigmoid
  // CHECK-NEXT:   dream.add
  %t = dream.tanh %x : tensor<?x8xf32>
  %d = dream.dense %t, %w {bias = false, out = 8 : i64} : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %s = dream.sigmoid %t : tensor<?x8xf32>
  %y = dream.add %s, %d : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// Heavy ops and random ops stay outside.
// CHECK-LABEL: func.func @boundaries
func.func @boundaries(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %w = dream.param "d.weight" {fan_in = 8 : i64, init = "uniform"} : tensor<8x8xf32>
  // CHECK:      dream.fused "boundaries_fused0"(%arg0)
  // CHECK:      dream.dense
  // CHECK-NEXT: dream.dropout
  // CHECK-NEXT: dream.fused "boundaries_fused1"
  %a = dream.gelu %x : tensor<?x8xf32>
  %d = dream.dense %a, %w {bias = false, out = 8 : i64} : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %p = dream.dropout %d {p = 1.000000e-01 : f64} : tensor<?x8xf32>
  %r = dream.relu %p : tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
