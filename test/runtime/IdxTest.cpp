//===- IdxTest.cpp - IDX and safetensors files, well-formed and broken ----===//
//
// The files are written here, in the formats' own layouts, so that every
// kind of damage can be tried.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Idx.h"
#include "dream/Runtime/Safetensors.h"

#include <zlib.h>

using namespace dream::rt;
using namespace dream::rt::test;
using testing::HasSubstr;

namespace {

std::string bigEndian(uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
          static_cast<char>(value >> 8), static_cast<char>(value)};
}

/// An unsigned-byte IDX file: magic, sizes, data.
std::string idx(const std::vector<uint32_t> &dims, const std::string &data,
                uint32_t magic = 0) {
  std::string bytes =
      bigEndian(magic ? magic : 0x0800u | uint32_t(dims.size()));
  for (uint32_t d : dims)
    bytes += bigEndian(d);
  return bytes + data;
}

void writeGzip(const std::string &path, const std::string &bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_TRUE(file);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(file);
}

std::string images(uint32_t count, uint32_t side = 28) {
  std::string pixels;
  for (uint32_t i = 0; i < count * side * side; ++i)
    pixels += static_cast<char>(i % 251);
  return idx({count, side, side}, pixels);
}

std::string labels(uint32_t count, uint8_t largest = 9) {
  std::string values;
  for (uint32_t i = 0; i < count; ++i)
    values += static_cast<char>(i % (largest + 1u));
  return idx({count}, values);
}

/// One split ("train" or "t10k") of an IDX set, gzipped.
void writeSplit(const TempDir &dir, const std::string &split,
                const std::string &imageBytes, const std::string &labelBytes) {
  writeGzip(dir / (split + "-images-idx3-ubyte.gz"), imageBytes);
  writeGzip(dir / (split + "-labels-idx1-ubyte.gz"), labelBytes);
}

TEST(IdxTest, ReadsImagesAndLabels) {
  TempDir dir;
  writeSplit(dir, "train", images(5), labels(5));
  writeSplit(dir, "t10k", images(2), labels(2));
  ImageSplits set = readIdxImages(dir.path(), 0);
  EXPECT_EQ(set.train.count, 5);
  EXPECT_EQ(set.train.channels, 1);
  EXPECT_EQ(set.train.height, 28);
  EXPECT_EQ(set.train.pixels.size(), 5u * 28 * 28);
  EXPECT_EQ(set.train.pixels[300], 300 % 251);
  EXPECT_EQ(set.train.labels, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(set.test.count, 2);
  // The classes are counted from the training labels.
  EXPECT_EQ(set.classes, 5);
  EXPECT_EQ(readIdxImages(dir.path(), 10).classes, 10);
}

TEST(IdxTest, ReadsUncompressedFilesOfAnySize) {
  TempDir dir;
  for (const char *split : {"train", "t10k"}) {
    std::ofstream(dir / (std::string(split) + "-images-idx3-ubyte"),
                  std::ios::binary)
        << images(3, 20);
    std::ofstream(dir / (std::string(split) + "-labels-idx1-ubyte"),
                  std::ios::binary)
        << labels(3);
  }
  ImageSplits set = readIdxImages(dir.path(), 0);
  EXPECT_EQ(set.test.count, 3);
  EXPECT_EQ(set.test.width, 20);
  EXPECT_EQ(set.classes, 3);
}

TEST(IdxTest, RealFashionMnistTestSplit) {
  std::string path = fashionMnistDirectory() + "/t10k-labels-idx1-ubyte.gz";
  if (!pathExists(path))
    GTEST_SKIP() << "no " << path;
  IdxArray labels = readIdx(path, 1);
  EXPECT_EQ(labels.dims, (std::vector<int64_t>{10000}));
  // The first test image is an ankle boot (class 9).
  EXPECT_EQ(labels.data[0], 9);
}

TEST(IdxTest, BadMagicNumber) {
  TempDir dir;
  writeGzip(dir / "f.gz", idx({3}, "abc", 0x00000803));
  EXPECT_EQ(errorOf([&] { readIdx(dir / "f.gz", 1); }),
            dir / "f.gz" +
                ": bad magic number 2051, expected 2049 (unsigned bytes, 1 "
                "dimensions)");
}

TEST(IdxTest, TruncatedFiles) {
  TempDir dir;
  std::string whole = images(2);
  writeGzip(dir / "short.gz", whole.substr(0, whole.size() - 10));
  EXPECT_THAT(errorOf([&] { readIdx(dir / "short.gz", 3); }),
              HasSubstr("short.gz: truncated: the sizes need 1568 bytes of "
                        "data, the file has 1558"));
  writeGzip(dir / "header.gz", whole.substr(0, 9));
  EXPECT_THAT(errorOf([&] { readIdx(dir / "header.gz", 3); }),
              HasSubstr("truncated: the IDX header needs 16 bytes, the file "
                        "has 9"));
  writeGzip(dir / "long.gz", whole + "xy");
  EXPECT_THAT(errorOf([&] { readIdx(dir / "long.gz", 3); }),
              HasSubstr("2 unexpected bytes after the data"));
}

// 2^31 x 2^31 x 4 wraps to 0 in 64 bits: an empty data part must not pass.
TEST(IdxTest, SizesThatOverflowAreRefused) {
  TempDir dir;
  writeGzip(dir / "wrap.gz", idx({0x80000000u, 0x80000000u, 4}, ""));
  EXPECT_EQ(errorOf([&] { readIdx(dir / "wrap.gz", 3); }),
            dir / "wrap.gz" + ": the sizes in the header overflow 64 bits");
}

TEST(IdxTest, CountsMustAgree) {
  TempDir dir;
  writeSplit(dir, "train", images(4), labels(3));
  writeSplit(dir, "t10k", images(2), labels(2));
  EXPECT_EQ(errorOf([&] { readIdxImages(dir.path(), 0); }),
            dir / "train-images-idx3-ubyte.gz: 4 images but " +
                (dir / "train-labels-idx1-ubyte.gz") + " has 3 labels");
}

TEST(IdxTest, LabelsOutOfRange) {
  TempDir dir;
  writeSplit(dir, "train", images(12), labels(12, 11));
  writeSplit(dir, "t10k", images(2), labels(2));
  EXPECT_EQ(errorOf([&] { readIdxImages(dir.path(), 10); }),
            dir / "train-labels-idx1-ubyte.gz: label 10 at index 10 is "
                  "outside the 10 classes of this data set");
  // Without a fixed count, a test label must be among the training ones.
  TempDir other;
  writeSplit(other, "train", images(3), labels(3, 2));
  writeSplit(other, "t10k", images(4), labels(4, 3));
  EXPECT_EQ(errorOf([&] { readIdxImages(other.path(), 0); }),
            other / "t10k-labels-idx1-ubyte.gz: label 3 at index 3 is "
                    "outside the 3 classes of the training labels (0 to 2)");
}

TEST(IdxTest, SplitsMustHaveOneImageSize) {
  TempDir dir;
  writeSplit(dir, "train", images(2, 28), labels(2));
  writeSplit(dir, "t10k", images(2, 32), labels(2));
  EXPECT_EQ(errorOf([&] { readIdxImages(dir.path(), 0); }),
            dir / "t10k-images-idx3-ubyte.gz: images are 32x32, the "
                  "training images 28x28");
}

TEST(IdxTest, EmptyFile) {
  TempDir dir;
  std::ofstream(dir / "empty", std::ios::binary) << "";
  EXPECT_EQ(errorOf([&] { readIdx(dir / "empty", 1); }),
            dir / "empty: the file is empty");
}

TEST(IdxTest, MissingFile) {
  TempDir dir;
  EXPECT_EQ(errorOf([&] { readIdx(dir / "none.gz", 1); }),
            dir / "none.gz" + ": cannot open: No such file or directory");
}

TEST(SafetensorsTest, RoundTrip) {
  TempDir dir;
  std::vector<float> values = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
  std::vector<int64_t> ids = {4, 5};
  writeSafetensors(
      dir / "t.safetensors",
      {{"a.weight",
        "F32",
        {2, 3},
        reinterpret_cast<const char *>(values.data()),
        24},
       {"ids", "I64", {2}, reinterpret_cast<const char *>(ids.data()), 16}},
      {{"network", "N"}});
  SafetensorsFile file = SafetensorsFile::read(dir / "t.safetensors");
  EXPECT_EQ(file.metadata().at("network"), "N");
  const RawTensor *a = file.find("a.weight");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(a->data, values.data(), 24), 0);
  EXPECT_EQ(file.find("ids")->dtype, "I64");
  // The data starts 8-byte aligned, as the Python package writes it.
  std::string bytes = readText(dir / "t.safetensors");
  uint64_t headerSize;
  std::memcpy(&headerSize, bytes.data(), 8);
  EXPECT_EQ(headerSize % 8, 0u);
}

TEST(SafetensorsTest, DamagedFiles) {
  TempDir dir;
  std::ofstream(dir / "short", std::ios::binary) << "abc";
  EXPECT_THAT(errorOf([&] { SafetensorsFile::read(dir / "short"); }),
              HasSubstr("too short for a safetensors file"));
  std::string huge(8, '\xff');
  std::ofstream(dir / "huge", std::ios::binary) << huge << "{}";
  EXPECT_THAT(errorOf([&] { SafetensorsFile::read(dir / "huge"); }),
              HasSubstr("the header length is larger than the file"));
  std::string head =
      R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
  std::string length(8, '\0');
  length[0] = static_cast<char>(head.size());
  std::ofstream(dir / "mismatch", std::ios::binary)
      << length << head << std::string(8, '\0');
  EXPECT_THAT(errorOf([&] { SafetensorsFile::read(dir / "mismatch"); }),
              HasSubstr("tensor 'w': shape and byte range disagree"));
}

} // namespace
