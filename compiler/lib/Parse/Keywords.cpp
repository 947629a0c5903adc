//===- Keywords.cpp - The words the grammar reserves ----------------------===//

#include "dream/Parse/Parser.h"

#include "DreamLexer.h"

#include "llvm/ADT/StringExtras.h"

std::vector<std::string> dream::keywords() {
  antlr4::ANTLRInputStream input("");
  parser::DreamLexer lexer(&input);
  const antlr4::dfa::Vocabulary &vocabulary = lexer.getVocabulary();
  std::vector<std::string> words;
  for (size_t type = 0; type <= vocabulary.getMaxTokenType(); ++type) {
    // Literal names are quoted: 'repeat', '->'. Keywords are the words.
    std::string name = vocabulary.getLiteralName(type);
    llvm::StringRef literal = name;
    if (literal.consume_front("'") && literal.consume_back("'") &&
        !literal.empty() && llvm::all_of(literal, llvm::isAlpha))
      words.push_back(literal.str());
  }
  return words;
}
