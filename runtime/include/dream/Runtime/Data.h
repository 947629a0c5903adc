//===- Data.h - Data sources: --data names to Datasets ----------*- C++ -*-===//
//
// A data source (docs/runtime.md, "Data sources") is a name such as
// fashion_mnist or a format and a folder (cifar10:DIR, maildir:DIR). It is
// read whole, checked against the network (images or tokens, the input's
// shape, the number of classes), and turned into tensors:
//  - images: pixels scaled to [0, 1], then normalised per channel with the
//    mean and standard deviation of the whole training split (Fashion-MNIST
//    keeps its published constants), so training and evaluation agree
//    whatever --limit is;
//  - texts: tokenised with MiniLM's WordPiece vocabulary into the input's
//    length.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_DATA_H
#define DREAM_RUNTIME_DATA_H

#include "dream/Runtime/Plan.h"
#include "dream/Runtime/Text.h"
#include "dream/Runtime/Training.h"

#include <optional>
#include <string>
#include <vector>

namespace dream::rt {

/// The examples of a data source, ready for a network.
struct DataSplits {
  Dataset train; ///< Empty unless asked for.
  Dataset test;
  int64_t classes = 0;
  /// Image sources: the mean and standard deviation of each channel's
  /// [0, 1] pixels that the inputs are normalised with.
  std::vector<double> mean, std;
  /// Text sources: the vocabulary the texts were tokenised with.
  std::optional<WordPieceTokenizer> tokenizer;
  /// The classes' names, by index, where the source names them
  /// (Fashion-MNIST's and CIFAR-10's); empty otherwise.
  std::vector<std::string> classNames;
};

/// How a data source is read beyond its name and size.
struct DataOptions {
  /// Images of another height and width are resized to the network's
  /// (--resize).
  bool resize = false;
  /// Texts: the vocab.txt to tokenise with; empty: MiniLM's WordPiece
  /// vocabulary, unless `buildWords`.
  std::string vocabulary;
  /// Texts: tokenise with a word vocabulary built from the training texts
  /// (wordVocabulary, as large as the network's input vocabulary, words
  /// seen at least `minCount` times); needs `withTrain`.
  bool buildWords = false;
  int64_t minCount = 1;
  /// Keep the decoded source in the cache ($DREAMC_CACHE, else
  /// ~/.cache/dreamc) and read it from there while its files are unchanged
  /// (false: --no-cache).
  bool cache = true;
};

/// Reads the data source `name` for `plan`'s network: the first `limit`
/// training examples (if `withTrain`) and at most `limit` test examples
/// (0: all), as `options` say. Throws UsageError for an unknown name or a
/// source of the wrong kind (images for tokens, texts for images),
/// DataError for data that does not fit the network (input shape, classes,
/// vocabulary) or is malformed.
DataSplits loadDataSource(const std::string &name, const Plan &plan,
                          int64_t limit, bool withTrain,
                          const DataOptions &options = {});

/// The vocabulary at `path` (MiniLM's WordPiece vocabulary if empty) for a
/// network on tokens (none for one on images); it may not hold more tokens
/// than the input's vocabulary, and MiniLM's must hold as many.
std::optional<WordPieceTokenizer> tokenizerFor(const Plan &plan,
                                               const std::string &path = "");

/// PNG or JPEG files as inputs of `plan`'s image network, converted to its
/// channels (and, with `resize`, its height and width) and normalised with
/// a source's `mean` and `std` (`dream --input`); their labels are -1.
/// Throws DataError naming the file if it cannot be read or its size is
/// not the network's input.
Dataset loadImageFiles(const std::vector<std::string> &paths, const Plan &plan,
                       const std::vector<double> &mean,
                       const std::vector<double> &std, bool resize = false);

} // namespace dream::rt

#endif // DREAM_RUNTIME_DATA_H
