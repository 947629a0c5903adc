//===- CsvFuzzer.cpp - readLabelledCsv on any bytes -----------------------===//
//
// AG News / Yelp CSV files through the trainer's reader: RFC 4180 records,
// then class indices and texts.
//
//===----------------------------------------------------------------------===//

#include "FuzzInput.h"

#include "dream/Runtime/Idx.h"
#include "dream/Runtime/Text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = dream::fuzz::writeInput(data, size, ".csv");
  try {
    dream::rt::readLabelledCsv(path);
  } catch (const dream::rt::DataError &) {
  }
  return 0;
}
