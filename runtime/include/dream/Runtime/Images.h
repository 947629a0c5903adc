//===- Images.h - Labelled image sets: CIFAR and image folders --*- C++ -*-===//
//
// The binary versions of CIFAR-10 and CIFAR-100, and folders of PNG and
// JPEG images, one folder per class (Folders.h). PNG and JPEG are decoded
// with stb_image (Debian's libstb-dev), the header-only library that
// already writes the runtime's PNGs: no library to link, and it reads both
// formats (8-bit; JPEG baseline and progressive) into the channel count
// asked for.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_IMAGES_H
#define DREAM_RUNTIME_IMAGES_H

#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <vector>

namespace dream::rt {

/// Labelled images of one size.
struct ImageSet {
  int64_t count = 0;
  int64_t channels = 1;
  int64_t height = 0;
  int64_t width = 0;
  /// count x channels x height x width bytes, in that order.
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels; ///< count, each below the set's classes.
};

/// The training and test images of a data set.
struct ImageSplits {
  ImageSet train;
  ImageSet test;
  int64_t classes = 0;
};

/// The binary version of CIFAR-10 (`classes` 10: data_batch_1.bin to
/// data_batch_5.bin and test_batch.bin, records of a label byte and
/// 3x32x32 pixels) or CIFAR-100 (`classes` 100: train.bin and test.bin,
/// records of a coarse and a fine label byte, then the pixels; the fine
/// labels are the classes) in `dir`. Throws DataError naming file and
/// record for a truncated file or a label out of range.
ImageSplits readCifar(const std::string &dir, int64_t classes);

/// A height and width that images are resized to (--resize); none: they
/// keep their own.
using ImageSize = std::optional<std::pair<int64_t, int64_t>>;

/// PNG and JPEG files (.png, .jpg, .jpeg), one folder per class, read with
/// `channels` channels (1 grey, 3 RGB; stb_image converts), each resized to
/// `size` if given. Without `size`, all images must have the same size.
/// Throws DataError naming the file that cannot be decoded or has another
/// size.
ImageSplits readImageFolders(const std::string &dir, int64_t channels,
                             ImageSize size = std::nullopt);

/// `set` with every image resized to `size` (unchanged if none, or if it is
/// that size already): stb_image_resize (Debian's libstb-dev) on each
/// channel plane, whose filters smooth when shrinking.
ImageSet resizeImages(ImageSet set, ImageSize size);

/// Decodes one PNG or JPEG file into `channels` x height x width bytes.
ImageSet readImage(const std::string &path, int64_t channels);

} // namespace dream::rt

#endif // DREAM_RUNTIME_IMAGES_H
