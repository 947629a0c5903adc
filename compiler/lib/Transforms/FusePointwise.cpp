//===- FusePointwise.cpp - Pointwise and normalisation ops into regions ---===//
//
// Walks each function backwards. Every pointwise or normalisation op not
// yet fused roots a group, which grows towards its operands while the
// producer is fusible and all of its uses are already in the group; the
// group is then moved into a `dream.fused` region. Growing only through
// single-consumer results keeps each region single-output, so a region is
// exactly one forward and one backward kernel.
//
//===----------------------------------------------------------------------===//

#include "dream/Dialect/DreamDialect.h"
#include "dream/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/SetVector.h"

namespace dream {
#define GEN_PASS_DEF_FUSEPOINTWISE
#include "dream/Transforms/Passes.h.inc"
} // namespace dream

using namespace dream;

namespace {

/// Deterministic ops of the kinds fusion groups; random ones (dropout,
/// masking) stay with the runtime's generator.
bool isFusible(mlir::Operation *op) {
  if (mlir::isa<DropoutOp, MaskOp>(op))
    return false;
  return op->hasTrait<trait::Pointwise>() ||
         op->hasTrait<trait::Normalization>();
}

/// The most normalisations one region holds. Each is a reduction that the
/// backward kernel recomputes from the region's operands, so a region's
/// code, and LLVM's time on it, grow faster than its length: a chain of 114
/// batch norms with no heavy op between them (a `repeat(57)` of two norms
/// and a residual add) took dreamc 4 minutes as one region. The models'
/// regions hold at most a few.
constexpr unsigned kMaxNormalizations = 16;

/// The group rooted at `root`: fusible producers all of whose uses are in
/// the group, in the same block, up to kMaxNormalizations normalisations.
llvm::SetVector<mlir::Operation *> growGroup(mlir::Operation *root) {
  llvm::SetVector<mlir::Operation *> group;
  group.insert(root);
  unsigned normalizations = root->hasTrait<trait::Normalization>();
  llvm::SmallVector<mlir::Operation *> worklist = {root};
  while (!worklist.empty()) {
    mlir::Operation *current = worklist.pop_back_val();
    for (mlir::Value operand : current->getOperands()) {
      mlir::Operation *producer = operand.getDefiningOp();
      if (!producer || group.contains(producer) || !isFusible(producer) ||
          producer->getBlock() != root->getBlock())
        continue;
      bool normalization = producer->hasTrait<trait::Normalization>();
      if (normalization && normalizations == kMaxNormalizations)
        continue;
      bool onlyUsedInGroup = llvm::all_of(
          producer->getUsers(),
          [&](mlir::Operation *user) { return group.contains(user); });
      if (!onlyUsedInGroup)
        continue;
      normalizations += normalization;
      group.insert(producer);
      worklist.push_back(producer);
    }
  }
  return group;
}

/// Moves `group` (rooted at `root`) into a dream.fused op named `kernel`.
/// Operands are the data values first, then the parameters, each in order
/// of first use: the plan and the kernels rely on that order.
void outline(const llvm::SetVector<mlir::Operation *> &group,
             mlir::Operation *root, llvm::StringRef kernel) {
  llvm::SmallVector<mlir::Operation *> ordered(group.begin(), group.end());
  llvm::sort(ordered, [](mlir::Operation *a, mlir::Operation *b) {
    return a->isBeforeInBlock(b);
  });
  llvm::SetVector<mlir::Value> data, params;
  for (mlir::Operation *op : ordered)
    for (mlir::Value operand : op->getOperands()) {
      mlir::Operation *producer = operand.getDefiningOp();
      if (producer && group.contains(producer))
        continue;
      (producer && mlir::isa<ParamOp>(producer) ? params : data)
          .insert(operand);
    }
  llvm::SmallVector<mlir::Value> operands(data.begin(), data.end());
  operands.append(params.begin(), params.end());

  mlir::OpBuilder builder(root);
  auto fused = builder.create<FusedOp>(root->getLoc(),
                                       root->getResult(0).getType(), kernel,
                                       operands);
  mlir::Block *body = builder.createBlock(&fused.getBody());
  mlir::IRMapping mapping;
  for (mlir::Value operand : operands)
    mapping.map(operand, body->addArgument(operand.getType(), operand.getLoc()));
  for (mlir::Operation *op : ordered)
    builder.clone(*op, mapping);
  builder.create<YieldOp>(root->getLoc(),
                          mapping.lookup(root->getResult(0)));
  root->getResult(0).replaceAllUsesWith(fused.getResult());
  for (mlir::Operation *op : llvm::reverse(ordered))
    op->erase();
}

struct FusePointwisePass
    : public impl::FusePointwiseBase<FusePointwisePass> {
  void runOnOperation() override {
    mlir::func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    // Kernel names must be unique in the module and valid C identifiers:
    // the function's name (dots replaced) and a counter.
    std::string prefix = function.getSymName().str();
    std::replace(prefix.begin(), prefix.end(), '.', '_');
    // Groups are found from the end, so that each grows as far back as it
    // can, and outlined from the start, so kernels are numbered in order.
    llvm::DenseSet<mlir::Operation *> fused;
    llvm::SmallVector<std::pair<mlir::Operation *,
                                llvm::SetVector<mlir::Operation *>>>
        groups;
    for (mlir::Operation &op :
         llvm::reverse(function.getBody().front().getOperations())) {
      if (fused.contains(&op) || !isFusible(&op))
        continue;
      llvm::SetVector<mlir::Operation *> group = growGroup(&op);
      fused.insert(group.begin(), group.end());
      groups.emplace_back(&op, std::move(group));
    }
    unsigned count = 0;
    for (auto &[root, group] : llvm::reverse(groups))
      outline(group, root, prefix + "_fused" + std::to_string(count++));
  }
};

} // namespace
