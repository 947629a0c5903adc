//===- CapturedStep.cpp - A training step replayed as a CUDA graph --------===//

#include "dream/Runtime/CapturedStep.h"

#include "dream/Runtime/Model.h"

#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>

#include <stdexcept>

namespace dream::rt {

CapturedStep::CapturedStep(Body stepBody, const Batch &batch,
                           const at::Tensor &numbers)
    : body(std::move(stepBody)) {
  in.inputs = at::empty_like(batch.inputs);
  if (batch.targets.defined())
    in.targets = at::empty_like(batch.targets);
  in.labels = at::empty_like(batch.labels);
  in.numbers = at::empty(numbers.sizes(),
                         numbers.options().device(batch.inputs.device()));
}

CapturedStep::~CapturedStep() = default;

at::Tensor CapturedStep::run(const Batch &batch, const at::Tensor &numbers) {
  in.inputs.copy_(batch.inputs);
  if (in.targets.defined())
    in.targets.copy_(batch.targets);
  in.labels.copy_(batch.labels);
  in.numbers.copy_(numbers);
  if (!in.inputs.is_cuda()) {
    out = body(in);
  } else {
    if (!graph)
      capture();
    graph->replay();
    // A compiled kernel that failed is named here, not by the copy.
    awaitKernels(in.inputs.device());
  }
  return out.summary.cpu();
}

void CapturedStep::capture() {
  // Capture begins once the eager steps and the copies queued so far are
  // done (as torch.cuda.graph does), on a stream of its own: a capture
  // cannot use the default stream.
  c10::cuda::device_synchronize();
  graph = std::make_unique<at::cuda::CUDAGraph>();
  c10::cuda::CUDAStreamGuard onStream(
      c10::cuda::getStreamFromPool(false, in.inputs.device().index()));
  try {
    // Thread-local: the batch loader's thread copies the next batch to the
    // GPU meanwhile, which a global capture would forbid.
    graph->capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
    out = body(in);
    graph->capture_end();
  } catch (const std::exception &e) {
    throw std::runtime_error(
        std::string("--cuda-graph: cannot capture the training step as a "
                    "CUDA graph (") +
        e.what() + "); train without --cuda-graph");
  }
}

} // namespace dream::rt
