//===- NativeOps.cpp - The registry of native ops -------------------------===//
//
// Libraries register their ops from static initialisers, in whatever order
// the loader runs them, so the registry is a function-local static. Nothing
// is refused here (a throw from a static initialiser aborts the process):
// dreamc checks the signatures when it loads the library and names every
// problem, and the executor refuses an op without a forward function.
//
//===----------------------------------------------------------------------===//

#include "dream/NativeOp.h"

#include <map>

namespace dream {

namespace {

struct Registry {
  std::vector<NativeOpSignature> signatures;
  std::map<std::string, NativeForward> forwards;
};

Registry &registry() {
  static Registry instance;
  return instance;
}

} // namespace

bool registerNativeOp(std::string name, unsigned arity,
                      NativeShapeFunction shape, NativeForward forward,
                      std::string summary) {
  registry().forwards.emplace(name, std::move(forward));
  registry().signatures.push_back(
      {std::move(name), arity, std::move(shape), std::move(summary)});
  return true;
}

const NativeForward *findNativeForward(const std::string &name) {
  auto it = registry().forwards.find(name);
  return it == registry().forwards.end() ? nullptr : &it->second;
}

} // namespace dream

const std::vector<dream::NativeOpSignature> *dream_native_op_signatures() {
  return &dream::registry().signatures;
}
