// RUN: dream-opt %s | dream-opt | FileCheck %s
// Every kind of dream op prints and parses back unchanged.

// CHECK-LABEL: func.func @ops
func.func @ops(%x: tensor<?x1x8x8xf32>, %ids: tensor<?x6xi64>) -> tensor<?x4xf32> {
  // CHECK: dream.param "c.weight" {fan_in = 9 : i64, init = "uniform"} : tensor<4x1x3x3xf32>
  %w = dream.param "c.weight" {fan_in = 9 : i64, init = "uniform"} : tensor<4x1x3x3xf32>
  %b = dream.param "c.bias" {fan_in = 9 : i64, init = "uniform"} : tensor<4xf32>
  // CHECK: dream.conv %{{.*}}, %{{.*}}, %{{.*}} {k = 3 : i64, out = 4 : i64, pad = 1 : i64, stride = 1 : i64}
  %c = dream.conv %x, %w, %b {k = 3 : i64, out = 4 : i64, pad = 1 : i64, stride = 1 : i64} : (tensor<?x1x8x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %g = dream.param "n.weight" {init = "ones"} : tensor<4xf32>
  %h = dream.param "n.bias" {init = "zeros"} : tensor<4xf32>
  %m = dream.param "n.running_mean" {buffer, init = "zeros"} : tensor<4xf32>
  %v = dream.param "n.running_var" {buffer, init = "ones"} : tensor<4xf32>
  // CHECK: dream.batchnorm
  %n = dream.batchnorm %c, %g, %h, %m, %v : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  // CHECK: dream.relu %{{.*}} : tensor<?x4x8x8xf32>
  %r = dream.relu %n : tensor<?x4x8x8xf32>
  // CHECK: dream.add %{{.*}}, %{{.*}} : tensor<?x4x8x8xf32>
  %s = dream.add %r, %c : tensor<?x4x8x8xf32>
  // CHECK: dream.stop_gradient
  %d = dream.stop_gradient %s : tensor<?x4x8x8xf32>
  // CHECK: dream.pool %{{.*}} {kind = #dream.pool_kind<avg>} : (tensor<?x4x8x8xf32>) -> tensor<?x4xf32>
  %p = dream.pool %d {kind = #dream.pool_kind<avg>} : (tensor<?x4x8x8xf32>) -> tensor<?x4xf32>
  %t = dream.param "e.weight" {init = "normal"} : tensor<50x4xf32>
  // CHECK: dream.embed %{{.*}}, %{{.*}} {dim = 4 : i64, vocab = 50 : i64}
  %e = dream.embed %ids, %t {dim = 4 : i64, vocab = 50 : i64} : (tensor<?x6xi64>, tensor<50x4xf32>) -> tensor<?x6x4xf32>
  // CHECK: dream.last
  %l = dream.last %e : (tensor<?x6x4xf32>) -> tensor<?x4xf32>
  %o = dream.add %p, %l : tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}

// CHECK: dream.encoder @ae
dream.encoder @ae {decode = @dec, encode = @enc, frozen, input = tensor<?x1x8x8xf32>, latent = tensor<?x4x2x2xf32>, output = tensor<?x1x8x8xf32>, pretrain = "reconstruct"}
func.func private @enc(%x: tensor<?x1x8x8xf32>) -> tensor<?x4x2x2xf32>
func.func private @dec(%x: tensor<?x4x2x2xf32>) -> tensor<?x1x8x8xf32>

// CHECK-LABEL: func.func @connections
func.func @connections(%h: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
  // CHECK: dream.sleep %{{.*}} through @ae
  // CHECK-SAME: {grad = #dream.grad<through>, in_adapter = #dream.adapter<conv>, in_stride = 1 : i64, masking = #dream.masking<train>, out_adapter = #dream.adapter<deconv>, out_stride = 4 : i64, share = #dream.share<per_block>}
  %s = dream.sleep %h through @ae {grad = #dream.grad<through>, in_adapter = #dream.adapter<conv>, in_stride = 1 : i64, masking = #dream.masking<train>, out_adapter = #dream.adapter<deconv>, out_stride = 4 : i64, share = #dream.share<per_block>} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32>
  // CHECK: dream.dream %{{.*}} through @ae
  %d = dream.dream %s through @ae {grad = #dream.grad<detach>, in_adapter = #dream.adapter<conv>, in_stride = 1 : i64, masking = #dream.masking<off>, out_adapter = #dream.adapter<conv>, out_stride = 1 : i64, share = #dream.share<shared>} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32>
  return %d : tensor<?x4x8x8xf32>
}
