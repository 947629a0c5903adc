//===- Canvas.h - A grey picture with scaled images and text ----*- C++ -*-===//
//
// What `trainer dream` draws its picture on: 8-bit grey pixels, images
// enlarged by whole factors, and text in a TrueType font rasterised by
// stb_truetype (Debian's libstb-dev, like the PNG encoder), DejaVu Sans
// from Debian's fonts-dejavu-core unless DREAMC_FONT names another.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_CANVAS_H
#define DREAM_RUNTIME_CANVAS_H

#include <cstdint>
#include <string>
#include <vector>

namespace dream::rt {

class Canvas {
public:
  Canvas(int width, int height, uint8_t background);

  /// The `w` x `h` grey `pixels` (row-major) with their top left corner at
  /// (x, y), each pixel drawn as a `scale` x `scale` square.
  void image(const uint8_t *pixels, int w, int h, int x, int y, int scale);
  /// `text` (UTF-8) `size` pixels tall with its top left corner at (x, y),
  /// in grey `shade`, blended by the glyphs' coverage. Throws FileError if
  /// the font cannot be read.
  void text(const std::string &text, int x, int y, float size, uint8_t shade);
  /// How wide `text` is at `size`.
  static int textWidth(const std::string &text, float size);

  int width() const { return w; }
  int height() const { return h; }
  /// The picture as PNG bytes.
  std::string png() const;

private:
  int w, h;
  std::vector<uint8_t> pixels;
};

} // namespace dream::rt

#endif // DREAM_RUNTIME_CANVAS_H
