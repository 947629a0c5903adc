// RUN: dream-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(dream-recompute-in-consumers))' | FileCheck %s
// A cheap pointwise value that several generics read is computed in each of
// them instead of being stored; broadcast reads, other users and long
// bodies keep it stored.

#rows = affine_map<(b, v) -> (b, v)>
#row = affine_map<(b, v) -> (b)>

// A softmax: exp(x - max) feeds the row sums and the division. Afterwards
// no generic produces a [B, V] exp tensor: the sums and the division each
// compute exp from x, and the only [B, V] result is the function's.
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:      %[[X:.*]]: tensor<?x30522xf32>, %[[MAX:.*]]: tensor<?xf32>
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK-SAME:        ins(%[[X]], %[[MAX]] : tensor<?x30522xf32>, tensor<?xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK:           arith.subf
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK:         %[[Y:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-SAME:        ins(%[[X]], %[[MAX]], %[[SUM]] : tensor<?x30522xf32>, tensor<?xf32>, tensor<?xf32>)
// CHECK:           arith.subf
// CHECK:           math.exp
// CHECK:           arith.divf
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[Y]]
func.func @softmax(%x: tensor<?x30522xf32>, %max: tensor<?xf32>) -> tensor<?x30522xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %b = tensor.dim %x, %c0 : tensor<?x30522xf32>
  %full = tensor.empty(%b) : tensor<?x30522xf32>
  %e = linalg.generic {indexing_maps = [#rows, #row, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x, %max : tensor<?x30522xf32>, tensor<?xf32>) outs(%full : tensor<?x30522xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %d = arith.subf %a, %m : f32
    %ex = math.exp %d : f32
    linalg.yield %ex : f32
  } -> tensor<?x30522xf32>
  %empty = tensor.empty(%b) : tensor<?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%e : tensor<?x30522xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#rows, #row, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%e, %sum : tensor<?x30522xf32>, tensor<?xf32>) outs(%full : tensor<?x30522xf32>) {
  ^bb0(%a: f32, %s: f32, %out: f32):
    %q = arith.divf %a, %s : f32
    linalg.yield %q : f32
  } -> tensor<?x30522xf32>
  return %y : tensor<?x30522xf32>
}

// -----

#rows = affine_map<(b, v) -> (b, v)>
#row = affine_map<(b, v) -> (b)>
#bcast = affine_map<(b, v, w) -> (b, v)>
#cube = affine_map<(b, v, w) -> (b, v, w)>

// A consumer that broadcasts the value over another loop would compute it
// once per element of that loop: the value stays stored.
// CHECK-LABEL: func.func @broadcast_consumer(
// CHECK:         %[[E:.*]] = linalg.generic
// CHECK:           math.exp
// CHECK:         linalg.generic {{.*}} ins(%[[E]] : tensor<4x8xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[E]] : tensor<4x8xf32>)
func.func @broadcast_consumer(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8x16xf32>) {
  %t = tensor.empty() : tensor<4x8xf32>
  %e = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%t : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %ex = math.exp %a : f32
    linalg.yield %ex : f32
  } -> tensor<4x8xf32>
  %twice = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%e : tensor<4x8xf32>) outs(%t : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %c = tensor.empty() : tensor<4x8x16xf32>
  %wide = linalg.generic {indexing_maps = [#bcast, #cube], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%e : tensor<4x8xf32>) outs(%c : tensor<4x8x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    linalg.yield %a : f32
  } -> tensor<4x8x16xf32>
  return %twice, %wide : tensor<4x8xf32>, tensor<4x8x16xf32>
}

// -----

#rows = affine_map<(b, v) -> (b, v)>

// A value the function also returns is stored anyway.
// CHECK-LABEL: func.func @returned(
// CHECK:         %[[E:.*]] = linalg.generic
// CHECK:         %[[T:.*]] = linalg.generic {{.*}} ins(%[[E]] : tensor<4x8xf32>)
// CHECK:         return %[[E]], %[[T]]
func.func @returned(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %t = tensor.empty() : tensor<4x8xf32>
  %e = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%t : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %ex = math.exp %a : f32
    linalg.yield %ex : f32
  } -> tensor<4x8xf32>
  %twice = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%e : tensor<4x8xf32>) outs(%t : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %e, %twice : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

#rows = affine_map<(b, v) -> (b, v)>

// Nine ops are more than kMaxRecomputedOps: stored, read by both
// consumers.
// CHECK-LABEL: func.func @long_body(
// CHECK:         %[[E:.*]] = linalg.generic
// CHECK-COUNT-9:   math.exp
// CHECK:         linalg.generic {{.*}} ins(%[[E]] : tensor<4x8xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[E]] : tensor<4x8xf32>)
func.func @long_body(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %t = tensor.empty() : tensor<4x8xf32>
  %e = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%t : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %e1 = math.exp %a : f32
    %e2 = math.exp %e1 : f32
    %e3 = math.exp %e2 : f32
    %e4 = math.exp %e3 : f32
    %e5 = math.exp %e4 : f32
    %e6 = math.exp %e5 : f32
    %e7 = math.exp %e6 : f32
    %e8 = math.exp %e7 : f32
    %e9 = math.exp %e8 : f32
    linalg.yield %e9 : f32
  } -> tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%e : tensor<4x8xf32>) outs(%t : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %r2 = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%e : tensor<4x8xf32>) outs(%t : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %sum = arith.addf %r, %r2 : tensor<4x8xf32>
  return %sum : tensor<4x8xf32>
}

// -----

#rows = affine_map<(b, v) -> (b, v)>

// A consumer that reads the value through two operands computes it once.
// CHECK-LABEL: func.func @read_twice(
// CHECK-SAME:      %[[X:.*]]: tensor<4x8xf32>
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4x8xf32>)
// CHECK:           %[[EX:.*]] = math.exp
// CHECK-NOT:       math.exp
// CHECK:           arith.mulf %[[EX]], %[[EX]]
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]
func.func @read_twice(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %t = tensor.empty() : tensor<4x8xf32>
  %e = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%t : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %ex = math.exp %a : f32
    linalg.yield %ex : f32
  } -> tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#rows, #rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%e, %e : tensor<4x8xf32>, tensor<4x8xf32>) outs(%t : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.mulf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
