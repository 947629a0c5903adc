//===- DreamDialect.td - The dream dialect and its traits ---*- tablegen -*-===//
//
// The `dream` dialect: the compiler's IR for SleepNet/DreamNet networks.
// Values are tensors whose leading dimension is the dynamic batch; every
// other dimension is static. Parameters are SSA values made by `dream.param`.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_DIALECT_TD
#define DREAM_DIALECT_TD

include "mlir/IR/OpBase.td"

def Dream_Dialect : Dialect {
  let name = "dream";
  let summary = "Networks with sleep and dream connections";
  let description = [{
    Ops for the primitives of the `.dream` language, for parameters, and for
    the sleep and dream connections that join a chain of blocks to a frozen
    encoder or autoencoder. Block applications are `func.call`s until the
    `dream-inline-blocks` pass inlines them.
  }];
  let cppNamespace = "::dream";
  // The enum attributes of DreamEnums.td print as `#dream.share<shared>`.
  let useDefaultAttributePrinterParser = 1;
}

// Properties the passes rely on. Fusion groups Pointwise and Normalization
// ops that lie between Heavy ops; Heavy ops stay in LibTorch.
class Dream_Trait<string name> : NativeOpTrait<name> {
  let cppNamespace = "::dream::trait";
}
def Dream_Pointwise : Dream_Trait<"Pointwise">;
def Dream_Normalization : Dream_Trait<"Normalization">;
def Dream_Heavy : Dream_Trait<"Heavy">;

#endif // DREAM_DIALECT_TD
