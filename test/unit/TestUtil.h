//===- TestUtil.h - Running the front end on in-memory sources -----------===//

#ifndef DREAM_TEST_UNIT_TESTUTIL_H
#define DREAM_TEST_UNIT_TESTUTIL_H

#include "dream/Sema/Sema.h"

#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace dream::test {

/// The outcome of checking one source text.
struct Checked {
  std::unique_ptr<SourceManager> sources;
  std::unique_ptr<Program> program;
  std::string diagnostics;
};

/// Checks `text` as if it were the file `name`; std imports come from the
/// source tree's stdlib.
inline Checked check(const std::string &text,
                     const std::string &name = "input.dream",
                     SemaOptions options = {}) {
  Checked result;
  result.sources = std::make_unique<SourceManager>();
  result.sources->addBuffer(name, text);
  if (options.stdlibDir.empty())
    options.stdlibDir = DREAMC_SOURCE_DIR "/stdlib";
  llvm::raw_string_ostream os(result.diagnostics);
  DiagnosticEngine diag(*result.sources, os);
  result.program = analyze(name, *result.sources, diag, options);
  os.flush();
  return result;
}

} // namespace dream::test

#endif // DREAM_TEST_UNIT_TESTUTIL_H
