//===- Idx.h - IDX files and the Fashion-MNIST data set ---------*- C++ -*-===//
//
// The IDX format of MNIST and Fashion-MNIST: a big-endian magic number
// (0x0000, the element type 0x08 = unsigned byte, the number of
// dimensions), one big-endian 32-bit size per dimension, then the data.
// Files may be gzipped (as Debian's dataset-fashion-mnist ships them) or
// not; zlib reads both.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_IDX_H
#define DREAM_RUNTIME_IDX_H

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dream::rt {

/// A data file that is missing or malformed; the message names the file.
class DataError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// An IDX array of unsigned bytes.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

/// Reads an unsigned-byte IDX file with `rank` dimensions. Checks the magic
/// number, that the data is exactly as long as the sizes say, and that
/// nothing follows it. Throws DataError.
IdxArray readIdx(const std::string &path, int rank);

/// Labelled grey images.
struct ImageSet {
  int64_t count = 0;
  int64_t height = 0;
  int64_t width = 0;
  std::vector<uint8_t> pixels; ///< count * height * width, row-major.
  std::vector<uint8_t> labels; ///< count, each below `classes`.
};

/// Fashion-MNIST's labels are 0 to 9.
constexpr int64_t kFashionMnistClasses = 10;

/// Reads a Fashion-MNIST split from `dir` ("train" or "t10k" files, gzipped
/// or not): images and labels must agree in number, images must be 28x28
/// and labels below 10. Keeps the first `limit` examples (all if 0).
ImageSet readFashionMnist(const std::string &dir, const std::string &split,
                          int64_t limit);

/// $DREAMC_FASHION_MNIST, or Debian's /usr/share/datasets/fashion-mnist.
std::string fashionMnistDirectory();

} // namespace dream::rt

#endif // DREAM_RUNTIME_IDX_H
