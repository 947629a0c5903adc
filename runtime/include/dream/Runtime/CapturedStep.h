//===- CapturedStep.h - A training step replayed as a CUDA graph -*- C++ -*-===//
//
// `train --cuda-graph` (docs/runtime.md, CUDA): a training step whose
// numbers all stay on the device runs on fixed buffers, into which each
// batch is copied; on a GPU it is captured once as a CUDA graph and then
// replayed, one launch per step instead of one per kernel, as
// torch.compile(mode="reduce-overhead") does. On the CPU the same step runs
// on the same buffers without a graph, which is how it is tested.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_CAPTUREDSTEP_H
#define DREAM_RUNTIME_CAPTUREDSTEP_H

#include "dream/Runtime/BatchLoader.h"

#include <ATen/ATen.h>

#include <functional>
#include <memory>

namespace at::cuda {
struct CUDAGraph;
} // namespace at::cuda

namespace dream::rt {

/// The fixed buffers a captured step reads.
struct StepInputs {
  at::Tensor inputs;
  at::Tensor targets; ///< The batch's soft targets; undefined if none.
  at::Tensor labels;
  at::Tensor numbers; ///< Optimizer::nextUpdateNumbers, on the device.
};

/// What a graph-safe step leaves on the device for the host to read once it
/// ran: [loss, gradient norm before clipping, 1 if the update was made (both
/// finite) else 0, correct predictions], float64.
struct StepTensors {
  at::Tensor summary;
};

class CapturedStep {
public:
  /// A step with no host read (no .item(), no wait for the GPU) and no
  /// state created on its first run: an eager step must have run first.
  using Body = std::function<StepTensors(const StepInputs &)>;

  /// Buffers shaped like `batch` and `numbers`, on the batch's device.
  CapturedStep(Body body, const Batch &batch, const at::Tensor &numbers);
  ~CapturedStep();
  CapturedStep(const CapturedStep &) = delete;
  CapturedStep &operator=(const CapturedStep &) = delete;

  /// Copies `batch` and `numbers` into the buffers and runs the step
  /// (captured on its first run on a GPU). The summary, on the host, is
  /// read after the step ran.
  at::Tensor run(const Batch &batch, const at::Tensor &numbers);

private:
  void capture();

  Body body;
  StepInputs in;
  StepTensors out;
  std::unique_ptr<at::cuda::CUDAGraph> graph;
};

} // namespace dream::rt

#endif // DREAM_RUNTIME_CAPTUREDSTEP_H
