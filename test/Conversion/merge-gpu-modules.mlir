// RUN: dream-opt %s -split-input-file -verify-diagnostics --dream-merge-gpu-modules | FileCheck %s
// The kernels of all outlined modules move into @dream_kernels, renamed
// after their modules, and the launches follow them.

// CHECK-LABEL: func.func @f(
// CHECK:         gpu.launch_func @dream_kernels::@f_kernel blocks
// CHECK:         gpu.launch_func @dream_kernels::@f_kernel_0 blocks
// CHECK-NOT:   gpu.module @f_kernel
// CHECK:       gpu.module @dream_kernels {
// CHECK-NEXT:    gpu.func @f_kernel(
// CHECK:         gpu.func @f_kernel_0(
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  func.func @f(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
  gpu.module @f_kernel {
    gpu.func @f_kernel(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Anything besides the kernel could clash with another module's symbols.
module attributes {gpu.container_module} {
  // expected-error @+1 {{must hold exactly one kernel to be merged}}
  gpu.module @f_kernel {
    func.func @helper() {
      return
    }
    gpu.func @f_kernel() kernel {
      gpu.return
    }
  }
}
