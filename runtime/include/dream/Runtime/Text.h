//===- Text.h - Text data sets: CSV files and WordPiece tokens --*- C++ -*-===//
//
// Labelled text sets: CSV files in the AG News and Yelp layouts (train.csv,
// test.csv: class index from 1, [title,] text; RFC 4180 quoting) and IMDB
// reviews (mail folders: Mail.h), tokenised (Data.h) with the
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

/// BERT's uncased WordPiece tokenisation, as Hugging Face's tokenizers
/// does it for any Unicode text: normalised (controls dropped, accents
/// stripped, lower-cased, CJK ideographs apart), split on white space and
/// around punctuation, each word cut greedily into the longest vocabulary
/// pieces (continuations spelled `##piece`), `[UNK]` for a word that
/// cannot be cut or is over 100 characters.
class WordPieceTokenizer {
public:
  /// Reads a vocab.txt (one token per line, the id is the line number).
  /// Throws DataError if it is missing or lacks [PAD], [UNK], [CLS], [SEP].
  explicit WordPieceTokenizer(const std::string &vocabPath);
  /// The same from the vocabulary's tokens (`origin` names it in errors).
  /// A vocabulary of whole words only (wordVocabulary) makes this a word
  /// tokenizer: a word it lacks finds no pieces and becomes [UNK].
  WordPieceTokenizer(std::vector<std::string> vocabulary,
                     const std::string &origin);

  /// `[CLS] pieces... [SEP]`, cut or padded with `[PAD]` to `length` ids
  /// (a cut keeps the final `[SEP]`).
  std::vector<int64_t> encode(const std::string &text, size_t length) const;
  /// The pieces of `text` without special tokens, for tests and messages.
  std::vector<std::string> pieces(const std::string &text) const;
  /// The ids' range: the vocabulary's lines, a token on two lines counted
  /// twice (its id is its first line's).
  size_t size() const { return tokens.size(); }
  int64_t padId() const { return pad; }
  /// [MASK], which masked-token pre-training needs, if the vocabulary has it.
  std::optional<int64_t> maskId() const { return mask; }
  /// [PAD], [CLS] or [SEP]: positions that hold no word.
  bool isStructural(int64_t id) const {
    return id == pad || id == cls || id == sep;
  }
  int64_t clsId() const { return cls; }
  int64_t sepId() const { return sep; }
  /// Whether `id` is a `##` piece, which continues the word before it.
  bool continuesWord(int64_t id) const;
  /// The pieces that begin a word (neither `##` nor `[...]`): what word
  /// noise inserts and substitutes.
  const std::vector<int64_t> &wordStarts() const { return starts; }
  /// The tokens, by id (what vocab.txt holds, one per line).
  const std::vector<std::string> &vocabulary() const { return tokens; }
  /// The text of `ids`: pieces joined by spaces, `##` continuations glued
  /// to the piece before, [PAD], [CLS] and [SEP] left out.
  std::string decode(const std::vector<int64_t> &ids) const;

private:
  std::unordered_map<std::string, int64_t> vocab;
  std::vector<std::string> tokens;
  int64_t pad, unknown, cls, sep;
  std::optional<int64_t> mask;
  std::vector<int64_t> starts;
};

/// Texts and their classes (counted from 0).
/// A word vocabulary for `--tokenizer words`: [PAD], [UNK], [CLS], [SEP],
/// [MASK], then the words of `texts` (split as BERT's basic tokenizer
/// splits them, lower-cased) seen at least `minCount` times, the most
/// frequent first (ties alphabetical), up to `size` tokens in all.
std::vector<std::string> wordVocabulary(const std::vector<std::string> &texts,
                                        size_t size, int64_t minCount);

struct LabelledTexts {
  std::vector<std::string> texts;
  std::vector<int64_t> labels;
};

/// The training and test texts of a data set.
struct TextSplits {
  LabelledTexts train;
  LabelledTexts test;
  int64_t classes = 0;
};

/// Throws DataError (`where`, the line and the byte) if `text` holds a
/// byte no text has: NUL or another control character other than tab,
/// line and page breaks and escape (of ISO-2022 encodings).
void checkText(const std::string &text, const std::string &where);

/// The texts of a CSV file in the AG News layout (class index from 1,
/// title, text; title and text joined by a space) or Yelp's (class index,
/// text). Every record must have the first one's number of fields. Throws
/// DataError naming file and record.
LabelledTexts readLabelledCsv(const std::string &path);

/// `dir`/train.csv and `dir`/test.csv (readLabelledCsv). The classes are 1
/// to the largest class index of the training set.
TextSplits readCsvSet(const std::string &dir);

/// The IMDB review set in the aclImdb layout: train/{neg,pos}/*.txt and
/// test/{neg,pos}/*.txt (class 0 negative, 1 positive), `<br />` read as
/// a line break.
TextSplits readImdb(const std::string &dir);

} // namespace dream::rt

#endif // DREAM_RUNTIME_TEXT_H
