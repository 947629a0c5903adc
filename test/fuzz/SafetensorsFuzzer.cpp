//===- SafetensorsFuzzer.cpp - SafetensorsFile::read on any bytes ---------===//
//
// A checkpoint or a downloaded weight file may be truncated or hostile: the
// reader must refuse it with a FileError, never read outside the file.
//
//===----------------------------------------------------------------------===//

#include "FuzzInput.h"

#include "dream/Runtime/Safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = dream::fuzz::writeInput(data, size, ".safetensors");
  try {
    auto file = dream::rt::SafetensorsFile::read(path);
    // Touch every byte the header claims, so that ASan sees a range that
    // reaches past the buffer.
    unsigned sum = 0;
    for (const dream::rt::RawTensor &tensor : file.tensors())
      for (size_t i = 0; i < tensor.bytes; ++i)
        sum += static_cast<unsigned char>(tensor.data[i]);
    (void)sum;
  } catch (const dream::rt::FileError &) {
  }
  return 0;
}
