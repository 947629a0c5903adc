//===- Distributed.h - Data-parallel training on LibTorch's c10d -*- C++
//-*-===//
//
// The ranks of a data-parallel run as a LibTorch c10d process group: a
// TCPStore at the master's address for the rendezvous, Gloo for the
// collectives on the CPU, and c10d's Reducer (what torch's
// DistributedDataParallel uses) to average gradients in buckets while the
// backward pass still runs. The c10d headers stay in Distributed.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_DISTRIBUTED_H
#define DREAM_RUNTIME_DISTRIBUTED_H

#include "dream/Runtime/Commands.h"

#include <ATen/ATen.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace dream::rt {

/// A rank died or stopped answering: the run cannot go on.
class DistributedError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Averages the gradients of a fixed set of parameters over the ranks in
/// buckets, each all-reduced as soon as its gradients are ready.
class GradientAverager {
public:
  virtual ~GradientAverager() = default;
  /// Before the forward pass of a training step.
  virtual void beginStep() = 0;
  /// Runs `loss.backward()`; afterwards every parameter's gradient is the
  /// mean of the ranks' gradients. Parameters a rank's graph did not reach
  /// count as zero there.
  virtual void backward(const at::Tensor &loss) = 0;
};

class DataParallelGroup {
public:
  /// Joins the run: waits (at most world.timeoutSeconds) at the TCPStore of
  /// rank 0 for all ranks. CPU tensors travel through Gloo; on a CUDA
  /// `device`, its tensors through NCCL (backendFor). Throws
  /// DistributedError.
  explicit DataParallelGroup(const WorldSpec &world,
                             at::Device device = at::kCPU);
  ~DataParallelGroup();

  int64_t rank() const { return world.rank; }
  int64_t size() const { return world.size; }
  bool leader() const { return world.rank == 0; }
  const WorldSpec &spec() const { return world; }

  /// Overwrites `tensors` with rank 0's.
  void broadcast(const std::vector<at::Tensor> &tensors);
  /// Sums `tensor` (CPU) over the ranks, in place.
  void sum(const at::Tensor &tensor);
  /// Whether `flag` is true on some rank.
  bool any(bool flag);
  /// An averager for `params` (the trainable ones: frozen parameters take
  /// no part).
  std::unique_ptr<GradientAverager>
  averager(const std::vector<at::Tensor> &params);

  /// The message of a failed collective: which rank, what c10d said, what
  /// probably happened and how to continue.
  std::string failure(const std::string &what) const;

private:
  void join(at::Device device);
  std::string joinFailure(const std::string &what) const;

  struct Impl;
  WorldSpec world;
  std::unique_ptr<Impl> impl;
};

/// The c10d backend that carries a device's tensors: "gloo" for the CPU,
/// "nccl" for CUDA.
std::string backendFor(at::Device device);

/// The device a rank trains on: with `--device cuda` (no index) in a
/// data-parallel run, the GPU of its local rank (torchrun's convention);
/// anything else as given. Throws DistributedError when the local rank has
/// no GPU among the machine's `gpus`.
at::Device rankDevice(at::Device device, const WorldSpec &world, int64_t gpus);

} // namespace dream::rt

#endif // DREAM_RUNTIME_DISTRIBUTED_H
