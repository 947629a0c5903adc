//===- DocumentIndex.cpp - The names of a document and what they mean -----===//

#include "DocumentIndex.h"

using namespace dream;
using namespace dream::lsp;

DocumentIndex::DocumentIndex(const Document &document) : doc(document) {
  const Module *root = doc.root();
  if (!root)
    return;
  for (const ImportDecl &import : root->imports) {
    // The location is the keyword's; the name is the module or the path.
    std::string written =
        import.isStandard ? import.path : "\"" + import.path + "\"";
    llvm::StringRef line = doc.lineText(import.loc.line);
    size_t at = line.find(written, import.loc.col - 1);
    Location loc = import.loc;
    if (at != llvm::StringRef::npos)
      loc.col = at + 1;
    add(Occurrence::Kind::Import, loc, import.path, nullptr).length =
        written.size();
    all.back().import = &import;
  }
  for (const BlockDecl &block : root->blocks)
    indexBody(block);
  for (const EncoderDecl &encoder : root->encoders)
    indexEncoder(encoder);
  for (const TrainDecl &train : root->trains) {
    add(Occurrence::Kind::Trained, train.loc, train.network, nullptr);
    indexArguments(train.args, nullptr);
    for (const RecipeItem &item : train.items) {
      if (item.call)
        indexArguments(item.call->args, nullptr);
      else if (item.value)
        indexConst(*item.value, nullptr);
    }
  }
}

Occurrence &DocumentIndex::add(Occurrence::Kind kind, Location loc,
                               std::string name, const BlockDecl *body) {
  Occurrence &occurrence = all.emplace_back();
  occurrence.kind = kind;
  occurrence.loc = loc;
  occurrence.length = name.size();
  occurrence.name = std::move(name);
  occurrence.body = body;
  return occurrence;
}

void DocumentIndex::indexBody(const BlockDecl &body) {
  add(Occurrence::Kind::Declaration, body.loc, body.name, nullptr);
  for (const Param &param : body.params) {
    add(Occurrence::Kind::Parameter, param.loc, param.name, &body).param =
        &param;
    if (param.defaultValue)
      indexConst(*param.defaultValue, &body);
  }
  for (const Stmt &stmt : body.body) {
    if (stmt.kind == Stmt::Kind::Input || stmt.kind == Stmt::Kind::Let)
      add(Occurrence::Kind::Binding, stmt.loc, stmt.name, &body).stmt = &stmt;
    if (stmt.type)
      indexArguments(stmt.type->args, &body);
    size_t first = all.size();
    if (stmt.value)
      indexExpr(*stmt.value, &body);
    // Uses of values remember their statement: `h = h -> f` reads the `h`
    // bound before it.
    for (size_t i = first; i < all.size(); ++i)
      if (!all[i].stmt)
        all[i].stmt = &stmt;
  }
}

void DocumentIndex::indexEncoder(const EncoderDecl &encoder) {
  add(Occurrence::Kind::Declaration, encoder.loc, encoder.name, nullptr)
      .encoder = &encoder;
  if (encoder.input)
    indexArguments(encoder.input->args, nullptr);
  for (const std::optional<Call> *part : {&encoder.encoder, &encoder.decoder})
    if (*part) {
      add(Occurrence::Kind::Callee, (*part)->loc, (*part)->callee, nullptr);
      indexArguments((*part)->args, nullptr);
    }
  if (encoder.pretrain)
    indexArguments(encoder.pretrain->args, nullptr);
}

void DocumentIndex::indexExpr(const Expr &expr, const BlockDecl *body) {
  switch (expr.kind) {
  case Expr::Kind::ValueRef:
    add(Occurrence::Kind::Value, expr.loc, expr.name, body).expr = &expr;
    return;
  case Expr::Kind::Collect: {
    // The location is the keyword's; the block's name follows it.
    Location loc = expr.loc;
    llvm::StringRef line = doc.lineText(loc.line);
    size_t at = line.find(expr.name, loc.col - 1 + strlen("collect"));
    if (at != llvm::StringRef::npos)
      loc.col = at + 1;
    add(Occurrence::Kind::Collect, loc, expr.name, body).expr = &expr;
    return;
  }
  case Expr::Kind::Tuple:
  case Expr::Kind::Add:
  case Expr::Kind::Pipe:
    break;
  }
  for (const auto &operand : expr.operands)
    indexExpr(*operand, body);
  for (const Stage &stage : expr.stages) {
    if (stage.kind == Stage::Kind::Sleep || stage.kind == Stage::Kind::Dream) {
      add(Occurrence::Kind::Connection, stage.loc,
          stage.kind == Stage::Kind::Sleep ? "sleep" : "dream", body)
          .stage = &stage;
      indexArguments(stage.args, body);
      continue;
    }
    if (stage.count)
      indexConst(*stage.count, body);
    add(Occurrence::Kind::Callee, stage.call.loc, stage.call.callee, body)
        .stage = &stage;
    indexArguments(stage.call.args, body);
  }
}

void DocumentIndex::indexArguments(const std::vector<Argument> &args,
                                   const BlockDecl *body) {
  for (const Argument &arg : args)
    if (arg.value)
      indexConst(*arg.value, body);
}

void DocumentIndex::indexConst(const ConstExpr &expr, const BlockDecl *body) {
  if (expr.kind == ConstExpr::Kind::Name)
    add(Occurrence::Kind::Word, expr.loc, expr.text, body);
  for (const auto &operand : expr.operands)
    indexConst(*operand, body);
}

const Occurrence *DocumentIndex::at(unsigned line, unsigned col) const {
  const Occurrence *justAfter = nullptr;
  for (const Occurrence &occurrence : all) {
    if (occurrence.loc.line != line || col < occurrence.loc.col)
      continue;
    unsigned end = occurrence.loc.col + occurrence.length;
    if (col < end)
      return &occurrence;
    if (col == end)
      justAfter = &occurrence;
  }
  return justAfter;
}

std::vector<const BlockInstance *>
DocumentIndex::instancesOf(const BlockDecl *decl) const {
  std::vector<const BlockInstance *> found;
  for (const BlockInstance &instance : doc.program().instances)
    if (instance.decl == decl)
      found.push_back(&instance);
  return found;
}

const EncoderInstance *
DocumentIndex::instanceOf(const EncoderDecl *decl) const {
  for (const EncoderInstance &instance : doc.program().encoders)
    if (instance.decl == decl)
      return &instance;
  return nullptr;
}

std::vector<DocumentIndex::Typed>
DocumentIndex::typesOf(const Occurrence &occurrence) const {
  std::vector<Typed> types;
  if (!occurrence.body)
    return types;
  for (const BlockInstance *instance : instancesOf(occurrence.body)) {
    std::optional<ValueType> type;
    if (occurrence.kind == Occurrence::Kind::Binding) {
      if (auto it = instance->stmtTypes.find(occurrence.stmt);
          it != instance->stmtTypes.end())
        type = it->second;
    } else if (occurrence.expr) {
      if (auto it = instance->exprTypes.find(occurrence.expr);
          it != instance->exprTypes.end())
        type = it->second;
    } else if (occurrence.stage) {
      if (auto it = instance->stages.find(occurrence.stage);
          it != instance->stages.end())
        type = it->second.output;
    }
    if (!type)
      continue;
    auto same = llvm::find_if(types, [&](const Typed &typed) {
      return typed.type.str() == type->str();
    });
    if (same == types.end())
      types.push_back({*type, {instance}});
    else
      same->instances.push_back(instance);
  }
  return types;
}

const Symbol *DocumentIndex::resolve(llvm::StringRef name) const {
  auto scope = doc.program().scopes.find(doc.root());
  if (scope == doc.program().scopes.end())
    return nullptr;
  auto it = scope->second.names.find(name.str());
  if (it == scope->second.names.end() || it->second.size() != 1)
    return nullptr;
  return &it->second.front();
}

/// The statement that bound the value `use` reads: the last `input` or
/// `name = ...` of that name before the statement that uses it.
std::optional<Location> DocumentIndex::bindingOf(const Occurrence &use) const {
  std::optional<Location> found;
  for (const Stmt &stmt : use.body->body) {
    if (&stmt == use.stmt)
      break;
    if ((stmt.kind == Stmt::Kind::Input || stmt.kind == Stmt::Kind::Let) &&
        stmt.name == use.name)
      found = stmt.loc;
  }
  return found;
}

std::optional<Location>
DocumentIndex::definition(const Occurrence &occurrence) const {
  using Kind = Occurrence::Kind;
  switch (occurrence.kind) {
  case Kind::Declaration:
  case Kind::Parameter:
  case Kind::Binding:
    return occurrence.loc;
  case Kind::Value:
    return occurrence.body ? bindingOf(occurrence) : std::nullopt;
  case Kind::Import: {
    auto it = doc.program().imports.find(occurrence.import);
    if (it == doc.program().imports.end())
      return std::nullopt;
    return Location{it->second->path, 1, 1};
  }
  case Kind::Word:
    // A block's own parameters shadow declarations of the same name.
    if (occurrence.body)
      for (const Param &param : occurrence.body->params)
        if (param.name == occurrence.name)
          return param.loc;
    [[fallthrough]];
  case Kind::Callee:
  case Kind::Collect:
  case Kind::Trained:
    if (const Symbol *symbol = resolve(occurrence.name))
      return symbol->loc();
    return std::nullopt;
  case Kind::Connection:
    return std::nullopt;
  }
  return std::nullopt;
}
