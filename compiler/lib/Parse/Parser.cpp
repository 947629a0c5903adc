//===- Parser.cpp - From .dream text to the project's AST ----------------===//
//
// Three steps, each of which can stop the parse with one located error:
//   1. the bytes must be UTF-8 text without NUL bytes;
//   2. the token stream must hold no lexical error token and must not nest
//      brackets and unary minus signs deeper than kMaxNesting (this bounds
//      parser recursion);
//   3. ANTLR parses; the first syntax error is reworded ("expected ..., found
//      ...") and parsing stops, so one mistake gives one message.
// Then the parse tree is converted to the AST and thrown away; tools that
// work on the text itself (dream-format) keep it instead (ParseTree.h).
//
//===----------------------------------------------------------------------===//

#include "dream/Parse/Parser.h"

#include "ParseTree.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace dream;
using P = dream::parser::DreamParser;

namespace {

/// Thrown to abandon the parse after the first syntax error was reported.
struct SyntaxAbort {};

/// Reports the first syntax error in words and stops: no recovery, hence no
/// cascade of follow-on errors. The inherited sync() checks the next token
/// at every loop decision (`stmt*`, `topDecl*`, ...), so a token that cannot
/// start another iteration is reported there, with everything that could,
/// rather than later as a lone missing `}`.
class FirstErrorStrategy : public antlr4::DefaultErrorStrategy {
public:
  void recover(antlr4::Parser *, std::exception_ptr) override {
    throw SyntaxAbort{};
  }
  antlr4::Token *recoverInline(antlr4::Parser *recognizer) override {
    antlr4::InputMismatchException e(recognizer);
    reportError(recognizer, e);
    throw SyntaxAbort{};
  }

protected:
  void reportUnwantedToken(antlr4::Parser *recognizer) override {
    DefaultErrorStrategy::reportUnwantedToken(recognizer);
    throw SyntaxAbort{};
  }
};

/// Describes a token kind as a person would.
std::string describeTokenType(const antlr4::dfa::Vocabulary &vocabulary,
                              size_t type) {
  switch (type) {
  case antlr4::Token::EOF:
    return "end of file";
  case P::IDENT:
    return "a name";
  case P::INT:
    return "an integer";
  case P::FLOAT:
    return "a number";
  case P::STRING:
    return "a string";
  default:
    return vocabulary.getLiteralName(type);
  }
}

std::string describeToken(const antlr4::Token *token) {
  if (token->getType() == antlr4::Token::EOF)
    return "end of file";
  return quote(token->getText());
}

/// The keyword a token type stands for ("repeat"), or "" for other tokens.
std::string keywordOf(const antlr4::dfa::Vocabulary &vocabulary, size_t type) {
  // getLiteralName returns by value: keep the string alive for the ref.
  std::string name = vocabulary.getLiteralName(type);
  llvm::StringRef literal = name;
  if (!literal.consume_front("'") || !literal.consume_back("'") ||
      literal.empty() ||
      !llvm::all_of(literal, [](char c) { return llvm::isAlpha(c); }))
    return {};
  return literal.str();
}

class SyntaxErrorListener : public antlr4::BaseErrorListener {
public:
  SyntaxErrorListener(DiagnosticEngine &diag, const LocationMap &locations)
      : diag(diag), locations(locations) {}

  void syntaxError(antlr4::Recognizer *recognizer,
                   antlr4::Token *offendingSymbol, size_t, size_t,
                   const std::string &, std::exception_ptr) override {
    if (reported || !offendingSymbol)
      return;
    reported = true;
    auto *parser = static_cast<antlr4::Parser *>(recognizer);
    Expected expected = expectedAt(parser);
    Location where = locations.at(offendingSymbol);
    if (reportMisplacedKeyword(parser, offendingSymbol, expected, where))
      return;
    auto builder =
        diag.error(where, "expected " + joinAlternatives(expected.described) +
                              ", found " + describeToken(offendingSymbol));
    // A misspelt keyword reads as a name where a keyword was expected.
    if (offendingSymbol->getType() == P::IDENT) {
      std::string suggestion =
          closestMatch(offendingSymbol->getText(), expected.keywords);
      if (!suggestion.empty())
        builder.note(where, "did you mean " + quote(suggestion) + "?");
    }
  }

  bool reported = false;

private:
  /// What could come where the parser stopped.
  struct Expected {
    std::vector<std::string> described; ///< Sorted, for the message.
    std::vector<std::string> keywords;
    bool name = false; ///< Whether a name (IDENT) fits.
  };

  static Expected expectedAt(antlr4::Parser *parser) {
    const antlr4::dfa::Vocabulary &vocabulary = parser->getVocabulary();
    Expected expected;
    for (size_t type : parser->getExpectedTokens().toList()) {
      expected.described.push_back(describeTokenType(vocabulary, type));
      std::string keyword = keywordOf(vocabulary, type);
      if (!keyword.empty())
        expected.keywords.push_back(keyword);
      expected.name |= type == P::IDENT;
    }
    std::vector<std::string> &described = expected.described;
    std::sort(described.begin(), described.end());
    described.erase(std::unique(described.begin(), described.end()),
                    described.end());
    return expected;
  }

  /// Reports a keyword in a place that says what the user meant: a late
  /// `import`, or a keyword used as a name. Returns whether it reported.
  bool reportMisplacedKeyword(antlr4::Parser *parser, antlr4::Token *token,
                              const Expected &expected, Location where) {
    std::string found = keywordOf(parser->getVocabulary(), token->getType());
    if (found.empty())
      return false;
    if (found == "import" && llvm::is_contained(expected.keywords, "network") &&
        !llvm::is_contained(expected.keywords, "import")) {
      diag.error(where, "imports come before declarations; move this import "
                        "above the first declaration");
      return true;
    }
    // A keyword where a name fits, and followed by what follows a name
    // there, or where nothing but a name fits.
    std::string next = nextText(parser, token);
    if (!expected.name ||
        (expected.described.size() != 1 && next != "=" && next != ":"))
      return false;
    diag.error(where, quote(found) + " is a keyword and cannot " +
                          (next == "=" ? "name a value" : "be used as a name"));
    return true;
  }

  /// The text of the token after `token`, comments skipped.
  static std::string nextText(antlr4::Parser *parser, antlr4::Token *token) {
    antlr4::TokenStream *tokens = parser->getTokenStream();
    for (size_t next = token->getTokenIndex() + 1; next < tokens->size();
         ++next)
      if (tokens->get(next)->getChannel() == antlr4::Token::DEFAULT_CHANNEL)
        return tokens->get(next)->getText();
    return {};
  }

  static std::string joinAlternatives(const std::vector<std::string> &items) {
    if (items.empty())
      return "something else";
    if (items.size() == 1)
      return items.front();
    std::string text = "one of ";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i)
        text += i + 1 == items.size() ? " or " : ", ";
      text += items[i];
    }
    return text;
  }

  DiagnosticEngine &diag;
  const LocationMap &locations;
};

/// Step 1: the input must be UTF-8 text.
bool checkEncoding(const std::string &text, const LocationMap &locations,
                   DiagnosticEngine &diag) {
  size_t nul = text.find('\0');
  auto *begin = reinterpret_cast<const llvm::UTF8 *>(text.data());
  const llvm::UTF8 *cursor = begin;
  bool valid = llvm::isLegalUTF8String(&cursor, begin + text.size());
  size_t invalid = valid ? std::string::npos : cursor - begin;
  if (nul == std::string::npos && valid)
    return true;
  if (nul < invalid) {
    diag.error(locations.atByte(nul),
               "file contains a NUL byte; .dream files are text (is this a "
               "binary file?)");
    return false;
  }
  diag.error(locations.atByte(invalid),
             "invalid UTF-8 byte 0x" +
                 llvm::utohexstr(static_cast<unsigned char>(text[invalid])) +
                 "; .dream files must be UTF-8 text");
  return false;
}

/// Step 2a: a lexical error token becomes a located error.
bool checkLexical(const antlr4::Token *token, const LocationMap &locations,
                  DiagnosticEngine &diag) {
  switch (token->getType()) {
  case P::ERROR_CHAR:
    diag.error(locations.at(token),
               "unexpected character " + quote(token->getText()));
    return false;
  case P::UNTERMINATED_STRING:
    diag.error(locations.at(token),
               "unterminated string: add a closing '\"' on this line");
    return false;
  case P::UNTERMINATED_COMMENT:
    diag.error(locations.at(token),
               "unterminated comment: '/*' has no matching '*/'");
    return false;
  default:
    return true;
  }
}

/// Step 2b: how deep the parser will recurse. Brackets and unary minus signs
/// both deepen it (`- - 8` negates a negation), so one bound covers both.
class NestingDepth {
public:
  /// Adds the next token; false if it nests deeper than kMaxNesting.
  bool add(const antlr4::Token *token) {
    const std::string text = token->getType() == antlr4::Token::EOF
                                 ? std::string()
                                 : token->getText();
    lastWasSign = text == "-" && !afterOperand;
    if (lastWasSign || text == "(" || text == "[" || text == "{") {
      open.push_back(lastWasSign ? '-' : '(');
      afterOperand = false;
      return open.size() <= kMaxNesting;
    }
    // Any other token ends the operand of the signs before it; a closing
    // bracket first ends the bracket, which was their operand.
    closeSigns();
    if (text == ")" || text == "]" || text == "}") {
      if (!open.empty())
        open.pop_back();
      closeSigns();
    }
    afterOperand = text == ")" || text == "]" || text == "true" ||
                   text == "false" || token->getType() == P::IDENT ||
                   token->getType() == P::INT || token->getType() == P::FLOAT ||
                   token->getType() == P::STRING;
    return true;
  }

  /// Whether the last token added was a unary minus sign.
  bool lastWasSign = false;

private:
  void closeSigns() {
    while (!open.empty() && open.back() == '-')
      open.pop_back();
  }

  std::vector<char> open;    ///< '(' for any bracket, '-' for a sign.
  bool afterOperand = false; ///< After an operand, '-' subtracts.
};

/// Step 2: lexical error tokens and nesting depth.
bool checkTokens(antlr4::CommonTokenStream &tokens,
                 const LocationMap &locations, DiagnosticEngine &diag) {
  NestingDepth depth;
  for (antlr4::Token *token : tokens.getTokens()) {
    if (!checkLexical(token, locations, diag))
      return false;
    // Comments separate tokens like spaces: they neither open nor close.
    if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL)
      continue;
    if (depth.add(token))
      continue;
    std::string limit = std::to_string(kMaxNesting) + " levels";
    diag.error(locations.at(token),
               depth.lastWasSign
                   ? "unary '-' signs and brackets nest deeper than " + limit +
                         "; simplify the expression"
                   : "brackets nest deeper than " + limit +
                         "; split the expression into named values");
    return false;
  }
  return true;
}

/// Step 4: the parse tree becomes the AST.
class ASTBuilder {
public:
  ASTBuilder(const LocationMap &locations, DiagnosticEngine &diag)
      : locations(locations), diag(diag) {}

  std::unique_ptr<Module> build(P::FileContext *file, llvm::StringRef path) {
    auto module = std::make_unique<Module>();
    module->path = path.str();
    for (auto *import : file->importDecl())
      module->imports.push_back(buildImport(import));
    for (auto *decl : file->topDecl()) {
      if (auto *block = decl->blockDecl())
        module->blocks.push_back(
            buildBlock(block->IDENT(), block->paramList(), block->body(),
                       /*isNetwork=*/false));
      else if (auto *network = decl->networkDecl())
        module->blocks.push_back(buildBlock(network->IDENT(),
                                            network->paramList(),
                                            network->body(), true));
      else if (auto *encoder = decl->encoderDecl())
        module->encoders.push_back(buildEncoder(encoder));
      else if (auto *train = decl->trainDecl())
        module->trains.push_back(buildTrain(train));
    }
    return failed ? nullptr : std::move(module);
  }

private:
  ImportDecl buildImport(P::ImportDeclContext *ctx) {
    ImportDecl import;
    import.loc = locations.at(ctx);
    if (auto *name = ctx->qualifiedName()) {
      import.isStandard = true;
      import.path = name->getText();
    } else {
      import.path = unescape(ctx->STRING());
    }
    if (auto *alias = ctx->IDENT())
      import.alias = alias->getText();
    return import;
  }

  BlockDecl buildBlock(antlr4::tree::TerminalNode *name,
                       P::ParamListContext *params, P::BodyContext *body,
                       bool isNetwork) {
    BlockDecl block;
    block.isNetwork = isNetwork;
    block.name = name->getText();
    block.loc = locations.at(name);
    if (params)
      for (auto *param : params->param())
        block.params.push_back(buildParam(param));
    for (auto *stmt : body->stmt())
      block.body.push_back(buildStmt(stmt));
    return block;
  }

  Param buildParam(P::ParamContext *ctx) {
    Param param;
    param.name = ctx->name->getText();
    param.loc = locations.at(ctx);
    param.kind = ctx->kind->getText();
    param.kindLoc = locations.at(ctx->kind);
    if (auto *value = ctx->constExpr())
      param.defaultValue = buildConstant(value);
    return param;
  }

  Stmt buildStmt(P::StmtContext *ctx) {
    Stmt stmt;
    stmt.loc = locations.at(ctx);
    if (auto *input = ctx->inputStmt()) {
      stmt.kind = Stmt::Kind::Input;
      stmt.name = input->IDENT()->getText();
      stmt.loc = locations.at(input->IDENT());
      if (auto *type = input->typeExpr())
        stmt.type = buildType(type);
    } else if (auto *let = ctx->letStmt()) {
      stmt.kind = Stmt::Kind::Let;
      stmt.name = let->IDENT()->getText();
      stmt.value = buildExpr(let->expr());
    } else if (auto *emit = ctx->emitStmt()) {
      stmt.kind = Stmt::Kind::Emit;
      stmt.value = buildExpr(emit->expr());
    } else {
      stmt.kind = Stmt::Kind::Return;
      stmt.value = buildExpr(ctx->returnStmt()->expr());
    }
    return stmt;
  }

  TypeExpr buildType(P::TypeExprContext *ctx) {
    TypeExpr type;
    type.name = ctx->IDENT()->getText();
    type.loc = locations.at(ctx);
    for (auto *arg : ctx->argument())
      type.args.push_back(buildArgument(arg));
    return type;
  }

  EncoderDecl buildEncoder(P::EncoderDeclContext *ctx) {
    EncoderDecl encoder;
    encoder.isAutoencoder = ctx->kind->getText() == "autoencoder";
    encoder.name = ctx->IDENT()->getText();
    encoder.loc = locations.at(ctx->IDENT());
    // Where each kind of item was first given: a second one would silently
    // override it. `frozen` and `trainable` are one setting.
    std::map<std::string, std::pair<std::string, Location>> given;
    for (auto *item : ctx->encoderItem()) {
      std::string keyword = item->getStart()->getText();
      std::string setting =
          keyword == "trainable" ? std::string("frozen") : keyword;
      Location loc = locations.at(item);
      if (auto it = given.find(setting); it != given.end()) {
        const auto &[firstKeyword, firstLoc] = it->second;
        std::string message =
            firstKeyword == keyword
                ? quote(keyword) + " is given twice in " + quote(encoder.name)
                : quote(keyword) + " contradicts " + quote(firstKeyword) +
                      ": an encoder is either frozen or trainable";
        if (!failed)
          diag.error(loc, message)
              .note(firstLoc, firstKeyword == keyword
                                  ? std::string("first given here")
                                  : quote(firstKeyword) + " is given here");
        failed = true;
        continue;
      }
      given[setting] = {keyword, loc};
      if (auto *input = dynamic_cast<P::EncoderInputContext *>(item))
        encoder.input = buildType(input->typeExpr());
      else if (auto *part = dynamic_cast<P::EncoderPartContext *>(item))
        encoder.encoder = buildCall(part->call());
      else if (auto *dec = dynamic_cast<P::DecoderPartContext *>(item))
        encoder.decoder = buildCall(dec->call());
      else if (auto *weights = dynamic_cast<P::EncoderWeightsContext *>(item)) {
        encoder.weights = unescape(weights->STRING());
        encoder.weightsLoc = loc;
      } else if (auto *pre = dynamic_cast<P::EncoderPretrainContext *>(item))
        encoder.pretrain = buildCall(pre->call());
      else if (auto *flag = dynamic_cast<P::EncoderFreezingContext *>(item)) {
        encoder.freezing = flag->flag->getText() == "frozen"
                               ? EncoderDecl::Freezing::Frozen
                               : EncoderDecl::Freezing::Trainable;
        encoder.freezingLoc = loc;
      }
    }
    return encoder;
  }

  TrainDecl buildTrain(P::TrainDeclContext *ctx) {
    TrainDecl train;
    train.network = ctx->IDENT()->getText();
    train.loc = locations.at(ctx->IDENT());
    if (auto *args = ctx->arguments())
      train.args = buildArguments(args);
    for (auto *item : ctx->recipeItem()) {
      RecipeItem recipe;
      recipe.key = item->IDENT()->getText();
      recipe.loc = locations.at(item);
      if (auto *call = item->call())
        recipe.call = buildCall(call);
      else
        recipe.value = buildConstant(item->constExpr());
      train.items.push_back(std::move(recipe));
    }
    return train;
  }

  // expr : pipe ('+' pipe)*
  std::unique_ptr<Expr> buildExpr(P::ExprContext *ctx) {
    auto pipes = ctx->pipe();
    if (pipes.size() == 1)
      return buildPipe(pipes.front());
    auto sum = std::make_unique<Expr>();
    sum->kind = Expr::Kind::Add;
    // A merge is located at its first '+', where a mismatch is reported.
    sum->loc = locations.at(
        static_cast<antlr4::tree::TerminalNode *>(ctx->children[1]));
    for (auto *pipe : pipes)
      sum->operands.push_back(buildPipe(pipe));
    return sum;
  }

  // pipe : primary ('->' stage)*
  std::unique_ptr<Expr> buildPipe(P::PipeContext *ctx) {
    auto source = buildPrimary(ctx->primary());
    if (ctx->stage().empty())
      return source;
    auto pipe = std::make_unique<Expr>();
    pipe->kind = Expr::Kind::Pipe;
    pipe->loc = source->loc;
    pipe->operands.push_back(std::move(source));
    for (auto *stage : ctx->stage())
      pipe->stages.push_back(buildStage(stage));
    return pipe;
  }

  std::unique_ptr<Expr> buildPrimary(P::PrimaryContext *ctx) {
    if (auto *parens = dynamic_cast<P::ParensContext *>(ctx))
      return buildExpr(parens->expr());
    auto expr = std::make_unique<Expr>();
    expr->loc = locations.at(ctx);
    if (auto *ref = dynamic_cast<P::ValueRefContext *>(ctx)) {
      expr->kind = Expr::Kind::ValueRef;
      expr->name = ref->IDENT()->getText();
    } else if (auto *collect = dynamic_cast<P::CollectContext *>(ctx)) {
      expr->kind = Expr::Kind::Collect;
      expr->name = collect->IDENT()->getText();
    } else {
      expr->kind = Expr::Kind::Tuple;
      for (auto *element : static_cast<P::TupleContext *>(ctx)->expr())
        expr->operands.push_back(buildExpr(element));
    }
    return expr;
  }

  Stage buildStage(P::StageContext *ctx) {
    Stage stage;
    stage.loc = locations.at(ctx);
    if (auto *repeat = dynamic_cast<P::RepeatStageContext *>(ctx)) {
      stage.kind = Stage::Kind::Repeat;
      stage.count = buildConstant(repeat->constExpr());
      stage.call = buildCall(repeat->call());
    } else if (auto *conn = dynamic_cast<P::ConnectionStageContext *>(ctx)) {
      stage.kind = conn->kind->getText() == "sleep" ? Stage::Kind::Sleep
                                                    : Stage::Kind::Dream;
      stage.args = buildArguments(conn->arguments());
    } else {
      stage.kind = Stage::Kind::Call;
      stage.call = buildCall(static_cast<P::CallStageContext *>(ctx)->call());
    }
    return stage;
  }

  Call buildCall(P::CallContext *ctx) {
    Call call;
    call.callee = ctx->qualifiedName()->getText();
    call.loc = locations.at(ctx);
    if (auto *args = ctx->arguments())
      call.args = buildArguments(args);
    return call;
  }

  std::vector<Argument> buildArguments(P::ArgumentsContext *ctx) {
    std::vector<Argument> args;
    for (auto *arg : ctx->argument())
      args.push_back(buildArgument(arg));
    return args;
  }

  Argument buildArgument(P::ArgumentContext *ctx) {
    Argument arg;
    arg.loc = locations.at(ctx);
    if (ctx->name)
      arg.name = ctx->name->getText();
    if (auto *keyword = ctx->keyword()) {
      // A keyword where a word goes is that word, as a name would be.
      arg.value = std::make_unique<ConstExpr>();
      arg.value->kind = ConstExpr::Kind::Name;
      arg.value->loc = locations.at(keyword);
      arg.value->text = keyword->getText();
      return arg;
    }
    arg.value = buildConstant(ctx->constExpr());
    return arg;
  }

  /// A whole constant expression: its operators are counted afresh.
  std::unique_ptr<ConstExpr> buildConstant(P::ConstExprContext *ctx) {
    constOperators = 0;
    return buildConst(ctx);
  }

  // constExpr : constTerm (op+=('+' | '-') constTerm)*
  std::unique_ptr<ConstExpr> buildConst(P::ConstExprContext *ctx) {
    auto terms = ctx->constTerm();
    auto result = buildTerm(terms[0]);
    for (size_t i = 1; i < terms.size() && countOperator(ctx->op[i - 1]); ++i)
      result = makeBinary(ctx->op[i - 1], std::move(result),
                          buildTerm(terms[i]));
    return result;
  }

  // constTerm : constAtom (op+=('*' | '/') constAtom)*
  std::unique_ptr<ConstExpr> buildTerm(P::ConstTermContext *ctx) {
    auto atoms = ctx->constAtom();
    auto result = buildAtom(atoms[0]);
    for (size_t i = 1; i < atoms.size() && countOperator(ctx->op[i - 1]); ++i)
      result = makeBinary(ctx->op[i - 1], std::move(result),
                          buildAtom(atoms[i]));
    return result;
  }

  /// Counts one binary operator of the current constant expression; past
  /// kMaxConstOperators, reports it and stops building the expression.
  bool countOperator(antlr4::Token *op) {
    if (++constOperators <= kMaxConstOperators)
      return true;
    fail(locations.at(op), "a constant expression may have at most " +
                               std::to_string(kMaxConstOperators) +
                               " operators");
    return false;
  }

  std::unique_ptr<ConstExpr> makeBinary(antlr4::Token *op,
                                        std::unique_ptr<ConstExpr> lhs,
                                        std::unique_ptr<ConstExpr> rhs) {
    auto binary = std::make_unique<ConstExpr>();
    binary->kind = ConstExpr::Kind::Binary;
    binary->loc = locations.at(op);
    binary->text = op->getText();
    binary->operands.push_back(std::move(lhs));
    binary->operands.push_back(std::move(rhs));
    return binary;
  }

  std::unique_ptr<ConstExpr> buildAtom(P::ConstAtomContext *ctx) {
    if (auto *parens = dynamic_cast<P::ConstParensContext *>(ctx))
      return buildConst(parens->constExpr());
    auto atom = std::make_unique<ConstExpr>();
    atom->loc = locations.at(ctx);
    if (auto *lit = dynamic_cast<P::IntLitContext *>(ctx)) {
      atom->kind = ConstExpr::Kind::Int;
      if (llvm::StringRef(lit->getText()).getAsInteger(10, atom->intValue))
        fail(atom->loc, "integer literal " + quote(lit->getText()) +
                            " does not fit in 64 bits");
    } else if (auto *lit = dynamic_cast<P::FloatLitContext *>(ctx)) {
      atom->kind = ConstExpr::Kind::Float;
      atom->floatValue = std::strtod(lit->getText().c_str(), nullptr);
      if (!std::isfinite(atom->floatValue))
        fail(atom->loc, "number " + quote(lit->getText()) +
                            " is too large for a 64-bit float");
    } else if (auto *lit = dynamic_cast<P::StringLitContext *>(ctx)) {
      atom->kind = ConstExpr::Kind::String;
      atom->text = unescape(lit->STRING());
    } else if (auto *lit = dynamic_cast<P::BoolLitContext *>(ctx)) {
      atom->kind = ConstExpr::Kind::Bool;
      atom->boolValue = lit->value->getText() == "true";
    } else if (auto *ref = dynamic_cast<P::NameRefContext *>(ctx)) {
      atom->kind = ConstExpr::Kind::Name;
      atom->text = ref->qualifiedName()->getText();
    } else if (auto *neg = dynamic_cast<P::NegateContext *>(ctx)) {
      atom->kind = ConstExpr::Kind::Negate;
      atom->operands.push_back(buildAtom(neg->constAtom()));
    } else if (auto *tuple = dynamic_cast<P::ConstTupleContext *>(ctx)) {
      atom->kind = ConstExpr::Kind::Tuple;
      for (auto *element : tuple->constExpr())
        atom->operands.push_back(buildConst(element));
    } else {
      atom->kind = ConstExpr::Kind::List;
      for (auto *element : static_cast<P::ConstListContext *>(ctx)->constExpr())
        atom->operands.push_back(buildConst(element));
    }
    return atom;
  }

  /// Resolves the escapes of a STRING token: \" \\ \n \t.
  std::string unescape(antlr4::tree::TerminalNode *node) {
    std::string raw = node->getText();
    std::string text;
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      if (raw[i] != '\\') {
        text += raw[i];
        continue;
      }
      char escaped = raw[++i];
      switch (escaped) {
      case '"':
      case '\\':
        text += escaped;
        break;
      case 'n':
        text += '\n';
        break;
      case 't':
        text += '\t';
        break;
      default:
        fail(locations.at(node), std::string("unknown escape '\\") + escaped +
                                     "' in string; use \\\", \\\\, \\n or \\t");
      }
    }
    return text;
  }

  void fail(Location loc, std::string message) {
    if (!failed)
      diag.error(loc, std::move(message));
    failed = true;
  }

  const LocationMap &locations;
  DiagnosticEngine &diag;
  bool failed = false;
  unsigned constOperators = 0; ///< In the constant expression being built.
};

} // namespace

/// Steps 1 to 3: the parse tree, or nullptr after reporting an error.
static std::unique_ptr<ParseTree>
parseFile(const std::string &text, llvm::StringRef fileName,
          DiagnosticEngine &diag) {
  LocationMap locations(text, fileName);
  if (!checkEncoding(text, locations, diag))
    return nullptr;
  auto tree = std::make_unique<ParseTree>(text, std::move(locations));
  tree->lexer.removeErrorListeners();
  tree->tokens.fill();
  if (!checkTokens(tree->tokens, tree->locations, diag))
    return nullptr;

  P &parser = tree->parser;
  parser.removeErrorListeners();
  SyntaxErrorListener listener(diag, tree->locations);
  parser.addErrorListener(&listener);
  parser.setErrorHandler(std::make_shared<FirstErrorStrategy>());
  try {
    tree->file = parser.file();
  } catch (const SyntaxAbort &) {
    return nullptr;
  }
  parser.removeErrorListeners();
  if (listener.reported)
    return nullptr;
  return tree;
}

std::unique_ptr<Module> dream::parseModule(const std::string &text,
                                           llvm::StringRef fileName,
                                           DiagnosticEngine &diag) {
  std::unique_ptr<ParseTree> tree = parseFile(text, fileName, diag);
  if (!tree)
    return nullptr;
  return ASTBuilder(tree->locations, diag).build(tree->file, fileName);
}

std::unique_ptr<ParseTree> dream::parseTree(const std::string &text,
                                            llvm::StringRef fileName,
                                            DiagnosticEngine &diag) {
  std::unique_ptr<ParseTree> tree = parseFile(text, fileName, diag);
  // The AST's own checks (escapes, literal ranges, repeated encoder items)
  // are part of what parses: the same file gets the same first error.
  if (!tree || !ASTBuilder(tree->locations, diag).build(tree->file, fileName))
    return nullptr;
  return tree;
}
