//===- IdxTest.cpp - IDX and safetensors files, well-formed and broken ----===//
//
// The files are written here, in the formats' own layouts, so that every
// kind of damage can be tried.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

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

/// A Fashion-MNIST directory with the given training files.
void writeSplit(const TempDir &dir, const std::string &imageBytes,
                const std::string &labelBytes) {
  writeGzip(dir / "train-images-idx3-ubyte.gz", imageBytes);
  writeGzip(dir / "train-labels-idx1-ubyte.gz", labelBytes);
}

TEST(IdxTest, ReadsImagesAndLabels) {
  TempDir dir;
  writeSplit(dir, images(5), labels(5));
  ImageSet set = readFashionMnist(dir.path(), "train", 0);
  EXPECT_EQ(set.count, 5);
  EXPECT_EQ(set.height, 28);
  EXPECT_EQ(set.pixels.size(), 5u * 28 * 28);
  EXPECT_EQ(set.pixels[300], 300 % 251);
  EXPECT_EQ(set.labels, (std::vector<uint8_t>{0, 1, 2, 3, 4}));
  ImageSet first = readFashionMnist(dir.path(), "train", 2);
  EXPECT_EQ(first.count, 2);
  EXPECT_EQ(first.pixels.size(), 2u * 28 * 28);
  EXPECT_EQ(first.labels.size(), 2u);
}

TEST(IdxTest, ReadsUncompressedFilesToo) {
  TempDir dir;
  std::ofstream(dir / "t10k-images-idx3-ubyte", std::ios::binary) << images(3);
  std::ofstream(dir / "t10k-labels-idx1-ubyte", std::ios::binary) << labels(3);
  EXPECT_EQ(readFashionMnist(dir.path(), "t10k", 0).count, 3);
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

TEST(IdxTest, CountsMustAgree) {
  TempDir dir;
  writeSplit(dir, images(4), labels(3));
  EXPECT_THAT(errorOf([&] { readFashionMnist(dir.path(), "train", 0); }),
              HasSubstr("train-images-idx3-ubyte.gz: 4 images but " +
                        (dir / "train-labels-idx1-ubyte.gz") +
                        " has 3 labels"));
}

TEST(IdxTest, ImageSizeAndLabelRange) {
  TempDir dir;
  writeSplit(dir, images(2, 32), labels(2));
  EXPECT_THAT(errorOf([&] { readFashionMnist(dir.path(), "train", 0); }),
              HasSubstr("images are 32x32, Fashion-MNIST's are 28x28"));
  TempDir other;
  writeSplit(other, images(12), labels(12, 11));
  EXPECT_THAT(errorOf([&] { readFashionMnist(other.path(), "train", 0); }),
              HasSubstr("label 10 outside the 10 classes"));
}

TEST(IdxTest, MissingFile) {
  TempDir dir;
  EXPECT_EQ(errorOf([&] { readIdx(dir / "none.gz", 1); }),
            dir / "none.gz" + ": cannot open");
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
