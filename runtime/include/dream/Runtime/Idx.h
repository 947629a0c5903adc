//===- Idx.h - IDX files in MNIST's layout ----------------------*- C++ -*-===//
//
// The IDX format of MNIST and Fashion-MNIST: a big-endian magic number
// (0x0000, the element type 0x08 = unsigned byte, the number of
// dimensions), one big-endian 32-bit size per dimension, then the data.
// Files may be gzipped (as Debian's dataset-fashion-mnist ships them) or
// not; zlib reads both. MNIST, Fashion-MNIST, KMNIST and EMNIST come in
// this layout.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_IDX_H
#define DREAM_RUNTIME_IDX_H

#include "dream/Runtime/Images.h"

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

/// The bytes of a data file, decompressed if it is gzipped. Throws
/// DataError naming the file if it cannot be read or is empty.
std::vector<uint8_t> readDataFile(const std::string &path);

/// Fashion-MNIST's labels are 0 to 9.
constexpr int64_t kFashionMnistClasses = 10;

/// An image set in MNIST's layout in `dir`: train-images-idx3-ubyte,
/// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
/// t10k-labels-idx1-ubyte, each gzipped (`.gz`) or not, images of any size.
/// Images and labels must agree in number. The classes are `classes`, or
/// if 0 one more than the largest training label; a label outside them
/// throws DataError naming the file and the label's index.
ImageSplits readIdxImages(const std::string &dir, int64_t classes);

/// $DREAMC_FASHION_MNIST, or Debian's /usr/share/datasets/fashion-mnist.
std::string fashionMnistDirectory();

} // namespace dream::rt

#endif // DREAM_RUNTIME_IDX_H
