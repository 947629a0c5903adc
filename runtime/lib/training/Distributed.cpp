//===- Distributed.cpp - Data-parallel training on LibTorch's c10d --------===//

#include "dream/Runtime/Distributed.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#include <algorithm>
#include <cstdlib>

namespace dream::rt {

struct DataParallelGroup::Impl {
  c10::intrusive_ptr<c10d::ProcessGroup> group;
};

namespace {

/// Runs `work`, a communication, turning what c10d throws (c10::Error) and
/// what Gloo throws (its own exceptions, when a peer is gone or late) into
/// a DistributedError that says so.
template <typename Work>
void guarded(const DataParallelGroup &group, const std::string &what,
             Work work) {
  try {
    work();
  } catch (const c10::Error &e) {
    throw DistributedError(
        group.failure(what + ": " + e.what_without_backtrace()));
  } catch (const std::exception &e) {
    throw DistributedError(group.failure(what + ": " + e.what()));
  }
}

/// The rendezvous store of a run. Under torchrun the elastic agent already
/// serves one at MASTER_ADDR:MASTER_PORT (it sets
/// TORCHELASTIC_USE_AGENT_STORE=True): every rank is then its client, and
/// the keys of each restart of the workers live under their own prefix, as
/// torch.distributed's env:// rendezvous does. Otherwise rank 0 serves it.
c10::intrusive_ptr<c10d::Store> rendezvousStore(const WorldSpec &world,
                                                std::chrono::milliseconds timeout) {
  const char *agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  bool agentStore = agent && std::string(agent) == "True";
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(world.masterPort);
  options.isServer = world.rank == 0 && !agentStore;
  options.numWorkers = static_cast<size_t>(world.size);
  options.timeout = timeout;
  auto store = c10::make_intrusive<c10d::TCPStore>(world.masterAddr, options);
  if (!agentStore)
    return store;
  const char *attempt = std::getenv("TORCHELASTIC_RESTART_COUNT");
  return c10::make_intrusive<c10d::PrefixStore>(
      "/worker/attempt_" + std::string(attempt ? attempt : "0"), store);
}

/// Gloo's network device: the interface GLOO_SOCKET_IFNAME names (as in
/// torch.distributed), else the address this host's name resolves to.
std::shared_ptr<gloo::transport::Device> glooDevice() {
  if (const char *name = std::getenv("GLOO_SOCKET_IFNAME"))
    return c10d::ProcessGroupGloo::createDeviceForInterface(name);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

/// Drops the Reducer's advice to turn find_unused_parameters off when a
/// step reached every parameter: which parameters a plan's steps reach is
/// not known beforehand (a trained autoencoder's decoder is not), so the
/// flag must stay on. Other warnings pass on.
class UnusedParameterAdviceFilter : public c10::WarningHandler {
public:
  void process(const c10::Warning &warning) override {
    if (warning.msg().find("find_unused_parameters=True") == std::string::npos)
      next->process(warning);
  }

private:
  c10::WarningHandler *next = c10::WarningUtils::get_warning_handler();
};

/// The averager of torch's DistributedDataParallel: c10d's Reducer hooks
/// the parameters' gradient accumulators and all-reduces a bucket (about
/// 25 MB; the first 1 MB, so that the last layers' gradients leave early)
/// as soon as all its gradients exist, while the backward pass goes on.
class ReducerAverager : public GradientAverager {
public:
  ReducerAverager(const DataParallelGroup &group,
                  c10::intrusive_ptr<c10d::ProcessGroup> processGroup,
                  const std::vector<at::Tensor> &params)
      : group(group) {
    std::vector<bool> sparse(params.size(), false);
    auto [buckets, limits] = c10d::compute_bucket_assignment_by_size(
        params,
        {static_cast<size_t>(c10d::kDefaultFirstBucketBytes),
         static_cast<size_t>(c10d::kDefaultBucketBytesCap)},
        sparse);
    // Gradients appear roughly in the reverse order of the parameters; the
    // Reducer launches buckets in its order, so the last layers go first.
    std::reverse(buckets.begin(), buckets.end());
    // find_unused_parameters: a parameter outside a step's graph (a
    // decoder, a branch the plan does not reach) must not stall its bucket.
    reducer = std::make_unique<c10d::Reducer>(
        params, std::move(buckets), std::move(processGroup), sparse,
        c10d::kDefaultBucketBytesCap, /*find_unused_parameters=*/true,
        /*gradient_as_bucket_view=*/false,
        std::unordered_map<size_t, std::string>(),
        c10d::kDefaultFirstBucketBytes,
        /*skip_all_reduce_unused_params=*/false,
        /*use_python_reducer=*/false, std::vector<int64_t>());
  }

  void beginStep() override {
    guarded(group, "preparing a step", [&] { reducer->prepare_for_forward(); });
  }

  void backward(const at::Tensor &loss) override {
    guarded(group, "preparing the gradient buckets", [&] {
      UnusedParameterAdviceFilter filter;
      c10::WarningUtils::WarningHandlerGuard guard(&filter);
      reducer->prepare_for_backward({loss});
    });
    // The backward pass runs the all-reduces. What fails there is the
    // network when c10d says so (DistError) or Gloo does (not a
    // c10::Error); other errors are the step's own.
    try {
      loss.backward();
    } catch (const c10::DistError &e) {
      throw DistributedError(
          group.failure(std::string("all-reducing the gradients: ") +
                        e.what_without_backtrace()));
    } catch (const c10::Error &) {
      throw;
    } catch (const std::exception &e) {
      throw DistributedError(group.failure(
          std::string("all-reducing the gradients: ") + e.what()));
    }
  }

private:
  const DataParallelGroup &group;
  std::unique_ptr<c10d::Reducer> reducer;
};

} // namespace

DataParallelGroup::DataParallelGroup(const WorldSpec &spec, at::Device device)
    : world(spec), impl(std::make_unique<Impl>()) {
  try {
    join(device);
  } catch (const DistributedError &) {
    throw;
  } catch (const c10::Error &e) {
    throw DistributedError(joinFailure(e.what_without_backtrace()));
  } catch (const std::exception &e) {
    throw DistributedError(joinFailure(e.what()));
  }
}

std::string DataParallelGroup::joinFailure(const std::string &what) const {
  return "rank " + std::to_string(world.rank) + " of " +
         std::to_string(world.size) + ": the ranks did not all meet at " +
         world.masterAddr + ":" + std::to_string(world.masterPort) +
         " within --dist-timeout " + std::to_string(world.timeoutSeconds) +
         " s: " + what +
         "\nstart every rank with the same --world-size, --master-addr and "
         "--master-port; rank 0 serves the rendezvous";
}

/// Meets the other ranks at rank 0's TCPStore, then connects Gloo's pairs
/// through it (and, on a GPU, NCCL's communicator, which is made at the
/// first collective); both wait at most --dist-timeout.
void DataParallelGroup::join(at::Device device) {
  std::chrono::milliseconds timeout =
      std::chrono::seconds(world.timeoutSeconds);
  c10::intrusive_ptr<c10d::Store> store = rendezvousStore(world, timeout);
  auto glooOptions = c10d::ProcessGroupGloo::Options::create(timeout);
  glooOptions->devices.push_back(glooDevice());
  auto rank = static_cast<int>(world.rank);
  auto size = static_cast<int>(world.size);
  auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size,
                                                          glooOptions);
  impl->group = c10::make_intrusive<c10d::ProcessGroup>(store, rank, size);
  impl->group->setBackend(c10::DeviceType::CPU,
                          c10d::ProcessGroup::BackendType::GLOO, gloo);
  impl->group->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
  if (backendFor(device) != "nccl")
    return;
  // The metrics' sums stay on the CPU (Gloo); parameters and gradients on
  // the GPU go through NCCL.
  auto ncclOptions = c10d::ProcessGroupNCCL::Options::create();
  ncclOptions->timeout = timeout;
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
  try {
    nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(
        c10::make_intrusive<c10d::PrefixStore>("nccl", store), rank, size,
        ncclOptions);
  } catch (const c10::Error &e) {
    throw DistributedError("rank " + std::to_string(world.rank) + " of " +
                           std::to_string(world.size) +
                           ": c10d's NCCL backend for " + device.str() +
                           " failed: " + e.what_without_backtrace());
  }
  impl->group->setBackend(c10::DeviceType::CUDA,
                          c10d::ProcessGroup::BackendType::NCCL, nccl);
  impl->group->setDefaultBackend(c10d::ProcessGroup::BackendType::NCCL);
}

std::string backendFor(at::Device device) {
  return device.is_cuda() ? "nccl" : "gloo";
}

at::Device rankDevice(at::Device device, const WorldSpec &world,
                      int64_t gpus) {
  if (!device.is_cuda() || device.has_index() || !world.distributed())
    return device;
  if (world.localRank >= gpus)
    throw DistributedError(
        "rank " + std::to_string(world.rank) + " is local rank " +
        std::to_string(world.localRank) + " (LOCAL_RANK) and trains on GPU " +
        std::to_string(world.localRank) + ", but this machine has " +
        std::to_string(gpus) + "; start at most " + std::to_string(gpus) +
        " processes per machine, or give --device cuda:N");
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(world.localRank));
}

DataParallelGroup::~DataParallelGroup() = default;

std::string DataParallelGroup::failure(const std::string &what) const {
  return "rank " + std::to_string(world.rank) + " of " +
         std::to_string(world.size) + ": " + what +
         "\nanother rank has probably died, or has not answered for "
         "--dist-timeout " +
         std::to_string(world.timeoutSeconds) +
         " s; this rank stops. Continue the run from its last checkpoint "
         "with --resume";
}

void DataParallelGroup::broadcast(const std::vector<at::Tensor> &tensors) {
  at::NoGradGuard noGrad;
  guarded(*this, "broadcasting rank 0's tensors", [&] {
    for (const at::Tensor &tensor : tensors) {
      std::vector<at::Tensor> one = {tensor.detach()};
      impl->group->broadcast(one)->wait();
    }
  });
}

void DataParallelGroup::sum(const at::Tensor &tensor) {
  guarded(*this, "summing over the ranks", [&] {
    std::vector<at::Tensor> one = {tensor};
    impl->group->allreduce(one)->wait();
  });
}

bool DataParallelGroup::any(bool flag) {
  at::Tensor count = at::scalar_tensor(flag ? 1 : 0, at::kLong).reshape({1});
  sum(count);
  return count.item<int64_t>() > 0;
}

std::unique_ptr<GradientAverager>
DataParallelGroup::averager(const std::vector<at::Tensor> &params) {
  std::unique_ptr<GradientAverager> result;
  guarded(*this, "setting up the gradient buckets", [&] {
    result = std::make_unique<ReducerAverager>(*this, impl->group, params);
  });
  return result;
}

} // namespace dream::rt
