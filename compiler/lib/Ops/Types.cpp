//===- Types.cpp - Tensor types and compile-time values -------------------===//

#include "dream/Ops/Types.h"

#include "llvm/Support/MathExtras.h"

#include <cstdio>

using namespace dream;

int64_t TensorType::elementCount() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    if (llvm::MulOverflow(count, dim, count))
      return INT64_MAX;
  return count;
}

static std::string joinDims(const std::vector<int64_t> &dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? ", " : "") + std::to_string(dims[i]);
  return text;
}

std::string TensorType::str() const {
  if (!known)
    return "?";
  if (isTokens())
    return "tokens[" + joinDims(shape) + ", vocab: " + std::to_string(vocab) +
           "]";
  return "[" + joinDims(shape) + "]";
}

std::string ValueType::str() const {
  if (!known)
    return "?";
  if (!isTuple)
    return single().str();
  std::string text = "(";
  for (size_t i = 0; i < elements.size(); ++i)
    text += (i ? ", " : "") + elements[i].str();
  return text + ")";
}

std::string ConstValue::str() const {
  if (symbolic)
    return text;
  switch (kind) {
  case Kind::Int:
    return std::to_string(intValue);
  case Kind::Float: {
    char buffer[32];
    snprintf(buffer, sizeof(buffer), "%g", floatValue);
    std::string text = buffer;
    if (text.find_first_of(".en") == std::string::npos)
      text += ".0";
    return text;
  }
  case Kind::Bool:
    return boolValue ? "true" : "false";
  case Kind::String:
    return "\"" + text + "\"";
  case Kind::Word:
    return text;
  case Kind::List: {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i)
      out += (i ? ", " : "") + items[i].str();
    return out + "]";
  }
  }
  return {};
}
