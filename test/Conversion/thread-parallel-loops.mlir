// RUN: dream-opt %s --dream-thread-parallel-loops | FileCheck %s
// Each top-level scf.parallel that counts from 0 in steps of 1 becomes a
// call of the runtime's dream_parallel_for: the loop is outlined with its
// first dimension over [begin, end), and a task unpacks the captured
// values from a stack struct and calls it.

// CHECK-LABEL: func.func @scale(
// CHECK-SAME:    %[[X:.*]]: memref<?x64xf32>, %[[Y:.*]]: memref<?x64xf32>, %[[A:.*]]: f32)
// CHECK:         %[[N:.*]] = memref.dim %[[X]]
// The captures, in the order the body first uses them; the bounds 0, 1 and
// 64 are constants, cloned instead, and N becomes the task's range.
// CHECK:         %[[CTX:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, f32, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>)>
// CHECK:         %[[XD:.*]] = builtin.unrealized_conversion_cast %[[X]] : memref<?x64xf32> to !llvm.struct
// CHECK:         llvm.store %[[XD]],
// CHECK:         llvm.store %[[A]],
// CHECK:         builtin.unrealized_conversion_cast %[[Y]]
// CHECK:         %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// The work of one step is the 64 iterations of the second dimension.
// CHECK:         %[[SPAN:.*]] = arith.subi %c64, %c0
// CHECK:         %[[STEP_WORK:.*]] = arith.ceildivui %[[SPAN]], %c1
// CHECK:         %[[WORK:.*]] = arith.muli %{{.*}}, %[[STEP_WORK]]
// CHECK:         %[[WORK64:.*]] = arith.index_cast %[[WORK]] : index to i64
// CHECK:         %[[TASK:.*]] = llvm.mlir.addressof @scale_parallel_task
// CHECK:         llvm.call @dream_parallel_for(%[[N64]], %[[WORK64]], %[[TASK]], %[[CTX]])
// CHECK-NOT:     scf.parallel
// CHECK:         return
func.func @scale(%x: memref<?x64xf32>, %y: memref<?x64xf32>, %a: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %n = memref.dim %x, %c0 : memref<?x64xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x64xf32>
    %s = arith.mulf %v, %a : f32
    memref.store %s, %y[%i, %j] : memref<?x64xf32>
    scf.reduce
  }
  return
}

// A reduction inside one step counts in its work: here the N x 64 values
// summed for each of the 16 channels.
// CHECK-LABEL: func.func @channel_sums(
// CHECK:         %[[N:.*]] = memref.dim
// CHECK:         %[[FOR_HW:.*]] = arith.ceildivui %{{.*}}, %c1
// CHECK:         %[[W1:.*]] = arith.muli %{{.*}}, %[[FOR_HW]]
// CHECK:         %[[SPAN_N:.*]] = arith.subi %[[N]], %c0
// CHECK:         %[[FOR_N:.*]] = arith.ceildivui %[[SPAN_N]], %c1
// CHECK:         arith.muli %[[W1]], %[[FOR_N]]
// CHECK:         llvm.call @dream_parallel_for
func.func @channel_sums(%x: memref<?x16x64xf32>, %sums: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %n = memref.dim %x, %c0 : memref<?x16x64xf32>
  scf.parallel (%c) = (%c0) to (%c16) step (%c1) {
    scf.for %i = %c0 to %n step %c1 {
      scf.for %p = %c0 to %c64 step %c1 {
        %v = memref.load %x[%i, %c, %p] : memref<?x16x64xf32>
        %s = memref.load %sums[%c] : memref<16xf32>
        %t = arith.addf %s, %v : f32
        memref.store %t, %sums[%c] : memref<16xf32>
      }
    }
    scf.reduce
  }
  return
}

// Loops that cannot be split stay: one that does not start at 0, one that
// combines values across iterations, and one nested in another loop.
// CHECK-LABEL: func.func @unsplittable(
// CHECK-NOT:     dream_parallel_for
// CHECK:         scf.parallel (%{{.*}}) = (%c1)
// CHECK-NOT:     dream_parallel_for
// CHECK:         scf.parallel (%{{.*}}) = (%c0) {{.*}} init
// CHECK-NOT:     dream_parallel_for
// CHECK:         scf.for
// CHECK-NEXT:      scf.parallel
// CHECK-NOT:     dream_parallel_for
// CHECK:         return
func.func @unsplittable(%x: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c1) to (%c8) step (%c1) {
    memref.store %zero, %x[%i] : memref<8xf32>
    scf.reduce
  }
  %sum = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %v = memref.load %x[%i] : memref<8xf32>
    scf.reduce(%v : f32) {
    ^bb0(%l: f32, %r: f32):
      %t = arith.addf %l, %r : f32
      scf.reduce.return %t : f32
    }
  }
  scf.for %k = %c0 to %c8 step %c1 {
    scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
      memref.store %sum, %x[%i] : memref<8xf32>
      scf.reduce
    }
  }
  return %sum : f32
}

// A kernel writes only its own allocations: every buffer that one capture
// alone views is noalias, arguments included. Two views of one buffer are
// not.
func.func @kernel_like(%x: memref<?x64xf32>) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %n = memref.dim %x, %c0 : memref<?x64xf32>
  %y = memref.alloc(%n) : memref<?x64xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x64xf32>
    memref.store %v, %y[%i, %j] : memref<?x64xf32>
    scf.reduce
  }
  %flat = memref.collapse_shape %y [[0, 1]] : memref<?x64xf32> into memref<?xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c64) step (%c1, %c1) {
    %v = memref.load %y[%i, %j] : memref<?x64xf32>
    %k = arith.addi %i, %j : index
    memref.store %v, %flat[%k] : memref<?xf32>
    scf.reduce
  }
  return %y : memref<?x64xf32>
}

// The outlined loops follow the functions, in order. A memref arrives as
// its aligned pointer and its descriptor; @scale writes an argument, so its
// pointers are not noalias.
// CHECK-LABEL: func.func private @scale_parallel(
// CHECK-SAME:    %[[B:.*]]: index, %[[E:.*]]: index, %[[PX:.*]]: !llvm.ptr, %[[DX:.*]]: !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, %[[OA:.*]]: f32, %[[PY:.*]]: !llvm.ptr, %[[DY:.*]]: !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>)
// CHECK-SAME:    llvm.linkage = #llvm.linkage<internal>
// CHECK:         %[[X2:.*]] = llvm.insertvalue %[[PX]], %[[DX]][1]
// CHECK:         %[[OX:.*]] = builtin.unrealized_conversion_cast %[[X2]] : !llvm.struct<{{.*}}> to memref<?x64xf32>
// CHECK:         %[[Y2:.*]] = llvm.insertvalue %[[PY]], %[[DY]][1]
// CHECK:         %[[OY:.*]] = builtin.unrealized_conversion_cast %[[Y2]] : !llvm.struct<{{.*}}> to memref<?x64xf32>
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK:         scf.parallel (%[[I:.*]], %[[J:.*]]) = (%[[B]], %{{.*}}) to (%[[E]], %[[C64]])
// CHECK:           memref.load %[[OX]][%[[I]], %[[J]]]
// CHECK:           arith.mulf %{{.*}}, %[[OA]]
// CHECK:           memref.store %{{.*}}, %[[OY]][%[[I]], %[[J]]]
// CHECK:         return

// CHECK-LABEL: llvm.func internal @scale_parallel_task(
// CHECK-SAME:    %[[C:.*]]: !llvm.ptr, %[[TB:.*]]: i64, %[[TE:.*]]: i64)
// CHECK-DAG:     %[[IB:.*]] = arith.index_cast %[[TB]] : i64 to index
// CHECK-DAG:     %[[IE:.*]] = arith.index_cast %[[TE]] : i64 to index
// CHECK:         %[[FX:.*]] = llvm.getelementptr %[[C]][0, 0]
// CHECK:         %[[LX:.*]] = llvm.load %[[FX]]
// CHECK:         %[[LPX:.*]] = llvm.extractvalue %[[LX]][1]
// CHECK:         call @scale_parallel(%[[IB]], %[[IE]], %[[LPX]], %[[LX]],
// CHECK:         llvm.return

// CHECK-LABEL: func.func private @kernel_like_parallel(
// CHECK-SAME:    %{{.*}}: !llvm.ptr {llvm.noalias}, %{{.*}}: !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>,
// CHECK-SAME:    %{{.*}}: !llvm.ptr {llvm.noalias}, %{{.*}}: !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>)
// CHECK-LABEL: func.func private @kernel_like_parallel_{{[0-9]+}}(
// CHECK-SAME:    %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>,
// CHECK-SAME:    %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>)
