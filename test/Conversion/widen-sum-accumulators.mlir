// RUN: dream-opt %s --pass-pipeline='builtin.module(func.func(dream-widen-sum-accumulators))' | FileCheck %s
// f32 sums accumulate in f64 and are rounded to f32 once, at the end; max
// reductions and elementwise ops are left alone.

#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>

// A per-channel sum of squares: the summand is computed in f32 as before,
// extended, and added to an f64 accumulator that starts from the f32 init.
// CHECK-LABEL: func.func @channel_sum_of_squares(
// CHECK:         %[[ZERO:.*]] = linalg.fill
// CHECK:         %[[WIDE_INIT:.*]] = linalg.generic {{.*}} ins(%[[ZERO]] : tensor<4xf32>) outs(%{{.*}} : tensor<4xf64>)
// CHECK:           arith.extf %{{.*}} : f32 to f64
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction", "reduction"]
// CHECK-SAME:        outs(%[[WIDE_INIT]] : tensor<4xf64>)
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[ACC:.*]]: f64):
// CHECK-NEXT:      %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK-NEXT:      %[[EXT:.*]] = arith.extf %[[SQ]] : f32 to f64
// CHECK-NEXT:      %[[ADD:.*]] = arith.addf %[[ACC]], %[[EXT]] fastmath<reassoc> : f64
// CHECK-NEXT:      linalg.yield %[[ADD]] : f64
// CHECK:         %[[NARROW:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf64>) outs(%{{.*}} : tensor<4xf32>)
// CHECK:           arith.truncf %{{.*}} : f64 to f32
// CHECK:         return %[[NARROW]] : tensor<4xf32>
func.func @channel_sum_of_squares(%x: tensor<?x4x8x8xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#nchw, #channel],
                       iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x4x8x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// The accumulator may come second; a dynamic batch carries over to the
// f64 tensors.
// CHECK-LABEL: func.func @row_sum(
// CHECK:         tensor.empty(%{{.*}}) : tensor<?xf64>
// CHECK:         arith.addf %{{.*}}, %{{.*}} : f64
// CHECK:         arith.truncf
func.func @row_sum(%x: tensor<?x16xf32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x16xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// Max is exact in f32; an elementwise addf has no reduction loop.
// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT:     f64
// CHECK:         return
func.func @left_alone(%x: tensor<?x16xf32>, %init: tensor<?xf32>, %y: tensor<?x16xf32>) -> (tensor<?xf32>, tensor<?x16xf32>) {
  %m = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x16xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.maximumf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %e = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x16xf32>) outs(%y : tensor<?x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.addf %a, %out : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  return %m, %e : tensor<?xf32>, tensor<?x16xf32>
}
