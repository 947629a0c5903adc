//===- EmitObject.cpp - LLVM dialect to optimised LLVM IR and objects -----===//
//
// The code targets one of the x86-64 psABI levels rather than a CPU model:
// dreamc picks the highest the build machine has (AVX2 and FMA in v3,
// AVX-512 in v4), or the portable v2 for trainers copied to older machines,
// and the trainer checks the level before running a kernel. Objects are
// position independent because Debian links executables as PIE.
//
// Objects also carry what a trainer needs to find the kernels without
// dlsym: a table of every C-interface entry point behind one uniform
// "packed" signature, optionally a second table of the same kernels'
// GPU host sides (which launch the embedded PTX), and optionally the
// execution plan (see docs/codegen.md, "The kernel table").
//
//===----------------------------------------------------------------------===//

#include "dream/Conversion/Lowering.h"
#include "dream/Schema/KernelTable.h"

#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <cstddef>
#include <mutex>
#include <thread>

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kTargetTriple = "x86_64-unknown-linux-gnu";

/// Registers the X86 back end, whatever the host's native target is.
void initializeX86() {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
  });
}

/// The level `module` asks for (dream::kTargetCpuAttr), or failure with a
/// diagnostic on it.
FailureOr<llvm::StringRef> targetCpu(ModuleOp module) {
  auto level = module->getAttrOfType<StringAttr>(dream::kTargetCpuAttr);
  if (!level)
    return llvm::StringRef(dream::kCpuLevels[0]);
  if (!llvm::is_contained(dream::kCpuLevels, level.getValue()))
    return module.emitError("unknown x86-64 level '")
           << level.getValue() << "' in " << dream::kTargetCpuAttr
           << "; expected one of "
           << llvm::join(std::begin(dream::kCpuLevels),
                         std::end(dream::kCpuLevels), ", ");
  return level.getValue();
}

/// The target machine for `module`'s level, or null with a diagnostic on
/// `module`.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(ModuleOp module) {
  initializeX86();
  FailureOr<llvm::StringRef> cpu = targetCpu(module);
  if (failed(cpu))
    return nullptr;
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(kTargetTriple, error);
  if (!target) {
    module.emitError("no x86-64 target in LLVM: ") << error;
    return nullptr;
  }
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      kTargetTriple, *cpu, /*Features=*/"", llvm::TargetOptions(),
      llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
}

/// The module pipeline at `level`, with the target's cost model so that the
/// loop vectoriser knows the vector width (SSE: 4 floats).
///
/// Without loop unrolling: fully unrolled before the vectoriser runs, the
/// short contiguous inner loops of a kernel (7x7 or 14x14 pixels) left it
/// only the outer loop to vectorise, with strided loads, and the unrolled
/// bodies cost Loop Strength Reduction a third of code generation. Kept as
/// loops, they vectorise along memory; the vectoriser still interleaves.
void optimize(llvm::Module &module, llvm::TargetMachine &machine,
              llvm::OptimizationLevel level) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgsccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgsccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgsccs, modules);
  builder.buildPerModuleDefaultPipeline(level).run(module, modules);
}

constexpr llvm::StringLiteral kCInterfacePrefix = "_mlir_ciface_";

/// `void _dream_packed_<f>(void **args)` calling `_mlir_ciface_<f>` with
/// args[0..n): every C-interface parameter is a pointer (the result
/// out-pointer, then one memref descriptor per operand), so one signature
/// serves every kernel and the runtime needs no per-arity casts.
llvm::Function *createPackedWrapper(llvm::Function &cInterface) {
  llvm::Module &module = *cInterface.getParent();
  llvm::LLVMContext &context = module.getContext();
  auto *pointer = llvm::PointerType::getUnqual(context);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(context),
                                       {pointer}, /*isVarArg=*/false);
  std::string name = ("_dream_packed_" + cInterface.getName().drop_front(
                                             kCInterfacePrefix.size()))
                         .str();
  auto *wrapper = llvm::Function::Create(
      type, llvm::GlobalValue::InternalLinkage, name, module);
  llvm::IRBuilder<> builder(
      llvm::BasicBlock::Create(context, "entry", wrapper));
  llvm::SmallVector<llvm::Value *> arguments;
  for (unsigned i = 0; i < cInterface.arg_size(); ++i) {
    llvm::Value *slot = builder.CreateConstGEP1_64(
        pointer, wrapper->getArg(0), i);
    arguments.push_back(builder.CreateLoad(pointer, slot));
  }
  builder.CreateCall(&cInterface, arguments);
  builder.CreateRetVoid();
  return wrapper;
}

/// Adds two external constants with C names: `array`, and its element
/// count as a 64-bit integer.
void addArrayWithSize(llvm::Module &module, llvm::Constant *array,
                      llvm::StringRef name, llvm::StringRef sizeName,
                      uint64_t size) {
  auto *int64 = llvm::Type::getInt64Ty(module.getContext());
  new llvm::GlobalVariable(module, array->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, array, name);
  new llvm::GlobalVariable(module, int64, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantInt::get(int64, size), sizeName);
}

/// The names of a kernel table and of its row count.
struct TableNames {
  llvm::StringRef table, count;
};
constexpr TableNames kCpuTable = {dream::schema::kKernelTableSymbol,
                                  dream::schema::kKernelCountSymbol};
constexpr TableNames kGpuTable = {dream::schema::kGpuKernelTableSymbol,
                                  dream::schema::kGpuKernelCountSymbol};

// A table row is laid out below as an LLVM struct of two pointers, the name
// and the packed entry: the layout of the trainer's DreamKernelEntry.
static_assert(sizeof(DreamKernelEntry) == 2 * sizeof(void *) &&
                  offsetof(DreamKernelEntry, name) == 0 &&
                  offsetof(DreamKernelEntry, packed) == sizeof(void *),
              "DreamKernelEntry is no longer {name, packed}");

/// Adds a kernel table (one {name, packed entry} per kernel function, named
/// without the `_mlir_ciface_` prefix, and one per alias in `module`'s
/// kKernelAliasesAttr) and its row count.
LogicalResult addKernelTable(ModuleOp module, llvm::Module &llvmModule,
                             TableNames names) {
  llvm::LLVMContext &context = llvmModule.getContext();
  auto *pointer = llvm::PointerType::getUnqual(context);
  llvm::SmallVector<llvm::Function *> cInterfaces;
  for (llvm::Function &function : llvmModule)
    if (function.getName().starts_with(kCInterfacePrefix) &&
        !function.isDeclaration())
      cInterfaces.push_back(&function);
  auto *entryType = llvm::StructType::get(context, {pointer, pointer});
  llvm::SmallVector<llvm::Constant *> entries;
  auto addEntry = [&](llvm::StringRef kernel, llvm::Function *packed) {
    llvm::IRBuilder<> builder(context);
    llvm::Constant *name = builder.CreateGlobalString(
        kernel, "dream_kernel_name", 0, &llvmModule);
    entries.push_back(llvm::ConstantStruct::get(entryType, {name, packed}));
  };
  llvm::StringMap<llvm::Function *> packedByKernel;
  for (llvm::Function *function : cInterfaces) {
    if (!llvm::all_of(function->args(), [](llvm::Argument &arg) {
          return arg.getType()->isPointerTy();
        }))
      return module.emitError("kernel ")
             << function->getName()
             << " takes a non-pointer argument; only functions on tensors "
                "have C-interface entry points here";
    llvm::StringRef kernel =
        function->getName().drop_front(kCInterfacePrefix.size());
    llvm::Function *packed = createPackedWrapper(*function);
    packedByKernel[kernel] = packed;
    addEntry(kernel, packed);
  }
  if (auto aliases =
          module->getAttrOfType<DictionaryAttr>(dream::kKernelAliasesAttr))
    for (NamedAttribute alias : aliases) {
      auto target = dyn_cast<FlatSymbolRefAttr>(alias.getValue());
      llvm::Function *packed =
          target ? packedByKernel.lookup(target.getValue()) : nullptr;
      if (!packed)
        return module.emitError("kernel alias ")
               << alias.getName() << " names " << alias.getValue()
               << ", which is no kernel with a C-interface entry point";
      addEntry(alias.getName(), packed);
    }
  auto *tableType = llvm::ArrayType::get(entryType, entries.size());
  addArrayWithSize(llvmModule, llvm::ConstantArray::get(tableType, entries),
                   names.table, names.count, entries.size());
  return success();
}

/// Adds `dream_kernel_cpu`, the level `machine` targets as a C string.
void addKernelCpu(llvm::Module &llvmModule, llvm::TargetMachine &machine) {
  llvm::Constant *level = llvm::ConstantDataArray::getString(
      llvmModule.getContext(), machine.getTargetCPU());
  new llvm::GlobalVariable(llvmModule, level->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, level,
                           dream::schema::kKernelCpuSymbol);
}

/// Adds `dream_embedded_plan` (the bytes, no terminating NUL) and
/// `dream_embedded_plan_size`, which a trainer's main() reads.
void addEmbeddedPlan(llvm::Module &llvmModule, llvm::StringRef plan) {
  addArrayWithSize(llvmModule,
                   llvm::ConstantDataArray::getString(llvmModule.getContext(),
                                                      plan, /*AddNull=*/false),
                   dream::schema::kEmbeddedPlanSymbol,
                   dream::schema::kEmbeddedPlanSizeSymbol, plan.size());
}

/// A module translated to LLVM IR and optimised, with the machine it was
/// optimised for.
struct OptimizedModule {
  std::unique_ptr<llvm::TargetMachine> machine;
  std::unique_ptr<llvm::Module> module;
};

/// `module` (LLVM dialect, and gpu.binary/launch_func on the GPU side)
/// translated into `context` for `machine`, with a kernel table named
/// `names`; a diagnostic on `module` on failure.
FailureOr<std::unique_ptr<llvm::Module>>
translateWithTable(ModuleOp module, llvm::LLVMContext &context,
                   llvm::TargetMachine &machine, TableNames names) {
  DialectRegistry registry;
  dream::registerLoweringDialects(registry);
  module.getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return module.emitError("cannot translate the module to LLVM IR; was it "
                            "lowered with dream-lower-to-cpu or "
                            "dream-lower-to-gpu?");
  llvmModule->setTargetTriple(kTargetTriple);
  llvmModule->setDataLayout(machine.createDataLayout());
  if (failed(addKernelTable(module, *llvmModule, names)))
    return failure();
  return llvmModule;
}

/// Links the GPU host side (bitcode from dream::compileGpuHostSide) into
/// `object`. Both define the kernels under the same names, so everything
/// the GPU side defines except its table becomes internal (the linker
/// renames what then clashes).
LogicalResult linkGpuSide(ModuleOp module, llvm::StringRef bitcode,
                          llvm::Module &object) {
  llvm::Expected<std::unique_ptr<llvm::Module>> gpu = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode, "gpu-host-side"), object.getContext());
  if (!gpu)
    return module.emitError("cannot read the GPU host side: ")
           << llvm::toString(gpu.takeError());
  for (llvm::GlobalValue &value : (*gpu)->global_values())
    if (!value.isDeclaration() && value.getName() != kGpuTable.table &&
        value.getName() != kGpuTable.count)
      value.setLinkage(llvm::GlobalValue::InternalLinkage);
  if (llvm::Linker::linkModules(object, std::move(*gpu)))
    return module.emitError("cannot link the GPU host side with the CPU "
                            "kernels");
  return success();
}

/// Translates `module` (LLVM dialect only) into `context` and optimises it
/// at -O3 for its level, then links the GPU host side if `gpuHostSide` gives
/// one; a diagnostic on `module` on failure.
FailureOr<OptimizedModule>
translateAndOptimize(ModuleOp module, llvm::LLVMContext &context,
                     std::optional<llvm::StringRef> embeddedPlan,
                     llvm::function_ref<FailureOr<std::string>()> gpuHostSide =
                         nullptr) {
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(module);
  if (!machine)
    return failure();
  FailureOr<std::unique_ptr<llvm::Module>> translated =
      translateWithTable(module, context, *machine, kCpuTable);
  if (failed(translated))
    return failure();
  std::unique_ptr<llvm::Module> llvmModule = std::move(*translated);
  optimize(*llvmModule, *machine, llvm::OptimizationLevel::O3);
  addKernelCpu(*llvmModule, *machine);
  if (gpuHostSide) {
    FailureOr<std::string> bitcode = gpuHostSide();
    if (failed(bitcode) || failed(linkGpuSide(module, *bitcode, *llvmModule)))
      return failure();
  }
  if (embeddedPlan)
    addEmbeddedPlan(*llvmModule, *embeddedPlan);
  return OptimizedModule{std::move(machine), std::move(llvmModule)};
}

/// Writes `bytes` to a temporary file next to `path` and renames it to
/// `path`; on any error the temporary file is removed.
LogicalResult writeAtomically(ModuleOp module, llvm::StringRef path,
                              llvm::StringRef bytes) {
  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp)
    return module.emitError("cannot create a file next to '")
           << path << "': " << llvm::toString(temp.takeError());
  llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
  os << bytes;
  os.flush();
  if (std::error_code error = os.error()) {
    // A stream destroyed with an unchecked error aborts the process.
    os.clear_error();
    llvm::consumeError(temp->discard());
    return module.emitError("cannot write '")
           << path << "': " << error.message();
  }
  // keep() removes the temporary file itself when renaming fails.
  if (llvm::Error error = temp->keep(path))
    return module.emitError("cannot write '")
           << path << "': " << llvm::toString(std::move(error));
  return success();
}

/// An object of `module` compiled by `machine`, or why there is none.
llvm::Expected<llvm::SmallVector<char, 0>>
generateCode(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream stream(object);
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, stream, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the x86-64 target cannot emit objects");
  codegen.run(module);
  return object;
}

/// `module` split into `count` linkable partitions (what is internal becomes
/// hidden, so that the others can refer to it), each as bitcode: an
/// LLVMContext is not thread-safe, so each thread reads its partition into
/// one of its own.
llvm::SmallVector<std::string> splitToBitcode(llvm::Module &module,
                                              unsigned count) {
  llvm::SmallVector<std::string> parts;
  llvm::SplitModule(
      module, count,
      [&](std::unique_ptr<llvm::Module> part) {
        llvm::raw_string_ostream os(parts.emplace_back());
        llvm::WriteBitcodeToFile(*part, os);
      },
      /*PreserveLocals=*/false, /*RoundRobin=*/true);
  return parts;
}

/// An object of a partition from `splitToBitcode`, compiled by `machine` in
/// a context of its own, or why there is none.
llvm::Expected<llvm::SmallVector<char, 0>>
compileBitcode(llvm::StringRef bitcode, llvm::TargetMachine &machine) {
  llvm::LLVMContext context;
  llvm::Expected<std::unique_ptr<llvm::Module>> part = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode, "partition"), context);
  if (!part)
    return part.takeError();
  return generateCode(**part, machine);
}

} // namespace

llvm::StringRef dream::hostCpuLevel() {
  // Each level includes the one before, as does __builtin_cpu_supports.
  if (__builtin_cpu_supports("x86-64-v4"))
    return kCpuLevels[2];
  if (__builtin_cpu_supports("x86-64-v3"))
    return kCpuLevels[1];
  return kCpuLevels[0];
}

LogicalResult dream::emitLLVMIR(ModuleOp llvmDialectModule,
                                llvm::raw_ostream &os) {
  llvm::LLVMContext context;
  FailureOr<OptimizedModule> optimized =
      translateAndOptimize(llvmDialectModule, context, std::nullopt);
  if (failed(optimized))
    return failure();
  optimized->module->print(os, /*AAW=*/nullptr);
  return success();
}

FailureOr<std::string> dream::compileGpuHostSide(ModuleOp kernels,
                                                 llvm::StringRef chip) {
  if (failed(lowerToGpu(kernels, chip)))
    return failure();
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(kernels);
  if (!machine)
    return failure();
  llvm::LLVMContext context;
  FailureOr<std::unique_ptr<llvm::Module>> host =
      translateWithTable(kernels, context, *machine, kGpuTable);
  if (failed(host))
    return failure();
  // Host code that sizes buffers and launches kernels: -O1 makes it as
  // fast as it needs to be, where -O3 took a sixth of dreamc's time.
  optimize(**host, *machine, llvm::OptimizationLevel::O1);
  std::string bitcode;
  llvm::raw_string_ostream os(bitcode);
  llvm::WriteBitcodeToFile(**host, os);
  return os.str();
}

void dream::prepareConcurrentLowering(MLIRContext &context) {
  // Both pipelines' passes load their dependent dialects when they start:
  // all of them, loaded now, are found instead.
  DialectRegistry registry;
  registerLoweringDialects(registry);
  PassManager cpu(&context), gpu(&context);
  buildCpuLoweringPipeline(cpu);
  buildGpuLoweringPipeline(gpu, kDefaultGpuChip);
  cpu.getDependentDialects(registry);
  gpu.getDependentDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
  // Registering a back end writes LLVM's target list, which the other
  // thread may be reading.
  initializeX86();
  LLVMInitializeNVPTXTargetInfo();
  LLVMInitializeNVPTXTarget();
  LLVMInitializeNVPTXTargetMC();
  LLVMInitializeNVPTXAsmPrinter();
}

LogicalResult
dream::emitObjectFiles(ModuleOp llvmDialectModule,
                       llvm::ArrayRef<std::string> paths,
                       std::optional<llvm::StringRef> embeddedPlan,
                       llvm::function_ref<FailureOr<std::string>()> gpuHostSide) {
  llvm::LLVMContext context;
  FailureOr<OptimizedModule> optimized = translateAndOptimize(
      llvmDialectModule, context, embeddedPlan, gpuHostSide);
  if (failed(optimized))
    return failure();
  // Each part's object, or why there is none: an error that only this
  // thread may report.
  std::vector<llvm::SmallVector<char, 0>> objects(paths.size());
  std::vector<std::string> errors(paths.size());
  auto keep = [&](size_t i,
                  llvm::Expected<llvm::SmallVector<char, 0>> object) {
    if (object)
      objects[i] = std::move(*object);
    else
      errors[i] = llvm::toString(object.takeError());
  };
  if (paths.size() == 1) {
    keep(0, generateCode(*optimized->module, *optimized->machine));
  } else {
    // One target machine per thread, made here: making one can fail with a
    // diagnostic.
    llvm::SmallVector<std::unique_ptr<llvm::TargetMachine>> machines;
    for (size_t i = 0; i < paths.size(); ++i)
      if (!machines.emplace_back(createTargetMachine(llvmDialectModule)))
        return failure();
    llvm::SmallVector<std::string> parts =
        splitToBitcode(*optimized->module, paths.size());
    auto compile = [&](size_t i) {
      keep(i, compileBitcode(parts[i], *machines[i]));
    };
    std::vector<std::thread> threads;
    for (size_t i = 1; i < paths.size(); ++i)
      threads.emplace_back(compile, i);
    compile(0);
    for (std::thread &thread : threads)
      thread.join();
  }
  for (const std::string &error : errors)
    if (!error.empty())
      return llvmDialectModule.emitError("cannot compile the kernels: ")
             << error;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (succeeded(writeAtomically(
            llvmDialectModule, paths[i],
            llvm::StringRef(objects[i].data(), objects[i].size()))))
      continue;
    // All of them or none.
    for (size_t written = 0; written < i; ++written)
      llvm::sys::fs::remove(paths[written]);
    return failure();
  }
  return success();
}

LogicalResult dream::emitObjectFile(
    ModuleOp llvmDialectModule, llvm::StringRef path,
    std::optional<llvm::StringRef> embeddedPlan,
    llvm::function_ref<FailureOr<std::string>()> gpuHostSide) {
  return emitObjectFiles(llvmDialectModule, {path.str()}, embeddedPlan,
                         gpuHostSide);
}
