// Fused regions without ReLU kinks, at the sizes the models use, for the
// finite-difference check of GradientTest.cpp: every normalisation in both
// modes and every smooth pointwise op.

func.func @batchnorm_train(%x: tensor<?x64x28x28xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>, %s: tensor<?x64x28x28xf32>) -> tensor<?x64x28x28xf32> {
  %r = dream.fused "bn_add"(%x, %s, %g, %b, %m, %v) : (tensor<?x64x28x28xf32>, tensor<?x64x28x28xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64x28x28xf32> {
  ^bb0(%a: tensor<?x64x28x28xf32>, %br: tensor<?x64x28x28xf32>, %w: tensor<64xf32>, %c: tensor<64xf32>, %rm: tensor<64xf32>, %rv: tensor<64xf32>):
    %n = dream.batchnorm %a, %w, %c, %rm, %rv : (tensor<?x64x28x28xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64x28x28xf32>
    %y = dream.add %n, %br : tensor<?x64x28x28xf32>
    %t = dream.tanh %y : tensor<?x64x28x28xf32>
    dream.yield %t : tensor<?x64x28x28xf32>
  }
  return %r : tensor<?x64x28x28xf32>
}

func.func @layernorm_gelu(%x: tensor<?x32x128xf32>, %g: tensor<128xf32>, %b: tensor<128xf32>, %p: tensor<32x128xf32>) -> tensor<?x32x128xf32> {
  %r = dream.fused "ln_gelu"(%x, %g, %b, %p) : (tensor<?x32x128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<32x128xf32>) -> tensor<?x32x128xf32> {
  ^bb0(%a: tensor<?x32x128xf32>, %w: tensor<128xf32>, %c: tensor<128xf32>, %t: tensor<32x128xf32>):
    %e = dream.posembed %a, %t : (tensor<?x32x128xf32>, tensor<32x128xf32>) -> tensor<?x32x128xf32>
    %n = dream.layernorm %e, %w, %c : (tensor<?x32x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<?x32x128xf32>
    %q = dream.gelu %n : tensor<?x32x128xf32>
    dream.yield %q : tensor<?x32x128xf32>
  }
  return %r : tensor<?x32x128xf32>
}

func.func @softmax_silu(%x: tensor<?x32x64xf32>) -> tensor<?x32x64xf32> {
  %r = dream.fused "softmax_silu"(%x) : (tensor<?x32x64xf32>) -> tensor<?x32x64xf32> {
  ^bb0(%a: tensor<?x32x64xf32>):
    %s = dream.silu %a : tensor<?x32x64xf32>
    %m = dream.softmax %s : tensor<?x32x64xf32>
    %g = dream.sigmoid %m : tensor<?x32x64xf32>
    dream.yield %g : tensor<?x32x64xf32>
  }
  return %r : tensor<?x32x64xf32>
}
