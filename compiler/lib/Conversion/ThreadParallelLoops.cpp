//===- ThreadParallelLoops.cpp - Parallel loops on the runtime's threads --===//
//
// LibTorch runs its own pointwise and normalisation kernels on every thread
// of its pool; the fused kernels that replace them must too, or they lose
// to them by the thread count. The runtime owns the pool (`--threads` sizes
// it for LibTorch and the kernels alike), so a kernel hands each parallel
// loop to the runtime's `dream_parallel_for` rather than starting threads
// of its own.
//
// The loop is outlined at the SCF level, where its captured memrefs are
// still typed values; only the call, the context struct and the task that
// unpacks it are built in the LLVM dialect, with `unrealized_conversion_cast`
// between each memref and its descriptor struct. The memref-to-LLVM
// conversion that follows makes the same casts, and reconcile-unrealized-
// casts removes both. The outlined function also takes each memref's
// aligned pointer as a parameter of its own, because convert-func-to-llvm
// drops the attributes of memref parameters, and `noalias` is what lets
// LLVM keep a per-channel sum in a register and vectorise its loop.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace dream {
#define GEN_PASS_DEF_THREADPARALLELLOOPS
#include "Passes.h.inc"
} // namespace dream

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kDispatch = "dream_parallel_for";

/// A value the loop uses from outside it, passed through the context as
/// `llvmType`. A memref travels as its descriptor, and reaches the outlined
/// function both as that struct and as its aligned pointer, which is
/// `noalias` when no other capture views the same buffer.
struct Capture {
  Value value;
  Type llvmType;
  bool noalias = false;

  bool isMemRef() const { return isa<MemRefType>(value.getType()); }
};

/// Whether `loop`'s first dimension can be split: it counts from 0 in steps
/// of 1 and the loop combines nothing across iterations.
bool isSplittable(scf::ParallelOp loop) {
  return loop.getNumReductions() == 0 &&
         matchPattern(loop.getLowerBound()[0], m_Zero()) &&
         matchPattern(loop.getStep()[0], m_One());
}

bool isConstant(Value value) {
  Operation *op = value.getDefiningOp();
  return op && op->hasTrait<OpTrait::ConstantLike>();
}

/// The values a copy of `loop` needs from outside it: what its body reads
/// and its bounds, except the first dimension's upper one, which the copy
/// replaces.
llvm::SetVector<Value> usedFromOutside(scf::ParallelOp loop) {
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  for (OpOperand &operand : loop->getOpOperands())
    if (&operand != &loop.getUpperBoundMutable()[0])
      used.insert(operand.get());
  return used;
}

/// The buffer `memref` views: a function argument or an allocation; null
/// when it comes from anything else (a select, a call).
Value bufferOf(Value memref) {
  while (auto view = memref.getDefiningOp<ViewLikeOpInterface>())
    memref = view.getViewSource();
  if (isa<BlockArgument>(memref) ||
      memref.getDefiningOp<memref::AllocOp>() ||
      memref.getDefiningOp<memref::AllocaOp>())
    return memref;
  return nullptr;
}

/// Whether `loop` may write a buffer that is not one of the function's own
/// allocations: an argument's, or one it cannot trace.
bool mayWriteForeignBuffer(scf::ParallelOp loop) {
  auto foreign = [](Value memref) {
    Value buffer = bufferOf(memref);
    return !buffer || isa<BlockArgument>(buffer);
  };
  WalkResult result = loop.getBody()->walk([&](Operation *op) {
    auto interface = dyn_cast<MemoryEffectOpInterface>(op);
    if (!interface) {
      bool unknown = !op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() &&
                     llvm::any_of(op->getOperands(), [&](Value operand) {
                       return isa<MemRefType>(operand.getType()) &&
                              foreign(operand);
                     });
      return unknown ? WalkResult::interrupt() : WalkResult::advance();
    }
    SmallVector<MemoryEffects::EffectInstance> effects;
    interface.getEffects(effects);
    for (const MemoryEffects::EffectInstance &effect : effects)
      if (isa<MemoryEffects::Write>(effect.getEffect()) && effect.getValue() &&
          foreign(effect.getValue()))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// The non-constant values `loop` uses from outside, with the LLVM type
/// each travels as; failure if one has none.
///
/// A memref is `noalias` when its buffer is known, no other capture views
/// it, and either the buffer is one of the function's allocations (which
/// overlap nothing else) or the loop writes no argument: two arguments may
/// be one tensor, but then they are only read. Kernels never write their
/// arguments (dream-isolate-kernel-buffers), so there every memref whose
/// buffer no other capture views is `noalias`.
FailureOr<SmallVector<Capture>> captures(scf::ParallelOp loop,
                                         const LLVMTypeConverter &converter) {
  SmallVector<Capture> result;
  llvm::DenseMap<Value, int> views; // Per buffer, the captures viewing it.
  for (Value value : usedFromOutside(loop)) {
    if (isConstant(value))
      continue;
    Type type = converter.convertType(value.getType());
    if (!type)
      return failure();
    result.push_back({value, type});
    if (result.back().isMemRef())
      ++views[bufferOf(value)];
  }
  if (views.contains(nullptr))
    return result; // An untraced memref may overlap any other.
  bool argumentsWritten = mayWriteForeignBuffer(loop);
  for (Capture &capture : result) {
    if (!capture.isMemRef())
      continue;
    Value buffer = bufferOf(capture.value);
    capture.noalias = views[buffer] == 1 &&
                      (!isa<BlockArgument>(buffer) || !argumentsWritten);
  }
  return result;
}

/// The trip count of a loop with these bounds, computed before `loop`;
/// null when a bound is computed inside it.
Value tripCount(OpBuilder &builder, scf::ParallelOp loop, Value lower,
                Value upper, Value step) {
  for (Value bound : {lower, upper, step})
    if (!isConstant(bound) &&
        loop->isAncestor(bound.getParentRegion()->getParentOp()))
      return nullptr;
  Location loc = loop.getLoc();
  IRMapping constants; // Constants inside the loop are cloned before it.
  for (Value bound : {lower, upper, step})
    if (isConstant(bound) && loop->isAncestor(bound.getDefiningOp()))
      constants.map(bound, builder.clone(*bound.getDefiningOp())->getResult(0));
  Value span = builder.create<arith::SubIOp>(
      loc, constants.lookupOrDefault(upper), constants.lookupOrDefault(lower));
  return builder.create<arith::CeilDivUIOp>(loc, span,
                                            constants.lookupOrDefault(step));
}

/// The iterations run for one step of `loop`'s first dimension: its other
/// dimensions times the nested loops whose trip counts are known before it.
Value workPerStep(OpBuilder &builder, scf::ParallelOp loop) {
  Location loc = loop.getLoc();
  Value work = builder.create<arith::ConstantIndexOp>(loc, 1);
  auto multiply = [&](Value count) {
    if (count)
      work = builder.create<arith::MulIOp>(loc, work, count);
  };
  for (unsigned d = 1; d < loop.getNumLoops(); ++d)
    multiply(tripCount(builder, loop, loop.getLowerBound()[d],
                       loop.getUpperBound()[d], loop.getStep()[d]));
  loop.getBody()->walk([&](Operation *op) {
    if (auto inner = dyn_cast<scf::ForOp>(op))
      multiply(tripCount(builder, loop, inner.getLowerBound(),
                         inner.getUpperBound(), inner.getStep()));
    else if (auto inner = dyn_cast<scf::ParallelOp>(op))
      for (unsigned d = 0; d < inner.getNumLoops(); ++d)
        multiply(tripCount(builder, loop, inner.getLowerBound()[d],
                           inner.getUpperBound()[d], inner.getStep()[d]));
  });
  return work;
}

/// `func.func private @<name>(begin, end, captures...)`: `loop` with its
/// first dimension over [begin, end), and the constants it uses. A memref
/// capture is two parameters, its aligned pointer and its descriptor,
/// from which the function rebuilds the memref around the pointer.
func::FuncOp outline(OpBuilder &builder, scf::ParallelOp loop,
                     ArrayRef<Capture> captured, StringRef name) {
  Location loc = loop.getLoc();
  MLIRContext *ctx = builder.getContext();
  auto pointer = LLVM::LLVMPointerType::get(ctx);
  Type index = builder.getIndexType();
  SmallVector<Type> types = {index, index};
  for (const Capture &capture : captured)
    if (capture.isMemRef())
      types.append({pointer, capture.llvmType});
    else
      types.push_back(capture.value.getType());
  auto function = builder.create<func::FuncOp>(
      loc, name, builder.getFunctionType(types, {}));
  function.setPrivate();
  // Private alone would still export the lowered function from the object.
  function->setAttr("llvm.linkage",
                    LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  Block *entry = function.addEntryBlock();
  OpBuilder body = OpBuilder::atBlockBegin(entry);
  IRMapping mapping;
  unsigned next = 2;
  for (const Capture &capture : captured) {
    if (!capture.isMemRef()) {
      mapping.map(capture.value, entry->getArgument(next++));
      continue;
    }
    if (capture.noalias)
      function.setArgAttr(next, LLVM::LLVMDialect::getNoAliasAttrName(),
                          UnitAttr::get(ctx));
    Value descriptor = body.create<LLVM::InsertValueOp>(
        loc, entry->getArgument(next + 1), entry->getArgument(next), 1);
    next += 2;
    mapping.map(capture.value,
                body.create<UnrealizedConversionCastOp>(
                        loc, capture.value.getType(), descriptor)
                    .getResult(0));
  }
  for (Value value : usedFromOutside(loop))
    if (isConstant(value))
      mapping.map(value, body.clone(*value.getDefiningOp())->getResult(0));
  auto copy = cast<scf::ParallelOp>(body.clone(*loop, mapping));
  copy.getLowerBoundMutable()[0].set(entry->getArgument(0));
  copy.getUpperBoundMutable()[0].set(entry->getArgument(1));
  body.create<func::ReturnOp>(loc);
  return function;
}

/// `llvm.func internal @<outlined>_task(context, begin, end)`: unpacks the
/// captures from the context struct and calls `outlined`.
LLVM::LLVMFuncOp createTask(OpBuilder &builder, func::FuncOp outlined,
                            LLVM::LLVMStructType context,
                            ArrayRef<Capture> captured) {
  Location loc = outlined.getLoc();
  MLIRContext *ctx = builder.getContext();
  auto pointer = LLVM::LLVMPointerType::get(ctx);
  auto i64 = builder.getI64Type();
  auto task = builder.create<LLVM::LLVMFuncOp>(
      loc, (outlined.getSymName() + "_task").str(),
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                  {pointer, i64, i64}),
      LLVM::Linkage::Internal);
  Block *entry = task.addEntryBlock(builder);
  OpBuilder body = OpBuilder::atBlockBegin(entry);
  Type index = body.getIndexType();
  SmallVector<Value> arguments = {
      body.create<arith::IndexCastOp>(loc, index, entry->getArgument(1)),
      body.create<arith::IndexCastOp>(loc, index, entry->getArgument(2))};
  for (auto [i, capture] : llvm::enumerate(captured)) {
    Value field = body.create<LLVM::GEPOp>(
        loc, pointer, context, entry->getArgument(0),
        ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
    Value loaded = body.create<LLVM::LoadOp>(loc, capture.llvmType, field);
    if (capture.isMemRef())
      arguments.append(
          {body.create<LLVM::ExtractValueOp>(loc, loaded, 1), loaded});
    else if (capture.value.getType().isIndex())
      arguments.push_back(body.create<arith::IndexCastOp>(loc, index, loaded));
    else
      arguments.push_back(loaded);
  }
  body.create<func::CallOp>(loc, outlined, arguments);
  body.create<LLVM::ReturnOp>(loc, ValueRange());
  return task;
}

/// `capture` as the context stores it: an index as i64, a memref as its
/// descriptor, anything else (f32, i64) unchanged.
Value toLLVM(OpBuilder &builder, Location loc, const Capture &capture) {
  if (capture.value.getType().isIndex())
    return builder.create<arith::IndexCastOp>(loc, capture.llvmType,
                                              capture.value);
  if (capture.isMemRef())
    return builder
        .create<UnrealizedConversionCastOp>(loc, capture.llvmType,
                                            capture.value)
        .getResult(0);
  return capture.value;
}

struct ThreadParallelLoopsPass
    : dream::impl::ThreadParallelLoopsBase<ThreadParallelLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    LLVMTypeConverter converter(&getContext());
    SymbolTable symbols(module);
    SmallVector<scf::ParallelOp> loops;
    for (auto function : module.getOps<func::FuncOp>())
      if (!function.isExternal())
        for (auto loop : function.getBody().getOps<scf::ParallelOp>())
          if (isSplittable(loop))
            loops.push_back(loop);
    for (scf::ParallelOp loop : loops)
      if (FailureOr<SmallVector<Capture>> captured = captures(loop, converter);
          succeeded(captured))
        dispatch(loop, *captured, symbols);
  }

  /// Replaces `loop` by a `dream_parallel_for` call of its outlined task.
  void dispatch(scf::ParallelOp loop, ArrayRef<Capture> captured,
                SymbolTable &symbols) {
    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    auto function = loop->getParentOfType<func::FuncOp>();
    // At the end of the module, so the outlined loops keep their order.
    auto builder = OpBuilder::atBlockEnd(getOperation().getBody());
    func::FuncOp outlined =
        outline(builder, loop, captured,
                (function.getSymName() + "_parallel").str());
    symbols.insert(outlined); // Renames it if the name is taken.
    SmallVector<Type> fields;
    for (const Capture &capture : captured)
      fields.push_back(capture.llvmType);
    auto context = LLVM::LLVMStructType::getLiteral(ctx, fields);
    LLVM::LLVMFuncOp task = createTask(builder, outlined, context, captured);
    symbols.insert(task);

    builder.setInsertionPoint(loop);
    auto pointer = LLVM::LLVMPointerType::get(ctx);
    auto i64 = builder.getI64Type();
    Value one = builder.create<LLVM::ConstantOp>(loc, i64, 1);
    Value packed = builder.create<LLVM::AllocaOp>(loc, pointer, context, one);
    for (auto [i, capture] : llvm::enumerate(captured)) {
      Value field = builder.create<LLVM::GEPOp>(
          loc, pointer, context, packed,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      builder.create<LLVM::StoreOp>(loc, toLLVM(builder, loc, capture), field);
    }
    Value n = builder.create<arith::IndexCastOp>(loc, i64,
                                                 loop.getUpperBound()[0]);
    Value work = builder.create<arith::IndexCastOp>(
        loc, i64, workPerStep(builder, loop));
    Value taskAddress = builder.create<LLVM::AddressOfOp>(loc, task);
    LLVM::LLVMFuncOp dispatcher =
        LLVM::lookupOrCreateFn(getOperation(), kDispatch,
                               {i64, i64, pointer, pointer},
                               LLVM::LLVMVoidType::get(ctx));
    builder.create<LLVM::CallOp>(loc, dispatcher,
                                 ValueRange{n, work, taskAddress, packed});
    loop.erase();
  }
};

} // namespace
