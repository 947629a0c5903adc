//===- Imports.cpp - Loading a file's imports and building scopes --------===//

#include "Imports.h"

#include "dream/Parse/Parser.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

using namespace dream;

/// `path` without `.` and `..` components when that names the same file, so
/// that messages show "lib/head.dream" rather than "app/../lib/head.dream".
static std::string normalize(llvm::StringRef path) {
  llvm::SmallString<256> clean(path);
  llvm::sys::path::remove_dots(clean, /*remove_dot_dot=*/true);
  if (clean != path && llvm::sys::fs::equivalent(clean, path))
    return clean.str().str();
  return path.str();
}

std::string dream::stdlibDir(llvm::StringRef given, const char *argv0) {
  if (!given.empty())
    return given.str();
  if (auto env = llvm::sys::Process::GetEnv("DREAMC_STDLIB"))
    return *env;
  // Any address in the executable tells where it is: this library is
  // linked in statically.
  std::string exe = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&dream::stdlibDir));
  llvm::SmallString<256> installed(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(installed, "..", "share", "dreamc", "stdlib");
  if (llvm::sys::fs::is_directory(installed))
    return installed.str().str();
  return DREAMC_SOURCE_STDLIB;
}

const Module *ImportLoader::loadRoot(llvm::StringRef path) {
  return load(path, Location{});
}

const Module *ImportLoader::load(llvm::StringRef path, Location importLoc) {
  llvm::SmallString<256> real;
  std::string key = llvm::sys::fs::real_path(path, real) ? path.str()
                                                          : real.str().str();
  for (size_t i = 0; i < stack.size(); ++i) {
    if (stack[i].first != key)
      continue;
    // The cycle runs through the import being read in each of the files
    // i .. n-1; the last of them is the import the error is at.
    auto builder = diag.error(importLoc, "import cycle: " + quotePath(path) +
                                             " imports itself");
    for (size_t j = i; j + 1 < stack.size(); ++j)
      builder.note(stack[j].second, "through this import");
    return nullptr;
  }
  if (auto it = loaded.find(key); it != loaded.end())
    return it->second;
  if (stack.size() >= kMaxImportDepth) {
    diag.error(importLoc, "imports nest deeper than " +
                              std::to_string(kMaxImportDepth) + " files");
    return nullptr;
  }

  // Errors in an imported file, and in what it imports, say where it was
  // imported from.
  std::optional<DiagnosticEngine::Context> context;
  if (importLoc.isValid())
    context.emplace(diag, importLoc, "imported from here");
  std::string error;
  const std::string *text = sources.load(path, error);
  if (!text) {
    // The input itself has no importing location: name the file instead.
    Location where = importLoc.isValid() ? importLoc : Location{path, 0, 0};
    diag.error(where, "cannot read " + quotePath(path) + ": " + error);
    return nullptr;
  }
  std::unique_ptr<Module> parsed =
      parseModule(*text, sources.nameOf(text), diag);
  if (!parsed)
    return nullptr;
  const Module *module = parsed.get();
  program.modules.push_back(std::move(parsed));
  loaded[key] = module;

  stack.emplace_back(key, importLoc);
  std::vector<std::pair<const ImportDecl *, const Module *>> imports;
  for (const ImportDecl &import : module->imports) {
    std::string target;
    if (!resolveImport(*module, import, target))
      return nullptr;
    stack.back().second = import.loc;
    const Module *imported = load(target, import.loc);
    if (!imported)
      return nullptr;
    program.imports[&import] = imported;
    imports.emplace_back(&import, imported);
  }
  stack.pop_back();
  return buildScope(*module, imports) ? module : nullptr;
}

bool ImportLoader::resolveImport(const Module &from, const ImportDecl &import,
                                 std::string &path) {
  if (import.isStandard) {
    llvm::StringRef name(import.path);
    if (!name.consume_front("std.")) {
      diag.error(import.loc,
                 "unknown module " + quote(import.path) +
                     "; standard modules are named std.<name>, user files "
                     "are imported by a quoted path such as \"blocks.dream\"");
      return false;
    }
    std::string relative = name.str();
    std::replace(relative.begin(), relative.end(), '.', '/');
    llvm::SmallString<256> file(options.stdlibDir);
    llvm::sys::path::append(file, relative + ".dream");
    if (llvm::sys::fs::is_regular_file(file)) {
      path = normalize(file);
      return true;
    }
    std::vector<std::string> known;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(options.stdlibDir, ec), end;
         it != end && !ec; it.increment(ec))
      if (llvm::sys::path::extension(it->path()) == ".dream")
        known.push_back("std." + llvm::sys::path::stem(it->path()).str());
    auto builder =
        diag.error(import.loc, "no standard module " + quote(import.path) +
                                   " in " + quotePath(options.stdlibDir));
    std::string suggestion = closestMatch(import.path, known);
    if (!suggestion.empty())
      builder.note(import.loc, "did you mean " + quote(suggestion) + "?");
    return false;
  }

  // User files: relative to the importing file, then each -I directory.
  std::vector<std::string> bases = {
      llvm::sys::path::parent_path(from.path).str()};
  bases.insert(bases.end(), options.importDirs.begin(),
               options.importDirs.end());
  if (llvm::sys::path::is_absolute(import.path))
    bases = {""};
  for (const std::string &base : bases) {
    llvm::SmallString<256> file(base);
    llvm::sys::path::append(file, import.path);
    if (llvm::sys::fs::is_regular_file(file)) {
      path = normalize(file);
      return true;
    }
  }
  diag.error(import.loc, "cannot find imported file " + quotePath(import.path) +
                             " next to " + quotePath(from.path) +
                             " or in any -I directory");
  return false;
}

bool ImportLoader::buildScope(
    const Module &module,
    const std::vector<std::pair<const ImportDecl *, const Module *>>
        &imports) {
  Scope scope;
  auto exported = [](const Module &m, auto &&visit) {
    for (const BlockDecl &block : m.blocks)
      visit(block.name, Symbol{&block, nullptr, &m});
    for (const EncoderDecl &encoder : m.encoders)
      visit(encoder.name, Symbol{nullptr, &encoder, &m});
  };
  for (auto &[import, imported] : imports) {
    std::string prefix = import->alias.empty() ? "" : import->alias + ".";
    exported(*imported, [&](const std::string &name, Symbol symbol) {
      auto &entries = scope.names[prefix + name];
      for (const Symbol &existing : entries)
        if (existing.module == symbol.module)
          return;
      entries.push_back(symbol);
    });
  }
  // The module's own declarations shadow imported ones, but may not clash
  // with each other.
  std::map<std::string, Location> own;
  bool ok = true;
  exported(module, [&](const std::string &name, Symbol symbol) {
    if (!ok)
      return;
    if (auto it = own.find(name); it != own.end()) {
      diag.error(symbol.loc(), "redefinition of " + quote(name))
          .note(it->second, "previous definition is here");
      ok = false;
      return;
    }
    own[name] = symbol.loc();
    scope.names[name] = {symbol};
  });
  program.scopes[&module] = std::move(scope);
  return ok;
}
