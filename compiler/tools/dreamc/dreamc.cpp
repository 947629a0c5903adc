//===- dreamc.cpp - The dreamc compiler driver ----------------------------===//
//
// `dreamc model.dream -o trainer` compiles a network into a trainer
// executable: the plan and the CPU kernels in one object, linked with the
// runtime. `--emit=<stage>` stops at an earlier stage and prints it, like
// `clang -emit-llvm` or `mlir-opt`; `-fsyntax-only`, as in clang, stops
// after the checks and prints nothing. These two also check a library (a
// file of blocks without a network).
//
// Exit status: 0 on success, 1 on any error in the input or the command line.
//
//===----------------------------------------------------------------------===//

#include "dream/Conversion/Lowering.h"
#include "dream/Dialect/DreamDialect.h"
#include "dream/Graph/DotEmitter.h"
#include "dream/InitAll.h"
#include "dream/MLIRGen/MLIRGen.h"
#include "dream/Plan/PlanEmitter.h"
#include "dream/Ops/Registry.h"
#include "dream/Sema/Sema.h"
#include "dream/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <algorithm>
#include <future>

using namespace dream;
namespace cl = llvm::cl;

namespace {

/// Stages in pipeline order: a later stage runs every earlier one.
enum class EmitStage {
  AST,
  Dot,
  MLIR,
  Lowered,
  Kernels,
  LLVM,
  Obj,
  PTX,
  Plan,
  PyTorch,
  Trainer
};
enum class InputKind { Dream, MLIR };

cl::OptionCategory category("dreamc options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .dream file>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputFile(
    "o",
    cl::desc("Write the output to <file> (default: stdout; the trainer: the "
             "input's name without .dream)"),
    cl::value_desc("file"), cl::init("-"), cl::cat(category));
cl::opt<EmitStage> emit(
    "emit", cl::desc("The stage to stop at and print"),
    cl::init(EmitStage::Trainer),
    cl::values(clEnumValN(EmitStage::AST, "ast",
                          "the checked AST with inferred shapes (of a "
                          "network, or of each block of a library)"),
               clEnumValN(EmitStage::Dot, "dot",
                          "the network as a Graphviz graph (dot -Tsvg)"),
               clEnumValN(EmitStage::MLIR, "mlir",
                          "the dream dialect, as generated"),
               clEnumValN(EmitStage::Lowered, "lowered",
                          "after the dream pipeline (connections expanded, "
                          "blocks inlined)"),
               clEnumValN(EmitStage::Kernels, "kernels",
                          "the fused kernels' forward and backward functions "
                          "(linalg on tensors)"),
               clEnumValN(EmitStage::LLVM, "llvm",
                          "the kernels as LLVM IR for the CPU"),
               clEnumValN(EmitStage::Obj, "obj",
                          "the kernels as an x86-64 object file (needs -o)"),
               clEnumValN(EmitStage::PTX, "ptx",
                          "the kernels as PTX for --gpu-chip"),
               clEnumValN(EmitStage::PyTorch, "pytorch",
                          "an equivalent PyTorch module (Python source)"),
               clEnumValN(EmitStage::Plan, "plan",
                          "the execution plan (JSON, docs/plan.md)"),
               clEnumValN(EmitStage::Trainer, "trainer",
                          "a trainer executable: plan, CPU kernels and the "
                          "runtime (the default)")),
    cl::cat(category));
cl::opt<bool> syntaxOnly(
    "fsyntax-only",
    cl::desc("Check the input and print nothing (exit status 0 if it is "
             "clean). Like --emit=ast, checks a file of blocks without a "
             "network, each block on its own"),
    cl::cat(category));
cl::opt<InputKind> inputKind(
    "x", cl::desc("The kind of the input file"), cl::init(InputKind::Dream),
    cl::values(clEnumValN(InputKind::Dream, "dream", ".dream source"),
               clEnumValN(InputKind::MLIR, "mlir",
                          "dream dialect IR: restart after MLIRGen")),
    cl::cat(category));
cl::list<std::string> importDirs("I", cl::desc("Add <dir> to the import path"),
                                 cl::value_desc("dir"), cl::Prefix,
                                 cl::cat(category));
cl::list<std::string> defines("D",
                              cl::desc("Override a network parameter, e.g. "
                                       "-D classes=4 or -D M=2"),
                              cl::value_desc("name=value"), cl::Prefix,
                              cl::cat(category));
cl::opt<std::string> networkName("network",
                                 cl::desc("The network to compile when the "
                                          "file declares several"),
                                 cl::value_desc("name"), cl::cat(category));
cl::opt<std::string> presetName(
    "preset",
    cl::desc("The recipe's preset in place of the file's: default (dreamc's "
             "tuned recipe), paper (the paper's) or code (the authors' "
             "code's); the file's other recipe settings still apply"),
    cl::value_desc("name"), cl::cat(category));
cl::opt<std::string> gpuChip("gpu-chip",
                            cl::desc("The GPU architecture of the PTX that "
                                     "--emit=ptx prints and that objects "
                                     "and trainers embed (sm_80, sm_86, "
                                     "sm_87, sm_89, sm_90; none: CPU "
                                     "kernels only)"),
                            cl::value_desc("chip"),
                            cl::init(dream::kDefaultGpuChip.str()),
                            cl::cat(category));
cl::opt<std::string> cpuLevel(
    "cpu",
    cl::desc("The x86-64 level the CPU kernels are compiled for (x86-64-v2, "
             "x86-64-v3: AVX2 and FMA, x86-64-v4: AVX-512; native: the "
             "highest this machine has). A trainer refuses to run its kernels "
             "on a CPU without the level: use x86-64-v2 for one that runs "
             "on any x86-64 machine since about 2009"),
    cl::value_desc("level"), cl::init("native"), cl::cat(category));
cl::list<std::string> opLibraries(
    "load",
    cl::desc("Load a library of native ops (dream/NativeOp.h) and link it "
             "into the trainer; repeatable"),
    cl::value_desc("library"), cl::cat(category));
cl::opt<std::string> memoryBudget(
    "memory-budget",
    cl::desc("Refuse networks whose training would need more memory, by the "
             "estimate of docs/plan.md (e.g. 512MiB, 16GiB, bytes; default "
             "16GiB)"),
    cl::value_desc("size"), cl::init("16GiB"), cl::cat(category));
cl::opt<unsigned> jobs(
    "j",
    cl::desc("Compile a trainer's kernels in <n> parts at once (default: one "
             "per core, at most 4)"),
    cl::value_desc("n"), cl::init(0), cl::cat(category));
cl::opt<std::string> stdlibOption(
    "stdlib",
    cl::desc("The standard library directory (default: found next to dreamc)"),
    cl::value_desc("dir"), cl::cat(category));

/// The directory holding libdreamrt.so and libdreamrt_main.a:
/// $DREAMC_RUNTIME_DIR, the installed copy next to the executable, or the
/// build tree dreamc was built in.
std::string findRuntime(const char *argv0) {
  if (auto env = llvm::sys::Process::GetEnv("DREAMC_RUNTIME_DIR"))
    return *env;
  std::string exe = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&findRuntime));
  llvm::SmallString<256> installed(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(installed, "..", "lib", "dreamc");
  llvm::sys::path::remove_dots(installed, /*remove_dot_dot=*/true);
  if (llvm::sys::fs::exists(installed + "/libdreamrt.so"))
    return installed.str().str();
  return DREAMC_BUILD_RUNTIME;
}

/// The driver that links trainers when $CXX is not set, and what it must add:
/// a runtime built with sanitizers (DREAMC_SANITIZE) needs its compiler and
/// their runtimes in every executable.
#ifndef DREAMC_TRAINER_CXX
#define DREAMC_TRAINER_CXX "c++"
#define DREAMC_TRAINER_LINK_FLAGS ""
#endif
/// The malloc trainers use (docs/runtime.md), none in a sanitized build.
#ifndef DREAMC_TRAINER_MALLOC
#define DREAMC_TRAINER_MALLOC ""
#endif

/// Links `objects` with the runtime into `output` with the C++ driver ($CXX
/// or DREAMC_TRAINER_CXX), through LLD when it is installed; the executable
/// appears complete or not at all.
int linkTrainer(llvm::ArrayRef<std::string> objects, llvm::StringRef output,
                llvm::StringRef runtime) {
  auto error = [](const llvm::Twine &message) {
    llvm::WithColor::error(llvm::errs(), "dreamc") << message << "\n";
    return 1;
  };
  for (const char *library : {"libdreamrt.so", "libdreamrt_main.a"})
    if (!llvm::sys::fs::exists(runtime + "/" + library))
      return error("the runtime is not in '" + runtime + "' (no " + library +
                   "): build the dreamrt targets, install dreamc, or set "
                   "DREAMC_RUNTIME_DIR");
  std::string driver = DREAMC_TRAINER_CXX;
  if (auto cxx = llvm::sys::Process::GetEnv("CXX"); cxx && !cxx->empty())
    driver = *cxx;
  llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName(driver);
  if (!program)
    return error("cannot find the C++ driver '" + driver +
                 "' that links trainers; install g++ or set CXX");
  std::string temporary = (output + ".tmp-link").str();
  std::string rpath = ("-Wl,-rpath," + runtime).str();
  std::string mainLibrary = (runtime + "/libdreamrt_main.a").str();
  std::string runtimeLibrary = (runtime + "/libdreamrt.so").str();
  llvm::SmallVector<std::string> libraryArgs;
  if (!opLibraries.empty()) {
    // Nothing refers to an op library's symbols: it registers its ops when
    // loaded, so it must stay needed.
    libraryArgs.push_back("-Wl,--no-as-needed");
    for (const std::string &library : opLibraries) {
      llvm::SmallString<256> path(library);
      llvm::sys::fs::make_absolute(path);
      libraryArgs.push_back(path.str().str());
      libraryArgs.push_back(
          ("-Wl,-rpath," + llvm::sys::path::parent_path(path)).str());
    }
  }
  llvm::SmallVector<llvm::StringRef> args = {*program};
  // LLD links a trainer in a sixth of the time GNU ld takes (0.05 s against
  // 0.31 s), a tenth of all of dreamc's work on a model.
  if (llvm::sys::findProgramByName("ld.lld"))
    args.push_back("-fuse-ld=lld");
  // Before libc among the executable's needed libraries, so that its
  // malloc and free are the ones the loader binds everywhere: in LibTorch,
  // the runtime and the kernels.
  if (*DREAMC_TRAINER_MALLOC)
    args.append({"-Wl,--push-state,--no-as-needed", DREAMC_TRAINER_MALLOC,
                 "-Wl,--pop-state"});
  args.append(objects.begin(), objects.end());
  args.append({mainLibrary, runtimeLibrary});
  if (*DREAMC_TRAINER_LINK_FLAGS)
    args.push_back(DREAMC_TRAINER_LINK_FLAGS);
  args.append(libraryArgs.begin(), libraryArgs.end());
  args.append({rpath, "-o", temporary});
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*program, args, std::nullopt, {}, 0,
                                         0, &message);
  if (status != 0) {
    llvm::sys::fs::remove(temporary);
    return error("linking the trainer failed (" + driver + ": " +
                 (message.empty() ? "exit status " + std::to_string(status)
                                  : message) +
                 ")");
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, output)) {
    llvm::sys::fs::remove(temporary);
    return error("cannot write '" + output + "': " + ec.message());
  }
  return 0;
}

/// --memory-budget in bytes: a number with an optional K, M, G or T (powers
/// of 1024; "iB" or "B" may follow).
std::optional<uint64_t> parseSize(llvm::StringRef text) {
  uint64_t number;
  llvm::StringRef unit = text.ltrim("0123456789");
  if (text.drop_back(unit.size()).getAsInteger(10, number))
    return std::nullopt;
  unit.consume_back("B");
  unit.consume_back("i");
  int shift = llvm::StringSwitch<int>(unit)
                  .Case("", 0)
                  .Case("K", 10)
                  .Case("M", 20)
                  .Case("G", 30)
                  .Case("T", 40)
                  .Default(-1);
  if (shift < 0 || number > (UINT64_MAX >> shift))
    return std::nullopt;
  return number << shift;
}

/// The trainer's file: -o, or the input's name without its extension.
std::string trainerPath() {
  if (outputFile != "-")
    return outputFile;
  return llvm::sys::path::stem(inputFile).str();
}

/// Whether `network` has a plan: a plan holds one input (docs/plan.md),
/// what a trainer's data sources feed, so a network of several inputs
/// compiles to every stage before the plan but to no plan, trainer or
/// PyTorch module. Reports at the second input.
bool checkPlanInputs(const BlockDecl &network, DiagnosticEngine &diag) {
  std::vector<const Stmt *> inputs;
  for (const Stmt &stmt : network.body)
    if (stmt.kind == Stmt::Kind::Input)
      inputs.push_back(&stmt);
  if (inputs.size() < 2)
    return true;
  diag.error(inputs[1]->loc,
             "network " + quote(network.name) + " takes " +
                 std::to_string(inputs.size()) +
                 " inputs, but a plan holds one: dreamc links trainers and "
                 "writes plans (--emit=plan, --emit=pytorch) for networks of "
                 "one input; --emit=ast, mlir, lowered, kernels, llvm and obj "
                 "take several")
      .note(inputs[0]->loc, "the input a plan would hold");
  return false;
}

/// Writes the result only once it is complete; a failed run leaves any
/// existing output file untouched. ToolOutputFile removes a partial file if
/// the write itself fails.
int writeOutput(llvm::StringRef text) {
  std::error_code ec;
  llvm::ToolOutputFile output(outputFile, ec, llvm::sys::fs::OF_Text);
  if (!ec) {
    output.os() << text;
    output.os().flush();
    if (!output.os().has_error()) {
      output.keep();
      return 0;
    }
    ec = output.os().error();
    output.os().clear_error();
  }
  llvm::WithColor::error(llvm::errs(), "dreamc")
      << "cannot write '" << outputFile << "': " << ec.message() << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "dreamc " << DREAMC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  // --mlir-print-ir-after-all, --mlir-timing and friends, as in mlir-opt.
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "dreamc: compiles SleepNet and DreamNet networks written in .dream\n");

  std::optional<uint64_t> budget = parseSize(memoryBudget);
  if (!budget) {
    llvm::WithColor::error(llvm::errs(), "dreamc")
        << "--memory-budget=" << memoryBudget
        << ": expected a size such as 512MiB, 16GiB or a number of bytes\n";
    return 1;
  }
  if (cpuLevel == "native")
    cpuLevel = dream::hostCpuLevel().str();
  if (!llvm::is_contained(dream::kCpuLevels, cpuLevel)) {
    llvm::WithColor::error(llvm::errs(), "dreamc")
        << "--cpu=" << cpuLevel
        << ": expected "
        << llvm::join(std::begin(dream::kCpuLevels),
                      std::end(dream::kCpuLevels), ", ")
        << " or native\n";
    return 1;
  }
  if (jobs > 64) {
    llvm::WithColor::error(llvm::errs(), "dreamc")
        << "-j " << jobs << ": expected at most 64 (0: one per core)\n";
    return 1;
  }
  for (const std::string &library : opLibraries)
    if (llvm::Error error = dream::loadOpLibrary(library)) {
      llvm::WithColor::error(llvm::errs(), "dreamc")
          << llvm::toString(std::move(error)) << "\n";
      return 1;
    }

  SemaOptions options;
  options.stdlibDir = dream::stdlibDir(stdlibOption, argv[0]);
  options.importDirs = importDirs;
  options.network = networkName;
  options.preset = presetName;
  options.allowLibrary = syntaxOnly || emit == EmitStage::AST;
  for (const std::string &define : defines) {
    auto [name, value] = llvm::StringRef(define).split('=');
    if (name.empty() || !llvm::StringRef(define).contains('=')) {
      llvm::WithColor::error(llvm::errs(), "dreamc")
          << "-D" << define << ": expected -D name=value\n";
      return 1;
    }
    options.defines.emplace_back(name.str(), value.str());
  }

  mlir::DialectRegistry registry;
  dream::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  // Errors of the passes show the line of the .dream or .mlir file they
  // point at (the handler opens files that locations name).
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  if (inputKind == InputKind::MLIR) {
    if (emit < EmitStage::MLIR) {
      llvm::WithColor::error(llvm::errs(), "dreamc")
          << "-x=mlir starts after MLIRGen: choose --emit=mlir or later\n";
      return 1;
    }
    std::string error;
    auto file = mlir::openInputFile(inputFile, &error);
    if (!file) {
      llvm::WithColor::error(llvm::errs(), "dreamc") << error << "\n";
      return 1;
    }
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
    if (!module)
      return 1;
    if (syntaxOnly)
      return 0;
  } else {
    SourceManager sources;
    DiagnosticEngine diag(sources, llvm::errs());
    std::unique_ptr<Program> program =
        analyze(inputFile, sources, diag, options);
    if (!program)
      return 1;
    if (syntaxOnly)
      return 0;
    bool planned = emit == EmitStage::Trainer || emit == EmitStage::Plan ||
                   emit == EmitStage::PyTorch;
    if (planned && !checkPlanInputs(*program->network->decl, diag))
      return 1;
    if (emit == EmitStage::AST || emit == EmitStage::Dot) {
      std::string text;
      llvm::raw_string_ostream os(text);
      if (emit == EmitStage::AST)
        dumpProgram(*program, os);
      else
        emitDot(*program, os);
      return writeOutput(os.str());
    }
    module = mlirGen(context, *program);
    if (!module) {
      llvm::WithColor::error(llvm::errs(), "dreamc")
          << "internal error: the generated IR does not verify; please "
             "report this with the input file\n";
      return 1;
    }
  }
  if (emit >= EmitStage::Lowered) {
    mlir::PassManager pm(&context);
    if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
      return 1;
    dream::buildDreamPipeline(pm);
    if (emit >= EmitStage::Kernels)
      pm.addPass(dream::createGenerateKernels());
    if (mlir::failed(pm.run(*module)))
      return 1;
  }
  // The plan of the whole network, which a trainer embeds, --emit=plan
  // prints and --emit=pytorch translates, once it fits the memory budget.
  std::optional<dream::schema::Plan> plan;
  bool planOnly = emit == EmitStage::Plan || emit == EmitStage::PyTorch;
  if (emit == EmitStage::Trainer || planOnly) {
    auto planned = dream::emitPlan(*module);
    if (mlir::failed(planned) ||
        mlir::failed(dream::checkMemoryBudget(*module, *planned, *budget)))
      return 1;
    plan = std::move(*planned);
  }
  // The kernel stages work on the kernel functions alone. Objects carry
  // them twice: for the CPU, and as GPU host code launching their PTX,
  // which a second thread compiles while this one compiles the CPU side.
  mlir::OwningOpRef<mlir::ModuleOp> gpuModule;
  std::future<mlir::FailureOr<std::string>> gpuHostSide;
  if (emit >= EmitStage::Kernels && !planOnly) {
    module = dream::extractKernels(*module);
    mlir::PassManager pm(&context);
    dream::buildKernelPipeline(pm);
    if (mlir::failed(mlir::applyPassManagerCLOptions(pm)) ||
        mlir::failed(pm.run(*module)))
      return 1;
    bool object = emit == EmitStage::Obj || emit == EmitStage::Trainer;
    if (object && gpuChip != "none") {
      gpuModule = module->clone();
      dream::prepareConcurrentLowering(context);
      gpuHostSide = std::async(std::launch::async, [&] {
        return dream::compileGpuHostSide(*gpuModule, gpuChip);
      });
    }
    if (object || emit == EmitStage::LLVM) {
      mlir::PassManager lowering(&context);
      dream::buildCpuLoweringPipeline(lowering);
      if (mlir::failed(mlir::applyPassManagerCLOptions(lowering)) ||
          mlir::failed(lowering.run(*module)))
        return 1;
      (*module)->setAttr(dream::kTargetCpuAttr,
                         mlir::StringAttr::get(&context, cpuLevel));
    }
  }
  // Waits for the GPU thread; null without a GPU side.
  auto waitForGpuHostSide = [&] { return gpuHostSide.get(); };
  llvm::function_ref<mlir::FailureOr<std::string>()> takeGpuHostSide;
  if (gpuHostSide.valid())
    takeGpuHostSide = waitForGpuHostSide;
  if (emit == EmitStage::Obj) {
    if (outputFile == "-") {
      llvm::WithColor::error(llvm::errs(), "dreamc")
          << "--emit=obj writes an object file: give it with -o\n";
      return 1;
    }
    return mlir::failed(dream::emitObjectFile(*module, outputFile,
                                              std::nullopt, takeGpuHostSide))
               ? 1
               : 0;
  }
  if (emit == EmitStage::Trainer) {
    // One object per thread: code generation, the longest step left, runs
    // on every core, and the linker joins the parts.
    std::vector<std::string> objects(
        jobs ? jobs
             : std::clamp(llvm::heavyweight_hardware_concurrency()
                              .compute_thread_count(),
                          1u, 4u));
    auto removeObjects = llvm::make_scope_exit([&] {
      for (const std::string &object : objects)
        if (!object.empty())
          llvm::sys::fs::remove(object);
    });
    for (std::string &object : objects) {
      llvm::SmallString<128> path;
      if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
              "dreamc-trainer", "o", path)) {
        llvm::WithColor::error(llvm::errs(), "dreamc")
            << "cannot create a temporary object file: " << ec.message()
            << "\n";
        return 1;
      }
      object = path.str().str();
    }
    if (mlir::failed(dream::emitObjectFiles(*module, objects,
                                            dream::schema::toJson(*plan).dump(),
                                            takeGpuHostSide)))
      return 1;
    return linkTrainer(objects, trainerPath(), findRuntime(argv[0]));
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  if (emit == EmitStage::Plan) {
    os << dream::schema::toJson(*plan).dump(2) << "\n";
  } else if (emit == EmitStage::PyTorch) {
    llvm::Expected<std::string> python = dream::emitPyTorch(*plan);
    if (!python) {
      llvm::WithColor::error(llvm::errs(), "dreamc")
          << llvm::toString(python.takeError()) << "\n";
      return 1;
    }
    os << *python;
  } else if (emit == EmitStage::LLVM) {
    if (mlir::failed(dream::emitLLVMIR(*module, os)))
      return 1;
  } else if (emit == EmitStage::PTX) {
    auto ptx = dream::emitPTX(*module, gpuChip);
    if (mlir::failed(ptx))
      return 1;
    os << *ptx;
  } else {
    // Source locations are part of the IR: -x=mlir restarts keep them.
    module->print(os, mlir::OpPrintingFlags().enableDebugInfo());
  }
  return writeOutput(os.str());
}
