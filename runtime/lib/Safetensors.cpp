//===- Safetensors.cpp - Reading and writing safetensors files ------------===//

#include "dream/Runtime/Safetensors.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

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
                     const json &entry, const std::vector<char> &data) {
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
  if (offsets.size() != 2 || offsets[0] > offsets[1] ||
      offsets[1] > data.size())
    fail("data_offsets outside the file");
  uint64_t numel = 1;
  for (int64_t d : t.shape) {
    if (d < 0)
      fail("negative dimension");
    numel *= static_cast<uint64_t>(d);
  }
  if (numel * dtypeSize(t.dtype) != offsets[1] - offsets[0])
    fail("shape and byte range disagree");
  t.data = data.data() + offsets[0];
  t.bytes = offsets[1] - offsets[0];
  return t;
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
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fileFail(path, "cannot open");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string all = bytes.str();
  if (all.size() < 8)
    fileFail(path, "too short for a safetensors file");
  uint64_t headerSize = readLittleEndian64(all.data());
  if (headerSize > all.size() - 8)
    fileFail(path, "the header length is larger than the file");
  json head = json::parse(all.begin() + 8, all.begin() + 8 + headerSize,
                          nullptr, /*allow_exceptions=*/false);
  if (!head.is_object())
    fileFail(path, "the header is not a JSON object");
  file.buffer.assign(all.begin() + 8 + headerSize, all.end());
  try {
    for (const auto &[name, entry] : head.items()) {
      if (name == "__metadata__")
        file.meta = entry.get<std::map<std::string, std::string>>();
      else
        file.entries.push_back(parseEntry(path, name, entry, file.buffer));
    }
  } catch (const json::exception &e) {
    fileFail(path, std::string("malformed header: ") + e.what());
  }
  return file;
}

const RawTensor *SafetensorsFile::find(const std::string &name) const {
  for (const RawTensor &t : entries)
    if (t.name == name)
      return &t;
  return nullptr;
}

} // namespace dream::rt
