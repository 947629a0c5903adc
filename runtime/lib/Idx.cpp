//===- Idx.cpp - IDX files and the Fashion-MNIST data set
//------------------===//

#include "dream/Runtime/Idx.h"

#include <zlib.h>

#include "dream/Runtime/Files.h"

#include <cstdlib>
#include <memory>

namespace dream::rt {
namespace {

[[noreturn]] void dataFail(const std::string &path,
                           const std::string &problem) {
  throw DataError(path + ": " + problem);
}

/// The whole (decompressed) content of a gzipped or plain file.
std::vector<uint8_t> readDecompressed(const std::string &path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"),
                                                  gzclose);
  if (!file)
    dataFail(path, "cannot open");
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int n;
  while ((n = gzread(file.get(), chunk, sizeof chunk)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  if (n < 0) {
    int code;
    dataFail(path,
             std::string("cannot decompress: ") + gzerror(file.get(), &code));
  }
  return bytes;
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

} // namespace

IdxArray readIdx(const std::string &path, int rank) {
  std::vector<uint8_t> bytes = readDecompressed(path);
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
    size *= static_cast<uint64_t>(array.dims.back());
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

ImageSet readFashionMnist(const std::string &dir, const std::string &split,
                          int64_t limit) {
  std::string imagePath = findFile(dir, split + "-images-idx3-ubyte");
  std::string labelPath = findFile(dir, split + "-labels-idx1-ubyte");
  IdxArray images = readIdx(imagePath, 3);
  IdxArray labels = readIdx(labelPath, 1);
  if (images.dims[0] != labels.dims[0])
    dataFail(imagePath, std::to_string(images.dims[0]) + " images but " +
                            labelPath + " has " +
                            std::to_string(labels.dims[0]) + " labels");
  if (images.dims[1] != 28 || images.dims[2] != 28)
    dataFail(imagePath, "images are " + std::to_string(images.dims[1]) + "x" +
                            std::to_string(images.dims[2]) +
                            ", Fashion-MNIST's are 28x28");
  for (uint8_t label : labels.data)
    if (label >= kFashionMnistClasses)
      dataFail(labelPath,
               "label " + std::to_string(label) + " outside the " +
                   std::to_string(kFashionMnistClasses) + " classes");
  ImageSet set;
  set.count = limit > 0 ? std::min(limit, images.dims[0]) : images.dims[0];
  set.height = images.dims[1];
  set.width = images.dims[2];
  images.data.resize(static_cast<size_t>(set.count * set.height * set.width));
  labels.data.resize(static_cast<size_t>(set.count));
  set.pixels = std::move(images.data);
  set.labels = std::move(labels.data);
  return set;
}

std::string fashionMnistDirectory() {
  const char *dir = std::getenv("DREAMC_FASHION_MNIST");
  return dir && *dir ? dir : "/usr/share/datasets/fashion-mnist";
}

} // namespace dream::rt
