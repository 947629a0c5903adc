//===- Formatter.cpp - The canonical layout of .dream files --------------===//
//
// Walks the compiler's parse tree and writes every token again: one
// statement or item per line, four spaces per level, single spaces between
// tokens except where the standard library glues them (`conv(ch, k)`,
// `image[1, 28, 28]`, `stride: 2`, `-1`), the `=` of consecutive `let`s and
// the values of encoder and recipe items aligned. Long statements are broken
// by LineLayout. Comments come from the hidden channel: a comment that
// stood on a line of its own keeps a line of its own, one that followed
// code on its line still follows it. Blank lines are kept (at most one);
// declarations are separated by exactly one.
//
// The result is lexed again and its tokens compared with the input's: a
// formatter can only change spaces and line breaks, and this check makes
// sure it did.
//
//===----------------------------------------------------------------------===//

#include "dream/Parse/Formatter.h"

#include "LineLayout.h"
#include "ParseTree.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <functional>

using namespace dream;
using P = dream::parser::DreamParser;
using antlr4::Token;
using Node = antlr4::tree::ParseTree;
using antlr4::tree::TerminalNode;

namespace {

constexpr unsigned kIndent = 4;
/// Encoder items' values start in one column, past the longest keyword
/// (`pretrain`), whichever items a declaration has.
constexpr size_t kEncoderKeyWidth = sizeof("pretrain") - 1;
/// Recipe values start past the longest key, and at least past
/// `optimizer`, so that the usual keys line up across files whether or not
/// they set an optimizer.
constexpr size_t kRecipeKeyWidth = sizeof("optimizer") - 1;
/// Spaces between code and the `//` comment that ends its line.
constexpr unsigned kCommentGap = 3;

bool isComment(const Token *token) {
  return token->getChannel() != Token::DEFAULT_CHANNEL;
}

bool isLineComment(const Token *token) {
  return token->getType() == P::LINE_COMMENT;
}

/// The text a comment is written back with: a line comment loses the
/// spaces at its end.
std::string commentText(const Token *token) {
  std::string text = token->getText();
  if (isLineComment(token))
    text = llvm::StringRef(text).rtrim(" \t").str();
  return text;
}

/// The line a token or comment ends on.
unsigned endLine(const Token *token) {
  std::string text = token->getText();
  return token->getLine() + std::count(text.begin(), text.end(), '\n');
}

TerminalNode *asTerminal(Node *node) {
  return dynamic_cast<TerminalNode *>(node);
}

bool isText(Node *node, llvm::StringRef text) {
  TerminalNode *terminal = asTerminal(node);
  return terminal && terminal->getText() == text;
}

class Formatter {
public:
  explicit Formatter(ParseTree &tree) : tokens(tree.tokens.getTokens()) {}

  std::string run(P::FileContext *file) {
    for (P::ImportDeclContext *import : file->importDecl()) {
      spacedLine(import, 0);
      afterDeclaration = true;
    }
    for (P::TopDeclContext *decl : file->topDecl()) {
      forceBlank = afterDeclaration;
      declaration(decl);
      afterDeclaration = true;
    }
    leadingComments(file->EOF()->getSymbol());
    return text();
  }

private:
  // --- Declarations and statements: one line each, in braces ----------

  void declaration(P::TopDeclContext *decl) {
    if (auto *block = decl->blockDecl())
      braced(block, [&](auto &items) { body(items); });
    else if (auto *network = decl->networkDecl())
      braced(network, [&](auto &items) { body(items); });
    else if (auto *encoder = decl->encoderDecl())
      braced(encoder, [&](auto &items) { keyed(items, kEncoderKeyWidth); });
    else
      braced(decl->trainDecl(), [&](auto &items) {
        size_t width = kRecipeKeyWidth;
        for (antlr4::ParserRuleContext *item : items)
          width = std::max(width, item->getStart()->getText().size());
        keyed(items, width);
      });
  }

  /// `header { item* }`: the header and `{` on one line, each item on its
  /// own, `}` alone. A block's or network's items are in its `body`.
  void braced(antlr4::ParserRuleContext *decl,
              const std::function<void(
                  std::vector<antlr4::ParserRuleContext *> &)> &layItems) {
    std::vector<Node *> children;
    for (Node *child : decl->children)
      if (auto *body = dynamic_cast<P::BodyContext *>(child))
        children.insert(children.end(), body->children.begin(),
                        body->children.end());
      else
        children.push_back(child);
    startLine(decl->getStart());
    size_t i = 0;
    for (; !isText(children[i], "{"); ++i) {
      // Parameters and arguments are glued to the name before them.
      bool glued = dynamic_cast<P::ParamListContext *>(children[i]) ||
                   dynamic_cast<P::ArgumentsContext *>(children[i]);
      if (i && !glued)
        space();
      node(children[i]);
    }
    space();
    add(asTerminal(children[i]));
    finishLine();
    suppressBlank = true;
    std::vector<antlr4::ParserRuleContext *> items;
    for (++i; !isText(children[i], "}"); ++i)
      items.push_back(static_cast<antlr4::ParserRuleContext *>(children[i]));
    indent += kIndent;
    layItems(items);
    Token *close = asTerminal(children[i])->getSymbol();
    leadingComments(close);
    indent -= kIndent;
    suppressBlank = true;
    startLine(close);
    add(close);
    finishLine();
  }

  /// Statements; the `=` of consecutive `let`s line up.
  void body(std::vector<antlr4::ParserRuleContext *> &stmts) {
    for (size_t begin = 0; begin < stmts.size();) {
      size_t end = begin + 1;
      while (end < stmts.size() && continuesLets(stmts[end - 1], stmts[end]))
        ++end;
      size_t width = 0;
      for (size_t i = begin; i < end; ++i)
        if (auto *let = static_cast<P::StmtContext *>(stmts[i])->letStmt())
          width = std::max(width, let->IDENT()->getText().size());
      for (size_t i = begin; i < end; ++i) {
        auto *stmt = static_cast<P::StmtContext *>(stmts[i]);
        spacedLine(stmt->children.front(), stmt->letStmt() ? width : 0);
      }
      begin = end;
    }
  }

  /// Whether `next` is a `let` on the line after the `let` `previous`
  /// ends (nothing between them but, perhaps, a comment ending that line).
  static bool continuesLets(antlr4::ParserRuleContext *previous,
                            antlr4::ParserRuleContext *next) {
    return static_cast<P::StmtContext *>(previous)->letStmt() &&
           static_cast<P::StmtContext *>(next)->letStmt() &&
           next->getStart()->getLine() <= previous->getStop()->getLine() + 1;
  }

  /// Encoder and recipe items: the value after the key, in one column.
  void keyed(std::vector<antlr4::ParserRuleContext *> &items, size_t width) {
    for (antlr4::ParserRuleContext *item : items)
      spacedLine(item, item->children.size() > 1 ? width : 0);
  }

  /// A line of space-separated parts (an import, a statement, an item),
  /// its first token padded to `width`.
  void spacedLine(Node *tree, size_t width) {
    auto *ctx = static_cast<antlr4::ParserRuleContext *>(tree);
    startLine(ctx->getStart());
    for (Node *child : ctx->children) {
      if (!pieces.empty())
        space();
      node(child);
      if (pieces.size() == 1 && pieces[0].text.size() < width)
        pieces[0].text.resize(width, ' ');
    }
    finishLine();
  }

  // --- Expressions and everything inside a line ------------------------

  /// Lays out the tokens of one rule: glued by default, with spaces and
  /// break opportunities around the operators that have them.
  void node(Node *tree) {
    if (TerminalNode *terminal = asTerminal(tree)) {
      add(terminal);
      return;
    }
    auto *ctx = static_cast<antlr4::ParserRuleContext *>(tree);
    int first = -1;      // The first piece of the first element.
    int firstArrow = -1; // Where a pipe's stages line up when broken.
    for (Node *child : ctx->children) {
      TerminalNode *terminal = asTerminal(child);
      if (!terminal) {
        if (dynamic_cast<P::RepeatStageContext *>(ctx) &&
            dynamic_cast<P::CallContext *>(child))
          space(); // repeat(M) block(...)
        size_t before = pieces.size();
        node(child);
        if (first < 0)
          first = firstCode(before);
        continue;
      }
      std::string text = terminal->getText();
      if (text == ",") {
        add(terminal);
        space();
        breakBefore(0, first);
      } else if (text == "->") {
        space();
        if (firstArrow >= 0)
          breakBefore(isInSum(ctx), firstArrow);
        int at = add(terminal);
        if (firstArrow < 0)
          firstArrow = at;
        space();
      } else if (text == ":") {
        add(terminal);
        space();
      } else if (text == "=" || isBinaryOperator(ctx, text)) {
        space();
        if (dynamic_cast<P::ExprContext *>(ctx))
          breakBefore(0, first);
        add(terminal);
        space();
      } else {
        add(terminal);
      }
    }
  }

  static bool isBinaryOperator(antlr4::ParserRuleContext *ctx,
                               llvm::StringRef text) {
    return (dynamic_cast<P::ConstExprContext *>(ctx) ||
            dynamic_cast<P::ConstTermContext *>(ctx) ||
            dynamic_cast<P::ExprContext *>(ctx)) &&
           (text == "+" || text == "-" || text == "*" || text == "/");
  }

  /// A pipe that is one operand of `+`: its `->` breaks come after the
  /// `+` breaks.
  static int isInSum(antlr4::ParserRuleContext *pipe) {
    auto *sum = dynamic_cast<P::ExprContext *>(pipe->parent);
    return sum && sum->pipe().size() > 1;
  }

  // --- Pieces, comments and lines ---------------------------------------

  void space() { pendingSpace = true; }

  /// The next piece may start a line, aligned with piece `alignTo`; depths
  /// count brackets twice, so that `extra` orders breaks within one level.
  void breakBefore(int extra, int alignTo) {
    pendingBreak = 2 * bracketDepth + extra;
    pendingAlign = alignTo;
  }

  int firstCode(size_t from) const {
    for (size_t i = from; i < pieces.size(); ++i)
      if (!commentPiece[i])
        return static_cast<int>(i);
    return -1;
  }

  /// Adds a token, after the comments that precede it inside the line.
  int add(TerminalNode *terminal) { return add(terminal->getSymbol()); }
  int add(Token *token) {
    while (cursor < token->getTokenIndex())
      if (Token *comment = tokens[cursor++]; isComment(comment))
        addComment(comment);
    cursor = token->getTokenIndex() + 1;
    Piece piece;
    piece.text = token->getText();
    piece.space = !pieces.empty() && (pendingSpace || commentPiece.back());
    piece.breakDepth = pendingBreak;
    piece.alignTo = pendingAlign;
    piece.mustBreak = breakNext || (afterOwnLineComment &&
                                    token->getLine() > lastLine);
    bool opens = piece.text == "(" || piece.text == "[";
    push(std::move(piece), false);
    bracketDepth += opens;
    lastLine = token->getLine();
    return static_cast<int>(pieces.size()) - 1;
  }

  /// A comment inside a line: after the code on its line, or alone on a
  /// line of its own, as it was.
  void addComment(Token *comment) {
    bool ownLine = comment->getLine() > lastLine;
    Piece piece;
    piece.text = commentText(comment);
    piece.space = !pieces.empty();
    piece.lineComment = isLineComment(comment);
    piece.mustBreak = breakNext || ownLine;
    if (pendingBreak != Piece::kNoBreak)
      piece.alignTo = pendingAlign;
    push(std::move(piece), true);
    breakNext = isLineComment(comment);
    afterOwnLineComment = ownLine;
    lastLine = endLine(comment);
  }

  void push(Piece piece, bool comment) {
    if (!comment && (piece.text == ")" || piece.text == "]"))
      --bracketDepth;
    pieces.push_back(std::move(piece));
    commentPiece.push_back(comment);
    // A comment sits between tokens like a space: what the next token asked
    // for still holds after it.
    if (!comment) {
      pendingSpace = false;
      pendingBreak = Piece::kNoBreak;
      pendingAlign = -1;
      breakNext = afterOwnLineComment = false;
    }
  }

  /// Comments alone on their lines before `next`, at the current indent.
  void leadingComments(Token *next) {
    for (; cursor < next->getTokenIndex(); ++cursor) {
      Token *comment = tokens[cursor];
      if (!isComment(comment))
        continue;
      blankBefore(comment->getLine());
      out.push_back({std::string(indent, ' ') + commentText(comment), ""});
      lastLine = endLine(comment);
    }
  }

  void blankBefore(unsigned line) {
    if (!out.empty() && !suppressBlank && (forceBlank || line > lastLine + 1))
      out.push_back({});
    forceBlank = suppressBlank = false;
  }

  void startLine(Token *first) {
    leadingComments(first);
    blankBefore(first->getLine());
    pieces.clear();
    commentPiece.clear();
  }

  /// Ends the line with the comments that follow its last token on the
  /// same source line, and lays it out.
  void finishLine() {
    while (cursor < tokens.size() && isComment(tokens[cursor]) &&
           tokens[cursor]->getLine() == lastLine)
      addComment(tokens[cursor++]);
    for (PhysicalLine &line : layOut(pieces, indent, kFormatColumnLimit))
      out.push_back(std::move(line));
    breakNext = afterOwnLineComment = false;
  }

  /// The lines joined, runs of trailing comments aligned.
  std::string text() {
    for (size_t begin = 0; begin < out.size();) {
      size_t end = begin;
      unsigned column = 0;
      for (; end < out.size() && !out[end].comment.empty(); ++end)
        column = std::max(column, widthOf(out[end].code) + kCommentGap);
      for (size_t i = begin; i < end; ++i)
        out[i].code += std::string(column - widthOf(out[i].code), ' ') +
                       out[i].comment;
      begin = end == begin ? end + 1 : end;
    }
    std::string result;
    for (const PhysicalLine &line : out)
      result += line.code + "\n";
    return result;
  }

  const std::vector<Token *> tokens; ///< Every token, comments included.
  size_t cursor = 0;     ///< The next token not yet written.
  unsigned lastLine = 0; ///< The source line the last thing written ended.
  std::vector<PhysicalLine> out;
  unsigned indent = 0;

  // The line being built.
  std::vector<Piece> pieces;
  std::vector<bool> commentPiece;
  int bracketDepth = 0;
  bool pendingSpace = false;
  int pendingBreak = Piece::kNoBreak;
  int pendingAlign = -1;
  bool breakNext = false;           ///< After a `//` comment.
  bool afterOwnLineComment = false; ///< After a comment alone on its line.

  bool afterDeclaration = false; ///< An import or declaration was written.
  bool forceBlank = false;       ///< One blank line before what comes next.
  bool suppressBlank = false;    ///< None: just after `{`, or before `}`.
};

/// The tokens of `text`, comments included, as the formatter must keep
/// them: type and spelling.
std::vector<std::pair<size_t, std::string>> tokenList(const std::string &text) {
  antlr4::ANTLRInputStream input(text);
  parser::DreamLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream stream(&lexer);
  stream.fill();
  std::vector<std::pair<size_t, std::string>> list;
  for (Token *token : stream.getTokens())
    list.emplace_back(token->getType(), commentText(token));
  return list;
}

} // namespace

std::optional<std::string> dream::formatSource(const std::string &text,
                                               llvm::StringRef fileName,
                                               DiagnosticEngine &diag) {
  std::unique_ptr<ParseTree> tree = parseTree(text, fileName, diag);
  if (!tree)
    return std::nullopt;
  std::string formatted = Formatter(*tree).run(tree->file);
  if (tokenList(formatted) != tokenList(text)) {
    diag.error(Location{fileName, 0, 0},
               "internal error: the layout would change the file's tokens; "
               "please report this with the file");
    return std::nullopt;
  }
  return formatted;
}
