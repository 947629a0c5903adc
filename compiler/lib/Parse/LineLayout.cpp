//===- LineLayout.cpp - Breaking one statement into lines ----------------===//
//
// Greedy filling, one depth at a time: while a line is too wide, the breaks
// of the lowest depth not yet tried are filled greedily within it (a break
// is taken where the chunk after it would cross the limit). Each depth keeps
// the breaks of the depths before it, so the result depends only on the
// pieces: formatting twice gives the same lines.
//
//===----------------------------------------------------------------------===//

#include "LineLayout.h"

#include <set>

using namespace dream;

namespace {

/// Continuation lines without an alignment start one indent level deeper.
constexpr unsigned kContinuationIndent = 4;

class Layout {
public:
  Layout(const std::vector<Piece> &pieces, unsigned indent, unsigned limit)
      : pieces(pieces), indent(indent), limit(limit),
        broken(pieces.size(), false) {
    for (size_t i = 1; i < pieces.size(); ++i)
      broken[i] = pieces[i].mustBreak;
  }

  std::vector<PhysicalLine> run() {
    std::set<int> depths;
    for (const Piece &piece : pieces)
      if (piece.breakDepth != Piece::kNoBreak)
        depths.insert(piece.breakDepth);
    for (int depth : depths) {
      bool fits = true;
      std::vector<unsigned> column = columns();
      // Breaks taken in one line leave the other lines' ranges as they are.
      for (auto [begin, end] : lines())
        if (endColumn(begin, end, column) > limit) {
          fits = false;
          fill(begin, end, depth, column);
          column = columns();
        }
      if (fits)
        break;
    }
    return render();
  }

private:
  /// Where each piece starts under the breaks taken so far.
  std::vector<unsigned> columns() const {
    std::vector<unsigned> column(pieces.size());
    for (size_t i = 0; i < pieces.size(); ++i)
      column[i] = i == 0       ? indent
                  : broken[i] ? alignment(i, column)
                              : column[i - 1] + widthOf(pieces[i - 1].text) +
                                    pieces[i].space;
    return column;
  }

  unsigned alignment(size_t i, const std::vector<unsigned> &column) const {
    int target = pieces[i].alignTo;
    if (target >= 0 && static_cast<size_t>(target) < i)
      return column[target];
    return indent + kContinuationIndent;
  }

  /// The lines as [begin, end) ranges of pieces.
  std::vector<std::pair<size_t, size_t>> lines() const {
    std::vector<std::pair<size_t, size_t>> ranges;
    size_t begin = 0;
    for (size_t i = 1; i <= pieces.size(); ++i)
      if (i == pieces.size() || broken[i]) {
        ranges.emplace_back(begin, i);
        begin = i;
      }
    return ranges;
  }

  /// Where the code of line [begin, end) ends; a `//` comment is not code.
  unsigned endColumn(size_t begin, size_t end,
                     const std::vector<unsigned> &column) const {
    unsigned result = column[begin];
    for (size_t i = begin; i < end; ++i)
      if (!pieces[i].lineComment)
        result = column[i] + widthOf(pieces[i].text);
    return result;
  }

  /// Takes the breaks of `depth` in line [begin, end) where the chunk that
  /// follows would cross the limit; `column` is kept up to date for the
  /// pieces of the line, which later breaks may align with.
  void fill(size_t begin, size_t end, int depth,
            std::vector<unsigned> &column) {
    unsigned at = column[begin] + widthOf(pieces[begin].text);
    for (size_t i = begin + 1; i < end; ++i) {
      const Piece &piece = pieces[i];
      if (piece.breakDepth <= depth) {
        unsigned chunkEnd = at + piece.space;
        for (size_t j = i; j < end && (j == i || pieces[j].breakDepth > depth);
             ++j)
          if (!pieces[j].lineComment)
            chunkEnd += (j == i ? 0 : pieces[j].space) + widthOf(pieces[j].text);
        broken[i] = chunkEnd > limit;
      }
      column[i] = broken[i] ? alignment(i, column) : at + piece.space;
      at = column[i] + widthOf(piece.text);
    }
  }

  std::vector<PhysicalLine> render() const {
    std::vector<unsigned> column = columns();
    std::vector<PhysicalLine> result;
    for (auto [begin, end] : lines()) {
      PhysicalLine line;
      line.code.assign(column[begin], ' ');
      for (size_t i = begin; i < end; ++i) {
        if (pieces[i].lineComment) {
          line.comment = pieces[i].text;
          continue;
        }
        if (i != begin && pieces[i].space)
          line.code += ' ';
        line.code += pieces[i].text;
      }
      result.push_back(std::move(line));
    }
    return result;
  }

  const std::vector<Piece> &pieces;
  unsigned indent;
  unsigned limit;
  std::vector<bool> broken; ///< Whether a line starts at each piece.
};

} // namespace

unsigned dream::widthOf(const std::string &text) {
  unsigned width = 0;
  for (unsigned char c : text)
    width += (c & 0xC0) != 0x80;
  return width;
}

std::vector<PhysicalLine> dream::layOut(const std::vector<Piece> &pieces,
                                        unsigned indent, unsigned limit) {
  if (pieces.empty())
    return {};
  return Layout(pieces, indent, limit).run();
}
