//===- TextTest.cpp - CSV records and WordPiece tokens --------------------===//

#include "TestSupport.h"

#include "dream/Runtime/Idx.h"
#include "dream/Runtime/Text.h"

using namespace dream::rt;
using namespace dream::rt::test;
using ::testing::ElementsAre;

namespace {

void write(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string errorOf(const std::function<void()> &action) {
  try {
    action();
  } catch (const DataError &e) {
    return e.what();
  }
  return "no error";
}

TEST(TextTest, CsvFollowsRfc4180) {
  TempDir dir;
  write(dir / "a.csv", "\"1\",\"a, b\",\"say \"\"hi\"\"\"\r\n"
                       "2,plain,\"two\nlines\"\n"
                       "3,,last");
  auto records = readCsv(dir / "a.csv");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_THAT(records[0], ElementsAre("1", "a, b", "say \"hi\""));
  EXPECT_THAT(records[1], ElementsAre("2", "plain", "two\nlines"));
  EXPECT_THAT(records[2], ElementsAre("3", "", "last"));
}

TEST(TextTest, CsvErrorsNameTheLine) {
  TempDir dir;
  write(dir / "open.csv", "1,a,b\n2,\"never closed\n");
  EXPECT_EQ(errorOf([&] { readCsv(dir / "open.csv"); }),
            dir / "open.csv" + ":2: a quoted field is not closed");
  write(dir / "junk.csv", "1,\"a\"x,b\n");
  EXPECT_EQ(errorOf([&] { readCsv(dir / "junk.csv"); }),
            dir / "junk.csv" +
                ":1: a quoted field must end at a comma or the end of the "
                "line");
  EXPECT_EQ(errorOf([&] { readCsv(dir / "missing.csv"); }),
            dir / "missing.csv" + ": cannot open the file");
}

/// A vocabulary in BERT's order: specials first.
std::string smallVocab(const TempDir &dir) {
  write(dir / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n##aff\n##able\n"
                           "dogs\n!\nthe\n");
  return dir / "vocab.txt";
}

TEST(TextTest, WordPieceSplitsGreedilyAndLowerCases) {
  TempDir dir;
  WordPieceTokenizer tokenizer(smallVocab(dir));
  EXPECT_EQ(tokenizer.size(), 10u);
  EXPECT_THAT(tokenizer.pieces("Unaffable  DOGS!the cats"),
              ElementsAre("un", "##aff", "##able", "dogs", "!", "the",
                          "[UNK]"));
  EXPECT_THAT(tokenizer.encode("the dogs", 6), ElementsAre(2, 9, 7, 3, 0, 0));
  // Cut to the length, keeping [SEP].
  EXPECT_THAT(tokenizer.encode("the dogs the dogs", 4),
              ElementsAre(2, 9, 7, 3));
}

TEST(TextTest, DecodingGluesContinuationsAndDropsSpecials) {
  TempDir dir;
  WordPieceTokenizer tokenizer(smallVocab(dir));
  EXPECT_EQ(tokenizer.padId(), 0);
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("Unaffable dogs!", 10)),
            "unaffable dogs !");
  // An id outside the vocabulary (a corrupt file) reads as [UNK].
  EXPECT_EQ(tokenizer.decode({2, 9, 10, 3}), "the [UNK]");
}

TEST(TextTest, VocabularyNeedsItsSpecialTokens) {
  TempDir dir;
  write(dir / "vocab.txt", "[PAD]\n[CLS]\n[SEP]\nword\n");
  EXPECT_EQ(errorOf([&] { WordPieceTokenizer t(dir / "vocab.txt"); }),
            dir / "vocab.txt" + ": the vocabulary has no [UNK]");
}

TEST(TextTest, WordVocabularyKeepsTheFrequentWords) {
  std::vector<std::string> texts = {"The cat sat.", "the dog sat", "A cat!"};
  // the 2, cat 2, sat 2, then a, dog, !, . once each (ties alphabetical).
  EXPECT_THAT(wordVocabulary(texts, 100, 1),
              testing::ElementsAre("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                   "cat", "sat", "the", "!", ".", "a", "dog"));
  EXPECT_THAT(wordVocabulary(texts, 100, 2),
              testing::ElementsAre("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                   "cat", "sat", "the"));
  EXPECT_EQ(wordVocabulary(texts, 7, 1).size(), 7u);
}

TEST(TextTest, AWordVocabularyTokenisesWholeWords) {
  WordPieceTokenizer words(
      wordVocabulary({"the cat sat", "the cat"}, 100, 1), "test words");
  // "cats" starts with "cat" but has no "##s": the whole word is [UNK], as
  // in BERT; padding and [CLS]/[SEP] as with WordPiece.
  EXPECT_THAT(words.encode("The cats sat", 7),
              testing::ElementsAre(2, 6, 1, 7, 3, 0, 0)); // cat 5, the 6, sat 7
  EXPECT_EQ(words.decode(words.encode("the cat", 6)), "the cat");
  EXPECT_EQ(words.maskId(), 4);
}

TEST(TextTest, CsvSetsCountClassesFromOne) {
  TempDir dir;
  write(dir / "train.csv", "\"2\",\"The\",\"dogs\"\n\"1\",\"un\",\"!\"\n");
  LabelledTexts train = readLabelledCsv(dir / "train.csv");
  EXPECT_THAT(train.labels, ElementsAre(1, 0));
  EXPECT_THAT(train.texts, ElementsAre("The dogs", "un !"));
  write(dir / "test.csv", "1,a,b\n3,c,d\n");
  EXPECT_EQ(errorOf([&] { readCsvSet(dir.path()); }),
            dir / "test.csv" +
                ": record 2: class 3 is not among the training set's classes "
                "1 to 2");
}

// Found by TokenizerFuzzer: with a token on two lines, size() counted the
// distinct tokens, and ids of later lines reached past it (an embedding
// sized by it would be indexed out of range).
TEST(TextTest, IdsStayBelowTheSizeWhenALineRepeats) {
  WordPieceTokenizer tokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "cafe",
                                "cafe", ",", "s"},
                               "test vocabulary");
  EXPECT_EQ(tokenizer.size(), 8u);
  std::vector<int64_t> ids = tokenizer.encode("cafe, s", 6);
  EXPECT_THAT(ids, ElementsAre(2, 4, 6, 7, 3, 0));
  for (int64_t id : ids)
    EXPECT_LT(static_cast<size_t>(id), tokenizer.size());
}

TEST(TextTest, MiniLMVocabularyGivesTheIdsOfHuggingFacesTokenizer) {
  std::string vocab = miniLMDirectory() + "/vocab.txt";
  if (!std::ifstream(vocab))
    GTEST_SKIP() << "no all-MiniLM-L6-v2 vocabulary at " << vocab;
  WordPieceTokenizer tokenizer(vocab);
  // transformers' BertTokenizer(vocab.txt, do_lower_case=True), max_length
  // 32, on two WordNet glosses of the text set.
  EXPECT_THAT(
      tokenizer.encode("Anubis Egyptian god of tombs and ruler of the "
                       "underworld; usually depicted as a man with the head "
                       "of a jackal",
                       32),
      ElementsAre(101, 2019, 12083, 2483, 6811, 2643, 1997, 16623, 1998, 7786,
                  1997, 1996, 13607, 1025, 2788, 8212, 2004, 1037, 2158, 2007,
                  1996, 2132, 1997, 1037, 2990, 2389, 102, 0, 0, 0, 0, 0));
  EXPECT_THAT(tokenizer.encode("broadbill small birds of the Old World "
                               "tropics having bright plumage and short wide "
                               "bills",
                               32),
              ElementsAre(101, 5041, 24457, 2235, 5055, 1997, 1996, 2214, 2088,
                          19817, 7361, 6558, 2383, 4408, 28764, 1998, 2460,
                          2898, 8236, 102, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                          0));
}

} // namespace
