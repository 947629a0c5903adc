//===- JsonNode.h - A JSON value with its place in the plan -----*- C++ -*-===//
//
// The readers of PlanReader.cpp and RecipeReader.cpp: every value knows its
// path, so every error can say which field is wrong
// ("<origin>: graph.steps[3].output: expected an integer").
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_SCHEMA_JSONNODE_H
#define DREAM_SCHEMA_JSONNODE_H

#include "dream/Schema/Plan.h"

namespace dream::schema {

class Node {
public:
  Node(const nlohmann::json &value, std::string path, const std::string &origin)
      : value(value), path(std::move(path)), origin(origin) {}

  [[noreturn]] void fail(const std::string &problem) const {
    throw PlanError(origin + ": " + (path.empty() ? "" : path + ": ") +
                    problem);
  }

  /// A required field of an object.
  Node at(const std::string &key) const {
    std::optional<Node> child = find(key);
    if (!child)
      fail("missing field '" + key + "'");
    return *child;
  }

  /// An optional field; null counts as absent.
  std::optional<Node> find(const std::string &key) const {
    requireKind(value.is_object(), "an object");
    auto it = value.find(key);
    if (it == value.end() || it->is_null())
      return std::nullopt;
    return Node(*it, path.empty() ? key : path + "." + key, origin);
  }

  size_t size() const {
    requireKind(value.is_array(), "an array");
    return value.size();
  }

  Node operator[](size_t i) const {
    return Node(value.at(i), path + "[" + std::to_string(i) + "]", origin);
  }

  /// The same value under a more telling name (a step with its op and loc).
  Node renamed(std::string newPath) const {
    return Node(value, std::move(newPath), origin);
  }

  int64_t integer() const {
    requireKind(value.is_number_integer(), "an integer");
    return value.get<int64_t>();
  }
  int64_t positive() const {
    int64_t n = integer();
    if (n <= 0)
      fail("expected a positive integer, got " + std::to_string(n));
    return n;
  }
  double number() const {
    requireKind(value.is_number(), "a number");
    return value.get<double>();
  }
  bool boolean() const {
    requireKind(value.is_boolean(), "true or false");
    return value.get<bool>();
  }
  std::string string() const {
    requireKind(value.is_string(), "a string");
    return value.get<std::string>();
  }
  std::vector<int64_t> shape() const {
    std::vector<int64_t> dims;
    for (size_t i = 0; i < size(); ++i)
      dims.push_back((*this)[i].positive());
    return dims;
  }
  /// A graph's value number: an index into the executor's values, so
  /// bounded.
  int valueNumber() const {
    int64_t n = integer();
    if (n < 0 || n > 1000000)
      fail("value numbers are between 0 and 1000000");
    return static_cast<int>(n);
  }
  std::vector<int> valueNumbers() const {
    std::vector<int> numbers;
    for (size_t i = 0; i < size(); ++i)
      numbers.push_back((*this)[i].valueNumber());
    return numbers;
  }
  const nlohmann::json &object() const {
    requireKind(value.is_object(), "an object");
    return value;
  }
  const nlohmann::json &raw() const { return value; }
  const std::string &where() const { return path; }

private:
  void requireKind(bool ok, const char *expected) const {
    if (!ok)
      fail(std::string("expected ") + expected + ", got " + value.dump());
  }

  const nlohmann::json &value;
  std::string path;
  const std::string &origin;
};

inline std::string stringOr(const Node &node, const char *key,
                            std::string fallback) {
  std::optional<Node> child = node.find(key);
  return child ? child->string() : fallback;
}
inline double numberOr(const Node &node, const char *key, double fallback) {
  std::optional<Node> child = node.find(key);
  return child ? child->number() : fallback;
}
inline int64_t integerOr(const Node &node, const char *key, int64_t fallback) {
  std::optional<Node> child = node.find(key);
  return child ? child->integer() : fallback;
}
inline bool booleanOr(const Node &node, const char *key, bool fallback) {
  std::optional<Node> child = node.find(key);
  return child ? child->boolean() : fallback;
}

/// `name` must be one of `known`.
void requireOneOf(const Node &node, const std::string &name,
                  const std::vector<std::string> &known, const char *what);

/// The recipe at `node` (RecipeReader.cpp); keys it leaves out take the
/// kPlanPreset's values.
Recipe readRecipe(const Node &node);
/// An encoder's `pretrain`.
PretrainSpec readPretrain(const Node &node);

} // namespace dream::schema

#endif // DREAM_SCHEMA_JSONNODE_H
