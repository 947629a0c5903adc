// RUN: dream-opt %s -split-input-file -verify-diagnostics
// Op verifiers: result types come from the language's shape rules, and
// parameter operands must have the shapes the op owns.

func.func @conv_result(%x: tensor<?x1x8x8xf32>, %w: tensor<4x1x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'dream.conv' op result type 'tensor<?x4x7x7xf32>' does not match the inferred type 'tensor<?x4x8x8xf32>'}}
  %c = dream.conv %x, %w, %b {k = 3 : i64, out = 4 : i64, pad = 1 : i64, stride = 1 : i64} : (tensor<?x1x8x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<?x4x7x7xf32>
  return
}

// -----

func.func @conv_weight(%x: tensor<?x1x8x8xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'dream.conv' op expects parameter 'weight' of shape [4, 1, 3, 3], not 'tensor<4x2x3x3xf32>'}}
  %c = dream.conv %x, %w, %b {k = 3 : i64, out = 4 : i64, pad = 1 : i64, stride = 1 : i64} : (tensor<?x1x8x8xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<?x8xf32>, %w: tensor<4x1x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'dream.conv' op expects an image [C, H, W], but its input is [8]}}
  %c = dream.conv %x, %w, %b {k = 3 : i64, out = 4 : i64, pad = 1 : i64, stride = 1 : i64} : (tensor<?x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func.func @static_batch(%x: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{'dream.pool' op expects batched tensors tensor<?x...>, not 'tensor<2x4x8x8xf32>'}}
  %p = dream.pool %x {kind = #dream.pool_kind<avg>} : (tensor<2x4x8x8xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @dense_params(%x: tensor<?x8xf32>, %w: tensor<3x8xf32>) {
  // expected-error @+1 {{'dream.dense' op expects 2 parameter operands, not 1}}
  %d = dream.dense %x, %w {bias = true, out = 3 : i64} : (tensor<?x8xf32>, tensor<3x8xf32>) -> tensor<?x3xf32>
  return
}

// -----

func.func @patchify(%x: tensor<?x1x10x10xf32>) {
  // expected-error @+1 {{'dream.patchify' op image [1, 10, 10] is not divisible into 4x4 patches}}
  %p = dream.patchify %x {patch = 4 : i64} : (tensor<?x1x10x10xf32>) -> tensor<?x4x16xf32>
  return
}

// -----

func.func @bad_attr(%x: tensor<?x1x8x8xf32>) {
  // expected-error @+1 {{'dream.upsample' op attribute 'factor' failed to satisfy constraint: 64-bit signless integer attribute}}
  %u = dream.upsample %x {factor = "two"} : (tensor<?x1x8x8xf32>) -> tensor<?x1x16x16xf32>
  return
}

// -----

// A word the dialect holds as an enum is neither a string nor any word.
func.func @word_as_string(%x: tensor<?x4x8x8xf32>) {
  // expected-error @+1 {{'dream.pool' op attribute 'kind' failed to satisfy constraint: kind of global pooling}}
  %p = dream.pool %x {kind = "avg"} : (tensor<?x4x8x8xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @unknown_word(%x: tensor<?x4x8x8xf32>) {
  // expected-error @+2 {{expected ::dream::PoolKind to be one of: avg, max}}
  // expected-error @+1 {{failed to parse Dream_PoolKindAttr parameter 'value' which is to be a `::dream::PoolKind`}}
  %p = dream.pool %x {kind = #dream.pool_kind<mean>} : (tensor<?x4x8x8xf32>) -> tensor<?x4xf32>
  return
}

// -----

// expected-note @+1 {{the encoder is declared here}}
dream.encoder @enc_only {encode = @enc, input = tensor<?x1x8x8xf32>, latent = tensor<?x4x2x2xf32>, output = tensor<?x4x2x2xf32>}
func.func private @enc(%x: tensor<?x1x8x8xf32>) -> tensor<?x4x2x2xf32>

func.func @dream_needs_decoder(%h: tensor<?x4x8x8xf32>) {
  // expected-error @+1 {{'dream.dream' op needs an autoencoder, but @enc_only has no decoder}}
  %d = dream.dream %h through @enc_only {grad = #dream.grad<through>, in_adapter = #dream.adapter<conv>, in_stride = 1 : i64, masking = #dream.masking<train>, out_adapter = #dream.adapter<conv>, out_stride = 1 : i64, share = #dream.share<per_block>} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32>
  return
}

// -----

func.func @unknown_encoder(%h: tensor<?x4x8x8xf32>) {
  // expected-error @+1 {{'dream.sleep' op refers to @nowhere, which is not a dream.encoder}}
  %d = dream.sleep %h through @nowhere {grad = #dream.grad<through>, in_adapter = #dream.adapter<conv>, in_stride = 1 : i64, masking = #dream.masking<train>, out_adapter = #dream.adapter<conv>, out_stride = 1 : i64, share = #dream.share<per_block>} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32>
  return
}

// -----

// expected-error @+1 {{'dream.encoder' op without a decoder, the output is the latent}}
dream.encoder @mismatch {encode = @enc, input = tensor<?x1x8x8xf32>, latent = tensor<?x4x2x2xf32>, output = tensor<?x1x8x8xf32>}
func.func private @enc(%x: tensor<?x1x8x8xf32>) -> tensor<?x4x2x2xf32>

// -----

dream.encoder @phi {encode = @enc, input = tensor<?x6xi64>, latent = tensor<?x6x8xf32>, output = tensor<?x6x8xf32>, vocab = 50 : i64}
func.func private @enc(%x: tensor<?x6xi64>) -> tensor<?x6x8xf32>

func.func @encode_wrong_latent(%x: tensor<?x6xi64>) {
  // expected-error @+1 {{'dream.encode' op must take the encoder's input 'tensor<?x6xi64>' to its latent 'tensor<?x6x8xf32>'}}
  %z = dream.encode %x through @phi : tensor<?x6xi64> -> tensor<?x6x4xf32>
  return
}
