//===- PlanHash.h - What identifies a plan's network and kernels -*- C++ -*-===//

#ifndef DREAM_SCHEMA_PLANHASH_H
#define DREAM_SCHEMA_PLANHASH_H

#include "dream/Schema/Plan.h"

namespace dream::schema {

/// Plan::hash of the plan document: FNV-1a of it without the recipe, the
/// cost, the source and the steps' locations, keys sorted.
std::string hashPlan(nlohmann::json plan);

/// Plan::kernelAbi: the hash of every fused step's kernel, entry points and
/// operand and result shapes (per sample), over all graphs.
std::string kernelAbiHash(const Plan &plan);

} // namespace dream::schema

#endif // DREAM_SCHEMA_PLANHASH_H
