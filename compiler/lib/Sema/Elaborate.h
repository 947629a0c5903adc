//===- Elaborate.h - Instantiating blocks, networks and encoders ---------===//
//
// Internal to Sema. The Elaborator walks the network's body, evaluating
// compile-time arguments, instantiating each applied block with concrete
// parameters and input types, typing every value through the shape rules of
// dream/Ops/Registry.h, and resolving sleep/dream connections
// (Connections.cpp) and encoders. The first error stops it.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LIB_SEMA_ELABORATE_H
#define DREAM_LIB_SEMA_ELABORATE_H

#include "Imports.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace dream {

class Elaborator {
public:
  Elaborator(Program &program, const ImportLoader &imports,
             DiagnosticEngine &diag)
      : program(program), imports(imports), diag(diag) {}

  /// Elaborates `network` with `params` bound; sets program.network.
  bool elaborateNetwork(const BlockDecl &network, const Module &module,
                        const ArgMap &params);
  /// Checks `decl` without a call site, for a file without a network (a
  /// library of blocks): its parameters are symbolic and its inputs of
  /// unknown type, so that only what holds for every call is checked (names,
  /// callees, arguments, kinds, and the shapes of declared input types).
  /// Returns the block's instance, or nullptr after an error.
  const BlockInstance *checkBlock(const BlockDecl &decl, const Module &module);
  /// Elaborates (once) the encoder declared by `decl`.
  const EncoderInstance *elaborateEncoder(const EncoderDecl &decl,
                                          const Module &module);

  /// The parameter signature a block declares, or nullopt after an error.
  std::optional<Signature> blockSignature(const BlockDecl &decl,
                                          const ArgMap &outerParams);

  /// Evaluates a compile-time expression; `params` gives parameter values.
  std::optional<ConstValue> evalConst(const ConstExpr &expr,
                                      const ArgMap &params);
  std::optional<std::vector<ArgumentValue>>
  evalArguments(const std::vector<Argument> &args, const ArgMap &params);

private:
  struct Binding {
    ValueType type;
    Location loc;
    bool used = false;
    bool isInput = false;
  };
  /// The state of one body being elaborated.
  struct BodyState {
    BlockInstance &instance;
    const Module &module;
    std::map<std::string, Binding> values;
    std::vector<std::pair<std::string, Binding>> retired;
    unsigned depth;
  };

  const BlockInstance *instantiate(const BlockDecl &decl, const Module &module,
                                   ArgMap params,
                                   std::vector<TensorType> inputs,
                                   Location callLoc, unsigned depth);
  bool elaborateBody(BodyState &state);
  std::optional<ValueType> evalExpr(const Expr &expr, BodyState &state);
  std::optional<ValueType> applyStage(const Stage &stage, ValueType input,
                                      Location inputLoc, BodyState &state);
  std::optional<ValueType> applyCall(const Call &call, const ValueType &input,
                                     Location inputLoc, BodyState &state,
                                     StageInfo &info);
  /// `x -> enc`: an encoder applied to a value of its own input type.
  std::optional<ValueType> applyEncoder(const Call &call, const Symbol &symbol,
                                        const std::vector<ArgumentValue> &args,
                                        const ValueType &input,
                                        Location inputLoc, StageInfo &info);
  std::optional<ValueType> applyConnection(const Stage &stage,
                                           const ValueType &input,
                                           BodyState &state, StageInfo &info);
  std::optional<TensorType> evalType(const TypeExpr &type,
                                     const ArgMap &params);
  const Symbol *lookup(const Module &module, const std::string &name,
                       Location loc, bool report);
  /// The module whose file `value` was written in, or `fallback`.
  const Module &moduleWritten(const ConstValue &value,
                              const Module &fallback) const;
  /// The encoder or autoencoder a word names, in the scope of the file it
  /// was written in (`module` if it was not written in a file); reports and
  /// returns nullptr if it names none.
  const Symbol *resolveEncoder(const ConstValue &name, const Module &module);
  /// Checks that every `encoder` parameter of a call names an encoder.
  bool checkEncoderArguments(const Signature &signature, const ArgMap &args,
                             const Module &module);
  void warnUnused(const BodyState &state);

  Program &program;
  const ImportLoader &imports;
  DiagnosticEngine &diag;
  std::map<std::string, const BlockInstance *> memo;
  std::vector<const BlockDecl *> active;
  std::map<const EncoderDecl *, const EncoderInstance *> encoders;
  /// Stages elaborated so far, in all instances, against kMaxStages.
  unsigned elaboratedStages = 0;
  /// Unused values already warned about, by file, line and column.
  std::set<std::tuple<std::string, unsigned, unsigned>> warnedUnused;
};

/// Plans the adapters of a connection from hidden state `hidden` to the
/// encoder `encoder` and back (Connections.cpp). Reports and returns false
/// when no adapter of the requested kind can bridge the shapes.
bool planConnection(const Stage &stage, const TensorType &hidden,
                    ConnectionInfo &info, DiagnosticEngine &diag);

/// Checks that the connections of `program` sharing their adapters
/// (`share: shared`) through one encoder need the same ones: they are one
/// set of parameters. Reports at the later connection and returns false
/// otherwise.
bool checkSharedAdapters(const Program &program, DiagnosticEngine &diag);

/// The number of tensor inputs a block declares.
inline size_t blockArity(const BlockDecl &decl) {
  return std::count_if(decl.body.begin(), decl.body.end(), [](const Stmt &s) {
    return s.kind == Stmt::Kind::Input;
  });
}

} // namespace dream

#endif // DREAM_LIB_SEMA_ELABORATE_H
