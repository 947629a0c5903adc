//===- TokenizerFuzzer.cpp - WordPiece vocabularies and texts on any bytes ===//
//
// Texts come from strangers' files and `--tokenizer words` builds a
// vocabulary from them: the tokenizer must take any bytes (broken UTF-8,
// controls, endless words) and any vocabulary that has the special tokens,
// and give ids inside the vocabulary that decode again. The input is a
// vocabulary, one token a line, then a NUL byte, then the text.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Idx.h"
#include "dream/Runtime/Text.h"

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string input(reinterpret_cast<const char *>(data), size);
  size_t split = input.find('\0');
  std::string vocabText = input.substr(0, split);
  std::string text = split == std::string::npos ? "" : input.substr(split + 1);
  std::vector<std::string> vocabulary = {"[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                         "[MASK]"};
  std::istringstream lines(vocabText);
  for (std::string line; std::getline(lines, line);)
    vocabulary.push_back(line);
  try {
    dream::rt::WordPieceTokenizer tokenizer(vocabulary, "fuzz vocabulary");
    size_t length = 1 + size % 64;
    std::vector<int64_t> ids = tokenizer.encode(text, length);
    if (ids.size() != length)
      std::abort();
    for (int64_t id : ids)
      if (id < 0 || static_cast<size_t>(id) >= tokenizer.size())
        std::abort();
    (void)tokenizer.decode(ids);
    (void)tokenizer.pieces(text);
  } catch (const dream::rt::DataError &) {
    // A vocabulary the tokenizer refuses (duplicates, say) is an answer.
  }
  return 0;
}
