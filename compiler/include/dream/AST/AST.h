//===- AST.h - The syntax tree of a .dream file --------------------------===//
//
// The project's own tree for a parsed `.dream` file. The ANTLR parse tree is
// turned into these types inside the parser and never escapes it. Nodes are
// plain tagged structs: the tree is small, built once and read by Sema, so a
// class hierarchy would add ceremony without buying anything.
//
// Each struct quotes the grammar rule (grammar/Dream.g4) it comes from.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_AST_AST_H
#define DREAM_AST_AST_H

#include "dream/Support/Diagnostics.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dream {

/// A compile-time expression (`constExpr`): a literal, a parameter or enum
/// word, arithmetic on integers and floats, a tuple or a list.
struct ConstExpr {
  enum class Kind { Int, Float, String, Bool, Name, Negate, Binary, Tuple, List };
  Kind kind;
  Location loc;
  int64_t intValue = 0;
  double floatValue = 0;
  bool boolValue = false;
  /// String contents (escapes resolved), a dotted name, or the operator of a
  /// Binary node ("+", "-", "*", "/").
  std::string text;
  std::vector<std::unique_ptr<ConstExpr>> operands;
};

/// `argument : (IDENT ':')? constExpr | IDENT ':' keyword` (a keyword is a
/// Name, the word it spells).
struct Argument {
  std::string name; ///< Empty for a positional argument.
  Location loc;
  std::unique_ptr<ConstExpr> value;
};

/// `call : qualifiedName arguments?` - a primitive op, a block, or a recipe
/// value such as `adam(lr: 0.005)`.
struct Call {
  std::string callee;
  Location loc;
  std::vector<Argument> args;
};

/// `typeExpr : IDENT '[' argument (',' argument)* ']'`
struct TypeExpr {
  std::string name;
  Location loc;
  std::vector<Argument> args;
};

struct Expr;

/// One `-> stage` of a pipe.
struct Stage {
  enum class Kind { Call, Repeat, Sleep, Dream };
  Kind kind;
  Location loc;
  Call call;                        ///< Call and Repeat: what is applied.
  std::unique_ptr<ConstExpr> count; ///< Repeat: how many times.
  std::vector<Argument> args;       ///< Sleep and Dream: the connection.
};

/// A tensor expression (`expr`, `pipe`, `primary`).
struct Expr {
  enum class Kind { ValueRef, Tuple, Collect, Add, Pipe };
  Kind kind;
  Location loc;
  std::string name; ///< ValueRef: the value; Collect: the block.
  std::vector<std::unique_ptr<Expr>> operands; ///< Tuple, Add; Pipe source.
  std::vector<Stage> stages;                   ///< Pipe.
};

/// `stmt : inputStmt | letStmt | emitStmt | returnStmt`
struct Stmt {
  enum class Kind { Input, Let, Emit, Return };
  Kind kind;
  Location loc;
  std::string name;             ///< Input and Let.
  std::optional<TypeExpr> type; ///< Input: required in networks.
  std::unique_ptr<Expr> value;  ///< Let, Emit, Return.
};

/// `param : IDENT ':' IDENT ('=' constExpr)?`
struct Param {
  std::string name;
  std::string kind; ///< int, float, bool, string or encoder.
  Location loc;
  Location kindLoc;
  std::unique_ptr<ConstExpr> defaultValue;
};

/// `blockDecl` and `networkDecl`: a block is inlined where it is applied and
/// takes untyped inputs whose shapes come from the call site; a network is
/// an entry point whose inputs are typed.
struct BlockDecl {
  bool isNetwork = false;
  std::string name;
  Location loc;
  std::vector<Param> params;
  std::vector<Stmt> body;
};

/// `encoderDecl`: a (frozen) encoder or full autoencoder used by sleep and
/// dream connections.
struct EncoderDecl {
  enum class Freezing { Unspecified, Frozen, Trainable };
  bool isAutoencoder = false;
  std::string name;
  Location loc;
  std::optional<TypeExpr> input;
  std::optional<Call> encoder;
  std::optional<Call> decoder;
  std::optional<std::string> weights;
  Location weightsLoc;
  std::optional<Call> pretrain;
  Freezing freezing = Freezing::Unspecified;
  Location freezingLoc;
};

/// `recipeItem : IDENT (call | constExpr)`
struct RecipeItem {
  std::string key;
  Location loc;
  std::optional<Call> call;
  std::unique_ptr<ConstExpr> value;
};

/// `trainDecl : 'train' IDENT arguments? '{' recipeItem* '}'`
struct TrainDecl {
  std::string network;
  Location loc;
  std::vector<Argument> args;
  std::vector<RecipeItem> items;
};

/// `importDecl : 'import' (qualifiedName | STRING) ('as' IDENT)?`
struct ImportDecl {
  bool isStandard = false; ///< `import std.x` rather than `import "file"`.
  std::string path;        ///< Dotted module name or the quoted path.
  std::string alias;
  Location loc;
};

/// One parsed file.
struct Module {
  std::string path;
  std::vector<ImportDecl> imports;
  std::vector<BlockDecl> blocks; ///< Blocks and networks, in source order.
  std::vector<EncoderDecl> encoders;
  std::vector<TrainDecl> trains;
};

} // namespace dream

#endif // DREAM_AST_AST_H
