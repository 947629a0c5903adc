// RUN: dream-opt %s --dream-lower-to-gpu=chip=sm_80 --verify-diagnostics
// The GPU pipeline puts every buffer in device memory, so host code must not
// touch buffer data. A sum into a 0-d tensor has no parallel loop to map to
// threads; its initialisation stays on the host as a store into the device
// buffer, which dream-check-host-side reports at the op it came from
// instead of letting a GPU crash on it (docs/codegen.md).

func.func @total(%x: tensor<?xf32>) -> tensor<f32> attributes {llvm.emit_c_interface} {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<f32>
  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<f32>) -> tensor<f32>
  // expected-error @+1 {{accesses device memory from the host: this op was not moved into a GPU kernel}}
  %sum = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                         iterator_types = ["reduction"]}
      ins(%x : tensor<?xf32>) outs(%fill : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %sum : tensor<f32>
}
