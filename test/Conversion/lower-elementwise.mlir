// RUN: dream-opt %s --dream-lower-to-cpu | FileCheck %s
// RUN: dream-opt %s --dream-lower-to-gpu | FileCheck %s --check-prefix=GPU
// An elementwise kernel as dream-generate-kernels writes it: relu(x + y) on
// NCHW activations with a dynamic batch, and its backward, which returns a
// gradient for each operand. CodegenTest.cpp runs both (JIT and object
// file); ptxas.test assembles their PTX.

// On the GPU, each linalg op is one launch of a 1-D grid of 1-D blocks,
// whose kernel is an entry of the single PTX module.
// GPU-LABEL: llvm.func @add_relu_forward(
// GPU:         gpu.launch_func @dream_kernels::@add_relu_forward_kernel
// GPU-SAME:      blocks in (%{{.*}}, %[[ONE:.*]], %[[ONE]]) threads in (%{{.*}}, %[[ONE]], %[[ONE]])
// GPU-NOT:     gpu.launch_func
// GPU:         llvm.return
// GPU:       gpu.binary @dream_kernels [#gpu.object<#nvvm.target<chip = "sm_90", features = "+ptx80">,
// GPU-SAME:    .target sm_90
// GPU-SAME:    .visible .entry add_relu_forward_kernel(
// GPU-SAME:    .visible .entry add_relu_backward_kernel(
// GPU-SAME:    .visible .entry add_relu_backward_kernel_0(
// The sum is fused into the first gradient; the second is its copy.
// GPU-LABEL: llvm.func @add_relu_backward(
// GPU:         gpu.launch_func @dream_kernels::@add_relu_backward_kernel blocks
// GPU:         gpu.launch_func @dream_kernels::@add_relu_backward_kernel_0 blocks
// GPU-NOT:     gpu.launch_func

#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>

// The kernel itself takes each memref descriptor as its five fields and
// returns the result's descriptor by value.
// CHECK-LABEL: llvm.func @add_relu_forward(
// CHECK-SAME:    %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64,
// CHECK-SAME:    -> !llvm.struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>
// The result buffer comes from malloc and belongs to the caller.
// CHECK:         llvm.call @malloc
// CHECK-NOT:     llvm.call @free
// CHECK:         llvm.return
func.func @add_relu_forward(%x: tensor<?x64x28x28xf32>, %y: tensor<?x64x28x28xf32>)
    -> tensor<?x64x28x28xf32> attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x64x28x28xf32>
  %init = tensor.empty(%n) : tensor<?x64x28x28xf32>
  %r = linalg.generic {indexing_maps = [#nchw, #nchw, #nchw],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %y : tensor<?x64x28x28xf32>, tensor<?x64x28x28xf32>)
      outs(%init : tensor<?x64x28x28xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x64x28x28xf32>
  return %r : tensor<?x64x28x28xf32>
}

// The C interface wrapper: result descriptor through the first pointer,
// then one pointer per argument descriptor.
// CHECK-LABEL: llvm.func @_mlir_ciface_add_relu_forward(
// CHECK-SAME:    %[[RESULT:.*]]: !llvm.ptr, %[[X:.*]]: !llvm.ptr, %[[Y:.*]]: !llvm.ptr)
// CHECK:         %[[R:.*]] = llvm.call @add_relu_forward(
// CHECK:         llvm.store %[[R]], %[[RESULT]]

// Two results: the wrapper's first argument points to a struct of both
// descriptors. The recomputed forward sum is fused into the gradient's
// loop nest, and the copy %gy folds away, which would return one buffer
// twice: the kernel copies it, so each result has a malloc of its own.
// CHECK-LABEL: llvm.func @add_relu_backward(
// CHECK-SAME:    -> !llvm.struct<(struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>, struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>)>
// CHECK:         llvm.call @malloc
// CHECK:         llvm.call @malloc
// CHECK-NOT:     llvm.call @malloc
// CHECK:         llvm.return
// CHECK-LABEL: llvm.func @_mlir_ciface_add_relu_backward(
// CHECK-SAME:    %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
func.func @add_relu_backward(%x: tensor<?x64x28x28xf32>, %y: tensor<?x64x28x28xf32>,
                             %grad: tensor<?x64x28x28xf32>)
    -> (tensor<?x64x28x28xf32>, tensor<?x64x28x28xf32>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x64x28x28xf32>
  %init = tensor.empty(%n) : tensor<?x64x28x28xf32>
  %sum = linalg.generic {indexing_maps = [#nchw, #nchw, #nchw],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %y : tensor<?x64x28x28xf32>, tensor<?x64x28x28xf32>)
      outs(%init : tensor<?x64x28x28xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x64x28x28xf32>
  %gx = linalg.generic {indexing_maps = [#nchw, #nchw, #nchw],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sum, %grad : tensor<?x64x28x28xf32>, tensor<?x64x28x28xf32>)
      outs(%init : tensor<?x64x28x28xf32>) {
  ^bb0(%s: f32, %g: f32, %out: f32):
    %positive = arith.cmpf ogt, %s, %zero : f32
    %d = arith.select %positive, %g, %zero : f32
    linalg.yield %d : f32
  } -> tensor<?x64x28x28xf32>
  %init2 = tensor.empty(%n) : tensor<?x64x28x28xf32>
  %gy = linalg.generic {indexing_maps = [#nchw, #nchw],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%gx : tensor<?x64x28x28xf32>) outs(%init2 : tensor<?x64x28x28xf32>) {
  ^bb0(%d: f32, %out: f32):
    linalg.yield %d : f32
  } -> tensor<?x64x28x28xf32>
  return %gx, %gy : tensor<?x64x28x28xf32>, tensor<?x64x28x28xf32>
}
