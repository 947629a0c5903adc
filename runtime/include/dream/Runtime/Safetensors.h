//===- Safetensors.h - Reading and writing safetensors files ----*- C++ -*-===//
//
// The safetensors layout (an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the raw
// little-endian data) at the byte level, without LibTorch. Checkpoints and
// encoder weights use it; files written by the Python `safetensors` package
// read back, and the other way round.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_SAFETENSORS_H
#define DREAM_RUNTIME_SAFETENSORS_H

#include "dream/Runtime/Files.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dream::rt {

/// One tensor as bytes. When writing, `data` points at `bytes` bytes owned
/// by the caller; when reading, into the file's memory map.
struct RawTensor {
  std::string name;
  std::string
      dtype; ///< safetensors names: F32, F64, F16, BF16, I64, I32, U8, BOOL.
  std::vector<int64_t> shape;
  const char *data = nullptr;
  size_t bytes = 0;
};

/// Writes `tensors` and string `metadata` to `path` atomically
/// (writeFileAtomically).
void writeSafetensors(const std::string &path,
                      const std::vector<RawTensor> &tensors,
                      const std::map<std::string, std::string> &metadata);

/// A safetensors file read into memory and checked (header, dtypes, shapes
/// against byte ranges, ranges inside the file).
class SafetensorsFile {
public:
  static SafetensorsFile read(const std::string &path);

  // The tensors point into `mapping`: moving keeps them valid, copying not.
  SafetensorsFile(SafetensorsFile &&) = default;
  SafetensorsFile &operator=(SafetensorsFile &&) = default;
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;

  const std::vector<RawTensor> &tensors() const { return entries; }
  const std::map<std::string, std::string> &metadata() const { return meta; }
  /// Null if there is no tensor of that name.
  const RawTensor *find(const std::string &name) const;
  const std::string &path() const { return filePath; }

private:
  SafetensorsFile() = default;

  std::string filePath;
  /// The whole file, mapped read-only: the tensors' bytes are read from
  /// the page cache, not copied (a 1 GB encoder costs 1 GB, not 3).
  std::shared_ptr<const char> mapping;
  std::vector<RawTensor> entries;
  std::map<std::string, std::string> meta;
};

} // namespace dream::rt

#endif // DREAM_RUNTIME_SAFETENSORS_H
