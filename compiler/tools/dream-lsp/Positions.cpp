//===- Positions.cpp - dreamc locations as LSP positions
//-------------------===//

#include "Positions.h"

#include "llvm/ADT/StringExtras.h"

using namespace dream;
using namespace dream::lsp;

/// UTF-16 code units of the UTF-8 sequence that starts with `lead`: a code
/// point beyond the basic plane takes two. A stray continuation byte counts
/// as one, as editors show it as one replacement character.
static int utf16Units(unsigned char lead) { return lead >= 0xF0 ? 2 : 1; }

/// Whether `byte` continues a UTF-8 sequence rather than starting one.
static bool isContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

Position lsp::toPosition(llvm::StringRef lineText, unsigned line,
                         unsigned col) {
  size_t end = std::min<size_t>(col ? col - 1 : 0, lineText.size());
  int character = 0;
  for (size_t i = 0; i < end; ++i)
    if (!isContinuation(lineText[i]))
      character += utf16Units(lineText[i]);
  return Position(line ? line - 1 : 0, character);
}

unsigned lsp::toByteColumn(llvm::StringRef lineText, int character) {
  size_t i = 0;
  for (int units = 0; i < lineText.size() && units < character;) {
    units += utf16Units(lineText[i]);
    for (++i; i < lineText.size() && isContinuation(lineText[i]); ++i)
      ;
  }
  return i + 1;
}

static bool isNameChar(char c) { return llvm::isAlnum(c) || c == '_'; }

unsigned lsp::tokenLength(llvm::StringRef lineText, unsigned col) {
  size_t begin = col ? col - 1 : 0;
  if (begin >= lineText.size())
    return 0;
  size_t end = begin;
  // Names, dotted names and numbers (a float's point included).
  while (end < lineText.size() &&
         (isNameChar(lineText[end]) ||
          (lineText[end] == '.' && end > begin && end + 1 < lineText.size() &&
           isNameChar(lineText[end + 1]))))
    ++end;
  return end > begin ? end - begin : 1;
}

Range lsp::toRange(const SourceManager &sources, Location loc,
                   unsigned length) {
  if (!loc.isValid())
    return Range(Position(0, 0), Position(0, 0));
  llvm::StringRef text = sources.lineText(loc.file, loc.line);
  return Range(toPosition(text, loc.line, loc.col),
               toPosition(text, loc.line, loc.col + length));
}

Range lsp::tokenRange(const SourceManager &sources, Location loc) {
  llvm::StringRef text = sources.lineText(loc.file, loc.line);
  return toRange(sources, loc, tokenLength(text, loc.col));
}
