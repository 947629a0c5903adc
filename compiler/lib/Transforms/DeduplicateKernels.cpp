//===- DeduplicateKernels.cpp - One function per distinct kernel ----------===//
//
// Kernels are named after their place in the network, so repeated blocks
// give repeated code. Erasing the copies here, before the module is lowered
// twice (CPU and GPU), divides dreamc's back-end time by the repetition;
// the names survive as aliases in the kernel tables (docs/codegen.md).
//
//===----------------------------------------------------------------------===//

#include "dream/Conversion/Lowering.h"
#include "dream/Dialect/DreamAttributes.h"
#include "dream/Transforms/Passes.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/SymbolTable.h"

namespace dream {
#define GEN_PASS_DEF_DEDUPLICATEKERNELS
#include "dream/Transforms/Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

/// `function`'s attributes (properties included) without its name.
DictionaryAttr attributesButName(func::FuncOp function) {
  NamedAttrList attributes(function->getAttrDictionary());
  attributes.erase(SymbolTable::getSymbolAttrName());
  return attributes.getDictionary(function.getContext());
}

/// Whether two functions of the same type compute the same thing.
bool isSameKernel(func::FuncOp a, func::FuncOp b) {
  return attributesButName(a) == attributesButName(b) &&
         OperationEquivalence::isRegionEquivalentTo(
             &a.getBody(), &b.getBody(),
             OperationEquivalence::IgnoreLocations);
}

struct DeduplicateKernelsPass
    : public dream::impl::DeduplicateKernelsBase<DeduplicateKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Kernels already erased by an earlier run keep their aliases.
    NamedAttrList aliases;
    if (auto old = module->getAttrOfType<DictionaryAttr>(
            dream::kKernelAliasesAttr))
      aliases.append(old.getValue());
    // The kept kernels, by type (only functions of one type can be equal),
    // and what each erased kernel became.
    llvm::DenseMap<Type, SmallVector<func::FuncOp>> kept;
    llvm::DenseMap<StringAttr, FlatSymbolRefAttr> erased;
    for (func::FuncOp function :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (!function->hasAttr(dream::kKernelAttr))
        continue;
      SmallVector<func::FuncOp> &same = kept[function.getFunctionType()];
      auto *original = llvm::find_if(
          same, [&](func::FuncOp f) { return isSameKernel(f, function); });
      // A function that is called keeps its own name.
      if (original == same.end() ||
          !SymbolTable::symbolKnownUseEmpty(function, module)) {
        same.push_back(function);
        continue;
      }
      auto target = FlatSymbolRefAttr::get(*original);
      erased[function.getSymNameAttr()] = target;
      aliases.set(function.getSymNameAttr(), target);
      function.erase();
    }
    if (aliases.empty())
      return;
    // Aliases of a function erased just now follow it to its original.
    SmallVector<NamedAttribute> resolved;
    for (NamedAttribute alias : aliases) {
      auto target = cast<FlatSymbolRefAttr>(alias.getValue());
      if (FlatSymbolRefAttr original = erased.lookup(target.getAttr()))
        target = original;
      resolved.emplace_back(alias.getName(), target);
    }
    module->setAttr(dream::kKernelAliasesAttr,
                    DictionaryAttr::get(&getContext(), resolved));
  }
};

} // namespace
