//===- Data.cpp - Data sources: --data names to Datasets ------------------===//

#include "dream/Runtime/Data.h"

#include "dream/Runtime/Commands.h"
#include "dream/Runtime/Files.h"
#include "dream/Runtime/Idx.h"
#include "dream/Runtime/Images.h"
#include "dream/Runtime/Mail.h"
#include "dream/Runtime/Model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>

namespace dream::rt {
namespace {

const char *const kImageSources =
    "fashion_mnist, idx:DIR, cifar10:DIR, cifar100:DIR or images:DIR";
const char *const kTextSources =
    "wordnet_glosses, csv:DIR, imdb:DIR or maildir:DIR";

/// A data source: its format, its folder, and its name for messages.
struct Source {
  std::string format;
  std::string dir;
  std::string title;

  bool isText() const {
    return format == "csv" || format == "imdb" || format == "maildir";
  }
};

/// The WordNet gloss set scripts/setup.sh builds (AG News layout).
std::string wordnetGlossesDirectory() {
  if (const char *data = std::getenv("DREAMC_DATA"))
    return joinPath(data, "wordnet-glosses");
  const char *home = std::getenv("HOME");
  return std::string(home ? home : ".") +
         "/.local/share/dreamc/data/wordnet-glosses";
}

Source parseSource(const std::string &name) {
  if (name == "fashion_mnist" || name == "fashion-mnist")
    return {"fashion-mnist", fashionMnistDirectory(), "Fashion-MNIST"};
  if (name == "wordnet_glosses" || name == "wordnet-glosses")
    return {"csv", wordnetGlossesDirectory(), "wordnet_glosses"};
  size_t colon = name.find(':');
  std::string format = name.substr(0, colon);
  for (const char *known :
       {"idx", "cifar10", "cifar100", "images", "csv", "imdb", "maildir"})
    if (colon != std::string::npos && format == known)
      return {format, name.substr(colon + 1), name};
  if (colon == std::string::npos && isDirectory(name))
    return {"idx", name, name};
  throw UsageError("data set '" + name + "' is not known: give images (" +
                   kImageSources + ") or texts (" + kTextSources +
                   "); a plain DIR means idx:DIR");
}

void checkClasses(const Source &source, int64_t classes, const Plan &plan) {
  if (classes != plan.classes)
    throw DataError(source.title + " has " + std::to_string(classes) +
                    " classes, but network '" + plan.network + "' has " +
                    std::to_string(plan.classes) +
                    " outputs; compile it with `dreamc -D classes=" +
                    std::to_string(classes) + "`");
}

//===--- The cache: each source decoded once ------------------------------===//

/// Bump when a reader changes what it makes of the same files.
constexpr int kCacheFormat = 1;

/// Where decoded data sets are kept: $DREAMC_CACHE, else
/// $XDG_CACHE_HOME/dreamc, else ~/.cache/dreamc.
std::string cacheDirectory() {
  if (const char *dir = std::getenv("DREAMC_CACHE"))
    return dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return joinPath(xdg, "dreamc");
  const char *home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/dreamc";
}

/// What a decoded copy of `source` depends on: how it is read (`how`) and
/// every file under its folder (following links), by name, size and
/// modification time. None if some file or folder cannot be examined: then
/// the cache cannot tell whether it changed.
std::optional<std::string> fingerprint(const Source &source,
                                       const std::string &how) {
  std::optional<std::vector<FileStamp>> stamps = filesUnder(source.dir);
  if (!stamps)
    return std::nullopt;
  std::vector<std::string> files;
  for (const FileStamp &file : *stamps)
    files.push_back(file.path + ' ' + std::to_string(file.size) + ' ' +
                    std::to_string(file.modifiedNs));
  std::sort(files.begin(), files.end());
  std::ostringstream all;
  all << "format " << kCacheFormat << ' ' << source.format << ' ' << how;
  for (const std::string &file : files)
    all << '\n' << file;
  return fnv1a(all.str());
}

/// `read()`'s result, from the cache when `source`'s files have not
/// changed since it was stored (else read and stored). A cache that cannot
/// be read or written is only slower: the data is read from its files.
template <typename Splits>
Splits cached(const Source &source, const std::string &how,
              const std::function<Splits()> &read,
              const std::function<TensorMap(const Splits &)> &pack,
              const std::function<Splits(const TensorMap &)> &unpack) {
  std::optional<std::string> stamp;
  if (isDirectory(source.dir)) // Else the reader says what is wrong.
    stamp = fingerprint(source, how);
  if (!stamp)
    return read();
  std::string path = joinPath(
      cacheDirectory(),
      fnv1a(source.format + '\n' +
            absolutePath(source.dir) +
            '\n' + how) +
          ".safetensors");
  std::map<std::string, std::string> metadata;
  try {
    if (pathExists(path)) {
      TensorMap tensors = loadTensorFile(path, &metadata);
      if (metadata["fingerprint"] == *stamp)
        return unpack(tensors);
    }
  } catch (const std::exception &) {
    // A damaged entry is replaced below.
  }
  Splits splits = read();
  // A cache that cannot be written (a full disk) stops the run like any
  // other file: the disk would fail the checkpoints next.
  try {
    saveTensorFile(path, pack(splits),
                   {{"format", "dreamc-data-cache"}, {"fingerprint", *stamp},
                    {"source", source.title}});
  } catch (const FileError &e) {
    throw FileError(std::string(e.what()) +
                    " (the cache of decoded data sets: --no-cache trains "
                    "without it)");
  }
  return splits;
}

at::Tensor bytesTensor(const void *data, size_t size) {
  at::Tensor t = at::empty({static_cast<int64_t>(size)}, at::kByte);
  if (size)
    std::memcpy(t.data_ptr<uint8_t>(), data, size);
  return t;
}

at::Tensor longsTensor(const std::vector<int64_t> &values) {
  return at::tensor(values, at::kLong);
}

std::vector<int64_t> longsOf(const at::Tensor &t) {
  at::Tensor c = t.contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

TensorMap packImages(const ImageSplits &set) {
  TensorMap out;
  for (auto [name, part] : {std::pair{"train", &set.train}, {"test", &set.test}}) {
    std::string n = name;
    out[n + "/pixels"] = bytesTensor(part->pixels.data(), part->pixels.size());
    out[n + "/labels"] = longsTensor(part->labels);
    out[n + "/shape"] =
        longsTensor({part->count, part->channels, part->height, part->width});
  }
  out["classes"] = longsTensor({set.classes});
  return out;
}

ImageSplits unpackImages(const TensorMap &in) {
  ImageSplits set;
  set.classes = longsOf(in.at("classes")).at(0);
  for (auto [name, part] : {std::pair{"train", &set.train}, {"test", &set.test}}) {
    std::string n = name;
    std::vector<int64_t> shape = longsOf(in.at(n + "/shape"));
    part->count = shape.at(0);
    part->channels = shape.at(1);
    part->height = shape.at(2);
    part->width = shape.at(3);
    const at::Tensor &pixels = in.at(n + "/pixels");
    part->pixels.assign(pixels.data_ptr<uint8_t>(),
                        pixels.data_ptr<uint8_t>() + pixels.numel());
    part->labels = longsOf(in.at(n + "/labels"));
    if (pixels.numel() != part->count * part->channels * part->height *
                              part->width ||
        static_cast<int64_t>(part->labels.size()) != part->count)
      throw FileError("the cached " + n + " split does not add up");
  }
  return set;
}

TensorMap packTexts(const TextSplits &set) {
  TensorMap out;
  for (auto [name, part] : {std::pair{"train", &set.train}, {"test", &set.test}}) {
    std::string n = name, bytes;
    std::vector<int64_t> ends;
    for (const std::string &text : part->texts) {
      bytes += text;
      ends.push_back(static_cast<int64_t>(bytes.size()));
    }
    out[n + "/text"] = bytesTensor(bytes.data(), bytes.size());
    out[n + "/ends"] = longsTensor(ends);
    out[n + "/labels"] = longsTensor(part->labels);
  }
  out["classes"] = longsTensor({set.classes});
  return out;
}

TextSplits unpackTexts(const TensorMap &in) {
  TextSplits set;
  set.classes = longsOf(in.at("classes")).at(0);
  for (auto [name, part] : {std::pair{"train", &set.train}, {"test", &set.test}}) {
    std::string n = name;
    const at::Tensor &text = in.at(n + "/text");
    const char *bytes = reinterpret_cast<const char *>(text.data_ptr<uint8_t>());
    int64_t begin = 0;
    for (int64_t end : longsOf(in.at(n + "/ends"))) {
      if (end < begin || end > text.numel())
        throw FileError("the cached " + n + " texts do not add up");
      part->texts.emplace_back(bytes + begin, bytes + end);
      begin = end;
    }
    part->labels = longsOf(in.at(n + "/labels"));
    if (part->labels.size() != part->texts.size())
      throw FileError("the cached " + n + " labels do not add up");
  }
  return set;
}

/// Fashion-MNIST's pixel mean and standard deviation (of [0, 1] pixels).
constexpr double kFashionMnistMean = 0.2860, kFashionMnistStd = 0.3530;

/// Each channel's mean and standard deviation of [0, 1] pixels, exactly
/// from a histogram of the bytes. A constant channel gets deviation 1, so
/// that normalising it only centres it.
void channelStatistics(const ImageSet &set, DataSplits &out) {
  size_t plane = static_cast<size_t>(set.height * set.width);
  for (int64_t c = 0; c < set.channels; ++c) {
    std::array<int64_t, 256> counts = {};
    for (int64_t i = 0; i < set.count; ++i) {
      const uint8_t *p = set.pixels.data() + (i * set.channels + c) * plane;
      for (size_t k = 0; k < plane; ++k)
        ++counts[p[k]];
    }
    double n = static_cast<double>(set.count) * static_cast<double>(plane);
    double sum = 0, squares = 0;
    for (int v = 0; v < 256; ++v) {
      sum += counts[v] * (v / 255.0);
      squares += counts[v] * (v / 255.0) * (v / 255.0);
    }
    double mean = sum / n;
    double deviation = std::sqrt(std::max(squares / n - mean * mean, 0.0));
    out.mean.push_back(mean);
    out.std.push_back(deviation > 1e-6 ? deviation : 1.0);
  }
}

/// The first `limit` images of `set` (all if 0), normalised.
Dataset imageDataset(const ImageSet &set, const DataSplits &stats,
                     int64_t limit) {
  int64_t n = limit > 0 ? std::min(limit, set.count) : set.count;
  auto perChannel = [&](const std::vector<double> &values) {
    return at::tensor(values, at::kDouble)
        .to(at::kFloat)
        .view({1, set.channels, 1, 1});
  };
  auto *pixels = const_cast<uint8_t *>(set.pixels.data());
  auto *labels = const_cast<int64_t *>(set.labels.data());
  at::Tensor images =
      at::from_blob(pixels, {set.count, set.channels, set.height, set.width},
                    at::kByte)
          .slice(0, 0, n)
          .to(at::kFloat)
          .div_(255.0)
          .sub_(perChannel(stats.mean))
          .div_(perChannel(stats.std));
  return {images,
          at::from_blob(labels, {set.count}, at::kLong).slice(0, 0, n).clone()};
}

/// Refuses images whose shape is not the network's input, saying `fix`.
void checkImageShape(const std::string &title, const ImageSet &set,
                     const Plan &plan, const std::string &fix) {
  std::vector<int64_t> shape = {set.channels, set.height, set.width};
  if (plan.input.shape != shape)
    throw DataError(title + " has " + formatShape(shape) +
                    " images, but network '" + plan.network + "' takes " +
                    formatShape(plan.input.shape) + " inputs; " + fix);
}

/// The channels image files are converted to: the network's.
int64_t fileChannels(const Plan &plan) {
  const std::vector<int64_t> &shape = plan.input.shape;
  return shape.size() == 3 && shape[0] >= 1 && shape[0] <= 4 ? shape[0] : 3;
}

/// The network's [height, width], for --resize.
ImageSize networkSize(const Plan &plan) {
  const std::vector<int64_t> &shape = plan.input.shape;
  if (shape.size() != 3)
    return std::nullopt;
  return std::make_pair(shape[1], shape[2]);
}

ImageSplits readImages(const Source &source, const Plan &plan,
                       ImageSize size) {
  if (source.format == "fashion-mnist")
    return readIdxImages(source.dir, kFashionMnistClasses);
  if (source.format == "idx")
    return readIdxImages(source.dir, 0);
  if (source.format == "cifar10")
    return readCifar(source.dir, 10);
  if (source.format == "cifar100")
    return readCifar(source.dir, 100);
  // Image files take the network's channels (stb_image converts).
  return readImageFolders(source.dir, fileChannels(plan), size);
}

DataSplits loadImages(const Source &source, const Plan &plan, int64_t limit,
                      bool withTrain, bool resize, bool cache) {
  ImageSize size = resize ? networkSize(plan) : std::nullopt;
  auto read = [&] { return readImages(source, plan, size); };
  // Folders of image files are decoded to the network's channels (and
  // size): those are part of what is cached; the other formats are
  // cached as their files hold them and resized below.
  std::ostringstream how;
  if (source.format == "images") {
    how << "channels " << fileChannels(plan);
    if (size)
      how << " size " << size->first << "x" << size->second;
  }
  ImageSplits set = cache ? cached<ImageSplits>(source, how.str(), read,
                                                packImages, unpackImages)
                          : read();
  set.train = resizeImages(std::move(set.train), size);
  set.test = resizeImages(std::move(set.test), size);
  checkImageShape(source.title, set.train, plan,
                  "give the network the images' shape" +
                      std::string(resize ? "" : ", or --resize to resize "
                                                "the images to the network's"));
  checkClasses(source, set.classes, plan);
  DataSplits data;
  data.classes = set.classes;
  if (source.format == "fashion-mnist")
    data.classNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                       "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  if (source.format == "cifar10")
    data.classNames = {"airplane", "automobile", "bird",  "cat",  "deer",
                       "dog",      "frog",       "horse", "ship", "truck"};
  if (source.format == "fashion-mnist") {
    data.mean = {kFashionMnistMean};
    data.std = {kFashionMnistStd};
  } else {
    channelStatistics(set.train, data);
  }
  if (withTrain)
    data.train = imageDataset(set.train, data, limit);
  data.test = imageDataset(set.test, data, limit);
  return data;
}

/// The first `limit` texts of `set` (all if 0), tokenised.
Dataset tokenise(const LabelledTexts &set, const WordPieceTokenizer &tokenizer,
                 int64_t length, int64_t limit) {
  auto count = static_cast<int64_t>(set.texts.size());
  int64_t n = limit > 0 ? std::min(limit, count) : count;
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(n * length));
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int64_t> row =
        tokenizer.encode(set.texts[i], static_cast<size_t>(length));
    ids.insert(ids.end(), row.begin(), row.end());
  }
  std::vector<int64_t> labels(set.labels.begin(), set.labels.begin() + n);
  return {at::tensor(ids, at::kLong).view({n, length}),
          at::tensor(labels, at::kLong)};
}

TextSplits readTexts(const Source &source) {
  if (source.format == "csv")
    return readCsvSet(source.dir);
  if (source.format == "imdb")
    return readImdb(source.dir);
  return readMailFolders(source.dir);
}

/// The word vocabulary of the training texts that `limit` keeps.
WordPieceTokenizer buildWordTokenizer(const Source &source,
                                      const LabelledTexts &train,
                                      const Plan &plan, int64_t limit,
                                      int64_t minCount) {
  if (plan.input.vocab < 6)
    throw DataError("network '" + plan.network + "' reads a vocabulary of " +
                    std::to_string(plan.input.vocab) +
                    " tokens; a word vocabulary needs 5 special tokens and "
                    "at least one word");
  auto count = static_cast<int64_t>(train.texts.size());
  int64_t n = limit > 0 ? std::min(limit, count) : count;
  std::vector<std::string> texts(train.texts.begin(), train.texts.begin() + n);
  return WordPieceTokenizer(
      wordVocabulary(texts, static_cast<size_t>(plan.input.vocab), minCount),
      "the word vocabulary of " + source.title);
}

DataSplits loadTexts(const Source &source, const Plan &plan, int64_t limit,
                     bool withTrain, const DataOptions &options) {
  auto read = [&] { return readTexts(source); };
  TextSplits set = options.cache ? cached<TextSplits>(source, "texts", read,
                                                      packTexts, unpackTexts)
                                 : read();
  checkClasses(source, set.classes, plan);
  DataSplits data;
  data.tokenizer = options.buildWords
                       ? buildWordTokenizer(source, set.train, plan, limit,
                                            options.minCount)
                       : *tokenizerFor(plan, options.vocabulary);
  int64_t length = plan.input.shape.at(0);
  data.classes = set.classes;
  if (withTrain)
    data.train = tokenise(set.train, *data.tokenizer, length, limit);
  data.test = tokenise(set.test, *data.tokenizer, length, limit);
  return data;
}

} // namespace

DataSplits loadDataSource(const std::string &name, const Plan &plan,
                          int64_t limit, bool withTrain,
                          const DataOptions &options) {
  Source source = parseSource(name);
  std::string given = " (--data, or the recipe's `data`)";
  if (plan.input.tokens && !source.isText())
    throw UsageError("network '" + plan.network + "' reads token ids, but " +
                     source.title + " holds images" + given +
                     "; give texts: " + kTextSources);
  if (!plan.input.tokens && source.isText())
    throw UsageError("network '" + plan.network + "' reads images, but " +
                     source.title + " holds texts" + given +
                     "; give images: " + kImageSources);
  return source.isText()
             ? loadTexts(source, plan, limit, withTrain, options)
             : loadImages(source, plan, limit, withTrain, options.resize,
                          options.cache);
}

std::optional<WordPieceTokenizer> tokenizerFor(const Plan &plan,
                                               const std::string &path) {
  if (!plan.input.tokens)
    return std::nullopt;
  WordPieceTokenizer tokenizer(
      path.empty() ? joinPath(miniLMDirectory(), "vocab.txt") : path);
  if (tokenizer.padId() != 0)
    throw DataError((path.empty() ? std::string("the WordPiece vocabulary")
                                  : path) +
                    ": [PAD] must be the first token (id 0), which attention "
                    "takes for padding");
  auto size = static_cast<int64_t>(tokenizer.size());
  if (path.empty() ? size != plan.input.vocab : size > plan.input.vocab)
    throw DataError(
        (path.empty() ? "the WordPiece vocabulary" : path) + " has " +
        std::to_string(size) + " tokens, the network's input " +
        std::to_string(plan.input.vocab) +
        (path.empty() ? "; compile the network for it, or give "
                        "--tokenizer words to build a vocabulary of the "
                        "input's size from the training texts"
                      : ""));
  return tokenizer;
}

Dataset loadImageFiles(const std::vector<std::string> &paths, const Plan &plan,
                       const std::vector<double> &mean,
                       const std::vector<double> &std, bool resize) {
  if (plan.input.tokens)
    throw DataError("network '" + plan.network +
                    "' reads token ids; --input takes images");
  ImageSet all;
  for (const std::string &path : paths) {
    ImageSet one = resizeImages(readImage(path, fileChannels(plan)),
                                resize ? networkSize(plan) : std::nullopt);
    checkImageShape(path, one, plan,
                    resize ? "give an image with the network's channels"
                           : "give an image of that size, or --resize");
    all.channels = one.channels;
    all.height = one.height;
    all.width = one.width;
    all.pixels.insert(all.pixels.end(), one.pixels.begin(), one.pixels.end());
    all.labels.push_back(-1);
    ++all.count;
  }
  DataSplits stats;
  stats.mean = mean;
  stats.std = std;
  return imageDataset(all, stats, 0);
}

} // namespace dream::rt
