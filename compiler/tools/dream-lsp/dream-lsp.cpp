//===- dream-lsp.cpp - The .dream language server -------------------------===//
//
// A Language Server Protocol server over stdin and stdout for editors with
// an LSP client (docs/editors.md): diagnostics as dreamc reports them,
// shapes on hover and inline, definitions, symbols and completion.
//
//===----------------------------------------------------------------------===//

#include "LSPServer.h"
#include "Server.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

using namespace dream;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("dream-lsp options");
cl::opt<std::string> stdlibOption(
    "stdlib",
    cl::desc(
        "The standard library directory (default: found as dreamc finds it)"),
    cl::value_desc("dir"), cl::cat(category));
cl::list<std::string> importDirs("I", cl::desc("Add <dir> to the import path"),
                                 cl::value_desc("dir"), cl::Prefix,
                                 cl::cat(category));
cl::opt<mlir::lsp::Logger::Level>
    logLevel("log", cl::desc("What to log on stderr"),
             cl::values(clEnumValN(mlir::lsp::Logger::Level::Debug, "verbose",
                                   "every message"),
                        clEnumValN(mlir::lsp::Logger::Level::Info, "info",
                                   "methods and notifications"),
                        clEnumValN(mlir::lsp::Logger::Level::Error, "error",
                                   "errors only")),
             cl::init(mlir::lsp::Logger::Level::Error), cl::cat(category));
cl::opt<bool> pretty("pretty", cl::desc("Indent the JSON it writes"),
                     cl::cat(category));

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "dream-lsp: the .dream language server, on "
                              "stdin and stdout\n");
  mlir::lsp::Logger::setLogLevel(logLevel);

  SemaOptions options;
  options.stdlibDir = dream::stdlibDir(stdlibOption, argv[0]);
  options.importDirs = importDirs;
  // An editor opens library files too: they are checked as far as they can
  // be without a network.
  options.allowLibrary = true;

  lsp::Server server(std::move(options));
  mlir::lsp::JSONTransport transport(
      stdin, llvm::outs(), mlir::lsp::JSONStreamStyle::Standard, pretty);
  return mlir::succeeded(lsp::runServer(server, transport)) ? 0 : 1;
}
