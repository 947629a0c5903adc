//===- Canvas.cpp - A grey picture with scaled images and text ------------===//

#include "dream/Runtime/Canvas.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Png.h"

#define STB_TRUETYPE_IMPLEMENTATION
#include <stb/stb_truetype.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace dream::rt {
namespace {

/// The font, read once: $DREAMC_FONT, else DejaVu Sans where Debian's
/// fonts-dejavu-core puts it.
struct Font {
  std::vector<unsigned char> bytes;
  stbtt_fontinfo info;

  Font() {
    const char *env = std::getenv("DREAMC_FONT");
    std::string path = env && *env
                           ? env
                           : "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
    if (bytes.empty() ||
        !stbtt_InitFont(&info, bytes.data(),
                        stbtt_GetFontOffsetForIndex(bytes.data(), 0)))
      throw FileError(path + ": cannot read the font of the dream picture; "
                             "install Debian's fonts-dejavu-core, or set "
                             "DREAMC_FONT to a TrueType font");
  }
};

const Font &font() {
  static const Font loaded;
  return loaded;
}

/// The code points of UTF-8 `text`; a byte that starts no valid sequence
/// stands for itself (Latin-1), so nothing is dropped.
std::vector<int> codePoints(const std::string &text) {
  std::vector<int> out;
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    int length = byte < 0x80 ? 1 : (byte >> 5) == 6 ? 2 : (byte >> 4) == 14 ? 3
                                 : (byte >> 3) == 30 ? 4 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (int k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) >> 6) == 2;
    if (!valid || length == 1) {
      out.push_back(byte);
      ++i;
      continue;
    }
    int code = byte & (0x7f >> length);
    for (int k = 1; k < length; ++k)
      code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    out.push_back(code);
    i += length;
  }
  return out;
}

} // namespace

Canvas::Canvas(int width, int height, uint8_t background)
    : w(width), h(height),
      pixels(static_cast<size_t>(width) * static_cast<size_t>(height),
             background) {}

void Canvas::image(const uint8_t *source, int sw, int sh, int x, int y,
                   int scale) {
  for (int py = 0; py < sh * scale; ++py)
    for (int px = 0; px < sw * scale; ++px) {
      int cx = x + px, cy = y + py;
      if (cx >= 0 && cy >= 0 && cx < w && cy < h)
        pixels[static_cast<size_t>(cy) * w + cx] =
            source[(py / scale) * sw + px / scale];
    }
}

void Canvas::text(const std::string &text, int x, int y, float size,
                  uint8_t shade) {
  const stbtt_fontinfo &info = font().info;
  float scale = stbtt_ScaleForPixelHeight(&info, size);
  int ascent = 0, descent = 0, gap = 0;
  stbtt_GetFontVMetrics(&info, &ascent, &descent, &gap);
  int baseline = y + static_cast<int>(std::lround(ascent * scale));
  float pen = static_cast<float>(x);
  std::vector<int> codes = codePoints(text);
  for (size_t i = 0; i < codes.size(); ++i) {
    int advance = 0, bearing = 0;
    stbtt_GetCodepointHMetrics(&info, codes[i], &advance, &bearing);
    int x0, y0, x1, y1;
    stbtt_GetCodepointBitmapBox(&info, codes[i], scale, scale, &x0, &y0, &x1,
                                &y1);
    int gw = x1 - x0, gh = y1 - y0;
    if (gw > 0 && gh > 0) {
      std::vector<unsigned char> glyph(static_cast<size_t>(gw) * gh);
      stbtt_MakeCodepointBitmap(&info, glyph.data(), gw, gh, gw, scale, scale,
                                codes[i]);
      int left = static_cast<int>(std::lround(pen)) + x0, top = baseline + y0;
      for (int gy = 0; gy < gh; ++gy)
        for (int gx = 0; gx < gw; ++gx) {
          int cx = left + gx, cy = top + gy;
          if (cx < 0 || cy < 0 || cx >= w || cy >= h)
            continue;
          uint8_t &p = pixels[static_cast<size_t>(cy) * w + cx];
          int coverage = glyph[static_cast<size_t>(gy) * gw + gx];
          p = static_cast<uint8_t>((p * (255 - coverage) + shade * coverage) /
                                   255);
        }
    }
    pen += advance * scale;
    if (i + 1 < codes.size())
      pen += scale * stbtt_GetCodepointKernAdvance(&info, codes[i], codes[i + 1]);
  }
}

int Canvas::textWidth(const std::string &text, float size) {
  const stbtt_fontinfo &info = font().info;
  float scale = stbtt_ScaleForPixelHeight(&info, size);
  float width = 0;
  std::vector<int> codes = codePoints(text);
  for (size_t i = 0; i < codes.size(); ++i) {
    int advance = 0, bearing = 0;
    stbtt_GetCodepointHMetrics(&info, codes[i], &advance, &bearing);
    width += advance * scale;
    if (i + 1 < codes.size())
      width += scale * stbtt_GetCodepointKernAdvance(&info, codes[i], codes[i + 1]);
  }
  return static_cast<int>(std::ceil(width));
}

std::string Canvas::png() const { return encodePng(pixels, w, h, 1); }

} // namespace dream::rt
