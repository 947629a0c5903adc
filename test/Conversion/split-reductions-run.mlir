// REQUIRES: mlir-cpu-runner
// DEFINE: %{lower} = convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-arith-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,reconcile-unrealized-casts
// RUN: mlir-opt %s --pass-pipeline='builtin.module(%{lower})' \
// RUN:   | mlir-cpu-runner -e main -entry-point-result=void \
// RUN:       -shared-libs=%mlir_runner_libs | FileCheck %s
// RUN: dream-opt %s --pass-pipeline='builtin.module(func.func(dream-split-reductions{terms-per-thread=8}))' \
// RUN:   | mlir-opt --pass-pipeline='builtin.module(%{lower})' \
// RUN:   | mlir-cpu-runner -e main -entry-point-result=void \
// RUN:       -shared-libs=%mlir_runner_libs | FileCheck %s
// Split reductions compute what the loops they replace computed, run
// sequentially on the CPU: per-channel sums over a 7x3x50 input (7 x 50
// terms per channel in 44 chunks) added to their initial 1, and a total
// max reduction from an initial -5.

// CHECK: [61076,  63526,  65976]
// CHECK: [363]

func.func private @printMemrefF64(memref<*xf64>)

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
        %s = arith.addf %a, %w : f64
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

// x[i, c, j] = 50i + j + 7c.
func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c7 = arith.constant 7 : index
  %c50 = arith.constant 50 : index
  %x = memref.alloc(%c7) : memref<?x3x50xf32>
  scf.for %i = %c0 to %c7 step %c1 {
    scf.for %c = %c0 to %c3 step %c1 {
      scf.for %j = %c0 to %c50 step %c1 {
        %row = arith.muli %i, %c50 : index
        %at = arith.addi %row, %j : index
        %shift = arith.muli %c, %c7 : index
        %value = arith.addi %at, %shift : index
        %int = arith.index_cast %value : index to i64
        %float = arith.uitofp %int : i64 to f32
        memref.store %float, %x[%i, %c, %j] : memref<?x3x50xf32>
      }
    }
  }
  %acc = memref.alloc() : memref<3xf64>
  %tot = memref.alloc() : memref<1xf64>
  %one = arith.constant 1.0 : f64
  %low = arith.constant -5.0 : f64
  scf.for %c = %c0 to %c3 step %c1 {
    memref.store %one, %acc[%c] : memref<3xf64>
  }
  memref.store %low, %tot[%c0] : memref<1xf64>
  func.call @statistics(%x, %acc, %tot) : (memref<?x3x50xf32>, memref<3xf64>, memref<1xf64>) -> ()
  %sums = memref.cast %acc : memref<3xf64> to memref<*xf64>
  func.call @printMemrefF64(%sums) : (memref<*xf64>) -> ()
  %max = memref.cast %tot : memref<1xf64> to memref<*xf64>
  func.call @printMemrefF64(%max) : (memref<*xf64>) -> ()
  memref.dealloc %x : memref<?x3x50xf32>
  memref.dealloc %acc : memref<3xf64>
  memref.dealloc %tot : memref<1xf64>
  return
}
