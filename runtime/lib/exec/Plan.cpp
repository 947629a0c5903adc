//===- Plan.cpp - Reading plans with the runtime's op table ---------------===//
//
// The reader is the schema's (dream/Schema/Plan.h); the runtime adds the
// check of every step against its op table.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Plan.h"

#include <fstream>
#include <sstream>

namespace dream::rt {

Plan parsePlan(const std::string &text, const std::string &origin) {
  return schema::readPlan(text, origin, checkOpSignature);
}

Plan loadPlanFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw PlanError(path + ": cannot open the plan file");
  std::ostringstream text;
  text << in.rdbuf();
  return parsePlan(text.str(), path);
}

} // namespace dream::rt
