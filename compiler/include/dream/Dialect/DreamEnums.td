//===- DreamEnums.td - The words ops carry, as enums ---------*- tablegen -*-===//
//
// Options the language spells as words (`share: per_block`, `pool(max)`)
// and the adapters Sema plans for a connection are closed sets, so the
// dialect holds them as enum attributes, not strings: a misspelt word in IR
// is a parse or verifier error, and the passes switch over cases. Each
// prints as the word in a .dream file, `#dream.share<per_block>`.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_ENUMS_TD
#define DREAM_ENUMS_TD

include "dream/Dialect/DreamDialect.td"
include "mlir/IR/EnumAttr.td"

def Dream_WordAttrInterface : AttrInterface<"WordAttr"> {
  let description = [{
    An attribute that stands for a word of the language. The shape rules
    bind it as that word (a primitive's argument), and the plan writes it
    as a string, as it wrote the string attributes these enums replace.
  }];
  let cppNamespace = "::dream";
  let methods = [
    InterfaceMethod<"The word, as written in a .dream file.",
      "::llvm::StringRef", "getWord", (ins), /*methodBody=*/[{}],
      /*defaultImplementation=*/[{
        return stringifyEnum($_attr.getValue());
      }]>,
  ];
}

/// An enum of words and its attribute, `#dream.<mnemonic><word>`.
class Dream_WordEnum<string name, string summary, string mnemonic,
                     list<I32EnumAttrCase> cases>
    : I32EnumAttr<name, summary, cases> {
  let cppNamespace = "::dream";
  let genSpecializedAttr = 0;
  string attrMnemonic = mnemonic;
}
class Dream_WordEnumAttr<Dream_WordEnum info>
    : EnumAttr<Dream_Dialect, info, info.attrMnemonic,
               [Dream_WordAttrInterface]> {
  let assemblyFormat = "`<` $value `>`";
}

// The adapter on each side of a connection, as Sema plans it (Sema.h,
// AdapterPlan): `bridge_*` turn hidden states into a token encoder's input.
def Dream_Adapter : Dream_WordEnum<"Adapter", "adapter of a connection",
    "adapter", [
  I32EnumAttrCase<"Identity", 0, "identity">,
  I32EnumAttrCase<"Dense", 1, "dense">,
  I32EnumAttrCase<"Conv", 2, "conv">,
  I32EnumAttrCase<"Deconv", 3, "deconv">,
  I32EnumAttrCase<"UpsampleConv", 4, "upsample_conv">,
  I32EnumAttrCase<"BridgeArgmax", 5, "bridge_argmax">,
  I32EnumAttrCase<"BridgeSoft", 6, "bridge_soft">,
  I32EnumAttrCase<"BridgeStraightThrough", 7, "bridge_straight_through">
]>;
def Dream_AdapterAttr : Dream_WordEnumAttr<Dream_Adapter>;

// A connection's options (docs/language.md, "Connections").
def Dream_Share : Dream_WordEnum<"Share",
    "sharing of a connection's adapters", "share", [
  I32EnumAttrCase<"PerBlock", 0, "per_block">,
  I32EnumAttrCase<"Shared", 1, "shared">
]>;
def Dream_ShareAttr : Dream_WordEnumAttr<Dream_Share>;

def Dream_Grad : Dream_WordEnum<"Grad",
    "gradient through a connection's encoder", "grad", [
  I32EnumAttrCase<"Through", 0, "through">,
  I32EnumAttrCase<"Detach", 1, "detach">
]>;
def Dream_GradAttr : Dream_WordEnumAttr<Dream_Grad>;

def Dream_Masking : Dream_WordEnum<"Masking",
    "masking mode of a connection's encoder", "masking", [
  I32EnumAttrCase<"Train", 0, "train">,
  I32EnumAttrCase<"Always", 1, "always">,
  I32EnumAttrCase<"Off", 2, "off">
]>;
def Dream_MaskingAttr : Dream_WordEnumAttr<Dream_Masking>;

// The `kind` of the `pool` primitive (dream/Ops/Registry.h).
def Dream_PoolKind : Dream_WordEnum<"PoolKind", "kind of global pooling",
    "pool_kind", [
  I32EnumAttrCase<"Avg", 0, "avg">,
  I32EnumAttrCase<"Max", 1, "max">
]>;
def Dream_PoolKindAttr : Dream_WordEnumAttr<Dream_PoolKind>;

#endif // DREAM_ENUMS_TD
