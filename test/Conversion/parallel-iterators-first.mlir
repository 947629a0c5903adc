// RUN: dream-opt %s --pass-pipeline='builtin.module(func.func(dream-parallel-iterators-first))' | FileCheck %s
// The channel of a per-channel sum over batch and space becomes the
// outermost loop, its maps permuted to match.

// CHECK-DAG: #[[INPUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>
// CHECK-DAG: #[[OUTPUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0)>
// CHECK-LABEL: func.func @channel_sum(
// CHECK:         linalg.generic {indexing_maps = [#[[INPUT]], #[[OUTPUT]]],
// CHECK-SAME:      iterator_types = ["parallel", "reduction", "reduction", "reduction"]}
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>
func.func @channel_sum(%x: memref<?x4x8x8xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [#nchw, #channel],
                  iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : memref<?x4x8x8xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %a, %s : f32
    linalg.yield %t : f32
  }
  return
}

// Already in order: unchanged.
// CHECK-LABEL: func.func @row_sum(
// CHECK:         iterator_types = ["parallel", "reduction"]
func.func @row_sum(%x: memref<?x8xf32>, %out: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x8xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %a, %s : f32
    linalg.yield %t : f32
  }
  return
}
