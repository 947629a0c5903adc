// RUN: dream-opt %s --dream-deduplicate-kernels --split-input-file | FileCheck %s
// Kernels equal but for their names and locations become aliases of the
// first; a different constant, a different type or a missing kernel
// attribute keeps a function.

#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @a_forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {dream.kernel, llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
} loc("first.dream":1:1)
// Only the name and the locations differ.
func.func @b_forward(%x: tensor<?x8xf32> loc("second.dream":3:3)) -> tensor<?x8xf32> attributes {dream.kernel, llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index loc("second.dream":4:4)
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32 loc("second.dream":5:5)
    linalg.yield %t : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
} loc("second.dream":2:2)
// Another op in the body.
func.func @c_forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {dream.kernel, llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.exp %in : f32
    linalg.yield %t : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
// Same body as @a_forward but not a kernel.
func.func @helper(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
// A second copy, and a copy of @c_forward.
func.func @d_forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {dream.kernel, llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
func.func @e_forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {dream.kernel, llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.exp %in : f32
    linalg.yield %t : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// CHECK:      module attributes {dream.kernel_aliases = {b_forward = @a_forward, d_forward = @a_forward, e_forward = @c_forward}}
// CHECK:      func.func @a_forward
// CHECK-NOT:  func.func @b_forward
// CHECK:      func.func @c_forward
// CHECK:      func.func @helper
// CHECK-NOT:  func.func @d_forward
// CHECK-NOT:  func.func @e_forward

// -----

// Different shapes are different kernels, and earlier aliases are kept,
// following their target when it becomes an alias itself.
module attributes {dream.kernel_aliases = {old = @y_forward}} {
  func.func @x_forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {dream.kernel} {
    return %x : tensor<?x8xf32>
  }
  func.func @y_forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {dream.kernel} {
    return %x : tensor<?x8xf32>
  }
  func.func @z_forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {dream.kernel} {
    return %x : tensor<?x4xf32>
  }
  // A called function keeps its name.
  func.func @w_forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {dream.kernel} {
    return %x : tensor<?x8xf32>
  }
  func.func @caller(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
    %r = func.call @w_forward(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
}

// CHECK:      module attributes {dream.kernel_aliases = {old = @x_forward, y_forward = @x_forward}}
// CHECK:      func.func @x_forward
// CHECK-NOT:  func.func @y_forward
// CHECK:      func.func @z_forward
// CHECK:      func.func @w_forward
