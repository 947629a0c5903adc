//===- PlanOps.cpp - Ops only the dialect writes --------------------------===//
//
// Steps a plan holds that no program writes by name: the sum that merges
// a chain and its connections, the identities that mark dreams and stop
// gradients, the call of a library's native op and the fused kernel. They
// have no signature in the language, but the runtime checks and runs them
// and `--emit=pytorch` exports them like the others.
//
//===----------------------------------------------------------------------===//

#include "Entry.h"

using namespace dream;
using namespace dream::ops;

namespace {

OpSpec add() {
  return Entry("add", OpClass::Pointwise,
               "elementwise sum: merges a chain and its sleep or dream branch")
      .variadic()
      .shape([](const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
        return inferAdd(inputs);
      })
      .exportAs([](const ExportContext &c) { return c.joined(" + "); })
      .dialectOnly()
      .build();
}

OpSpec stopGradient() {
  return Entry("stop_gradient", OpClass::Layout, "identity whose gradient is zero")
      .exportAs([](const ExportContext &c) { return c.x() + ".detach()"; })
      .dialectOnly()
      .build();
}

OpSpec observe() {
  return Entry("observe", OpClass::Layout,
               "identity that names a dream for `trainer dream` to draw")
      .plan({must("name", ParamKind::String)})
      .exportAs([](const ExportContext &c) { return c.x(); })
      .dialectOnly()
      .build();
}

/// No export: a library's C++ forward function has no Python translation.
OpSpec native() {
  return Entry("native", OpClass::Heavy,
               "an op a library registered in C++ (dreamc --load)")
      .variadic()
      .plan({must("callee", ParamKind::String)})
      .dialectOnly()
      .build();
}

/// Exported as the steps it replaces (the kernel's reference graph).
OpSpec fused() {
  return Entry("fused", OpClass::Pointwise,
               "a chain of pointwise and normalisation ops run as one kernel")
      .variadic(/*atLeast=*/0)
      .owns(nullptr, 0, -1)
      // dreamc repeats the kernel's name among the attributes.
      .plan({may("kernel", ParamKind::String)})
      .dialectOnly()
      .build();
}

} // namespace

std::vector<OpSpec> ops::planOnlyOps() {
  return {add(), stopGradient(), observe(), native(), fused()};
}
