//===- IdxFuzzer.cpp - readIdx on any bytes, gzipped or not ---------------===//
//
// The first byte chooses the rank the caller expects (1 to 3, as the label
// and image files have); the rest is the file. Files starting with gzip's
// magic number go through zlib, as Fashion-MNIST's do.
//
//===----------------------------------------------------------------------===//

#include "FuzzInput.h"

#include "dream/Runtime/Idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  int rank = 1 + data[0] % 3;
  std::string path = dream::fuzz::writeInput(data + 1, size - 1, "-idx");
  try {
    dream::rt::readIdx(path, rank);
  } catch (const dream::rt::DataError &) {
  }
  return 0;
}
