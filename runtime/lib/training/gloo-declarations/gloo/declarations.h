//===- declarations.h - Gloo's types, declared for c10d's headers -*- C++
//-*-===//
//
// The torch wheel ships the c10d headers but not Gloo's, which
// ProcessGroupGloo.hpp includes. That header needs Gloo's types only behind
// pointers (shared_ptr, unique_ptr), in one inline call and as the base of
// GlooStore, which this runtime never instantiates; so declarations
// suffice: every Gloo object is made and used inside libtorch_cpu.so, and
// the layout of ProcessGroupGloo does not depend on these types. Only
// Distributed.cpp sees this directory (runtime/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_GLOO_DECLARATIONS_H
#define DREAM_GLOO_DECLARATIONS_H

#include <chrono>
#include <string>
#include <vector>

namespace gloo {

/// ProcessGroupGloo::setTimeout, an inline member, calls this.
class Context {
public:
  void setTimeout(std::chrono::milliseconds timeout);
};

namespace transport {
class Device;
class UnboundBuffer;
} // namespace transport

namespace rendezvous {
/// The part of Gloo's store interface that c10d's GlooStore overrides.
class Store {
public:
  virtual ~Store() = default;
  virtual void set(const std::string &key, const std::vector<char> &data) = 0;
  virtual std::vector<char> get(const std::string &key) = 0;
  virtual void wait(const std::vector<std::string> &keys) = 0;
  virtual void wait(const std::vector<std::string> &keys,
                    const std::chrono::milliseconds &timeout) = 0;
};
} // namespace rendezvous

} // namespace gloo

#endif // DREAM_GLOO_DECLARATIONS_H
