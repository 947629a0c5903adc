//===- DocumentIndex.h - The names of a document and what they mean -------===//
//
// One walk over the parsed file lists every name written in it (a value, a
// block or op applied, a connection, an encoder named in an argument, an
// import, a declaration) with the AST node it belongs to. Hover, go to
// definition and inlay hints look names up here, then ask the checked
// program what Sema recorded for that node: the types of every instance of
// the enclosing block, the stage's resolution, the declaration a name binds.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LSP_DOCUMENTINDEX_H
#define DREAM_LSP_DOCUMENTINDEX_H

#include "Document.h"

namespace dream::lsp {

/// A name written in the document.
struct Occurrence {
  enum class Kind {
    Declaration, ///< The name of a block, network, encoder or autoencoder.
    Parameter,   ///< A parameter's name where it is declared.
    Binding,     ///< A value's name where `input` or `name = ...` binds it.
    Value,       ///< A value used in an expression.
    Callee,      ///< A block, op or encoder applied, or an encoder's part.
    Connection,  ///< The `sleep` or `dream` of a connection.
    Word,        ///< A name in a compile-time argument: a parameter or an
                 ///< encoder.
    Collect,     ///< The block of `collect(block)`.
    Import,      ///< An import's module name or path.
    Trained,     ///< The network a `train` recipe names.
  };
  Kind kind;
  Location loc;
  unsigned length = 0;
  std::string name;
  /// The block or network the name is written in, if any.
  const BlockDecl *body = nullptr;
  const Stmt *stmt = nullptr;           ///< Binding.
  const Expr *expr = nullptr;           ///< Value, Collect.
  const Stage *stage = nullptr;         ///< Callee in a pipe, Connection.
  const Param *param = nullptr;         ///< Parameter.
  const EncoderDecl *encoder = nullptr; ///< Declaration of an encoder.
  const ImportDecl *import = nullptr;   ///< Import.
};

class DocumentIndex {
public:
  explicit DocumentIndex(const Document &document);

  const Document &document() const { return doc; }
  llvm::ArrayRef<Occurrence> occurrences() const { return all; }

  /// The name that covers byte column `col` (1-based) of line `line`, or
  /// the one that ends right there (the cursor just after a name).
  const Occurrence *at(unsigned line, unsigned col) const;

  /// The instances Sema made of `decl`, in the order it made them.
  std::vector<const BlockInstance *> instancesOf(const BlockDecl *decl) const;
  /// The elaborated encoder of `decl`, if it was checked.
  const EncoderInstance *instanceOf(const EncoderDecl *decl) const;

  /// A type Sema inferred for a name, and the instances of the enclosing
  /// block that give it (a block's values may differ between instances).
  struct Typed {
    ValueType type;
    std::vector<const BlockInstance *> instances;
  };
  /// The distinct types of a value, a statement's value or a stage's
  /// output, in the order the instances were made; empty if Sema did not
  /// get there.
  std::vector<Typed> typesOf(const Occurrence &occurrence) const;

  /// The declaration `name` stands for in the document's scope, or nullptr
  /// (an op, a parameter, an ambiguous or unknown name).
  const Symbol *resolve(llvm::StringRef name) const;

  /// Where the name of `occurrence` is defined.
  std::optional<Location> definition(const Occurrence &occurrence) const;

private:
  void indexBody(const BlockDecl &body);
  void indexEncoder(const EncoderDecl &encoder);
  void indexExpr(const Expr &expr, const BlockDecl *body);
  void indexArguments(const std::vector<Argument> &args, const BlockDecl *body);
  void indexConst(const ConstExpr &expr, const BlockDecl *body);
  Occurrence &add(Occurrence::Kind kind, Location loc, std::string name,
                  const BlockDecl *body);
  std::optional<Location> bindingOf(const Occurrence &use) const;

  const Document &doc;
  std::vector<Occurrence> all;
};

} // namespace dream::lsp

#endif // DREAM_LSP_DOCUMENTINDEX_H
