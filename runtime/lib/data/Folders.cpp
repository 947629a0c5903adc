//===- Folders.cpp - Data sets stored as one folder per class -------------===//

#include "dream/Runtime/Folders.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Idx.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <memory>

namespace dream::rt {
namespace {

/// The example files under `dir`, sorted by path.
void collectFiles(const std::string &dir, const FileFilter &keep,
                  std::vector<std::string> &files) {
  for (const std::string &name : listDirectory(dir)) {
    if (name[0] == '.')
      continue;
    std::string path = joinPath(dir, name);
    if (isDirectory(path))
      collectFiles(path, keep, files);
    else if (keep(name))
      files.push_back(path);
  }
}

std::vector<std::string> subfolders(const std::string &dir) {
  std::vector<std::string> names;
  for (const std::string &name : listDirectory(dir))
    if (name[0] != '.' && isDirectory(joinPath(dir, name)))
      names.push_back(name);
  return names;
}

/// Each class's files, in class order.
std::vector<std::vector<std::string>>
filesByClass(const std::string &dir, const std::vector<std::string> &classes,
             const FileFilter &keep) {
  std::vector<std::vector<std::string>> files(classes.size());
  for (size_t c = 0; c < classes.size(); ++c) {
    std::string folder = joinPath(dir, classes[c]);
    if (!isDirectory(folder))
      throw DataError(folder + ": the class folder is missing (the classes "
                               "are the folders of the training set)");
    collectFiles(folder, keep, files[c]);
    if (files[c].empty())
      throw DataError(folder + ": the class folder holds no example files");
  }
  return files;
}

/// The first file of every class, then the second, ...
std::vector<LabelledFile>
roundRobin(const std::vector<std::vector<std::string>> &files) {
  std::vector<LabelledFile> order;
  for (size_t i = 0;; ++i) {
    size_t before = order.size();
    for (size_t c = 0; c < files.size(); ++c)
      if (i < files[c].size())
        order.push_back({files[c][i], static_cast<int64_t>(c)});
    if (order.size() == before)
      return order;
  }
}

} // namespace

std::vector<std::string> listDirectory(const std::string &dir) {
  std::unique_ptr<DIR, int (*)(DIR *)> handle(opendir(dir.c_str()), closedir);
  if (!handle)
    throw DataError(dir + ": cannot read the folder: " + std::strerror(errno));
  std::vector<std::string> names;
  while (dirent *entry = readdir(handle.get())) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool hasExtension(const std::string &name,
                  const std::vector<std::string> &extensions) {
  std::string lower = name;
  for (char &c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::any_of(
      extensions.begin(), extensions.end(), [&](const std::string &ext) {
        return lower.size() > ext.size() &&
               lower.compare(lower.size() - ext.size(), ext.size(), ext) == 0;
      });
}

ClassFolders listClassFolders(const std::string &dir, const FileFilter &keep,
                              std::vector<std::string> classes) {
  std::string trainDir = joinPath(dir, "train"),
              testDir = joinPath(dir, "test");
  bool splitByFolders = isDirectory(trainDir) && isDirectory(testDir);
  bool named = !classes.empty();
  ClassFolders set;
  set.classes =
      !named ? subfolders(splitByFolders ? trainDir : dir) : std::move(classes);
  if (set.classes.empty())
    throw DataError(dir + ": no class folders (one folder per class, "
                          "optionally inside train/ and test/)");
  if (splitByFolders) {
    if (!named && subfolders(testDir) != set.classes)
      throw DataError(testDir + ": the class folders differ from those of " +
                      trainDir);
    set.train = roundRobin(filesByClass(trainDir, set.classes, keep));
    set.test = roundRobin(filesByClass(testDir, set.classes, keep));
    return set;
  }
  std::vector<std::vector<std::string>> all =
      filesByClass(dir, set.classes, keep);
  std::vector<std::vector<std::string>> train(all.size()), test(all.size());
  for (size_t c = 0; c < all.size(); ++c)
    for (size_t i = 0; i < all[c].size(); ++i)
      (i % kTestFraction == kTestFraction - 1 ? test : train)[c].push_back(
          all[c][i]);
  set.train = roundRobin(train);
  set.test = roundRobin(test);
  if (set.test.empty())
    throw DataError(dir +
                    ": too few files for a test set: without train/ "
                    "and test/ folders, every " +
                    std::to_string(kTestFraction) +
                    "th file of each class is held out for testing");
  return set;
}

} // namespace dream::rt
