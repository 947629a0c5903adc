// RUN: dream-opt %s --pass-pipeline='builtin.module(func.func(dream-split-reductions{terms-per-thread=8 max-threads=1024}))' | FileCheck %s
// A per-channel sum over a dynamic batch becomes a loop over channels x K
// chunks, K = clamp(ceil(N*50 / 8), 1, 1024 / 3) from the reduced extent,
// whose threads take every K-th term into a register, and a loop over
// channels folding the K partials into the sum with the same addf. A total
// max reduction becomes the same partial loop over K chunks alone and a
// top-level fold (one thread on the GPU). Reductions with a dynamic number
// of outputs, or too few terms to split, are left alone.

// CHECK-LABEL: func.func @statistics(
// CHECK-SAME:    %[[X:.*]]: memref<?x3x50xf32>, %[[ACC:.*]]: memref<3xf64>, %[[TOT:.*]]: memref<1xf64>)
// CHECK:         %[[N:.*]] = memref.dim %[[X]]
// CHECK:         %[[EXTENT:.*]] = arith.muli %[[N]], %c50
// CHECK:         %[[ROUNDED:.*]] = arith.addi %[[EXTENT]], %c7
// CHECK:         %[[WANTED:.*]] = arith.divui %[[ROUNDED]], %c8
// CHECK:         %[[CAPPED:.*]] = arith.minui %[[WANTED]], %c341
// CHECK:         %[[K:.*]] = arith.maxui %[[CAPPED]], %c1
// CHECK:         %[[PARTIAL:.*]] = memref.alloc(%[[K]]) : memref<3x?xf64>
// CHECK:         scf.parallel (%[[C:.*]], %[[CHUNK:.*]]) = (%{{.*}}, %{{.*}}) to (%c3, %[[K]])
// CHECK:           %[[SUM:.*]] = scf.for %[[J:.*]] = %[[CHUNK]] to %[[EXTENT]] step %[[K]] iter_args(%[[S:.*]] = %cst{{.*}}) -> (f64)
// CHECK-DAG:         %[[INNER:.*]] = arith.remui %[[J]], %c50
// CHECK-DAG:         %[[OUTER:.*]] = arith.divui %[[J]], %c50
// CHECK:             %[[V:.*]] = memref.load %[[X]][%[[OUTER]], %[[C]], %[[INNER]]]
// CHECK:             %[[W:.*]] = arith.extf %[[V]]
// CHECK:             %[[NEXT:.*]] = arith.addf %[[S]], %[[W]] fastmath<reassoc> : f64
// CHECK:             scf.yield %[[NEXT]]
// CHECK:           memref.store %[[SUM]], %[[PARTIAL]][%[[C]], %[[CHUNK]]]
// CHECK:         scf.parallel (%[[C2:.*]]) = (%{{.*}}) to (%c3)
// CHECK:           scf.for %[[I:.*]] = %{{.*}} to %[[K]]
// CHECK:             %[[OLD:.*]] = memref.load %[[ACC]][%[[C2]]]
// CHECK:             %[[P:.*]] = memref.load %[[PARTIAL]][%[[C2]], %[[I]]]
// CHECK:             %[[NEW:.*]] = arith.addf %[[OLD]], %[[P]] fastmath<reassoc> : f64
// CHECK:             memref.store %[[NEW]], %[[ACC]][%[[C2]]]
// CHECK:         memref.dealloc %[[PARTIAL]]
//
// CHECK:         %[[TOTAL:.*]] = memref.alloc(%{{.*}}) : memref<?xf64>
// CHECK:         scf.parallel (%[[CHUNK2:.*]]) =
// CHECK:           scf.for {{.*}} iter_args(%[[M:.*]] = %cst{{.*}}) -> (f64)
// CHECK:             arith.maximumf %[[M]]
// CHECK:           memref.store %{{.*}}, %[[TOTAL]][%[[CHUNK2]]]
// CHECK-NOT:     scf.parallel
// CHECK:         scf.for %[[I2:.*]] =
// CHECK:           memref.load %[[TOT]][%c0]
// CHECK:           memref.load %[[TOTAL]][%[[I2]]]
// CHECK:           arith.maximumf
// CHECK:         memref.dealloc %[[TOTAL]]
func.func @statistics(%x: memref<?x3x50xf32>, %acc: memref<3xf64>, %tot: memref<1xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c50 = arith.constant 50 : index
  %n = memref.dim %x, %c0 : memref<?x3x50xf32>
  scf.parallel (%c) = (%c0) to (%c3) step (%c1) {
    scf.for %i = %c0 to %n step %c1 {
      scf.for %j = %c0 to %c50 step %c1 {
        %v = memref.load %x[%i, %c, %j] : memref<?x3x50xf32>
        %a = memref.load %acc[%c] : memref<3xf64>
        %w = arith.extf %v : f32 to f64
        %s = arith.addf %a, %w fastmath<reassoc> : f64
        memref.store %s, %acc[%c] : memref<3xf64>
      }
    }
    scf.reduce
  }
  scf.for %i = %c0 to %n step %c1 {
    scf.for %c = %c0 to %c3 step %c1 {
      scf.for %j = %c0 to %c50 step %c1 {
        %v = memref.load %x[%i, %c, %j] : memref<?x3x50xf32>
        %a = memref.load %tot[%c0] : memref<1xf64>
        %w = arith.extf %v : f32 to f64
        %s = arith.maximumf %a, %w : f64
        memref.store %s, %tot[%c0] : memref<1xf64>
      }
    }
  }
  return
}

// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     arith.divui
func.func @left_alone(%x: memref<?x50xf32>, %rows: memref<?xf32>, %small: memref<3x4xf32>, %sums: memref<3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c50 = arith.constant 50 : index
  %n = memref.dim %x, %c0 : memref<?x50xf32>
  // One output per row: the grid grows with the batch already.
  scf.parallel (%r) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c50 step %c1 {
      %v = memref.load %x[%r, %j] : memref<?x50xf32>
      %a = memref.load %rows[%r] : memref<?xf32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %rows[%r] : memref<?xf32>
    }
    scf.reduce
  }
  // Four terms per output: fewer than one thread's share.
  scf.parallel (%c) = (%c0) to (%c3) step (%c1) {
    scf.for %j = %c0 to %c4 step %c1 {
      %v = memref.load %small[%c, %j] : memref<3x4xf32>
      %a = memref.load %sums[%c] : memref<3xf32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %sums[%c] : memref<3xf32>
    }
    scf.reduce
  }
  return
}
