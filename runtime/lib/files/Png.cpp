//===- Png.cpp - PNG encoding ---------------------------------------------===//

#include "dream/Runtime/Png.h"

#include "dream/Runtime/Files.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>

namespace dream::rt {

std::string encodePng(const std::vector<uint8_t> &pixels, int width,
                      int height, int channels) {
  if (width <= 0 || height <= 0 || (channels != 1 && channels != 3) ||
      pixels.size() != static_cast<size_t>(width) * height * channels)
    throw FileError("cannot encode a PNG of " + std::to_string(width) + "x" +
                    std::to_string(height) + "x" + std::to_string(channels) +
                    " from " + std::to_string(pixels.size()) + " bytes");
  std::string png;
  auto append = [](void *context, void *data, int size) {
    static_cast<std::string *>(context)->append(static_cast<char *>(data),
                                                size);
  };
  if (!stbi_write_png_to_func(append, &png, width, height, channels,
                              pixels.data(), width * channels))
    throw FileError("the PNG encoder failed");
  return png;
}

} // namespace dream::rt
