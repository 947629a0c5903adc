//===- FrontendFuzzer.cpp - .dream bytes through parse, Sema and MLIRGen --===//
//
// What `dreamc --emit=mlir` does to a source file, in memory: any bytes
// must either be refused with a diagnostic or give IR that verifies. IR
// that does not verify after Sema accepted the program is a compiler bug,
// so the fuzzer aborts on it. Imports of std.* come from the source tree.
//
//===----------------------------------------------------------------------===//

#include "dream/MLIRGen/MLIRGen.h"
#include "dream/Sema/Sema.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // One context for the run: loading the dialects per input would cost
  // more than the front end itself.
  static mlir::MLIRContext context;
  dream::SourceManager sources;
  sources.addBuffer("fuzz.dream",
                    std::string(reinterpret_cast<const char *>(data), size));
  dream::DiagnosticEngine diag(sources, llvm::nulls());
  dream::SemaOptions options;
  options.stdlibDir = DREAMC_SOURCE_DIR "/stdlib";
  std::unique_ptr<dream::Program> program =
      dream::analyze("fuzz.dream", sources, diag, options);
  if (!program)
    return 0;
  if (!dream::mlirGen(context, *program)) {
    std::fputs("Sema accepted the program but its IR does not verify\n",
               stderr);
    std::abort();
  }
  return 0;
}
