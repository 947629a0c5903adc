// RUN: dream-opt %s --dream-lower-to-cpu | FileCheck %s
// RUN: dream-opt %s --dream-lower-to-gpu=chip=sm_80 | FileCheck %s --check-prefix=GPU
// Reductions as normalisation kernels use them: a per-channel mean over the
// batch and spatial dimensions, broadcast back to centre the input and
// scaled by a per-channel parameter; and a total reduction, as a loss would
// make. CodegenTest.cpp runs them; ptxas.test assembles their PTX.

// On the GPU the reduction's parallel (channel) loop is outermost, so the
// host launches the linalg ops without a loop around them: fill, sum,
// divide, broadcast. The sum is split (dream-split-reductions) into a
// partial-sum kernel over 4 channels x K chunks, with
// K = clamp(ceil(N*64 / 32), 1, 65536 / 4) computed on the host from the
// batch N, so its grid grows with the reduced extent, and a kernel that
// folds each channel's K partials into its sum.
// GPU-LABEL: llvm.func @channel_center_forward(
// GPU-NOT:     llvm.cond_br
// GPU:         gpu.launch_func @dream_kernels::@channel_center_forward_kernel blocks
// GPU:         %[[N:.*]] = llvm.extractvalue %{{.*}}[3, 0] : !llvm.struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>
// GPU:         %[[TERMS:.*]] = llvm.mul %[[N]], %{{.*}} : i64
// GPU:         %[[ROUNDED:.*]] = llvm.add %[[TERMS]], %{{.*}} : i64
// GPU:         %[[WANTED:.*]] = llvm.udiv %[[ROUNDED]], %{{.*}} : i64
// GPU:         %[[CAPPED:.*]] = llvm.intr.umin(%[[WANTED]], %{{.*}})
// GPU:         %[[CHUNKS:.*]] = llvm.intr.umax(%[[CAPPED]], %{{.*}})
// GPU:         llvm.call @_mlir_memref_to_llvm_alloc
// GPU:         %[[THREADS:.*]] = llvm.mul %[[CHUNKS]], %{{.*}} : i64
// GPU:         %[[EMPTY:.*]] = llvm.icmp "sle" %[[THREADS]]
// GPU:         llvm.sdiv
// GPU:         %[[GRID:.*]] = llvm.select %[[EMPTY]]
// GPU-NOT:     llvm.cond_br
// GPU:         gpu.launch_func @dream_kernels::@channel_center_forward_kernel_0 blocks in (%[[GRID]], %{{.*}}, %{{.*}}) threads in (%[[BLOCK:[0-9]+]],
// GPU-SAME:      args(%[[BLOCK]] : i64, %[[THREADS]] : i64, %[[CHUNKS]] : i64,
// GPU-NOT:     llvm.cond_br
// GPU:         gpu.launch_func @dream_kernels::@channel_center_forward_kernel_1 blocks
// GPU-NOT:     llvm.cond_br
// GPU:         llvm.call @_mlir_memref_to_llvm_free
// GPU:         gpu.launch_func @dream_kernels::@channel_center_forward_kernel_2 blocks
// GPU-NOT:     llvm.cond_br
// GPU:         gpu.launch_func @dream_kernels::@channel_center_forward_kernel_3 blocks
// GPU-NOT:     gpu.launch_func
// GPU:         llvm.return
// GPU:       gpu.binary @dream_kernels [#gpu.object<#nvvm.target<chip = "sm_80", features = "+ptx80">,
// GPU-SAME:    .target sm_80
// The total reduction is split too: partial sums on many threads, folded
// by a one-thread kernel.
// GPU-LABEL: llvm.func @sum_of_squares(
// GPU:         gpu.launch_func @dream_kernels::@sum_of_squares_kernel blocks
// GPU:         llvm.intr.umax
// GPU:         gpu.launch_func @dream_kernels::@sum_of_squares_kernel_{{[0-9]+}} blocks in (%[[GRID2:[0-9]+]],
// GPU:         gpu.launch_func @dream_kernels::@sum_of_squares_kernel_{{[0-9]+}} blocks in (%[[ONE:[0-9]+]], %[[ONE]], %[[ONE]]) threads in (%[[ONE]], %[[ONE]], %[[ONE]])
// GPU:         gpu.launch_func @dream_kernels::@sum_of_squares_kernel_{{[0-9]+}} blocks

#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>
#vector = affine_map<(c) -> (c)>
#all = affine_map<(n, c, h, w) -> (0)>

// CHECK-LABEL: llvm.func @channel_center_forward(
// CHECK-SAME:    -> !llvm.struct<(struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>)>
// CHECK-LABEL: llvm.func @_mlir_ciface_channel_center_forward(
// CHECK-SAME:    %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
func.func @channel_center_forward(%x: tensor<?x4x8x8xf32>, %gamma: tensor<4xf32>)
    -> (tensor<?x4x8x8xf32>, tensor<4xf32>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %plane = arith.constant 64.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x4x8x8xf32>
  %empty = tensor.empty() : tensor<4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#nchw, #channel],
                         iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x4x8x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %a, %s : f32
    linalg.yield %t : f32
  } -> tensor<4xf32>
  %ni = arith.index_cast %n : index to i64
  %nf = arith.sitofp %ni : i64 to f32
  %count = arith.mulf %nf, %plane : f32
  %mean = linalg.generic {indexing_maps = [#vector, #vector], iterator_types = ["parallel"]}
      ins(%sum : tensor<4xf32>) outs(%empty : tensor<4xf32>) {
  ^bb0(%s: f32, %out: f32):
    %m = arith.divf %s, %count : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %init = tensor.empty(%n) : tensor<?x4x8x8xf32>
  %y = linalg.generic {indexing_maps = [#nchw, #channel, #channel, #nchw],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %mean, %gamma : tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
      outs(%init : tensor<?x4x8x8xf32>) {
  ^bb0(%a: f32, %m: f32, %g: f32, %out: f32):
    %d = arith.subf %a, %m : f32
    %r = arith.mulf %d, %g : f32
    linalg.yield %r : f32
  } -> tensor<?x4x8x8xf32>
  return %y, %mean : tensor<?x4x8x8xf32>, tensor<4xf32>
}

// No parallel iterator at all: on the GPU this is a one-thread kernel.
// CHECK-LABEL: llvm.func @sum_of_squares(
// CHECK-SAME:    -> !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
// CHECK-LABEL: llvm.func @_mlir_ciface_sum_of_squares(
func.func @sum_of_squares(%x: tensor<?x4x8x8xf32>) -> tensor<1xf32>
    attributes {llvm.emit_c_interface} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<1xf32>) -> tensor<1xf32>
  %sum = linalg.generic {indexing_maps = [#nchw, #all],
                         iterator_types = ["reduction", "reduction", "reduction", "reduction"]}
      ins(%x : tensor<?x4x8x8xf32>) outs(%acc : tensor<1xf32>) {
  ^bb0(%a: f32, %s: f32):
    %sq = arith.mulf %a, %a : f32
    %t = arith.addf %sq, %s : f32
    linalg.yield %t : f32
  } -> tensor<1xf32>
  return %sum : tensor<1xf32>
}
