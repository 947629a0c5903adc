// RUN: dream-opt %s --pass-pipeline='builtin.module(func.func(dream-isolate-kernel-buffers))' | FileCheck %s
// Kernel arguments become read-only for bufferization, and a result that
// is an argument or repeats an earlier result is returned as a copy, so
// the caller owns every result buffer exactly once.

// CHECK-LABEL: func.func @kernel(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8xf32> {bufferization.writable = false},
// CHECK-SAME:    %{{.*}}: f32)
// CHECK:         %[[E:.*]] = tensor.empty
// CHECK-NEXT:    %[[AGAIN:.*]] = bufferization.alloc_tensor() copy(%[[E]])
// CHECK-NEXT:    %[[ARG:.*]] = bufferization.alloc_tensor() copy(%[[X]])
// CHECK-NEXT:    return %[[E]], %[[AGAIN]], %[[ARG]]
func.func @kernel(%x: tensor<?x8xf32>, %s: f32)
    -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  return %e, %e, %x : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// Private functions are analysed with their callers: left alone.
// CHECK-LABEL: func.func private @helper(
// CHECK-SAME:    %[[Y:.*]]: tensor<?x8xf32>)
// CHECK-NEXT:    return %[[Y]]
func.func private @helper(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}
