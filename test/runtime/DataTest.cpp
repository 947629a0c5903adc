//===- DataTest.cpp - Data sources, well-formed and broken ----------------===//
//
// Every format is written here to its specification (CIFAR's binary
// records, PNG and JPEG through stb_image_write, the aclImdb layout, RFC
// 5322/MIME mails, AG News and Yelp CSV), small enough to read in
// milliseconds, then damaged in each way the readers must name.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "dream/Runtime/Augment.h"
#include "dream/Runtime/Commands.h"
#include "dream/Runtime/Data.h"
#include "dream/Runtime/Files.h"
#include "dream/Runtime/Folders.h"
#include "dream/Runtime/Idx.h"
#include "dream/Runtime/Images.h"
#include "dream/Runtime/Mail.h"
#include "dream/Runtime/Png.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>

#include <chrono>
#include <filesystem>

using namespace dream::rt;
using namespace dream::rt::test;
using testing::ElementsAre;
using testing::HasSubstr;

namespace {

void write(const std::string &path, const std::string &bytes) {
  size_t slash = path.find_last_of('/');
  createDirectories(path.substr(0, slash));
  std::ofstream(path, std::ios::binary) << bytes;
}

std::vector<std::string> paths(const std::vector<LabelledFile> &files,
                               const std::string &root) {
  std::vector<std::string> out;
  for (const LabelledFile &file : files)
    out.push_back(file.path.substr(root.size() + 1) + ":" +
                  std::to_string(file.label));
  return out;
}

//===--- Class folders and the stratified split --------------------------===//

TEST(FoldersTest, EveryFifthFileOfEachClassIsHeldOutRoundRobin) {
  TempDir dir;
  for (int i = 1; i <= 6; ++i)
    write(dir / "b/" + std::to_string(i), "x");
  for (int i = 1; i <= 5; ++i)
    write(dir / "a/cur/" + std::to_string(i), "x"); // Maildir's cur/.
  write(dir / "a/.hidden", "x");
  write(dir / "a/skip.me", "x");
  ClassFolders set = listClassFolders(
      dir.path(), [](const std::string &n) { return n != "skip.me"; });
  EXPECT_THAT(set.classes, ElementsAre("a", "b"));
  EXPECT_THAT(paths(set.test, dir.path()), ElementsAre("a/cur/5:0", "b/5:1"));
  EXPECT_THAT(paths(set.train, dir.path()),
              ElementsAre("a/cur/1:0", "b/1:1", "a/cur/2:0", "b/2:1",
                          "a/cur/3:0", "b/3:1", "a/cur/4:0", "b/4:1", "b/6:1"));
}

TEST(FoldersTest, TrainAndTestFoldersAreTheSplit) {
  TempDir dir;
  write(dir / "train/x/1", "x");
  write(dir / "train/y/1", "x");
  write(dir / "test/x/1", "x");
  write(dir / "test/y/2", "x");
  auto all = [](const std::string &) { return true; };
  ClassFolders set = listClassFolders(dir.path(), all);
  EXPECT_THAT(paths(set.train, dir.path()),
              ElementsAre("train/x/1:0", "train/y/1:1"));
  EXPECT_THAT(paths(set.test, dir.path()),
              ElementsAre("test/x/1:0", "test/y/2:1"));
  write(dir / "test/z/1", "x");
  EXPECT_EQ(errorOf([&] { listClassFolders(dir.path(), all); }),
            dir / "test: the class folders differ from those of " +
                dir / "train");
}

TEST(FoldersTest, EmptyAndUnreadableFolders) {
  TempDir dir;
  auto all = [](const std::string &) { return true; };
  EXPECT_EQ(errorOf([&] { listClassFolders(dir / "none", all); }),
            dir / "none: cannot read the folder: No such file or directory");
  EXPECT_THAT(errorOf([&] { listClassFolders(dir.path(), all); }),
              HasSubstr(dir.path() + ": no class folders"));
  createDirectories(dir / "a");
  EXPECT_EQ(errorOf([&] { listClassFolders(dir.path(), all); }),
            dir / "a: the class folder holds no example files");
  write(dir / "a/1", "x");
  EXPECT_THAT(errorOf([&] { listClassFolders(dir.path(), all); }),
              HasSubstr(": too few files for a test set"));
}

//===--- CIFAR ------------------------------------------------------------===//

/// CIFAR records: label byte(s), then 3072 pixels (R, G, B planes).
std::string cifarRecords(std::vector<std::vector<uint8_t>> labels) {
  std::string bytes;
  for (size_t r = 0; r < labels.size(); ++r) {
    bytes.append(labels[r].begin(), labels[r].end());
    for (int p = 0; p < 3072; ++p)
      bytes += static_cast<char>((p + r) % 256);
  }
  return bytes;
}

TEST(CifarTest, ReadsTenAndHundredClasses) {
  TempDir ten;
  for (int b = 1; b <= 5; ++b)
    write(ten / "data_batch_" + std::to_string(b) + ".bin",
          cifarRecords({{uint8_t(b)}, {9}}));
  write(ten / "test_batch.bin", cifarRecords({{3}}));
  ImageSplits set = readCifar(ten.path(), 10);
  EXPECT_EQ(set.classes, 10);
  EXPECT_EQ(set.train.count, 10);
  EXPECT_EQ(set.train.channels, 3);
  EXPECT_EQ(set.train.height, 32);
  EXPECT_THAT(set.train.labels, ElementsAre(1, 9, 2, 9, 3, 9, 4, 9, 5, 9));
  EXPECT_EQ(set.train.pixels[3072 + 1024], (1 + 1024) % 256);
  EXPECT_THAT(set.test.labels, ElementsAre(3));

  TempDir hundred; // Coarse label, then the fine one (the class).
  write(hundred / "train.bin", cifarRecords({{19, 99}, {0, 42}}));
  write(hundred / "test.bin", cifarRecords({{4, 7}}));
  ImageSplits fine = readCifar(hundred.path(), 100);
  EXPECT_THAT(fine.train.labels, ElementsAre(99, 42));
  EXPECT_THAT(fine.test.labels, ElementsAre(7));
  EXPECT_EQ(fine.train.pixels[3072], 1);
}

TEST(CifarTest, TruncatedRecordsAndBadLabels) {
  TempDir dir;
  write(dir / "train.bin", cifarRecords({{0, 1}, {0, 2}}).substr(0, 5000));
  write(dir / "test.bin", cifarRecords({{0, 1}}));
  EXPECT_EQ(errorOf([&] { readCifar(dir.path(), 100); }),
            dir / "train.bin: truncated: record 2 has 1926 of its 3074 bytes");
  write(dir / "train.bin", cifarRecords({{0, 1}, {0, 100}}));
  EXPECT_EQ(errorOf([&] { readCifar(dir.path(), 100); }),
            dir / "train.bin: record 2: label 100 is not below 100");
  createDirectories(dir / "train.bin.d");
  EXPECT_EQ(errorOf([&] { readImage(dir / "train.bin.d", 3); }),
            dir / "train.bin.d: cannot read: Is a directory");
  EXPECT_EQ(errorOf([&] { readCifar(dir / "none", 10); }),
            dir / "none/data_batch_1.bin: cannot open: No such file or "
                  "directory");
}

//===--- Image folders
//-----------------------------------------------------===//

std::string jpeg(const std::vector<uint8_t> &rgb, int width, int height) {
  std::string bytes;
  stbi_write_jpg_to_func(
      [](void *context, void *data, int size) {
        static_cast<std::string *>(context)->append(static_cast<char *>(data),
                                                    size);
      },
      &bytes, width, height, 3, rgb.data(), 100);
  return bytes;
}

TEST(ImagesTest, ReadsPngAndJpegAsPlanes) {
  TempDir dir;
  // A 2x1 RGB PNG: a red and a green pixel.
  write(dir / "train/cat/a.png", encodePng({255, 0, 0, 0, 255, 0}, 2, 1, 3));
  write(dir / "train/dog/b.PNG", encodePng({10, 20}, 2, 1, 1));
  write(dir / "train/dog/notes.txt", "not an image");
  write(dir / "test/cat/c.jpg", jpeg({128, 128, 128, 128, 128, 128}, 2, 1));
  write(dir / "test/dog/d.jpeg", jpeg({0, 0, 0, 0, 0, 0}, 2, 1));
  ImageSplits rgb = readImageFolders(dir.path(), 3);
  EXPECT_EQ(rgb.classes, 2);
  EXPECT_EQ(rgb.train.count, 2);
  EXPECT_EQ(rgb.train.width, 2);
  EXPECT_EQ(rgb.train.height, 1);
  EXPECT_THAT(
      std::vector<int>(rgb.train.pixels.begin(), rgb.train.pixels.begin() + 6),
      ElementsAre(255, 0, 0, 255, 0, 0)); // R plane, G, B.
  EXPECT_THAT(rgb.train.labels, ElementsAre(0, 1));
  EXPECT_NEAR(rgb.test.pixels[0], 128, 2); // JPEG is lossy.
  ImageSplits grey = readImageFolders(dir.path(), 1);
  // stb_image converts to grey: (77 R + 150 G + 29 B) / 256.
  EXPECT_THAT(grey.train.pixels, ElementsAre(76, 149, 10, 20));
}

TEST(ImagesTest, BrokenAndMismatchedImages) {
  TempDir dir;
  write(dir / "a/1.png", encodePng({1, 2, 3, 4}, 2, 2, 1));
  write(dir / "a/2.png", encodePng({1, 2, 3}, 3, 1, 1));
  for (int i = 3; i <= 5; ++i)
    write(dir / "a/" + std::to_string(i) + ".png",
          encodePng({1, 2, 3, 4}, 2, 2, 1));
  EXPECT_EQ(errorOf([&] { readImageFolders(dir.path(), 1); }),
            dir / "a/2.png: the image is 3x1 pixels, but " + dir / "a/1.png" +
                " is 2x2; all images must have one size");
  write(dir / "a/2.png", "\x89PNG\r\n\x1a\n garbage");
  EXPECT_THAT(errorOf([&] { readImageFolders(dir.path(), 1); }),
              HasSubstr(dir / "a/2.png: not a readable PNG or JPEG image ("));
  write(dir / "a/2.png", "");
  EXPECT_EQ(errorOf([&] { readImageFolders(dir.path(), 1); }),
            dir / "a/2.png: the file is empty");
}

//===--- IMDB reviews
//-------------------------------------------------------===//

TEST(ImdbTest, ReadsTheAclImdbLayout) {
  TempDir dir;
  write(dir / "train/pos/0_9.txt", "Great film.<br /><br />Loved it.");
  write(dir / "train/neg/0_1.txt", "Dull.");
  write(dir / "train/unsup/0_0.txt", "not labelled");
  write(dir / "train/labeledBow.feat", "0:1");
  write(dir / "test/pos/1_8.txt", "Fine.");
  write(dir / "test/neg/1_2.txt", "Bad.");
  TextSplits set = readImdb(dir.path());
  EXPECT_EQ(set.classes, 2);
  EXPECT_THAT(set.train.texts,
              ElementsAre("Dull.", "Great film.\n\nLoved it."));
  EXPECT_THAT(set.train.labels, ElementsAre(0, 1));
  EXPECT_THAT(set.test.texts, ElementsAre("Bad.", "Fine."));
  write(dir / "test/neg/1_2.txt", std::string("Bad\nreally\0bad", 14));
  EXPECT_EQ(errorOf([&] { readImdb(dir.path()); }),
            dir / "test/neg/1_2.txt: line 2: byte 0x00 is binary data, not "
                  "text");
  TempDir flat;
  write(flat / "pos/1.txt", "x");
  EXPECT_THAT(errorOf([&] { readImdb(flat.path()); }),
              HasSubstr(flat / "train: missing; IMDB reviews"));
}

//===--- Mails
//--------------------------------------------------------------===//

TEST(MailTest, BodiesWithoutHeadersAndDecoded) {
  EXPECT_EQ(mailText("From: a@b\r\nSubject: hi\r\n\r\nHello\r\nthere\r\n", "m"),
            "Hello\r\nthere\r\n\n");
  EXPECT_EQ(mailText("From a@b Mon Jan 1 2001\nTo: c\n  d\n"
                     "Content-Transfer-Encoding: quoted-printable\n\n"
                     "caf=C3=A9 =3D soft=\nbreak\n",
                     "m"),
            "caf\xc3\xa9 = softbreak\n\n");
  EXPECT_EQ(mailText("Content-Type: text/plain\n"
                     "Content-Transfer-Encoding: base64\n\naGVsbG8g\nd29y"
                     "bGQ=\n",
                     "m"),
            "hello world\n");
  EXPECT_EQ(
      mailText("Content-Type: text/html\n\n<html><style>p{}</style>"
               "<p>Caf&eacute; &amp; <b>bar</b>&#33;</p><!-- x --></html>",
               "m"),
      "  \nCaf&eacute; &  bar !\n \n");
}

TEST(MailTest, MultipartTakesTheTextParts) {
  std::string mail =
      "Content-Type: multipart/mixed; boundary=\"outer\"\n\n"
      "preamble\n"
      "--outer\n"
      "Content-Type: multipart/alternative; boundary=inner\n\n"
      "--inner\n"
      "Content-Type: text/plain\n\nplain version\n"
      "--inner\n"
      "Content-Type: text/html\n\n<p>html version</p>\n"
      "--inner--\n"
      "--outer\n"
      "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
      "iVBORw0KGgo=\n"
      "--outer\n"
      "Content-Type: text/plain\nContent-Disposition: attachment\n\nfile\n"
      "--outer\n"
      "\nno headers: plain text\n"
      "--outer--\n"
      "epilogue\n";
  EXPECT_EQ(mailText(mail, "m"), "plain version\n\nno headers: plain text\n\n");
}

TEST(MailTest, BodiesAreReadInTheirCharset) {
  EXPECT_EQ(mailText("Content-Type: text/plain; charset=ISO-8859-1\n\n"
                     "caf\xe9 M\xfcller\n",
                     "m"),
            "caf\u00e9 M\u00fcller\n\n");
  EXPECT_EQ(mailText("Content-Type: text/plain; charset=\"windows-1252\"\n"
                     "Content-Transfer-Encoding: quoted-printable\n\n"
                     "don=92t =93quote=94\n",
                     "m"),
            "don\u2019t \u201cquote\u201d\n\n");
  EXPECT_EQ(mailText("Content-Type: text/plain; charset=koi8-r\n\n"
                     "\xed\xcf\xd3\xcb\xd7\xc1\n",
                     "m"),
            "\u041c\u043e\u0441\u043a\u0432\u0430\n\n");
  // ISO-2022-JP switches with ESC sequences, which are text there.
  EXPECT_EQ(mailText("Content-Type: text/plain; charset=iso-2022-jp\n\n"
                     "\x1b$B$3$s$K$A$O\x1b(B\n",
                     "m"),
            "\u3053\u3093\u306b\u3061\u306f\n\n");
  EXPECT_EQ(errorOf([] {
              mailText("Content-Type: text/plain; charset=x-martian\n\nhi\n",
                       "ham/5");
            }),
            "ham/5: text/plain part: unknown charset 'x-martian'");
  EXPECT_EQ(errorOf([] {
              mailText("Content-Type: text/plain; charset=shift_jis\n\n"
                       "ok\x81\n",
                       "ham/6");
            }),
            "ham/6: text/plain part: byte 3 is not text in charset "
            "'shift_jis'");
}

TEST(MailTest, BrokenMails) {
  EXPECT_EQ(errorOf([] { mailText("just some text\n\nbody", "spam/3"); }),
            "spam/3: line 1 is not a mail header (Name: value); is this a "
            "raw mail?");
  EXPECT_EQ(
      errorOf([] { mailText("Content-Type: image/gif\n\nGIF89a", "spam/4"); }),
      "spam/4: the mail has no text part (text/plain or text/html)");
  EXPECT_EQ(errorOf([] {
              mailText("Content-Type: multipart/mixed\n\n--x\n\nhi\n--x--\n",
                       "ham/1");
            }),
            "ham/1: a multipart body without a boundary parameter in its "
            "Content-Type");
  EXPECT_EQ(errorOf([] {
              mailText("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                       "Content-Transfer-Encoding: base64\n\nab*d\n--b--\n",
                       "ham/2");
            }),
            "ham/2: MIME part 1: '*' is not a base64 character");
  EXPECT_EQ(errorOf([] {
              mailText(std::string("Subject: x\n\nline\n\x01\x02", 19),
                       "ham/3");
            }),
            "ham/3: text/plain part: line 2: byte 0x01 is binary data, not "
            "text");
  // Attached messages nested 40 deep: refused, not a stack overflow.
  std::string nested = "Subject: inner\n\nhello\n";
  for (int i = 0; i < 40; ++i)
    nested = "Content-Type: message/rfc822\n\n" + nested;
  EXPECT_EQ(errorOf([&] { mailText(nested, "ham/4"); }),
            "ham/4: MIME parts nest deeper than 32 levels");
}

TEST(MailTest, MailFoldersAreSplitByClass) {
  TempDir dir;
  for (int i = 1; i <= 5; ++i) {
    write(dir / "ham/new/" + std::to_string(i),
          "Subject: s\n\nham " + std::to_string(i));
    write(dir / "spam/" + std::to_string(i),
          "Subject: s\n\nspam " + std::to_string(i));
  }
  TextSplits set = readMailFolders(dir.path());
  EXPECT_EQ(set.classes, 2);
  EXPECT_THAT(set.test.texts, ElementsAre("ham 5\n", "spam 5\n"));
  EXPECT_THAT(set.test.labels, ElementsAre(0, 1));
  EXPECT_EQ(set.train.texts.size(), 8u);
  EXPECT_EQ(set.train.texts[1], "spam 1\n");
  write(dir / "spam/3", "");
  EXPECT_EQ(errorOf([&] { readMailFolders(dir.path()); }),
            dir / "spam/3: the file is empty");
}

//===--- CSV: AG News and Yelp layouts
//--------------------------------------===//

TEST(CsvSetTest, YelpLayoutHasNoTitle) {
  TempDir dir;
  write(dir / "train.csv", "\"2\",\"good \"\"food\"\"\"\n\"1\",\"bad\"\n");
  write(dir / "test.csv", "1,meh\n");
  TextSplits set = readCsvSet(dir.path());
  EXPECT_EQ(set.classes, 2);
  EXPECT_THAT(set.train.texts, ElementsAre("good \"food\"", "bad"));
  EXPECT_THAT(set.train.labels, ElementsAre(1, 0));
}

TEST(CsvSetTest, EveryCorruptionIsNamed) {
  TempDir dir;
  auto errorFor = [&](const std::string &content) {
    write(dir / "t.csv", content);
    return errorOf([&] { readLabelledCsv(dir / "t.csv"); });
  };
  std::string file = dir / "t.csv";
  EXPECT_EQ(errorFor("1,a,b\n2,c\n"),
            file + ": record 2: 2 fields, but record 1 has 3");
  EXPECT_EQ(errorFor("1,a,b\n3\n"),
            file + ": record 2: expected class and text, or class, title and "
                   "text, got 1 field");
  EXPECT_EQ(errorFor("1,a,b\nWorld,c,d\n"),
            file +
                ": record 2: class 'World' is not a class index (1, 2, ...)");
  EXPECT_EQ(errorFor("1,a,b\n0,c,d\n"),
            file + ": record 2: class '0' is not a class index (1, 2, ...)");
  EXPECT_EQ(errorFor("1,a,b\n2,\"c,d\n3,e,f\n"),
            file + ":2: a quoted field is not closed");
  EXPECT_EQ(errorFor(std::string("1,a,b\n2,c\0,d\n", 13)),
            file + ": line 2: byte 0x00 is binary data, not text");
  EXPECT_EQ(errorFor(""), file + ": no records");
}

//===--- Sources: checks against the network and tensors
//---------------------===//

/// tiny_conv's plan with another input shape and number of classes.
Plan imagePlan(std::vector<int64_t> shape, int64_t classes) {
  Plan plan = loadTestPlan("tiny_conv.json");
  plan.input.shape = std::move(shape);
  plan.classes = classes;
  return plan;
}

/// Two classes of 2x2 grey PNGs, five each: pixels 0 (class a) or 255.
void writeTwoClassImages(const TempDir &dir) {
  for (int i = 1; i <= 5; ++i) {
    write(dir / "a/" + std::to_string(i) + ".png",
          encodePng({0, 0, 0, 0}, 2, 2, 1));
    write(dir / "b/" + std::to_string(i) + ".png",
          encodePng({255, 255, 255, 255}, 2, 2, 1));
  }
}

TEST(DataSourceTest, ImagesAreNormalisedWithTrainingStatistics) {
  TempDir dir;
  writeTwoClassImages(dir);
  DataSplits data =
      loadDataSource("images:" + dir.path(), imagePlan({1, 2, 2}, 2), 3, true);
  EXPECT_EQ(data.classes, 2);
  EXPECT_THAT(data.mean, ElementsAre(testing::DoubleEq(0.5)));
  EXPECT_THAT(data.std, ElementsAre(testing::DoubleEq(0.5)));
  // --limit 3: the first three training images, round-robin a, b, a.
  ASSERT_EQ(data.train.size(), 3);
  EXPECT_EQ(data.train.inputs.sizes(), (std::vector<int64_t>{3, 1, 2, 2}));
  EXPECT_THAT(std::vector<int64_t>(data.train.labels.data_ptr<int64_t>(),
                                   data.train.labels.data_ptr<int64_t>() + 3),
              ElementsAre(0, 1, 0));
  EXPECT_FLOAT_EQ(data.train.inputs[0][0][0][0].item<float>(), -1.0f);
  EXPECT_FLOAT_EQ(data.train.inputs[1][0][1][1].item<float>(), 1.0f);
  EXPECT_EQ(data.test.size(), 2);
  EXPECT_FALSE(
      loadDataSource("images:" + dir.path(), imagePlan({1, 2, 2}, 2), 0, false)
          .train.inputs.defined());
}

TEST(DataSourceTest, ResizeBringsImagesOfAnySizeToTheNetworks) {
  TempDir dir;
  writeTwoClassImages(dir); // 2x2, and one 3x5 image of class a:
  write(dir / "a/6.png", encodePng(std::vector<uint8_t>(15, 0), 5, 3, 1));
  std::string name = "images:" + dir.path();
  EXPECT_THAT(errorOf([&] { loadDataSource(name, imagePlan({1, 4, 4}, 2), 0, true); }),
              HasSubstr("all images must have one size"));
  DataOptions resize;
  resize.resize = true;
  DataSplits data = loadDataSource(name, imagePlan({1, 4, 4}, 2), 0, true, resize);
  // Of 6 + 5 images, every fifth of each class is a test image.
  ASSERT_EQ(data.train.inputs.sizes(), (std::vector<int64_t>{9, 1, 4, 4}));
  // Plain black and white images stay plain, black below white.
  at::Tensor first = data.train.inputs[0], second = data.train.inputs[1];
  EXPECT_TRUE(at::allclose(first, first.flatten()[0].expand_as(first)));
  EXPECT_TRUE(at::allclose(second, second.flatten()[0].expand_as(second)));
  EXPECT_LT(first.flatten()[0].item<float>(), second.flatten()[0].item<float>());
}

TEST(DataSourceTest, ResizedImageSetsKeepTheirPixelsWhereSizesAgree) {
  ImageSet set;
  set.count = 1;
  set.height = set.width = 2;
  set.pixels = {0, 255, 255, 0};
  set.labels = {0};
  ImageSet same = resizeImages(set, std::make_pair(int64_t(2), int64_t(2)));
  EXPECT_EQ(same.pixels, set.pixels);
  ImageSet larger = resizeImages(set, std::make_pair(int64_t(6), int64_t(4)));
  EXPECT_EQ(larger.height, 6);
  EXPECT_EQ(larger.width, 4);
  ASSERT_EQ(larger.pixels.size(), 24u);
  // The top-left corner stays darker than the top-right one.
  EXPECT_LT(larger.pixels[0], larger.pixels[3]);
  EXPECT_EQ(resizeImages(set, std::nullopt).pixels, set.pixels);
}

TEST(DataSourceTest, DecodedSetsAreCachedUntilTheirFilesChange) {
  TempDir dir;
  std::string vocab = dir / "vocab/vocab.txt";
  write(vocab, "[PAD]\n[UNK]\n[CLS]\n[SEP]\nham\nspam\nhem\n");
  write(dir / "set/train.csv", "1,ham,x\n2,spam,x\n");
  write(dir / "set/test.csv", "1,ham,x\n");
  Plan plan = loadTestPlan("text_ops.json");
  plan.input.vocab = 7;
  plan.classes = 2;
  const char *previous = std::getenv("DREAMC_CACHE");
  std::string saved = previous ? previous : "";
  ASSERT_EQ(setenv("DREAMC_CACHE", (dir / "cache").c_str(), 1), 0);
  DataOptions options;
  options.vocabulary = vocab;
  auto firstWord = [&](const DataOptions &o) {
    return loadDataSource("csv:" + (dir / "set"), plan, 0, true, o)
        .test.inputs[0][1]
        .item<int64_t>();
  };
  EXPECT_EQ(firstWord(options), 4); // ham
  ASSERT_EQ(listDirectory(dir / "cache").size(), 1u);
  // The same size and time: the cached texts are used...
  namespace fs = std::filesystem;
  fs::file_time_type time = fs::last_write_time(dir / "set/test.csv");
  write(dir / "set/test.csv", "1,hem,x\n");
  fs::last_write_time(dir / "set/test.csv", time);
  EXPECT_EQ(firstWord(options), 4);
  // ... unless the cache is not asked for, or the file's time changes.
  options.cache = false;
  EXPECT_EQ(firstWord(options), 6);
  options.cache = true;
  fs::last_write_time(dir / "set/test.csv", time + std::chrono::seconds(1));
  EXPECT_EQ(firstWord(options), 6);
  // A damaged entry is replaced.
  write(dir / "cache/" + listDirectory(dir / "cache").at(0), "garbage");
  EXPECT_EQ(firstWord(options), 6);
  if (previous)
    setenv("DREAMC_CACHE", saved.c_str(), 1);
  else
    unsetenv("DREAMC_CACHE");
}

TEST(DataSourceTest, ShapeClassesAndKindMustFitTheNetwork) {
  TempDir dir;
  writeTwoClassImages(dir);
  std::string name = "images:" + dir.path();
  EXPECT_EQ(errorOf([&] {
              loadDataSource(name, imagePlan({1, 28, 28}, 2), 0, true);
            }),
            name + " has [1, 2, 2] images, but network 'TinyConv' takes "
                   "[1, 28, 28] inputs; give the network the images' shape, "
                   "or --resize to resize the images to the network's");
  EXPECT_EQ(errorOf([&] {
              loadDataSource(name, imagePlan({1, 2, 2}, 10), 0, true);
            }),
            name + " has 2 classes, but network 'TinyConv' has 10 outputs; "
                   "compile it with `dreamc -D classes=2`");
  EXPECT_THAT(errorOf([&] {
                loadDataSource("maildir:" + dir.path(), imagePlan({1, 2, 2}, 2),
                               0, true);
              }),
              HasSubstr("network 'TinyConv' reads images, but maildir:" +
                        dir.path() + " holds texts"));
  EXPECT_THAT(
      errorOf([&] {
        loadDataSource("mnist:" + dir.path(), imagePlan({1, 2, 2}, 2), 0, true);
      }),
      HasSubstr("data set 'mnist:" + dir.path() + "' is not known"));
  try {
    loadDataSource("nowhere", imagePlan({1, 2, 2}, 2), 0, true);
    ADD_FAILURE() << "an unknown source was accepted";
  } catch (const UsageError &) {
  }
}

TEST(DataSourceTest, TextsOfEverySourceAreTokenised) {
  TempDir dir;
  write(dir / "vocab/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nham\nspam\n");
  const char *set = std::getenv("DREAMC_MINILM_DIR");
  std::string previous = set ? set : "";
  ASSERT_EQ(setenv("DREAMC_MINILM_DIR", (dir / "vocab").c_str(), 1), 0);
  for (int i = 1; i <= 5; ++i) {
    write(dir / "mail/ham/" + std::to_string(i),
          "Content-Type: text/html\n\n<b>ham</b>");
    write(dir / "mail/spam/" + std::to_string(i), "Subject: x\n\nspam spam");
  }
  Plan plan = loadTestPlan("text_ops.json");
  plan.input.vocab = 6;
  plan.classes = 2;
  DataSplits data = loadDataSource("maildir:" + (dir / "mail"), plan, 0, true);
  if (set)
    setenv("DREAMC_MINILM_DIR", previous.c_str(), 1);
  else
    unsetenv("DREAMC_MINILM_DIR");
  int64_t length = plan.input.shape.at(0);
  ASSERT_EQ(data.test.inputs.sizes(), (std::vector<int64_t>{2, length}));
  at::Tensor spam = data.test.inputs[1];
  EXPECT_THAT(std::vector<int64_t>(spam.data_ptr<int64_t>(),
                                   spam.data_ptr<int64_t>() + 5),
              ElementsAre(2, 5, 5, 3, 0));
  EXPECT_EQ(data.train.size(), 8);
}

//===--- Augmentation ----------------------------------------------------===//

at::Tensor pixelsOf(std::vector<float> values, int64_t h, int64_t w) {
  return at::tensor(values).reshape({1, h, w});
}

TEST(AugmentTest, ImageOpsKeepShapeAndRange) {
  at::Tensor pixels =
      at::rand({3, 8, 8}, at::make_generator<at::CPUGeneratorImpl>(5));
  for (int op = 0; op < kImageOps; ++op)
    for (double sign : {-1.0, 1.0}) {
      at::Tensor out = applyImageOp(pixels, ImageOp(op), 1.0, sign);
      EXPECT_EQ(out.sizes(), pixels.sizes()) << "op " << op;
      EXPECT_GE(out.min().item<float>(), 0.0f) << "op " << op;
      EXPECT_LE(out.max().item<float>(), 1.0f) << "op " << op;
    }
}

TEST(AugmentTest, ImageOpsComputeWhatTheyAreNamedFor) {
  at::Tensor p = pixelsOf({0.0f, 0.25f, 0.5f, 0.75f}, 2, 2);
  auto op = [&](ImageOp o, double level, double sign = 1.0) {
    return applyImageOp(p, o, level, sign);
  };
  EXPECT_TRUE(at::equal(op(ImageOp::Identity, 1.0), p));
  // Level 1 inverts everything at or above 0; level 0.4, only 0.75.
  EXPECT_TRUE(at::allclose(op(ImageOp::Solarize, 1.0), 1.0 - p));
  EXPECT_TRUE(at::allclose(op(ImageOp::Solarize, 0.4),
                           pixelsOf({0.0f, 0.25f, 0.5f, 0.25f}, 2, 2)));
  // Brightness -0.9 keeps a tenth of each pixel.
  EXPECT_TRUE(at::allclose(op(ImageOp::Brightness, 1.0, -1.0), 0.1 * p));
  EXPECT_TRUE(at::allclose(op(ImageOp::AutoContrast, 1.0), p / 0.75));
  // Posterize keeps 4 bits: multiples of 16 levels.
  at::Tensor levels = op(ImageOp::Posterize, 1.0) * 255.0;
  EXPECT_TRUE(at::allclose(levels, (levels / 16.0).round() * 16.0, 0, 1e-3));
  // No rotation or shift at level 0; a shift by half the side at level
  // 331/300 moves the left column to the right one and fills with black.
  EXPECT_TRUE(at::allclose(op(ImageOp::Rotate, 0.0), p, 0, 1e-6));
  at::Tensor moved = op(ImageOp::TranslateX, 331.0 / 300.0, -1.0);
  EXPECT_TRUE(at::allclose(moved, pixelsOf({0.0f, 0.0f, 0.0f, 0.5f}, 2, 2),
                           0, 1e-6))
      << moved;
  // Four equally common levels spread evenly over [0, 1].
  EXPECT_TRUE(at::allclose(op(ImageOp::Equalize, 1.0),
                           pixelsOf({0.0f, 1.f / 3, 2.f / 3, 1.0f}, 2, 2)));
}

Plan augmentPlan(bool tokens) {
  Plan plan = loadTestPlan(tokens ? "text_ops.json" : "tiny_conv.json");
  plan.classes = 3;
  return plan;
}

Batch imageBatch() {
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(1);
  return Batch{at::randn({4, 1, 28, 28}, g),
               at::tensor({0, 1, 2, 0}, at::kLong), 4};
}

TEST(AugmentTest, RandAugmentIsTheBatchGeneratorsAlone) {
  AugmentSpec spec;
  spec.name = "randaugment";
  auto augment = makeAugmentation(spec, augmentPlan(false), {0.3}, {0.4}, {});
  ASSERT_TRUE(augment.has_value());
  auto run = [&](uint64_t seed) {
    Batch batch = imageBatch();
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
    (*augment)(batch, g);
    return batch.inputs;
  };
  at::Tensor once = run(7);
  EXPECT_TRUE(at::equal(once, run(7)));
  EXPECT_FALSE(at::equal(once, run(8)));
  EXPECT_FALSE(at::allclose(once, imageBatch().inputs));
  // No operations: the normalised inputs come back (pixels clamped to
  // [0, 1] first, as the images were).
  spec.n = 0;
  Batch batch = imageBatch();
  batch.inputs = batch.inputs.clamp(-0.3 / 0.4, 0.7 / 0.4);
  at::Tensor before = batch.inputs.clone();
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(7);
  (*makeAugmentation(spec, augmentPlan(false), {0.3}, {0.4}, {}))(batch, g);
  EXPECT_TRUE(at::allclose(batch.inputs, before, 0, 1e-5));
}

TEST(AugmentTest, MixupBlendsImagesAndTargetsAlike) {
  AugmentSpec spec;
  spec.name = "mixup";
  spec.alpha = 0.4;
  Batch batch = imageBatch();
  at::Tensor original = batch.inputs.clone();
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(3);
  (*makeAugmentation(spec, augmentPlan(false), {0.0}, {1.0}, {}))(batch, g);
  ASSERT_TRUE(batch.targets.defined());
  ASSERT_EQ(batch.targets.sizes(), (std::vector<int64_t>{4, 3}));
  EXPECT_TRUE(at::allclose(batch.targets.sum(1), at::ones({4})));
  // One lambda for the batch, at least 0.5 on each example's own label
  // (the labels stay, for the accuracy); rows whose partner has the same
  // label are one-hot.
  double lambda = 1.0;
  for (int64_t i = 0; i < 4; ++i)
    lambda = std::min(
        lambda, batch.targets[i][batch.labels[i].item<int64_t>()].item<double>());
  EXPECT_GE(lambda, 0.5);
  EXPECT_LT(lambda, 1.0) << "no image was mixed with another class";
  // Each image is lambda of its own and (1 - lambda) of a partner's.
  for (int64_t i = 0; i < 4; ++i) {
    bool found = false;
    for (int64_t j = 0; j < 4; ++j)
      found = found ||
              at::allclose(batch.inputs[i],
                           lambda * original[i] + (1 - lambda) * original[j], 0,
                           1e-5);
    EXPECT_TRUE(found) << "image " << i;
  }
}

TEST(AugmentTest, WordNoiseMovesWholeWordsAndKeepsTheFrame) {
  TempDir dir;
  write(dir / "vocab.txt",
        "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\nplay\n##ing\nmat\n");
  WordPieceTokenizer words(dir / "vocab.txt");
  EXPECT_THAT(words.wordStarts(), ElementsAre(5, 6, 7, 9));
  // [CLS] the cat play ##ing the mat [SEP] [PAD] [PAD]
  std::vector<int64_t> ids{2, 5, 6, 7, 8, 5, 9, 3, 0, 0};
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(11);
  EXPECT_EQ(wordNoise(ids, words, 0.0, g), ids);
  bool changed = false;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    std::vector<int64_t> noisy = wordNoise(ids, words, 0.5, gen);
    changed = changed || noisy != ids;
    ASSERT_EQ(noisy.size(), ids.size());
    EXPECT_EQ(noisy.front(), 2);
    auto sep = std::find(noisy.begin(), noisy.end(), 3);
    ASSERT_NE(sep, noisy.end());
    for (auto it = noisy.begin() + 1; it != sep; ++it) {
      EXPECT_TRUE(*it >= 5) << "a special token among the words";
      if (*it == 8) { // ##ing still follows play
        EXPECT_EQ(*(it - 1), 7);
      }
    }
    for (auto it = sep + 1; it != noisy.end(); ++it)
      EXPECT_EQ(*it, 0);
  }
  EXPECT_TRUE(changed);
}

TEST(AugmentTest, AugmentationsRefuseTheOtherKindOfInput) {
  AugmentSpec mixup;
  mixup.name = "mixup";
  try {
    makeAugmentation(mixup, augmentPlan(true), {}, {}, nullptr);
    ADD_FAILURE() << "mixup of token ids was accepted";
  } catch (const UsageError &e) {
    EXPECT_THAT(e.what(), HasSubstr("augment mixup: mixup changes images, and "));
    EXPECT_THAT(e.what(), HasSubstr(" reads token ids (word_noise is the text "
                                    "augmentation); choose another "
                                    "augmentation in the recipe"));
  }
  AugmentSpec noise;
  noise.name = "word_noise";
  try {
    makeAugmentation(noise, augmentPlan(false), {0.0}, {1.0}, nullptr);
    ADD_FAILURE() << "word noise on images was accepted";
  } catch (const UsageError &e) {
    EXPECT_THAT(e.what(), HasSubstr("word noise changes the words of texts"));
  }
  EXPECT_FALSE(makeAugmentation(AugmentSpec{}, augmentPlan(false), {0.0},
                                {1.0}, nullptr)
                   .has_value());
}

} // namespace
