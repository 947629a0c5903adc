//===- Canvas.cpp - A grey picture with scaled images and text ------------===//

#include "dream/Runtime/Canvas.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Png.h"

#define STB_TRUETYPE_IMPLEMENTATION
#include <stb/stb_truetype.h>
#include <unicode/utf8.h>

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

/// Walks the glyphs of UTF-8 `text` (ICU decodes it; a byte that starts no
/// valid sequence is U+FFFD) at `scale`: calls `glyph(code, pen)` for each,
/// with the pen's x from the text's start, kerning applied; returns the
/// text's width.
template <typename Glyph>
float walkGlyphs(const std::string &text, float scale, Glyph glyph) {
  const stbtt_fontinfo &info = font().info;
  float pen = 0;
  int32_t at = 0, length = static_cast<int32_t>(text.size());
  while (at < length) {
    UChar32 code = 0;
    U8_NEXT_OR_FFFD(text.data(), at, length, code);
    glyph(code, pen);
    int advance = 0, bearing = 0;
    stbtt_GetCodepointHMetrics(&info, code, &advance, &bearing);
    pen += advance * scale;
    if (at < length) {
      int32_t peek = at;
      UChar32 next = 0;
      U8_NEXT_OR_FFFD(text.data(), peek, length, next);
      pen += scale * stbtt_GetCodepointKernAdvance(&info, code, next);
    }
  }
  return pen;
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
  walkGlyphs(text, scale, [&](UChar32 code, float pen) {
    int x0, y0, x1, y1;
    stbtt_GetCodepointBitmapBox(&info, code, scale, scale, &x0, &y0, &x1, &y1);
    int gw = x1 - x0, gh = y1 - y0;
    if (gw <= 0 || gh <= 0)
      return;
    std::vector<unsigned char> glyph(static_cast<size_t>(gw) * gh);
    stbtt_MakeCodepointBitmap(&info, glyph.data(), gw, gh, gw, scale, scale,
                              code);
    int left = x + static_cast<int>(std::lround(pen)) + x0, top = baseline + y0;
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
  });
}

int Canvas::textWidth(const std::string &text, float size) {
  float scale = stbtt_ScaleForPixelHeight(&font().info, size);
  return static_cast<int>(
      std::ceil(walkGlyphs(text, scale, [](UChar32, float) {})));
}

std::string Canvas::png() const { return encodePng(pixels, w, h, 1); }

} // namespace dream::rt
