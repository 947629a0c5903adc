// RUN: dream-opt %s --dream-expand-connections --split-input-file | FileCheck %s
// A connection becomes its in adapter, encoder (and decoder) calls and its
// out adapter; adapter parameters are named after the connection's scope,
// or after the encoder when shared.

dream.encoder @ae {decode = @dec, encode = @enc, frozen, input = tensor<?x1x8x8xf32>, latent = tensor<?x4x2x2xf32>, output = tensor<?x1x8x8xf32>}
func.func private @enc(%x: tensor<?x1x8x8xf32>) -> tensor<?x4x2x2xf32>
func.func private @dec(%x: tensor<?x4x2x2xf32>) -> tensor<?x1x8x8xf32>

// CHECK-LABEL: func.func @sleep_deconv
func.func @sleep_deconv(%h: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
  // CHECK:      %[[W:.*]] = dream.param "sleep_0.in.weight" {fan_in = 4 : i64, init = "uniform"} : tensor<1x4x1x1xf32>
  // CHECK-NEXT: %[[B:.*]] = dream.param "sleep_0.in.bias"
  // CHECK-NEXT: %[[IN:.*]] = dream.conv %arg0, %[[W]], %[[B]] {k = 1 : i64, out = 1 : i64, pad = 0 : i64, stride = 1 : i64}
  // CHECK-NEXT: %[[Z:.*]] = call @enc(%[[IN]]) {dream.absolute_scope, dream.frozen, dream.masking = #dream.masking<train>, dream.scope = "ae.encoder"}
  // CHECK-NEXT: dream.param "sleep_0.out.weight" {fan_in = 64 : i64, init = "uniform"} : tensor<4x4x4x4xf32>
  // CHECK-NEXT: dream.param "sleep_0.out.bias"
  // CHECK-NEXT: %[[OUT:.*]] = dream.deconv %[[Z]], {{.*}} {k = 4 : i64, out = 4 : i64, pad = 0 : i64, stride = 4 : i64}
  // CHECK-NEXT: return %[[OUT]]
  %s = dream.sleep %h through @ae {dream.scope = "sleep_0", grad = #dream.grad<through>, in_adapter = #dream.adapter<conv>, in_stride = 1 : i64, masking = #dream.masking<train>, out_adapter = #dream.adapter<deconv>, out_stride = 4 : i64, share = #dream.share<per_block>} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32>
  return %s : tensor<?x4x8x8xf32>
}

// CHECK-LABEL: func.func @dream_shared_detached
func.func @dream_shared_detached(%h: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
  // CHECK:      dream.param "ae.dream_adapter.in.weight" {fan_in = 4 : i64, global, init = "uniform"}
  // CHECK:      %[[Z:.*]] = call @enc
  // CHECK-NEXT: %[[R:.*]] = call @dec(%[[Z]]) {dream.absolute_scope, dream.frozen, dream.masking = #dream.masking<off>, dream.scope = "ae.decoder"}
  // CHECK-NEXT: %[[O:.*]] = dream.observe %[[R]] {name = "dream_0"} : tensor<?x1x8x8xf32>
  // CHECK-NEXT: %[[D:.*]] = dream.stop_gradient %[[O]]
  // CHECK:      dream.conv %[[D]]
  %d = dream.dream %h through @ae {dream.scope = "dream_0", grad = #dream.grad<detach>, in_adapter = #dream.adapter<conv>, in_stride = 1 : i64, masking = #dream.masking<off>, out_adapter = #dream.adapter<conv>, out_stride = 1 : i64, share = #dream.share<shared>} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32>
  return %d : tensor<?x4x8x8xf32>
}

// -----

dream.encoder @phi {encode = @enc, frozen, input = tensor<?x6xi64>, latent = tensor<?x6x8xf32>, output = tensor<?x6x8xf32>, vocab = 50 : i64}
func.func private @enc(%x: tensor<?x6xi64>) -> tensor<?x6x8xf32>

// The paper's text bridge: scores over the encoder's vocabulary, then argmax.
// CHECK-LABEL: func.func @text_bridge
func.func @text_bridge(%h: tensor<?x6x10xf32>) -> tensor<?x6x10xf32> {
  // CHECK:      dream.param "sleep_0.in.weight" {fan_in = 10 : i64, init = "uniform"} : tensor<50x10xf32>
  // CHECK:      %[[S:.*]] = dream.dense %arg0, {{.*}} {bias = true, out = 50 : i64} : ({{.*}}) -> tensor<?x6x50xf32>
  // CHECK-NEXT: %[[T:.*]] = dream.argmax %[[S]] : (tensor<?x6x50xf32>) -> tensor<?x6xi64>
  // CHECK-NEXT: call @enc(%[[T]])
  // CHECK:      dream.dense {{.*}} {bias = true, out = 10 : i64} : ({{.*}}) -> tensor<?x6x10xf32>
  %s = dream.sleep %h through @phi {dream.scope = "sleep_0", grad = #dream.grad<through>, in_adapter = #dream.adapter<bridge_argmax>, in_stride = 1 : i64, masking = #dream.masking<train>, out_adapter = #dream.adapter<dense>, out_stride = 1 : i64, share = #dream.share<per_block>} : tensor<?x6x10xf32> -> tensor<?x6x10xf32>
  return %s : tensor<?x6x10xf32>
}

// An encoder applied directly is one call of it: no adapters, no masking.
// CHECK-LABEL: func.func @encode_tokens
func.func @encode_tokens(%x: tensor<?x6xi64>) -> tensor<?x6x8xf32> {
  // CHECK-NEXT: %[[Z:.*]] = call @enc(%arg0) {dream.absolute_scope, dream.frozen, dream.masking = #dream.masking<off>, dream.scope = "phi.encoder"} : (tensor<?x6xi64>) -> tensor<?x6x8xf32>
  // CHECK-NEXT: return %[[Z]]
  %z = dream.encode %x through @phi : tensor<?x6xi64> -> tensor<?x6x8xf32>
  return %z : tensor<?x6x8xf32>
}
