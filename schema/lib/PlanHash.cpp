//===- PlanHash.cpp - What identifies a plan's network and kernels --------===//
//
// Checkpoints record the plan's hash and trainers the kernels' signature:
// both must stay what earlier trainers computed, so that their checkpoints
// still load.
//
//===----------------------------------------------------------------------===//

#include "PlanHash.h"

#include <cstdio>
#include <map>

using nlohmann::json;

namespace dream::schema {
namespace {

/// The plan without what does not change the network's computation.
json networkPart(json value) {
  if (value.is_object()) {
    value.erase("loc");
    for (auto &[key, child] : value.items())
      child = networkPart(child);
  } else if (value.is_array()) {
    for (json &child : value)
      child = networkPart(child);
  }
  return value;
}

} // namespace

std::string hashPlan(json plan) {
  for (const char *key : {"recipe", "cost", "source"})
    plan.erase(key);
  return fnv1a(networkPart(std::move(plan)).dump());
}

/// The hash of every fused step's kernel, entry points and operand and
/// result shapes (per sample), over all graphs.
std::string kernelAbiHash(const Plan &plan) {
  json calls = json::array();
  auto addGraph = [&](const Graph &graph, const InputSpec &input) {
    std::map<int, std::vector<int64_t>> shapes;
    for (int v : graph.inputs)
      shapes[v] = input.shape;
    for (const Step &step : graph.steps) {
      shapes[step.output] = step.shape;
      if (step.op != "fused")
        continue;
      const KernelSpec &kernel = *plan.findKernel(step.kernel);
      json call = {kernel.name, kernel.forward, kernel.forwardEval,
                   kernel.backward, kernel.statistics, step.shape};
      for (int v : step.inputs)
        call.push_back(shapes[v]);
      for (const ParamRef &p : step.params)
        call.push_back(plan.findParam(p.name)->shape);
      calls.push_back(call);
    }
  };
  addGraph(plan.graph, plan.input);
  for (const EncoderSpec &enc : plan.encoders) {
    addGraph(enc.encode, enc.input);
    if (enc.decode) {
      InputSpec latent;
      latent.shape = enc.latent;
      addGraph(*enc.decode, latent);
    }
  }
  return fnv1a(calls.dump());
}

std::string fnv1a(const std::string &text) {
  // One digit short of FNV's published offset basis (14695981039346656037):
  // kept, because checkpoints record plan hashes made with it.
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(hash));
  return hex;
}

} // namespace dream::schema
