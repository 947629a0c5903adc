//===- PngTest.cpp - PNG encoding round trips -----------------------------===//
//
// Decodes what encodePng wrote with stb_image, an independent PNG reader.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Png.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

#include "gtest/gtest.h"

using namespace dream::rt;

namespace {

TEST(PngTest, GreyAndRgbImagesRoundTrip) {
  for (int channels : {1, 3}) {
    const int width = 5, height = 3;
    std::vector<uint8_t> pixels(width * height * channels);
    for (size_t i = 0; i < pixels.size(); ++i)
      pixels[i] = static_cast<uint8_t>(i * 17);
    std::string png = encodePng(pixels, width, height, channels);
    ASSERT_EQ(png.compare(0, 8, "\x89PNG\r\n\x1a\n"), 0);
    int w = 0, h = 0, n = 0;
    stbi_uc *decoded = stbi_load_from_memory(
        reinterpret_cast<const stbi_uc *>(png.data()),
        static_cast<int>(png.size()), &w, &h, &n, 0);
    ASSERT_NE(decoded, nullptr) << stbi_failure_reason();
    EXPECT_EQ(w, width);
    EXPECT_EQ(h, height);
    EXPECT_EQ(n, channels);
    EXPECT_EQ(std::vector<uint8_t>(decoded, decoded + pixels.size()), pixels);
    stbi_image_free(decoded);
  }
}

TEST(PngTest, WrongPixelCountIsRefused) {
  try {
    encodePng(std::vector<uint8_t>(10), 4, 3, 1);
    FAIL() << "10 bytes were taken for 12 pixels";
  } catch (const FileError &e) {
    EXPECT_STREQ(e.what(), "cannot encode a PNG of 4x3x1 from 10 bytes");
  }
}

} // namespace
