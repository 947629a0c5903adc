//===- LineLayout.h - Breaking one statement into lines ------------------===//
//
// The formatter turns each statement, header or item into a row of pieces
// (tokens and comments) and asks this file where to break it. Breaks are
// tried outermost first: a pipe breaks before its `->` stages before any
// argument list breaks after a comma, as the standard library was written
// by hand. A line that still does not fit is left long.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LIB_PARSE_LINELAYOUT_H
#define DREAM_LIB_PARSE_LINELAYOUT_H

#include <climits>
#include <string>
#include <vector>

namespace dream {

/// One token or comment of a statement and how it joins the one before.
struct Piece {
  static constexpr int kNoBreak = INT_MAX;

  std::string text;
  /// On the same line, one space separates it from the previous piece.
  bool space = false;
  /// A line may break before it; lower depths are broken first.
  int breakDepth = kNoBreak;
  /// The earlier piece whose column a line broken here starts at; -1: the
  /// statement's indent plus one level.
  int alignTo = -1;
  /// The line breaks before it whatever the width: it follows a `//`
  /// comment, or is a comment or token that stood on a line of its own.
  bool mustBreak = false;
  /// A `//` comment: it ends its line and does not count towards the width.
  bool lineComment = false;
};

/// One output line: its code and the `//` comment that ends it, if any
/// (trailing comments are aligned afterwards, across lines).
struct PhysicalLine {
  std::string code;
  std::string comment;
};

/// The columns `text` takes: code points, since strings and comments need
/// not be ASCII.
unsigned widthOf(const std::string &text);

/// Lays `pieces` out from column `indent` within `limit` columns.
std::vector<PhysicalLine> layOut(const std::vector<Piece> &pieces,
                                 unsigned indent, unsigned limit);

} // namespace dream

#endif // DREAM_LIB_PARSE_LINELAYOUT_H
