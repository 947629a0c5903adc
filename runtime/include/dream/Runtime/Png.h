//===- Png.h - PNG images for `trainer dream` -------------------*- C++ -*-===//
//
// Encoding with stb_image_write (Debian's libstb-dev): a single header, no
// library to link, and PNG is what every viewer and notebook shows.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_PNG_H
#define DREAM_RUNTIME_PNG_H

#include <cstdint>
#include <string>
#include <vector>

namespace dream::rt {

/// The bytes of a PNG file of `width` x `height` pixels, row-major, of
/// `channels` 8-bit values each (1: grey, 3: RGB). Throws FileError if
/// `pixels` has another size or the encoder fails.
std::string encodePng(const std::vector<uint8_t> &pixels, int width,
                      int height, int channels);

} // namespace dream::rt

#endif // DREAM_RUNTIME_PNG_H
