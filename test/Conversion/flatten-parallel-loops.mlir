// RUN: dream-opt %s --pass-pipeline='builtin.module(func.func(dream-flatten-parallel-loops{block-size=128}))' | FileCheck %s
// A 3-D parallel loop becomes a loop over tiles of 128 iterations (the
// grid) around a loop over one tile (the block), guarded for the last
// tile, with the three indices recovered from the flat one. A sequential
// top-level loop becomes a one-iteration parallel loop (one thread).

// CHECK-LABEL: func.func @loops(
// CHECK-SAME:    %[[M:.*]]: memref<?x4x8xf32>,
// CHECK:         %[[N:.*]] = memref.dim %[[M]]
// CHECK:         %[[TOTAL:.*]] = arith.muli %{{.*}}, %c8
// CHECK:         %[[TILE:.*]] = arith.muli %{{.*}}, %c128
// CHECK:         scf.parallel (%[[BLOCK:.*]]) = (%{{.*}}) to (%[[TOTAL]]) step (%[[TILE]]) {
// CHECK-NEXT:      scf.parallel (%[[THREAD:.*]]) = (%{{.*}}) to (%[[TILE]]) step
// CHECK:             %[[FLAT:.*]] = arith.addi %[[THREAD]], %[[BLOCK]]
// CHECK:             %[[INSIDE:.*]] = arith.cmpi ult, %{{.*}}, %[[TOTAL]]
// CHECK:             scf.if
// CHECK-DAG:           %[[K:.*]] = arith.remsi %[[FLAT]], %c8
// CHECK-DAG:           %[[IJ:.*]] = arith.divsi %[[FLAT]], %c8
// CHECK-DAG:           %[[J:.*]] = arith.remsi %[[IJ]], %c4
// CHECK-DAG:           %[[I:.*]] = arith.divsi %[[IJ]], %c4
// CHECK:               memref.store %{{.*}}, %[[M]][%[[I]], %[[J]], %[[K]]]
// CHECK:         scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c1{{.*}}) step (%c1{{.*}}) {
// CHECK-NEXT:      scf.for %{{.*}} = %c0 to %[[N]] step %c1 {
func.func @loops(%m: memref<?x4x8xf32>, %acc: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %m, %c0 : memref<?x4x8xf32>
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%n, %c4, %c8) step (%c1, %c1, %c1) {
    memref.store %zero, %m[%i, %j, %k] : memref<?x4x8xf32>
    scf.reduce
  }
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %acc[%c0] : memref<1xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %acc[%c0] : memref<1xf32>
  }
  return
}
