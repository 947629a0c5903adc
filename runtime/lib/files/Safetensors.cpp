//===- Safetensors.cpp - Reading and writing safetensors files ------------===//

#include "dream/Runtime/Safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using nlohmann::json;

namespace dream::rt {
namespace {

/// Bytes per element of a safetensors dtype, 0 if unknown.
size_t dtypeSize(const std::string &dtype) {
  static const std::map<std::string, size_t> sizes = {
      {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2},
      {"I64", 8}, {"I32", 4}, {"U8", 1},  {"BOOL", 1}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

[[noreturn]] void fileFail(const std::string &path,
                           const std::string &problem) {
  throw FileError(path + ": " + problem);
}

uint64_t readLittleEndian64(const char *bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i)
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::string littleEndian64(uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return bytes;
}

/// The JSON header; its length is padded with spaces to a multiple of 8 so
/// that the data that follows is aligned, as the Python package does.
std::string header(const std::vector<RawTensor> &tensors,
                   const std::map<std::string, std::string> &metadata) {
  json head = json::object();
  if (!metadata.empty())
    head["__metadata__"] = metadata;
  size_t offset = 0;
  for (const RawTensor &t : tensors) {
    head[t.name] = {{"dtype", t.dtype},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.bytes}}};
    offset += t.bytes;
  }
  std::string text = head.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

RawTensor parseEntry(const std::string &path, const std::string &name,
                     const json &entry, const char *data, uint64_t size) {
  auto fail = [&](const std::string &problem) {
    fileFail(path, "tensor '" + name + "': " + problem);
  };
  if (!entry.is_object() || !entry.contains("dtype") ||
      !entry.contains("shape") || !entry.contains("data_offsets"))
    fail("needs dtype, shape and data_offsets");
  RawTensor t;
  t.name = name;
  t.dtype = entry["dtype"].get<std::string>();
  t.shape = entry["shape"].get<std::vector<int64_t>>();
  if (dtypeSize(t.dtype) == 0)
    fail("unknown dtype '" + t.dtype + "'");
  auto offsets = entry["data_offsets"].get<std::vector<uint64_t>>();
  if (offsets.size() != 2 || offsets[0] > size || offsets[1] > size)
    fail("data_offsets outside the file");
  if (offsets[0] > offsets[1])
    fail("data_offsets [" + std::to_string(offsets[0]) + ", " +
         std::to_string(offsets[1]) + ") run backwards");
  uint64_t numel = 1;
  for (int64_t d : t.shape) {
    if (d < 0)
      fail("negative dimension");
    numel *= static_cast<uint64_t>(d);
  }
  if (numel * dtypeSize(t.dtype) != offsets[1] - offsets[0])
    fail("shape and byte range disagree");
  t.data = data + offsets[0];
  t.bytes = offsets[1] - offsets[0];
  return t;
}

/// The format's rule that the tensors' byte ranges tile the data exactly:
/// no overlap, no gap, nothing after the last one.
void checkTiling(const std::string &path, std::vector<RawTensor> entries,
                 const char *data, uint64_t size) {
  std::sort(entries.begin(), entries.end(),
            [](const RawTensor &a, const RawTensor &b) {
              return std::make_pair(a.data, a.bytes) <
                     std::make_pair(b.data, b.bytes);
            });
  auto range = [&](const RawTensor &t) {
    uint64_t begin = static_cast<uint64_t>(t.data - data);
    return "[" + std::to_string(begin) + ", " +
           std::to_string(begin + t.bytes) + ")";
  };
  uint64_t end = 0;
  const RawTensor *previous = nullptr;
  for (const RawTensor &t : entries) {
    uint64_t begin = static_cast<uint64_t>(t.data - data);
    std::string where = "tensor '" + t.name + "': data_offsets " + range(t);
    if (begin < end)
      fileFail(path, where + " overlap tensor '" + previous->name + "' " +
                         range(*previous));
    if (begin > end)
      fileFail(path, where + " leave " + std::to_string(begin - end) +
                         " bytes unused before them");
    end = begin + t.bytes;
    previous = &t;
  }
  if (end != size)
    fileFail(path, std::to_string(size - end) +
                       " bytes after the last tensor's data, which the "
                       "format does not allow");
}

} // namespace

void writeSafetensors(const std::string &path,
                      const std::vector<RawTensor> &tensors,
                      const std::map<std::string, std::string> &metadata) {
  std::string head = header(tensors, metadata);
  std::string length = littleEndian64(head.size());
  std::vector<std::pair<const char *, size_t>> chunks = {
      {length.data(), length.size()}, {head.data(), head.size()}};
  for (const RawTensor &t : tensors)
    chunks.emplace_back(t.data, t.bytes);
  writeFileAtomically(path, chunks);
}

SafetensorsFile SafetensorsFile::read(const std::string &path) {
  SafetensorsFile file;
  file.filePath = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fileFail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat info;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    fileFail(path, "not a regular file");
  }
  auto size = static_cast<uint64_t>(info.st_size);
  if (size < 8) {
    ::close(fd);
    fileFail(path, "too short for a safetensors file");
  }
  void *base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd); // The mapping keeps the file.
  if (base == MAP_FAILED)
    fileFail(path, std::string("cannot map: ") + std::strerror(errno));
  file.mapping = std::shared_ptr<const char>(
      static_cast<const char *>(base),
      [size](const char *p) { ::munmap(const_cast<char *>(p), size); });
  const char *all = file.mapping.get();
  uint64_t headerSize = readLittleEndian64(all);
  if (headerSize > size - 8)
    fileFail(path, "the header length is larger than the file");
  json head = json::parse(all + 8, all + 8 + headerSize, nullptr,
                          /*allow_exceptions=*/false);
  if (!head.is_object())
    fileFail(path, "the header is not a JSON object");
  const char *data = all + 8 + headerSize;
  uint64_t dataSize = size - 8 - headerSize;
  try {
    for (const auto &[name, entry] : head.items()) {
      if (name == "__metadata__")
        file.meta = entry.get<std::map<std::string, std::string>>();
      else
        file.entries.push_back(parseEntry(path, name, entry, data, dataSize));
    }
  } catch (const json::exception &e) {
    fileFail(path, std::string("malformed header: ") + e.what());
  }
  checkTiling(path, file.entries, data, dataSize);
  return file;
}

const RawTensor *SafetensorsFile::find(const std::string &name) const {
  for (const RawTensor &t : entries)
    if (t.name == name)
      return &t;
  return nullptr;
}

} // namespace dream::rt
