// RUN: dream-opt %s --dream-generate-kernels | FileCheck %s
// Each fused region gets forward and backward functions built from
// linalg.generic; the backward one is derived by the chain rule.

func.func @net(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = dream.fused "k0"(%x, %y) : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>, %b: tensor<?x8xf32>):
    %s = dream.add %a, %b : tensor<?x8xf32>
    %t = dream.tanh %s : tensor<?x8xf32>
    dream.yield %t : tensor<?x8xf32>
  }
  return %r : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @k0_forward
// CHECK-SAME:  (%[[A:.*]]: tensor<?x8xf32>, %[[B:.*]]: tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK-SAME:  attributes {dream.kernel, llvm.emit_c_interface}
// CHECK:       linalg.generic
// CHECK:         arith.addf
// CHECK:       linalg.generic
// CHECK:         math.tanh
// CHECK:       return

// The backward function takes the inputs and the result's gradient and
// returns one gradient per input: d tanh = 1 - tanh^2, through the add to
// both inputs.
// CHECK-LABEL: func.func @k0_backward
// CHECK-SAME:  (%{{.*}}: tensor<?x8xf32>, %{{.*}}: tensor<?x8xf32>, %[[G:.*]]: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>)
// CHECK:       math.tanh
// CHECK:       linalg.generic {{.*}} ins({{.*}}, %[[G]] : {{.*}})
// CHECK:         %[[T:.*]] = math.tanh
// CHECK:         %[[TT:.*]] = arith.mulf %[[T]], %[[T]]
// CHECK:         arith.subf %{{.*}}, %[[TT]]
// CHECK:       return

func.func @bn(%x: tensor<?x4x2x2xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<?x4x2x2xf32> {
  %r = dream.fused "k1"(%x, %g, %b, %m, %v) : (tensor<?x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x2x2xf32> {
  ^bb0(%a: tensor<?x4x2x2xf32>, %w: tensor<4xf32>, %c: tensor<4xf32>, %rm: tensor<4xf32>, %rv: tensor<4xf32>):
    %n = dream.batchnorm %a, %w, %c, %rm, %rv : (tensor<?x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x2x2xf32>
    %o = dream.relu %n : tensor<?x4x2x2xf32>
    dream.yield %o : tensor<?x4x2x2xf32>
  }
  return %r : tensor<?x4x2x2xf32>
}

// Training mode returns the batch statistics for the running averages; a
// separate evaluation kernel uses the running statistics.
// CHECK-LABEL: func.func @k1_forward
// CHECK-SAME:  -> (tensor<?x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:       linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction", "reduction"]
// CHECK-LABEL: func.func @k1_forward_eval
// CHECK-SAME:  -> tensor<?x4x2x2xf32>
// CHECK-NOT:   "reduction"
// CHECK-LABEL: func.func @k1_backward
// CHECK-SAME:  -> (tensor<?x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
