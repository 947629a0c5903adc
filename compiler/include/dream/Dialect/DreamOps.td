//===- DreamOps.td - The ops of the dream dialect -----------*- tablegen -*-===//
//
// Tensors carry the batch as their leading, dynamic dimension. Op names and
// attribute names match the language's primitives (dream/Ops/Registry.h),
// which is how the default shape inference finds the rule of each op.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_OPS_TD
#define DREAM_OPS_TD

include "dream/Dialect/DreamDialect.td"
include "dream/Dialect/DreamEnums.td"
include "dream/Dialect/ShapeInference.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Dream_Op<string mnemonic, list<Trait> traits = []>
    : Op<Dream_Dialect, mnemonic, traits>;

/// An op whose result type follows from the primitive's shape rule.
class Dream_RuleOp<string mnemonic, list<Trait> traits = []>
    : Dream_Op<mnemonic, traits # [ShapeInference]>;

def Dream_Tensor : RankedTensorOf<[F32, I64]>;
def Dream_FloatTensor : RankedTensorOf<[F32]>;
def Dream_TokenTensor : RankedTensorOf<[I64]>;

//===----------------------------------------------------------------------===//
// Parameters and structure
//===----------------------------------------------------------------------===//

def Dream_ParamOp : Dream_Op<"param", [Pure]> {
  let summary = "a named parameter or buffer of the network";
  let description = [{
    Produces the current value of a parameter. `name` is relative to the
    enclosing block until `dream-inline-blocks` prefixes it with the path of
    the call; `global` names (shared connection adapters, encoders) are kept.
    `init` names PyTorch's default initialiser for the layer that owns it;
    `frozen` parameters receive no gradient and no optimizer state; buffers
    (`buffer`, e.g. running statistics) are state, not parameters.

    ```mlir
    %w = dream.param "conv_0.weight" {init = "uniform", fan_in = 9 : i64} : tensor<64x1x3x3xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, StrAttr:$init,
                   DefaultValuedAttr<I64Attr, "0">:$fan_in, UnitAttr:$frozen,
                   UnitAttr:$buffer, UnitAttr:$global);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def Dream_EncoderOp : Dream_Op<"encoder", [Symbol]> {
  let summary = "an encoder or autoencoder used by sleep and dream connections";
  let description = [{
    Declares the frozen (or trainable) encoder φ, and for an autoencoder the
    decoder θ, as symbols of functions in the module. Connections refer to
    it by name; its weights come from `weights` or from pre-training.
    `vocab` is the vocabulary of a token input.

    ```mlir
    dream.encoder @ae {encode = @ae.encode, decode = @ae.decode, frozen,
                       input = tensor<?x1x28x28xf32>, latent = tensor<?x64x7x7xf32>,
                       output = tensor<?x1x28x28xf32>, pretrain = "reconstruct"}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, FlatSymbolRefAttr:$encode,
                   OptionalAttr<FlatSymbolRefAttr>:$decode,
                   TypeAttr:$input, TypeAttr:$latent, TypeAttr:$output,
                   OptionalAttr<I64Attr>:$vocab,
                   UnitAttr:$frozen, OptionalAttr<StrAttr>:$weights,
                   OptionalAttr<StrAttr>:$pretrain,
                   OptionalAttr<DictionaryAttr>:$pretrain_args);
  let assemblyFormat = "$sym_name attr-dict";
  let hasVerifier = 1;
}

class Dream_ConnectionOp<string mnemonic> : Dream_Op<mnemonic,
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let arguments = (ins Dream_FloatTensor:$input, FlatSymbolRefAttr:$encoder,
                   Dream_AdapterAttr:$in_adapter, I64Attr:$in_stride,
                   Dream_AdapterAttr:$out_adapter, I64Attr:$out_stride,
                   Dream_ShareAttr:$share, Dream_GradAttr:$grad,
                   Dream_MaskingAttr:$masking,
                   DefaultValuedAttr<BoolAttr, "false">:$decoded);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `through` $encoder attr-dict `:` type($input) `->` type($result)
  }];
}

def Dream_SleepOp : Dream_ConnectionOp<"sleep"> {
  let summary = "a sleep connection: h -> out(φ(in(h)))";
  let description = [{
    Brings the hidden state to the encoder's input with the `in` adapter,
    encodes it with φ (or runs the whole autoencoder when `decoded`), and
    brings the result back to the hidden state's type with the `out`
    adapter. `dream-expand-connections` turns it into those ops.

    ```mlir
    %s = dream.sleep %h through @ae {in_adapter = #dream.adapter<conv>,
        in_stride = 1 : i64, out_adapter = #dream.adapter<deconv>,
        out_stride = 4 : i64, share = #dream.share<per_block>,
        grad = #dream.grad<through>, masking = #dream.masking<train>}
        : tensor<?x64x28x28xf32> -> tensor<?x64x28x28xf32>
    ```
  }];
}

def Dream_DreamOp : Dream_ConnectionOp<"dream"> {
  let summary = "a dream connection: h -> out(θ(φ(in(h))))";
  let description = [{
    Like `dream.sleep`, through the whole autoencoder: the result is the
    adapted reconstruction, the "dream".
  }];
}

def Dream_EncodeOp : Dream_Op<"encode",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "an encoder applied to a value of its input type: φ(x)";
  let description = [{
    The encoder as a layer of the network (`x -> enc` in a `.dream` file):
    no adapters, the latent as result. A fine-tuned encoder with a head on
    it is written this way. `dream-expand-connections` turns it into a call
    of the encoder's function, with its own parameters (frozen or not, as
    declared).

    ```mlir
    %z = dream.encode %x through @minilm : tensor<?x32xi64> -> tensor<?x32x384xf32>
    ```
  }];
  let arguments = (ins Dream_Tensor:$input, FlatSymbolRefAttr:$encoder);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `through` $encoder attr-dict `:` type($input) `->` type($result)
  }];
}

def Dream_ObserveOp : Dream_Op<"observe",
    [Pure, SameOperandsAndResultType]> {
  let summary = "identity that names a value for the trainer to show";
  let description = [{
    Marks the reconstruction of a dream connection (the "dream", in the
    autoencoder's input space, before the out adapter) with the
    connection's scope, so that `trainer dream` can draw it. Computes
    nothing: a plan step `observe` returns its input.

    ```mlir
    %d = dream.observe %r {name = "dream_block_0.dream_0"} : tensor<?x1x28x28xf32>
    ```
  }];
  let arguments = (ins Dream_Tensor:$input, StrAttr:$name);
  let results = (outs Dream_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Dream_StopGradientOp : Dream_Op<"stop_gradient",
    [Pure, SameOperandsAndResultType]> {
  let summary = "identity whose gradient is zero";
  let arguments = (ins Dream_Tensor:$input);
  let results = (outs Dream_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Heavy ops: run by LibTorch (oneDNN/BLAS, cuDNN/cuBLAS)
//===----------------------------------------------------------------------===//

class Dream_HeavyOp<string mnemonic, list<Trait> traits = []>
    : Dream_RuleOp<mnemonic, traits # [Pure, Dream_Heavy]>;

def Dream_ConvOp : Dream_HeavyOp<"conv"> {
  let summary = "2-D convolution";
  let arguments = (ins Dream_FloatTensor:$input, Dream_FloatTensor:$weight,
                   Dream_FloatTensor:$bias, I64Attr:$out, I64Attr:$k,
                   I64Attr:$stride, I64Attr:$pad);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)
  }];
}

def Dream_DeconvOp : Dream_HeavyOp<"deconv"> {
  let summary = "2-D transposed convolution";
  let arguments = (ins Dream_FloatTensor:$input, Dream_FloatTensor:$weight,
                   Dream_FloatTensor:$bias, I64Attr:$out, I64Attr:$k,
                   I64Attr:$stride, I64Attr:$pad);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)
  }];
}

def Dream_Conv1dOp : Dream_HeavyOp<"conv1d"> {
  let summary = "1-D convolution over a sequence [L, D]";
  let arguments = (ins Dream_FloatTensor:$input, Dream_FloatTensor:$weight,
                   Dream_FloatTensor:$bias, I64Attr:$out, I64Attr:$k,
                   I64Attr:$stride, I64Attr:$pad);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)
  }];
}

def Dream_DenseOp : Dream_HeavyOp<"dense"> {
  let summary = "affine map of the last dimension";
  let description = [{
    `params` are the weight [out, in] and, when `bias` is set, the bias.
  }];
  let arguments = (ins Dream_FloatTensor:$input,
                   Variadic<Dream_FloatTensor>:$params, I64Attr:$out,
                   BoolAttr:$bias);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $params attr-dict `:` functional-type(operands, results)
  }];
}

def Dream_EmbedOp : Dream_HeavyOp<"embed"> {
  let summary = "token ids (or distributions over them) to vectors";
  let description = [{
    `vocab` is the size of the token vocabulary, which the token tensor type
    does not carry. A float input [L, vocab] is a distribution over the
    vocabulary at each position and embeds as its expectation (input x
    table), the entry of a differentiable token bridge.
  }];
  let arguments = (ins AnyTypeOf<[Dream_TokenTensor, Dream_FloatTensor]>:$input,
                   Dream_FloatTensor:$table,
                   I64Attr:$dim, I64Attr:$vocab);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $table attr-dict `:` functional-type(operands, results)
  }];
}

def Dream_NativeOp : Dream_HeavyOp<"native"> {
  let summary = "an op a library registered in C++ (dreamc --load)";
  let description = [{
    `callee` names an op of a library loaded with `dreamc --load`
    (dream/NativeOp.h); its shape function gives the result type, and the
    trainer runs its LibTorch forward function. Never fused.
  }];
  let arguments = (ins Variadic<Dream_FloatTensor>:$inputs, StrAttr:$callee);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $callee `(` $inputs `)` attr-dict `:` functional-type($inputs, results)
  }];
}

def Dream_LstmOp : Dream_HeavyOp<"lstm"> {
  let summary = "LSTM over a sequence";
  let description = [{
    `weights` are PyTorch's flat LSTM weights, per layer and direction:
    w_ih, w_hh, b_ih, b_hh.
  }];
  let arguments = (ins Dream_FloatTensor:$input,
                   Variadic<Dream_FloatTensor>:$weights, I64Attr:$hidden,
                   I64Attr:$layers, BoolAttr:$bidirectional);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weights attr-dict `:` functional-type(operands, results)
  }];
}

def Dream_TransformerOp : Dream_HeavyOp<"transformer"> {
  let summary = "transformer encoder layer, post-norm (BERT) or pre-norm (ViT)";
  let description = [{
    `weights`: in-projection weight and bias, out-projection weight and
    bias, first and second feed-forward weight and bias, first and second
    layer-norm weight and bias (12 tensors, BERT's order). `norm_first`
    normalises each sub-layer's input instead of the residual sum, as
    nn.TransformerEncoderLayer(norm_first=True) and ViT do; `eps` is both
    layer norms' epsilon.
  }];
  let arguments = (ins Dream_FloatTensor:$input,
                   Variadic<Dream_FloatTensor>:$weights, I64Attr:$heads,
                   I64Attr:$ff, F64Attr:$dropout,
                   DefaultValuedAttr<BoolAttr, "false">:$norm_first,
                   DefaultValuedAttr<F64Attr, "1e-5">:$eps);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weights attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Normalisation: fused with the pointwise ops around them
//===----------------------------------------------------------------------===//

def Dream_BatchNormOp : Dream_RuleOp<"batchnorm", [Pure, Dream_Normalization]> {
  let summary = "batch normalisation over the channels of an image";
  let description = [{
    Normalises with batch statistics while training (updating the running
    statistics) and with the running statistics in evaluation.
  }];
  let arguments = (ins Dream_FloatTensor:$input, Dream_FloatTensor:$weight,
                   Dream_FloatTensor:$bias, Dream_FloatTensor:$running_mean,
                   Dream_FloatTensor:$running_var,
                   DefaultValuedAttr<F64Attr, "1e-5">:$eps,
                   DefaultValuedAttr<F64Attr, "0.1">:$momentum);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var attr-dict
    `:` functional-type(operands, results)
  }];
}

def Dream_LayerNormOp : Dream_RuleOp<"layernorm", [Pure, Dream_Normalization]> {
  let summary = "layer normalisation over the last dimension";
  let arguments = (ins Dream_FloatTensor:$input, Dream_FloatTensor:$weight,
                   Dream_FloatTensor:$bias,
                   DefaultValuedAttr<F64Attr, "1e-5">:$eps);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)
  }];
}

def Dream_RmsNormOp : Dream_RuleOp<"rmsnorm", [Pure, Dream_Normalization]> {
  let summary = "RMS normalisation over the last dimension";
  let arguments = (ins Dream_FloatTensor:$input, Dream_FloatTensor:$weight,
                   DefaultValuedAttr<F64Attr, "1e-6">:$eps);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` functional-type(operands, results)
  }];
}

def Dream_SoftmaxOp : Dream_RuleOp<"softmax",
    [Pure, Dream_Normalization, SameOperandsAndResultType]> {
  let summary = "softmax over the last dimension";
  let arguments = (ins Dream_FloatTensor:$input);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Pointwise ops
//===----------------------------------------------------------------------===//

class Dream_UnaryPointwiseOp<string mnemonic, string brief>
    : Dream_RuleOp<mnemonic, [Pure, Dream_Pointwise, SameOperandsAndResultType]> {
  let summary = brief;
  let arguments = (ins Dream_FloatTensor:$input);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Dream_ReluOp : Dream_UnaryPointwiseOp<"relu", "max(x, 0)">;
def Dream_GeluOp : Dream_UnaryPointwiseOp<"gelu",
    "Gaussian error linear unit (erf form)">;
def Dream_SiluOp : Dream_UnaryPointwiseOp<"silu", "x * sigmoid(x)">;
def Dream_TanhOp : Dream_UnaryPointwiseOp<"tanh", "hyperbolic tangent">;
def Dream_SigmoidOp : Dream_UnaryPointwiseOp<"sigmoid", "logistic function">;
def Dream_SoftplusOp : Dream_UnaryPointwiseOp<"softplus", "log(1 + exp(x))">;

def Dream_AddOp : Dream_Op<"add",
    [Pure, Dream_Pointwise, SameOperandsAndResultType, Commutative]> {
  let summary = "elementwise sum: merges a chain and its sleep or dream branch";
  let arguments = (ins Variadic<Dream_FloatTensor>:$operands);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = "$operands attr-dict `:` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Dream_DropoutOp : Dream_RuleOp<"dropout",
    [Dream_Pointwise, SameOperandsAndResultType]> {
  let summary = "zeroes elements with probability p while training";
  let arguments = (ins Dream_FloatTensor:$input, F64Attr:$p);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Dream_MaskOp : Dream_RuleOp<"mask",
    [Dream_Pointwise, SameOperandsAndResultType]> {
  let summary = "zeroes a random fraction of sequence positions (MAE masking)";
  let description = [{
    `masking` is the mode of the connection whose encoder holds the mask,
    set by `dream-inline-blocks`; without one, the mask applies in
    training only.
  }];
  let arguments = (ins Dream_FloatTensor:$input, F64Attr:$ratio,
                   OptionalAttr<Dream_MaskingAttr>:$masking);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Dream_PosEmbedOp : Dream_RuleOp<"posembed", [Pure, Dream_Pointwise]> {
  let summary = "adds a learned position embedding [L, D]";
  let arguments = (ins Dream_FloatTensor:$input, Dream_FloatTensor:$table);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $table attr-dict `:` functional-type(operands, results)
  }];
}

def Dream_ClsOp : Dream_RuleOp<"cls", [Pure]> {
  let summary = "prepends a learned token [D] to a sequence (ViT's [CLS])";
  let arguments = (ins Dream_FloatTensor:$input, Dream_FloatTensor:$token);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $token attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Layout and reductions
//===----------------------------------------------------------------------===//

class Dream_UnaryRuleOp<string mnemonic, string brief, dag attrs>
    : Dream_RuleOp<mnemonic, [Pure]> {
  let summary = brief;
  let arguments = !con((ins Dream_Tensor:$input), attrs);
  let results = (outs Dream_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dream_MaxPoolOp : Dream_UnaryRuleOp<"maxpool", "max over k x k windows",
    (ins I64Attr:$k, I64Attr:$stride)>;
def Dream_AvgPoolOp : Dream_UnaryRuleOp<"avgpool", "mean over k x k windows",
    (ins I64Attr:$k, I64Attr:$stride)>;
def Dream_PoolOp : Dream_UnaryRuleOp<"pool",
    "global pooling: [C, H, W] -> [C], [L, D] -> [D]",
    (ins Dream_PoolKindAttr:$kind)>;
def Dream_LastOp : Dream_UnaryRuleOp<"last",
    "the last step of a sequence: [L, D] -> [D]", (ins)>;
def Dream_FlattenOp : Dream_UnaryRuleOp<"flatten",
    "all per-sample dimensions into one", (ins)>;
def Dream_ReshapeOp : Dream_UnaryRuleOp<"reshape",
    "the same elements in another per-sample shape",
    (ins DenseI64ArrayAttr:$shape)>;
def Dream_UpsampleOp : Dream_UnaryRuleOp<"upsample",
    "nearest-neighbour upsampling", (ins I64Attr:$factor)>;
def Dream_PatchifyOp : Dream_UnaryRuleOp<"patchify",
    "an image into a sequence of flattened patches", (ins I64Attr:$patch)>;
def Dream_UnpatchifyOp : Dream_UnaryRuleOp<"unpatchify",
    "patches back into an image", (ins I64Attr:$patch, I64Attr:$ch)>;
def Dream_ArgmaxOp : Dream_UnaryRuleOp<"argmax",
    "the index of the largest score at each position (no gradient)", (ins)>;
def Dream_StraightThroughOp : Dream_UnaryRuleOp<"straight_through",
    "one-hot of the largest score forward, softmax's gradient backward",
    (ins)>;

def Dream_ConcatOp : Dream_RuleOp<"concat", [Pure]> {
  let summary = "joins tensors along a per-sample dimension";
  let arguments = (ins Variadic<Dream_FloatTensor>:$operands, I64Attr:$dim);
  let results = (outs Dream_FloatTensor:$result);
  let assemblyFormat = "$operands attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Fused regions
//===----------------------------------------------------------------------===//

def Dream_FusedOp : Dream_Op<"fused", [IsolatedFromAbove, SingleBlock]> {
  let summary = "a chain of pointwise and normalisation ops run as one kernel";
  let description = [{
    Formed by `dream-fuse-pointwise` from a maximal tree of pointwise and
    normalisation ops between heavy ops. The region computes the result
    from the operands (data and parameters, in that order) with the
    original ops; code generation turns it into one forward and one
    backward kernel named after `kernel`.

    ```mlir
    %r = dream.fused "fused_0" (%c, %w, %b, %m, %v, %s) : (...) -> tensor<?x64x28x28xf32> {
    ^bb0(%x: tensor<?x64x28x28xf32>, ...):
      %n = dream.batchnorm %x, ...
      %a = dream.relu %n : tensor<?x64x28x28xf32>
      %y = dream.add %a, %s : tensor<?x64x28x28xf32>
      dream.yield %y : tensor<?x64x28x28xf32>
    }
    ```
  }];
  let arguments = (ins StrAttr:$kernel, Variadic<Dream_Tensor>:$operands);
  let results = (outs Dream_FloatTensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $kernel `(` $operands `)` attr-dict `:` functional-type($operands, $result) $body
  }];
  let hasVerifier = 1;
}

def Dream_YieldOp : Dream_Op<"yield", [Pure, Terminator,
    HasParent<"FusedOp">]> {
  let summary = "the result of a fused region";
  let arguments = (ins Dream_FloatTensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // DREAM_OPS_TD
