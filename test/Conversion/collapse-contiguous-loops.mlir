// RUN: dream-opt %s --pass-pipeline='builtin.module(func.func(dream-collapse-contiguous-loops))' | FileCheck %s
// Runs of loops that every operand walks contiguously (or ignores) become
// one loop, long enough for LLVM to vectorise.

#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>

// Elementwise: all four loops, the dynamic batch included, become one.
// CHECK-LABEL: func.func @elementwise(
// CHECK:         tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<?x64x28x28xf32> into tensor<?xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK:         tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2, 3]] output_shape [%{{.*}}, 64, 28, 28]
func.func @elementwise(%x: tensor<?x64x28x28xf32>) -> tensor<?x64x28x28xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64x28x28xf32>
  %init = tensor.empty(%n) : tensor<?x64x28x28xf32>
  %r = linalg.generic {indexing_maps = [#nchw, #nchw],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<?x64x28x28xf32>) outs(%init : tensor<?x64x28x28xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<?x64x28x28xf32>
  return %r : tensor<?x64x28x28xf32>
}

// A per-channel operand only lets H and W merge.
// CHECK-LABEL: func.func @channel_broadcast(
// CHECK:         tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<?x4x8x8xf32> into tensor<?x4x64xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]
func.func @channel_broadcast(%x: tensor<?x4x8x8xf32>, %g: tensor<4xf32>) -> tensor<?x4x8x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4x8x8xf32>
  %init = tensor.empty(%n) : tensor<?x4x8x8xf32>
  %r = linalg.generic {indexing_maps = [#nchw, #channel, #nchw],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %g : tensor<?x4x8x8xf32>, tensor<4xf32>) outs(%init : tensor<?x4x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.mulf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x4x8x8xf32>
  return %r : tensor<?x4x8x8xf32>
}

// Reductions merge with reductions only: H and W do, the parallel channel
// keeps N apart.
// CHECK-LABEL: func.func @channel_sum(
// CHECK:         iterator_types = ["reduction", "parallel", "reduction"]
func.func @channel_sum(%x: tensor<?x4x8x8xf32>, %acc: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#nchw, #channel],
                       iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x4x8x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %a, %s : f32
    linalg.yield %t : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// A constant index in a map (a total reduction into tensor<1xf32>) is left
// alone: MLIR 19 would turn the constant into a loop index.
// CHECK-LABEL: func.func @total_sum(
// CHECK-NOT:     tensor.collapse_shape
// CHECK:         iterator_types = ["reduction", "reduction", "reduction", "reduction"]
func.func @total_sum(%x: tensor<?x4x8x8xf32>, %acc: tensor<1xf32>) -> tensor<1xf32> {
  %r = linalg.generic {indexing_maps = [#nchw, affine_map<(n, c, h, w) -> (0)>],
                       iterator_types = ["reduction", "reduction", "reduction", "reduction"]}
      ins(%x : tensor<?x4x8x8xf32>) outs(%acc : tensor<1xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %a, %s : f32
    linalg.yield %t : f32
  } -> tensor<1xf32>
  return %r : tensor<1xf32>
}
