//===- Text.h - Text data sets: CSV files and WordPiece tokens --*- C++ -*-===//
//
// Text classification sets in the AG News layout (train.csv, test.csv:
// class index from 1, title, text; RFC 4180 quoting), tokenised with the
// WordPiece vocabulary of the BERT-family encoder the models use
// (all-MiniLM-L6-v2's vocab.txt), so that token ids mean the same to the
// network's embedding and to the pre-trained encoder.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_TEXT_H
#define DREAM_RUNTIME_TEXT_H

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace dream::rt {

/// The directory of the all-MiniLM-L6-v2 files (vocab.txt,
/// model.safetensors): $DREAMC_MINILM_DIR, else its place in the set-up's
/// venv.
std::string miniLMDirectory();

/// The records of an RFC 4180 CSV file: fields separated by commas, quoted
/// fields may hold commas, doubled quotes and line breaks; CRLF or LF. A
/// record that does not parse throws DataError naming file and line.
std::vector<std::vector<std::string>> readCsv(const std::string &path);

/// BERT's uncased WordPiece tokenisation: lower-cased ASCII, text split on
/// white space and around punctuation, each word cut greedily into the
/// longest vocabulary pieces (continuations spelled `##piece`), `[UNK]`
/// for a word that cannot be cut. Non-ASCII characters are kept as they
/// are (no accent stripping), which is what the vocabulary has for them.
class WordPieceTokenizer {
public:
  /// Reads a vocab.txt (one token per line, the id is the line number).
  /// Throws DataError if it is missing or lacks [PAD], [UNK], [CLS], [SEP].
  explicit WordPieceTokenizer(const std::string &vocabPath);

  /// `[CLS] pieces... [SEP]`, cut or padded with `[PAD]` to `length` ids
  /// (a cut keeps the final `[SEP]`).
  std::vector<int64_t> encode(const std::string &text, size_t length) const;
  /// The pieces of `text` without special tokens, for tests and messages.
  std::vector<std::string> pieces(const std::string &text) const;
  size_t size() const { return vocab.size(); }
  int64_t padId() const { return pad; }
  /// [MASK], which masked-token pre-training needs, if the vocabulary has it.
  std::optional<int64_t> maskId() const { return mask; }
  /// [PAD], [CLS] or [SEP]: positions that hold no word.
  bool isStructural(int64_t id) const {
    return id == pad || id == cls || id == sep;
  }
  /// The text of `ids`: pieces joined by spaces, `##` continuations glued
  /// to the piece before, [PAD], [CLS] and [SEP] left out.
  std::string decode(const std::vector<int64_t> &ids) const;

private:
  std::unordered_map<std::string, int64_t> vocab;
  std::vector<std::string> tokens;
  int64_t pad, unknown, cls, sep;
  std::optional<int64_t> mask;
};

/// A tokenised text set: `ids` holds `count` rows of `length` ids, and
/// `labels` the classes counted from 0.
struct TextSet {
  std::vector<int64_t> ids;
  std::vector<int64_t> labels;
  int64_t count = 0;
  int64_t length = 0;
};

/// Reads `path` (class index from 1, title, text), at most `limit` records
/// (0: all), title and text joined by a space. A class outside
/// 1..`classes` throws DataError naming the line.
TextSet readTextCsv(const std::string &path, const WordPieceTokenizer &tokenizer,
                    int64_t length, int64_t classes, int64_t limit);

} // namespace dream::rt

#endif // DREAM_RUNTIME_TEXT_H
