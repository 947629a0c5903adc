//===- Idx.cpp - IDX files in MNIST's layout ------------------------------===//

#include "dream/Runtime/Idx.h"

#include <zlib.h>

#include "dream/Runtime/Files.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace dream::rt {
namespace {

[[noreturn]] void dataFail(const std::string &path,
                           const std::string &problem) {
  throw DataError(path + ": " + problem);
}

uint32_t bigEndian32(const std::vector<uint8_t> &bytes, size_t at) {
  return (uint32_t(bytes[at]) << 24) | (uint32_t(bytes[at + 1]) << 16) |
         (uint32_t(bytes[at + 2]) << 8) | uint32_t(bytes[at + 3]);
}

/// `<dir>/<name>.gz`, or `<dir>/<name>` if only the unpacked file exists.
std::string findFile(const std::string &dir, const std::string &name) {
  std::string packed = joinPath(dir, name + ".gz");
  std::string plain = joinPath(dir, name);
  return !pathExists(packed) && pathExists(plain) ? plain : packed;
}

/// One split's images and labels (not checked against the classes yet).
ImageSet readIdxSplit(const std::string &dir, const std::string &split) {
  std::string imagePath = findFile(dir, split + "-images-idx3-ubyte");
  std::string labelPath = findFile(dir, split + "-labels-idx1-ubyte");
  IdxArray images = readIdx(imagePath, 3);
  IdxArray labels = readIdx(labelPath, 1);
  if (images.dims[0] != labels.dims[0])
    dataFail(imagePath, std::to_string(images.dims[0]) + " images but " +
                            labelPath + " has " +
                            std::to_string(labels.dims[0]) + " labels");
  ImageSet set;
  set.count = images.dims[0];
  set.height = images.dims[1];
  set.width = images.dims[2];
  set.pixels = std::move(images.data);
  set.labels.assign(labels.data.begin(), labels.data.end());
  return set;
}

void checkLabels(const ImageSet &set, int64_t classes,
                 const std::string &labelPath, const std::string &why) {
  for (size_t i = 0; i < set.labels.size(); ++i)
    if (set.labels[i] >= classes)
      dataFail(labelPath, "label " + std::to_string(set.labels[i]) +
                              " at index " + std::to_string(i) +
                              " is outside the " + std::to_string(classes) +
                              " classes " + why);
}

} // namespace

std::vector<uint8_t> readDataFile(const std::string &path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"),
                                                  gzclose);
  if (!file)
    dataFail(path, std::string("cannot open: ") + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int n;
  while ((n = gzread(file.get(), chunk, sizeof chunk)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  if (n < 0) {
    int code;
    const char *message = gzerror(file.get(), &code);
    dataFail(path, std::string("cannot read: ") +
                       (code == Z_ERRNO ? std::strerror(errno) : message));
  }
  if (bytes.empty())
    dataFail(path, "the file is empty");
  return bytes;
}

IdxArray readIdx(const std::string &path, int rank) {
  std::vector<uint8_t> bytes = readDataFile(path);
  size_t headerSize = 4 + 4 * static_cast<size_t>(rank);
  if (bytes.size() < headerSize)
    dataFail(path, "truncated: the IDX header needs " +
                       std::to_string(headerSize) + " bytes, the file has " +
                       std::to_string(bytes.size()));
  uint32_t magic = bigEndian32(bytes, 0);
  uint32_t expected = 0x0800u | static_cast<uint32_t>(rank);
  if (magic != expected)
    dataFail(path, "bad magic number " + std::to_string(magic) + ", expected " +
                       std::to_string(expected) + " (unsigned bytes, " +
                       std::to_string(rank) + " dimensions)");
  IdxArray array;
  uint64_t size = 1;
  for (int i = 0; i < rank; ++i) {
    array.dims.push_back(bigEndian32(bytes, 4 + 4 * i));
    // Sizes from a hostile header could wrap around to the file's length.
    if (__builtin_mul_overflow(size, static_cast<uint64_t>(array.dims.back()),
                               &size))
      dataFail(path, "the sizes in the header overflow 64 bits");
  }
  uint64_t present = bytes.size() - headerSize;
  if (present < size)
    dataFail(path, "truncated: the sizes need " + std::to_string(size) +
                       " bytes of data, the file has " +
                       std::to_string(present));
  if (present > size)
    dataFail(path, std::to_string(present - size) +
                       " unexpected bytes after the data");
  array.data.assign(bytes.begin() + headerSize, bytes.end());
  return array;
}

ImageSplits readIdxImages(const std::string &dir, int64_t classes) {
  ImageSplits set;
  set.train = readIdxSplit(dir, "train");
  set.test = readIdxSplit(dir, "t10k");
  std::string why = "of this data set";
  if (classes == 0) {
    for (int64_t label : set.train.labels)
      classes = std::max(classes, label + 1);
    why = "of the training labels (0 to " + std::to_string(classes - 1) + ")";
  }
  set.classes = classes;
  checkLabels(set.train, classes, findFile(dir, "train-labels-idx1-ubyte"),
              why);
  checkLabels(set.test, classes, findFile(dir, "t10k-labels-idx1-ubyte"), why);
  if (set.test.height != set.train.height || set.test.width != set.train.width)
    dataFail(findFile(dir, "t10k-images-idx3-ubyte"),
             "images are " + std::to_string(set.test.height) + "x" +
                 std::to_string(set.test.width) + ", the training images " +
                 std::to_string(set.train.height) + "x" +
                 std::to_string(set.train.width));
  return set;
}

std::string fashionMnistDirectory() {
  const char *dir = std::getenv("DREAMC_FASHION_MNIST");
  return dir && *dir ? dir : "/usr/share/datasets/fashion-mnist";
}

} // namespace dream::rt
