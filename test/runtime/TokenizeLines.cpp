//===- TokenizeLines.cpp - The trainer's token ids of lines of text ------===//
//
// tokenize-lines VOCAB LENGTH < LINES: each line's ids as WordPieceTokenizer
// encodes it for a network (`[CLS] pieces [SEP]`, padded or cut to LENGTH),
// one line of ids each, for test/EndToEnd/unicode-tokens.test to compare
// with Hugging Face's tokenizer.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Text.h"

#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: tokenize-lines VOCAB LENGTH < LINES\n";
    return 2;
  }
  dream::rt::WordPieceTokenizer tokenizer(argv[1]);
  size_t length = std::strtoul(argv[2], nullptr, 10);
  for (std::string line; std::getline(std::cin, line);) {
    std::vector<int64_t> ids = tokenizer.encode(line, length);
    for (size_t i = 0; i < ids.size(); ++i)
      std::cout << (i ? " " : "") << ids[i];
    std::cout << "\n";
  }
  return 0;
}
