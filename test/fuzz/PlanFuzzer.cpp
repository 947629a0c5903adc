//===- PlanFuzzer.cpp - parsePlan on any text -----------------------------===//
//
// `dream-trainer --plan FILE` reads plans that may be edited by hand: any
// text must give a Plan or a PlanError.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  try {
    dream::rt::parsePlan(text, "fuzz.json");
  } catch (const dream::rt::PlanError &) {
  }
  return 0;
}
