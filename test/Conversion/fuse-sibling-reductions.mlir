// RUN: dream-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(dream-fuse-sibling-reductions))' | FileCheck %s
// Independent per-channel sums over the same tensor become one generic
// that reads it once; dependent sums, other loops and results used in
// between keep their own.

#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>

// sum(g) and sum(g * x), as in a batch-norm backward: one generic, two
// results, g read through one operand. sum(x - sum(g)) needs the first
// result and stays apart.
// CHECK-LABEL: func.func @siblings(
// CHECK-SAME:      %[[G:.*]]: tensor<?x4x8x8xf32>, %[[X:.*]]: tensor<?x4x8x8xf32>
// CHECK:         %[[BOTH:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction", "reduction"]
// CHECK-SAME:        ins(%[[G]], %[[X]] : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>)
// CHECK:           arith.addf
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:           linalg.yield %{{.*}}, %{{.*}} : f32, f32
// CHECK:         %[[DEP:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[BOTH]]#0 :
// CHECK:         return %[[BOTH]]#0, %[[BOTH]]#1, %[[DEP]]
func.func @siblings(%g: tensor<?x4x8x8xf32>, %x: tensor<?x4x8x8xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %sg = linalg.generic {indexing_maps = [#nchw, #channel], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%g : tensor<?x4x8x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %sgx = linalg.generic {indexing_maps = [#nchw, #nchw, #channel], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%g, %x : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %dep = linalg.generic {indexing_maps = [#nchw, #channel, #channel], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x, %sg : tensor<?x4x8x8xf32>, tensor<4xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %m: f32, %acc: f32):
    %d = arith.subf %a, %m : f32
    %s = arith.addf %acc, %d : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %sg, %sgx, %dep : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>

// No common input: the loop ranges could differ (two dynamic batches).
// CHECK-LABEL: func.func @different_tensors(
// CHECK-COUNT-2: linalg.generic
func.func @different_tensors(%a: tensor<?x4x8x8xf32>, %b: tensor<?x4x8x8xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %sa = linalg.generic {indexing_maps = [#nchw, #channel], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%a : tensor<?x4x8x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %sb = linalg.generic {indexing_maps = [#nchw, #channel], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%b : tensor<?x4x8x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %sa, %sb : tensor<4xf32>, tensor<4xf32>
}

// -----

#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>

// The first sum is used before the second: merged at the second's place,
// it would be used before it is defined.
// CHECK-LABEL: func.func @used_in_between(
// CHECK:         linalg.generic
// CHECK:         arith.addf %{{.*}}, %{{.*}} : tensor<4xf32>
// CHECK:         linalg.generic
func.func @used_in_between(%x: tensor<?x4x8x8xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s1 = linalg.generic {indexing_maps = [#nchw, #channel], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x4x8x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %twice = arith.addf %s1, %s1 : tensor<4xf32>
  %s2 = linalg.generic {indexing_maps = [#nchw, #channel], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x4x8x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %m = arith.mulf %v, %v : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %twice, %s2 : tensor<4xf32>, tensor<4xf32>
}
