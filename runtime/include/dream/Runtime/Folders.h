//===- Folders.h - Data sets stored as one folder per class -----*- C++ -*-===//
//
// Image folders, IMDB reviews and mail folders keep each class's examples
// in a folder named after the class. The classes are the folders sorted by
// name (class 0 first). A set with `train` and `test` folders is split by
// them; a set without gets a fixed stratified split: within each class the
// files sorted by path, every fifth (the 5th, 10th, ...) goes to the test
// set. Each split lists its files round-robin over the classes (the first
// file of every class, then the second, ...), so that the first N files of
// a split (--limit N) are balanced.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_FOLDERS_H
#define DREAM_RUNTIME_FOLDERS_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dream::rt {

/// A data file and its class.
struct LabelledFile {
  std::string path;
  int64_t label = 0;
};

/// The files of a folder-per-class set, split into training and test.
struct ClassFolders {
  std::vector<std::string> classes; ///< Folder names, sorted.
  std::vector<LabelledFile> train;
  std::vector<LabelledFile> test;
};

/// Which files of a class folder are examples (by name).
using FileFilter = std::function<bool(const std::string &name)>;

/// The 1 in `kTestFraction` files of each class that split() holds out.
constexpr size_t kTestFraction = 5;

/// Lists `dir`'s class folders and their files (recursively; names starting
/// with '.' and files `keep` rejects are ignored). `classes` names the
/// class folders to read; empty: every folder (of `dir/train` when the set
/// is split by folders). Throws DataError for an unreadable folder, a set
/// without classes, a class without files, or train and test folders with
/// different classes.
ClassFolders listClassFolders(const std::string &dir, const FileFilter &keep,
                              std::vector<std::string> classes = {});

/// The names in `dir` (no "." or ".."), sorted. Throws DataError if `dir`
/// cannot be read.
std::vector<std::string> listDirectory(const std::string &dir);

/// `name` ends in one of `extensions` (lower case, with the dot), ignoring
/// case.
bool hasExtension(const std::string &name,
                  const std::vector<std::string> &extensions);

} // namespace dream::rt

#endif // DREAM_RUNTIME_FOLDERS_H
