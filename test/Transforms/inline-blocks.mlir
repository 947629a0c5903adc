// RUN: dream-opt %s --dream-inline-blocks --symbol-dce | FileCheck %s
// Each application of a block owns its parameters: names become paths of
// scopes. Encoder parameters are named once and shared; frozen ones stay
// frozen and their ops run in evaluation mode.

func.func private @chain(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = dream.param "dense_0.weight" {fan_in = 4 : i64, init = "uniform"} : tensor<4x4xf32>
  %d = dream.dense %x, %w {bias = false, out = 4 : i64} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %r = dream.relu %d : tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

func.func private @outer(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = call @chain(%x) {dream.scope = "chain_0"} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %z = call @enc(%y) {dream.absolute_scope, dream.frozen, dream.scope = "phi.encoder"} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %z : tensor<?x4xf32>
}

dream.encoder @phi {encode = @enc, frozen, input = tensor<?x4xf32>, latent = tensor<?x4xf32>, output = tensor<?x4xf32>, weights = "phi.safetensors"}
func.func private @enc(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = call @chain(%x) {dream.scope = "chain_0"} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

func.func @net(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %a = call @outer(%x) {dream.scope = "outer_0"} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %b = call @outer(%a) {dream.scope = "outer_1"} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %b : tensor<?x4xf32>
}

// CHECK: dream.encoder_calls = 2
// The encoder function stays for pre-training, complete and named alike.
// CHECK-LABEL: func.func private @enc
// CHECK:      dream.param "phi.encoder.chain_0.dense_0.weight" {fan_in = 4 : i64, frozen, global, init = "uniform"}
// CHECK-NOT:  call

// CHECK-LABEL: func.func @net
// CHECK:      dream.param "outer_0.chain_0.dense_0.weight"
// CHECK-NOT:  frozen
// CHECK:      dream.relu
// CHECK:      dream.param "phi.encoder.chain_0.dense_0.weight" {fan_in = 4 : i64, frozen, global, init = "uniform"}
// CHECK:      dream.relu %{{.*}} {dream.frozen_op}
// CHECK:      dream.param "outer_1.chain_0.dense_0.weight"
// CHECK:      dream.param "phi.encoder.chain_0.dense_0.weight"
// CHECK:      return
// CHECK-NOT:  func.func private @chain
// CHECK-NOT:  func.func private @outer
