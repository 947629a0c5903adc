//===- Entry.h - Writing registry entries ---------------------------------===//
//
// What the family files (Layers.cpp, Elementwise.cpp, Shaping.cpp,
// PlanOps.cpp) write their entries with: a builder that reads as the op's
// description, and the checks and parameter kinds that shape rules and
// signatures share. Private to lib/Ops.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LIB_OPS_ENTRY_H
#define DREAM_LIB_OPS_ENTRY_H

#include "dream/Ops/Registry.h"

namespace dream::ops {

//===--- Signatures -------------------------------------------------------===//

ParamSpec required(std::string name, ParamKind kind,
                   std::optional<ValueRange> range = std::nullopt);
ParamSpec withDefault(std::string name, ConstValue value,
                      std::optional<ValueRange> range = std::nullopt);
/// A size such as a channel count, kernel or stride: from 1 to kMaxDim.
ParamSpec sizeParam(std::string name, std::optional<int64_t> byDefault = {});
/// A word from `choices`; the first is the default.
ParamSpec oneOf(std::string name, std::vector<std::string> choices);

//===--- Plan attributes --------------------------------------------------===//

/// A plan attribute a step must have, or may have.
PlanAttr must(std::string name, ParamKind kind);
PlanAttr may(std::string name, ParamKind kind,
             std::vector<std::string> choices = {});

//===--- Shape rules ------------------------------------------------------===//

int64_t intArg(const ArgMap &args, const char *name);
/// An integer or boolean argument a FLOP rule reads; 0 when absent, as in
/// the adapters' estimates, which give only what they know.
int64_t countArg(const ArgMap &args, const char *name);
/// A failure if the input is tokens or not of rank `rank`.
std::optional<ShapeResult> checkRank(llvm::ArrayRef<TensorType> inputs,
                                     size_t rank, const char *what);
/// A failure if the input is tokens.
std::optional<ShapeResult> checkFloat(llvm::ArrayRef<TensorType> inputs);
/// Float in, the same type out.
ShapeResult sameShape(const ArgMap &, llvm::ArrayRef<TensorType> inputs);
/// Output size of a strided window: (in + 2 pad - k) / stride + 1.
std::optional<int64_t> windowOut(int64_t in, int64_t k, int64_t stride,
                                 int64_t pad);

//===--- Export -----------------------------------------------------------===//

/// `function(x)`: an op exported as one PyTorch call on its input.
ExportRule callOn(std::string function);

//===--- Entries ----------------------------------------------------------===//

/// An entry under construction: `Entry("relu", OpClass::Pointwise, "...")`
/// then what the op has, each said once.
class Entry {
public:
  Entry(std::string name, OpClass opClass, std::string summary);

  Entry &takes(std::vector<ParamSpec> params);
  /// Any number of inputs, at least `atLeast`.
  Entry &variadic(unsigned atLeast = 1);
  Entry &shape(ShapeRule rule);
  /// The parameters the op owns, and how many a plan step may list.
  Entry &owns(ParamRule rule, int minParams, int maxParams);
  Entry &flops(FlopRule rule);
  Entry &attributes(AttributeRule rule);
  /// The plan step's attributes, when they are not the signature's
  /// parameters (required where the language has no default).
  Entry &plan(std::vector<PlanAttr> attrs);
  Entry &exportAs(ExportRule rule);
  Entry &lowersTo(Lowering lowering);
  Entry &alias(std::function<std::string(const TensorType &)> dialectOp);
  Entry &dialectOnly();

  /// The finished entry, with the defaults of its class filled in.
  OpSpec build();

private:
  OpSpec spec;
  bool loweringGiven = false, planGiven = false;
};

/// The families, in registry order.
std::vector<OpSpec> layerOps();
std::vector<OpSpec> elementwiseOps();
std::vector<OpSpec> shapingOps();
std::vector<OpSpec> planOnlyOps();

} // namespace dream::ops

#endif // DREAM_LIB_OPS_ENTRY_H
