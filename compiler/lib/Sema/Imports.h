//===- Imports.h - Loading a file's imports and building scopes ----------===//
//
// Internal to Sema. Loads `import` targets (standard modules by name, user
// files by path), detects cycles and runaway depth, and builds for every
// module the scope its declarations see (Program::scopes).
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LIB_SEMA_IMPORTS_H
#define DREAM_LIB_SEMA_IMPORTS_H

#include "dream/Sema/Sema.h"

namespace dream {

class ImportLoader {
public:
  ImportLoader(SourceManager &sources, DiagnosticEngine &diag,
               const SemaOptions &options, Program &program)
      : sources(sources), diag(diag), options(options), program(program) {}

  /// Loads the input file and, recursively, its imports; builds all scopes.
  /// Returns the input module, or nullptr after an error.
  const Module *loadRoot(llvm::StringRef path);

  const Scope &scopeOf(const Module *module) const {
    return program.scopes.at(module);
  }

private:
  const Module *load(llvm::StringRef path, Location importLoc);
  bool resolveImport(const Module &from, const ImportDecl &import,
                     std::string &path);
  bool buildScope(const Module &module,
                  const std::vector<std::pair<const ImportDecl *,
                                              const Module *>> &imports);

  SourceManager &sources;
  DiagnosticEngine &diag;
  const SemaOptions &options;
  Program &program;
  std::map<std::string, const Module *> loaded;
  /// Files being loaded, outermost first, with the import that led there.
  std::vector<std::pair<std::string, Location>> stack;
};

} // namespace dream

#endif // DREAM_LIB_SEMA_IMPORTS_H
