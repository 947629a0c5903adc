//===- Generator.h - Random valid .dream networks, for differential tests -===//
//
// dream-smith writes seeded random networks that Sema must accept, so that
// the stages after it (MLIRGen, the passes, the kernels, the trainer) meet
// shapes and combinations no hand-written test has. The generator is
// shape- and type-aware: it draws primitive ops from the op registry
// (allOps()), binds their arguments inside each parameter's range and word
// choices, and keeps an op only where the registry's shape rule accepts
// the current type. A new op of the registry is therefore generated
// without editing this tool.
//
// What is not in the registry (blocks, repeat, sleep and dream connections
// with their adapters, encoders and their pre-training, emit and collect)
// follows the rules of docs/language.md; where those rules are mirrored
// here (the adapter table, the pre-training kinds), a mismatch shows up as
// a network Sema rejects: a generator bug, which dream-smith reports.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_SMITH_GENERATOR_H
#define DREAM_SMITH_GENERATOR_H

#include <cstdint>
#include <string>

namespace dream::smith {

/// Bounds that keep a generated network quick to compile and to check.
struct Limits {
  /// Elements of one value per sample.
  int64_t maxElements = 4096;
  /// Parameters of one connection's adapters.
  int64_t maxAdapterParams = 200000;
  /// Statements of the network body, before its head.
  int maxSteps = 5;
};

/// The text of one `.dream` file, a network called Smith, drawn from
/// `seed`: the same seed gives the same file.
std::string generateNetwork(uint64_t seed, const Limits &limits = {});

} // namespace dream::smith

#endif // DREAM_SMITH_GENERATOR_H
