//===- Completion.cpp - Names that fit where the cursor is ----------------===//

#include "Completion.h"

#include "dream/Parse/Parser.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <set>

using namespace dream;
using namespace dream::lsp;
using mlir::lsp::CompletionItem;
using mlir::lsp::CompletionItemKind;
using mlir::lsp::CompletionList;

namespace {

bool isNameChar(char c) { return llvm::isAlnum(c) || c == '_' || c == '.'; }

/// Collects items that start with what is already typed.
class Items {
public:
  explicit Items(llvm::StringRef typed) : typed(typed) {}

  void add(llvm::StringRef label, CompletionItemKind kind,
           llvm::StringRef detail = "", llvm::StringRef insert = "") {
    if (!label.starts_with(typed) || !seen.insert(label.str()).second)
      return;
    CompletionItem &item = list.items.emplace_back(label, kind);
    item.detail = detail.str();
    item.insertText = insert.str();
  }

  CompletionList take() { return std::move(list); }

private:
  llvm::StringRef typed;
  std::set<std::string> seen;
  CompletionList list;
};

/// The name of the call whose argument list the cursor starts an argument
/// of: `conv` in `conv(out: 8, |`. `context` is the text before the cursor
/// and what is typed of the argument.
std::optional<std::string> enclosingCall(llvm::StringRef context) {
  if (!context.ends_with("(") && !context.ends_with(","))
    return std::nullopt;
  int depth = 0;
  for (size_t i = context.size(); i-- > 0;) {
    char c = context[i];
    if (c == ')' || c == ']') {
      ++depth;
    } else if (c == '[') {
      if (depth-- == 0)
        return std::nullopt; // In a list, not a call.
    } else if (c == '(') {
      if (depth-- > 0)
        continue;
      llvm::StringRef head = context.take_front(i).rtrim();
      size_t start = head.size();
      while (start > 0 && isNameChar(head[start - 1]))
        --start;
      if (start == head.size())
        return std::nullopt;
      return head.drop_front(start).str();
    } else if (c == '{' || c == '}') {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

/// "int = 3": a parameter as completion detail.
std::string detailOf(const ParamSpec &param) {
  std::string text = paramKindName(param.kind).str();
  if (param.defaultValue)
    text += " = " + param.defaultValue->str();
  return text;
}

void addArguments(Items &items, const std::string &callee,
                  const DocumentIndex *index) {
  auto named = [&](const std::string &name, std::string detail) {
    items.add(name, CompletionItemKind::Field, detail, name + ": ");
  };
  if (callee == "sleep" || callee == "dream") {
    for (const ParamSpec &param : connectionSignature(callee == "dream").params)
      named(param.name, detailOf(param));
    return;
  }
  if (const OpSpec *op = lookupOp(callee)) {
    for (const ParamSpec &param : op->signature.params)
      named(param.name, detailOf(param));
    return;
  }
  const Symbol *symbol = index ? index->resolve(callee) : nullptr;
  if (!symbol || !symbol->block)
    return;
  for (const Param &param : symbol->block->params)
    named(param.name, param.kind);
}

/// Blocks, encoders and ops: what a stage may apply.
void addApplicable(Items &items, const DocumentIndex *index) {
  if (index)
    if (auto scope =
            index->document().program().scopes.find(index->document().root());
        scope != index->document().program().scopes.end())
      for (const auto &[name, symbols] : scope->second.names) {
        const Symbol &symbol = symbols.front();
        if (symbol.block && !symbol.block->isNetwork)
          items.add(name, CompletionItemKind::Function, "block");
        else if (symbol.encoder)
          items.add(name, CompletionItemKind::Struct,
                    symbol.encoder->isAutoencoder ? "autoencoder" : "encoder");
      }
  for (const OpSpec &op : allOps())
    items.add(op.signature.name, CompletionItemKind::Operator,
              op.signature.str());
}

/// The values bound in the block around `offset`, before it.
void addValues(Items &items, const DocumentIndex *index, size_t line) {
  if (!index)
    return;
  const BlockDecl *body = nullptr;
  for (const Occurrence &occurrence : index->occurrences())
    if (occurrence.kind == Occurrence::Kind::Declaration &&
        !occurrence.encoder && occurrence.loc.line <= line)
      if (const Symbol *symbol = index->resolve(occurrence.name);
          symbol && symbol->block)
        body = symbol->block;
  for (const Occurrence &occurrence : index->occurrences())
    if (occurrence.kind == Occurrence::Kind::Binding &&
        occurrence.body == body && occurrence.loc.line <= line)
      items.add(occurrence.name, CompletionItemKind::Variable, "value");
}

void addStandardModules(Items &items, llvm::StringRef stdlibDir) {
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(stdlibDir, ec), end;
       it != end && !ec; it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".dream")
      items.add("std." + llvm::sys::path::stem(it->path()).str(),
                CompletionItemKind::Module, it->path());
}

} // namespace

CompletionList lsp::complete(llvm::StringRef text, size_t offset,
                             const DocumentIndex *index,
                             llvm::StringRef stdlibDir) {
  llvm::StringRef before = text.take_front(offset);
  size_t start = before.size();
  while (start > 0 && isNameChar(before[start - 1]))
    --start;
  llvm::StringRef typed = before.drop_front(start);
  llvm::StringRef context = before.take_front(start).rtrim();
  llvm::StringRef lineStart = context.substr(context.rfind('\n') + 1);
  Items items(typed);

  if (lineStart.trim() == "import") {
    addStandardModules(items, stdlibDir);
    return items.take();
  }
  if (context.ends_with("->")) {
    addApplicable(items, index);
    for (const char *stage : {"repeat", "sleep", "dream"})
      items.add(stage, CompletionItemKind::Keyword);
    return items.take();
  }
  if (auto callee = enclosingCall(context)) {
    addArguments(items, *callee, index);
    return items.take();
  }
  size_t line = before.count('\n') + 1;
  addValues(items, index, line);
  addApplicable(items, index);
  static const std::vector<std::string> words = keywords();
  for (const std::string &keyword : words)
    items.add(keyword, CompletionItemKind::Keyword);
  return items.take();
}
