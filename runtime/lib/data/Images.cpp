//===- Images.cpp - Labelled image sets: CIFAR and image folders ----------===//

#include "dream/Runtime/Images.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Folders.h"
#include "dream/Runtime/Idx.h"

#define STB_IMAGE_IMPLEMENTATION
// Static: a program linking dreamrt may hold its own stb_image.
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#include <stb/stb_image.h>
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_STATIC
#include <stb/stb_image_resize.h>

#include <memory>

namespace dream::rt {
namespace {

constexpr int64_t kCifarSide = 32, kCifarChannels = 3;
constexpr size_t kCifarPixels = kCifarChannels * kCifarSide * kCifarSide;

/// Appends the records of one CIFAR file to `set`. CIFAR-100's records
/// start with two label bytes (coarse, fine), CIFAR-10's with one.
void readCifarFile(const std::string &path, int64_t classes, ImageSet &set) {
  std::vector<uint8_t> bytes = readDataFile(path);
  size_t labelBytes = classes == 100 ? 2 : 1;
  size_t recordSize = labelBytes + kCifarPixels;
  if (bytes.size() % recordSize != 0)
    throw DataError(path + ": truncated: record " +
                    std::to_string(bytes.size() / recordSize + 1) + " has " +
                    std::to_string(bytes.size() % recordSize) + " of its " +
                    std::to_string(recordSize) + " bytes");
  for (size_t at = 0; at < bytes.size(); at += recordSize) {
    int64_t label = bytes[at + labelBytes - 1];
    if (label >= classes)
      throw DataError(path + ": record " + std::to_string(at / recordSize + 1) +
                      ": label " + std::to_string(label) + " is not below " +
                      std::to_string(classes));
    set.labels.push_back(label);
    set.pixels.insert(set.pixels.end(), bytes.begin() + at + labelBytes,
                      bytes.begin() + at + recordSize);
  }
  set.count = static_cast<int64_t>(set.labels.size());
}

ImageSet cifarSplit(const std::string &dir,
                    const std::vector<std::string> &files, int64_t classes) {
  ImageSet set;
  set.channels = kCifarChannels;
  set.height = set.width = kCifarSide;
  for (const std::string &file : files)
    readCifarFile(joinPath(dir, file), classes, set);
  return set;
}

std::string sizeText(const ImageSet &image) {
  return std::to_string(image.width) + "x" + std::to_string(image.height);
}

/// The images of `files` in one set, resized to `size` if given; all must
/// then be the size of the first.
ImageSet readImages(const std::vector<LabelledFile> &files, int64_t channels,
                    ImageSize size) {
  ImageSet set;
  set.channels = channels;
  for (const LabelledFile &file : files) {
    ImageSet image = resizeImages(readImage(file.path, channels), size);
    if (set.count == 0) {
      set.height = image.height;
      set.width = image.width;
    } else if (image.height != set.height || image.width != set.width) {
      throw DataError(file.path + ": the image is " + sizeText(image) +
                      " pixels, but " + files.front().path + " is " +
                      sizeText(set) + "; all images must have one size");
    }
    set.pixels.insert(set.pixels.end(), image.pixels.begin(),
                      image.pixels.end());
    set.labels.push_back(file.label);
    ++set.count;
  }
  return set;
}

} // namespace

ImageSplits readCifar(const std::string &dir, int64_t classes) {
  ImageSplits set;
  set.classes = classes;
  if (classes == 100) {
    set.train = cifarSplit(dir, {"train.bin"}, classes);
    set.test = cifarSplit(dir, {"test.bin"}, classes);
  } else {
    set.train =
        cifarSplit(dir,
                   {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                    "data_batch_4.bin", "data_batch_5.bin"},
                   classes);
    set.test = cifarSplit(dir, {"test_batch.bin"}, classes);
  }
  return set;
}

ImageSet readImage(const std::string &path, int64_t channels) {
  std::vector<uint8_t> bytes = readDataFile(path);
  int width, height, present;
  std::unique_ptr<stbi_uc, void (*)(void *)> pixels(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()),
                            &width, &height, &present,
                            static_cast<int>(channels)),
      stbi_image_free);
  if (!pixels)
    throw DataError(path + ": not a readable PNG or JPEG image (" +
                    stbi_failure_reason() + ")");
  ImageSet image;
  image.count = 1;
  image.channels = channels;
  image.height = height;
  image.width = width;
  // stb_image interleaves the channels; the network wants them as planes.
  size_t plane = static_cast<size_t>(width) * height;
  image.pixels.resize(plane * channels);
  for (size_t p = 0; p < plane; ++p)
    for (int64_t c = 0; c < channels; ++c)
      image.pixels[c * plane + p] = pixels.get()[p * channels + c];
  return image;
}

ImageSplits readImageFolders(const std::string &dir, int64_t channels,
                             ImageSize size) {
  ClassFolders folders = listClassFolders(dir, [](const std::string &name) {
    return hasExtension(name, {".png", ".jpg", ".jpeg"});
  });
  ImageSplits set;
  set.classes = static_cast<int64_t>(folders.classes.size());
  set.train = readImages(folders.train, channels, size);
  set.test = readImages(folders.test, channels, size);
  if (set.test.height != set.train.height || set.test.width != set.train.width)
    throw DataError(folders.test.front().path + ": the image is " +
                    sizeText(set.test) + " pixels, but " +
                    folders.train.front().path + " is " + sizeText(set.train) +
                    "; all images must have one size");
  return set;
}

ImageSet resizeImages(ImageSet set, ImageSize size) {
  if (!size || (set.height == size->first && set.width == size->second))
    return set;
  auto [height, width] = *size;
  int64_t from = set.height * set.width, to = height * width;
  std::vector<uint8_t> pixels(static_cast<size_t>(set.count * set.channels * to));
  for (int64_t plane = 0; plane < set.count * set.channels; ++plane)
    if (!stbir_resize_uint8(set.pixels.data() + plane * from,
                            static_cast<int>(set.width),
                            static_cast<int>(set.height), 0,
                            pixels.data() + plane * to, static_cast<int>(width),
                            static_cast<int>(height), 0, 1))
      throw DataError("cannot resize " + sizeText(set) + " images to " +
                      std::to_string(width) + "x" + std::to_string(height));
  set.pixels = std::move(pixels);
  set.height = height;
  set.width = width;
  return set;
}

} // namespace dream::rt
