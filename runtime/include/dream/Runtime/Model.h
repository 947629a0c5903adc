//===- Model.h - A plan's parameters and its executor -----------*- C++ -*-===//
//
// A Model owns the tensors of a plan's parameters and buffers and runs its
// graphs step by step with autograd recording, so that a loss computed from
// the outputs back-propagates into the parameters that require gradients.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_MODEL_H
#define DREAM_RUNTIME_MODEL_H

#include "dream/Runtime/Kernels.h"
#include "dream/Runtime/Plan.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <functional>
#include <map>
#include <unordered_map>

namespace dream::rt {

/// How a graph runs.
struct RunMode {
  bool training = false;
  /// Steps marked `frozen` run in evaluation mode even while training.
  /// Pre-training an encoder turns this off: there its steps do train.
  bool honourFrozen = true;
  /// Dropout and masking noise; needed when training.
  at::Generator generator;
  /// If set, receives the value of every `observe` step (the dreams), by
  /// its name, detached.
  std::map<std::string, at::Tensor> *observed = nullptr;
  /// Set by Model::run for token inputs: [batch, length], true at the
  /// padding (id 0, [PAD]), which attention then ignores as a key.
  at::Tensor padding = {};
};

/// Tensors by name, in name order (as files store them).
using TensorMap = std::map<std::string, at::Tensor>;

class Model {
public:
  /// Creates every parameter and buffer on the CPU with the plan's `init`,
  /// drawing in plan order from a generator seeded with `seed` (so the
  /// values do not depend on the device), moves them to `device`, marks the
  /// plan's trainable parameters as requiring gradients, and runs every
  /// graph once on a small batch of zeros to check the plan's shapes.
  /// Throws PlanError.
  Model(Plan plan, uint64_t seed, at::Device device = at::kCPU);

  const Plan &plan() const { return spec; }
  at::Device device() const { return where; }

  /// The tensor of a parameter or buffer.
  const at::Tensor &tensor(const std::string &name) const;

  /// Gradients for exactly the parameters (never buffers) `select` accepts;
  /// the others lose any gradient buffer they had.
  void setTrainable(const std::function<bool(const ParamSpec &)> &select);
  /// Converts every parameter and buffer to `type` (float32, as created,
  /// or float64, the precision `check` measures rounding against), keeping
  /// which ones are trainable. Only reference steps run in float64.
  void setPrecision(at::ScalarType type);

  /// The parameters that currently require gradients, in plan order.
  std::vector<std::pair<std::string, at::Tensor>> trainableParams() const;

  /// The parameters and buffers whose names start with `prefix`, detached.
  TensorMap tensorsWithPrefix(const std::string &prefix) const;

  /// Overwrites every parameter and buffer whose name starts with `prefix`
  /// with the tensor of the same name in `tensors`; all of them must be
  /// there with the plan's shape, and `tensors` may hold nothing else under
  /// `prefix`. `origin` names the source in errors.
  void importTensors(const TensorMap &tensors, const std::string &prefix,
                     const std::string &origin);

  /// Runs a graph of the plan (the network's, or an encoder's encode or
  /// decode) on a batch.
  std::vector<at::Tensor> run(const Graph &graph,
                              const std::vector<at::Tensor> &inputs,
                              const RunMode &mode) const;

  /// The network's logits for a batch of inputs.
  at::Tensor logits(const at::Tensor &inputs, const RunMode &mode) const;

  /// Runs fused steps through `library`'s compiled kernels, or through
  /// their reference steps when null (the default, and --reference).
  /// Throws PlanError naming the first entry point of the plan that the
  /// library lacks.
  void useKernels(const KernelLibrary *library);
  bool usesKernels() const { return kernels != nullptr; }

private:
  void createParams(uint64_t seed);
  void checkShapes() const;
  void execute(const Graph &graph, std::vector<at::Tensor> &values,
               const RunMode &mode) const;
  at::Tensor runStep(const Step &step, const std::vector<at::Tensor> &values,
                     const RunMode &mode) const;
  at::Tensor runFused(const Step &step, const std::vector<at::Tensor> &inputs,
                      const std::vector<at::Tensor> &params,
                      const RunMode &mode) const;

  bool compiledKernelFits(const KernelSpec &kernel, const RunMode &mode) const;

  Plan spec;
  at::Device where;
  const KernelLibrary *kernels = nullptr;
  std::vector<at::Tensor> tensors; ///< In the order of spec.params.
  std::unordered_map<std::string, size_t> byName;
};

/// A fused step's call of its compiled kernel.
struct KernelCall {
  PackedKernel forward;  ///< The training or the evaluation entry point.
  PackedKernel backward; ///< Gradients of every operand.
  std::vector<at::Tensor> operands; ///< Data inputs, then parameters.
  int64_t resultRank;
  /// Per batch norm whose batch statistics `forward` returns.
  struct Statistics {
    at::Tensor runningMean, runningVar;
    double momentum;
    int64_t valuesPerChannel; ///< For the unbiased variance.
  };
  std::vector<Statistics> statistics;
};

/// Runs the kernel as one autograd node (Kernels.cpp): updates the running
/// statistics, and back-propagates through `backward`.
at::Tensor callFusedKernel(const KernelCall &call);

/// Calls a compiled kernel's packed entry point (docs/codegen.md) on
/// float32 tensors on one device: a CPU kernel on CPU tensors, a GPU host
/// side on CUDA tensors, launched on LibTorch's current stream of their
/// device without waiting for it (Cuda.h). Returns its results, of the
/// given ranks, as tensors on that device that free the kernel's buffers.
/// Throws PlanError on other tensors, cuda::CudaError when the driver
/// refuses a launch or an allocation.
std::vector<at::Tensor>
callPackedKernel(PackedKernel kernel, const std::vector<at::Tensor> &args,
                 const std::vector<int64_t> &resultRanks);

/// Waits for the compiled kernels queued on `device`'s current stream, if
/// any were launched there since the last wait: a kernel that failed is a
/// cuda::CudaError naming the kernels launched since. The training and
/// evaluation loops call it before they first read a result on the host,
/// which waits for the GPU anyway. Nothing to do on the CPU.
void awaitKernels(const at::Device &device);

/// Writes tensors (moved to the CPU) and metadata as a safetensors file,
/// atomically. Throws FileError.
void saveTensorFile(const std::string &path, const TensorMap &tensors,
                    const std::map<std::string, std::string> &metadata);

/// Reads a safetensors file into CPU tensors; `metadata` receives its
/// metadata if not null. Throws FileError.
TensorMap
loadTensorFile(const std::string &path,
               std::map<std::string, std::string> *metadata = nullptr);

} // namespace dream::rt

#endif // DREAM_RUNTIME_MODEL_H
