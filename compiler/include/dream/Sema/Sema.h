//===- Sema.h - Name resolution, parameter binding and shape inference ---===//
//
// Sema turns the ASTs of a file and its imports into a checked Program:
// every block instantiated with concrete parameters and input types (blocks
// are generic: their input shapes come from the call site), every value and
// stage typed, every sleep/dream connection resolved to its encoder with its
// adapters planned, and the training recipe resolved. Later stages read the
// Program; they never re-derive what Sema decided.
//
// A file without a network is a library: each of its blocks is checked on
// its own, with symbolic parameters and inputs of unknown type, by the same
// elaboration; only what does not wait for a call site is decided.
//
// Sema stops at the first error, so one mistake gives one diagnostic.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_SEMA_SEMA_H
#define DREAM_SEMA_SEMA_H

#include "dream/AST/AST.h"
#include "dream/Ops/Registry.h"

#include <deque>

namespace dream {

/// Hard limits, stated in docs/language.md, that keep hostile inputs from
/// making the compiler run away.
constexpr int64_t kMaxRepeat = 64;
constexpr unsigned kMaxImportDepth = 32;
constexpr unsigned kMaxInstanceDepth = 64;
/// Stages (op, block and connection applications) elaborated over all block
/// instances: nested repeats whose shapes change at every call would
/// otherwise instantiate blocks by the hundred thousand.
constexpr unsigned kMaxStages = 20000;

struct BlockInstance;
struct EncoderInstance;

/// How a hidden state is brought to an encoder's input, or a latent back.
struct AdapterPlan {
  /// identity, conv, deconv, upsample_conv, dense, bridge_argmax,
  /// bridge_soft, bridge_straight_through: the cases of the dialect's
  /// Adapter enum (DreamEnums.td), which MLIRGen turns it into.
  std::string kind;
  TensorType from, to;
  int64_t parameters = 0;
  int64_t stride = 1; ///< conv / deconv / upsample factor.

  /// "deconv/2 [4, 14, 14]->[1, 28, 28]".
  std::string str() const;
  /// Whether both build the same primitives with parameters of one shape.
  bool operator==(const AdapterPlan &other) const {
    return kind == other.kind && from == other.from && to == other.to &&
           stride == other.stride;
  }
};

/// A resolved `-> sleep(...)` or `-> dream(...)`.
struct ConnectionInfo {
  bool isDream = false;
  const EncoderInstance *encoder = nullptr;
  ArgMap options;   ///< adapter, share, returns, grad, masking, bridge.
  AdapterPlan in;   ///< Hidden state -> encoder input.
  AdapterPlan out;  ///< Latent (sleep) or reconstruction (dream) -> hidden.

  /// `share: shared`: its adapters are the encoder's, one pair for every
  /// connection of its kind (sleep or dream) through that encoder.
  bool sharesAdapters() const {
    auto share = options.find("share");
    return share != options.end() && share->second.text == "shared";
  }
};

/// What one `-> stage` of a pipe resolved to in one block instance.
struct StageInfo {
  /// Encode: an encoder applied directly (`x -> enc`); `connection.encoder`
  /// names it.
  enum class Kind { Op, Block, Connection, Encode };
  Kind kind = Kind::Op;
  const OpSpec *op = nullptr;
  std::vector<const BlockInstance *> blocks; ///< One per repetition.
  ArgMap args;
  ConnectionInfo connection;
  ValueType output;
};

/// A value sent to a DreamNet parallel block with `emit`.
struct Emitted {
  std::string block;
  TensorType type;
  Location loc;
};

/// A block (or the network) elaborated for one choice of parameters and
/// input types. Instances are shared: the same block applied with the same
/// parameters to the same types is one instance.
struct BlockInstance {
  const BlockDecl *decl = nullptr;
  ArgMap params;
  std::vector<TensorType> inputs;
  ValueType result;
  std::map<const Expr *, ValueType> exprTypes;
  std::map<const Stage *, StageInfo> stages;
  std::map<const Stmt *, ValueType> stmtTypes;
  /// Everything emitted by this instance and the instances it applies, in
  /// order of execution.
  std::vector<Emitted> emits;
};

/// An encoder or autoencoder declaration, elaborated.
struct EncoderInstance {
  const EncoderDecl *decl = nullptr;
  TensorType input, latent, output; ///< output: the decoder's, if any.
  const BlockInstance *encoder = nullptr;
  const BlockInstance *decoder = nullptr;
  bool frozen = true;
  std::optional<std::string> pretrainKind;
  ArgMap pretrainArgs;
};

/// A declaration visible in a scope.
struct Symbol {
  const BlockDecl *block = nullptr;
  const EncoderDecl *encoder = nullptr;
  const Module *module = nullptr; ///< The module that declares it.
  Location loc() const { return block ? block->loc : encoder->loc; }
};

/// Names visible inside one module: its own declarations and those of the
/// modules it imports (aliased imports as `alias.name`). More than one
/// symbol under a name means two imports provide it: using it is ambiguous.
struct Scope {
  std::map<std::string, std::vector<Symbol>> names;
};

/// One resolved line of the training recipe.
struct RecipeSetting {
  ConstValue value; ///< For calls: the callee, as a Word.
  ArgMap args;      ///< For calls: their bound arguments.
  Location loc;
};

/// The checked program: what every later stage compiles.
struct Program {
  std::vector<std::unique_ptr<Module>> modules; ///< modules[0] is the input.
  /// The scope of every loaded module, and the module each import loaded:
  /// what name lookups see, kept for tools that resolve names (dream-lsp).
  std::map<const Module *, Scope> scopes;
  std::map<const ImportDecl *, const Module *> imports;
  /// Null for a library (SemaOptions::allowLibrary).
  const BlockInstance *network = nullptr;
  /// A library's blocks, each checked on its own, in source order.
  std::vector<const BlockInstance *> library;
  std::deque<BlockInstance> instances;
  std::deque<EncoderInstance> encoders;
  /// Recipe keys (data, optimizer, lr, epochs, batch, ...) with the preset
  /// applied and explicit items on top.
  std::map<std::string, RecipeSetting> recipe;
};

struct SemaOptions {
  std::string stdlibDir;
  std::vector<std::string> importDirs;
  /// -D NAME=VALUE overrides of the network's parameters.
  std::vector<std::pair<std::string, std::string>> defines;
  /// The network to compile when the file has several.
  std::string network;
  /// The recipe preset in place of the file's (`dreamc --preset`); empty:
  /// the file's, else `default`.
  std::string preset;
  /// Whether a file without a network (nor --network, nor a recipe) is a
  /// library to check (`dreamc --emit=ast`, `-fsyntax-only`, dream-lsp)
  /// rather than an error (compiling). Either way its blocks are checked.
  bool allowLibrary = false;
};

/// Parses `path` and its imports and checks them. Returns nullptr after
/// reporting the first error.
std::unique_ptr<Program> analyze(llvm::StringRef path, SourceManager &sources,
                                 DiagnosticEngine &diag,
                                 const SemaOptions &options);

/// The standard library directory: `given` (--stdlib) if not empty, else
/// $DREAMC_STDLIB, else the installed copy next to the running executable
/// (`argv0`) at ../share/dreamc/stdlib, else the stdlib/ of the source tree
/// this build came from.
std::string stdlibDir(llvm::StringRef given, const char *argv0);

/// Like analyze(), for tools that show what was checked even where checking
/// stopped (dream-lsp): fills `program` as far as checking got and returns
/// whether the whole program checked.
bool analyzeInto(Program &program, llvm::StringRef path,
                 SourceManager &sources, DiagnosticEngine &diag,
                 const SemaOptions &options);

/// The signature of `sleep(...)` and `dream(...)`.
const Signature &connectionSignature(bool isDream);

/// Writes the checked program as an indented tree with every inferred type
/// ("?" where a library does not know it) and source location
/// (`dreamc --emit=ast`).
void dumpProgram(const Program &program, llvm::raw_ostream &os);

} // namespace dream

#endif // DREAM_SEMA_SEMA_H
