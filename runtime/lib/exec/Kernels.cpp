//===- Kernels.cpp - Calling the compiled fused kernels -------------------===//
//
// The calling convention is docs/codegen.md's: every argument is a pointer
// to a memref descriptor {allocated, aligned, offset, sizes[R],
// strides[R]} of a contiguous float32 tensor, results come back as such
// descriptors of buffers the kernel allocated (malloc on the CPU, device
// memory through Cuda.cpp on a GPU), which the caller frees. A
// descriptor is pointer, pointer, then int64s, all eight bytes wide, so an
// array of int64 holds one without padding.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Kernels.h"

#include "dream/Runtime/Cuda.h"
#include "dream/Runtime/Model.h"
#include "dream/Runtime/Plan.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstdlib>
#include <cstring>

namespace dream::rt {

KernelLibrary::KernelLibrary(KernelTable cpu, KernelTable gpu,
                             std::string abi)
    : cpuEntries(index(cpu)), gpuEntries(index(gpu)),
      kernelAbi(std::move(abi)) {}

KernelLibrary::Entries KernelLibrary::index(KernelTable table) {
  Entries entries;
  for (int64_t i = 0; i < table.count; ++i)
    if (!entries.emplace(table.rows[i].name, table.rows[i].packed).second)
      throw PlanError(std::string("the kernel table defines '") +
                      table.rows[i].name + "' twice");
  return entries;
}

void requireCpuLevel(const std::string &level) {
  // __builtin_cpu_supports takes only a literal.
  bool supported;
  if (level == "x86-64-v2")
    supported = __builtin_cpu_supports("x86-64-v2");
  else if (level == "x86-64-v3")
    supported = __builtin_cpu_supports("x86-64-v3");
  else if (level == "x86-64-v4")
    supported = __builtin_cpu_supports("x86-64-v4");
  else
    throw std::runtime_error("the kernels were compiled for '" + level +
                             "', which is no x86-64 level this runtime "
                             "knows (x86-64-v2, -v3, -v4): recompile the "
                             "network with this version of dreamc");
  if (!supported)
    throw std::runtime_error(
        "the kernels were compiled for " + level +
        ", which this CPU does not support: recompile the network with "
        "dreamc --cpu=x86-64-v2 (or --cpu=native on this machine), or run "
        "with --reference, without the compiled kernels");
}

PackedKernel KernelLibrary::find(const std::string &name, bool gpu) const {
  const Entries &entries = gpu ? gpuEntries : cpuEntries;
  auto it = entries.find(name);
  return it == entries.end() ? nullptr : it->second;
}

namespace {

/// Words of a rank-`rank` descriptor.
size_t descriptorWords(int64_t rank) { return 3 + 2 * rank; }

/// Fills `words` with the descriptor of a contiguous tensor.
void describe(const at::Tensor &t, int64_t *words) {
  void *data = const_cast<void *>(t.const_data_ptr());
  std::memcpy(&words[0], &data, sizeof data);
  std::memcpy(&words[1], &data, sizeof data);
  words[2] = 0;
  for (int64_t d = 0; d < t.dim(); ++d) {
    words[3 + d] = t.size(d);
    words[3 + t.dim() + d] = t.stride(d);
  }
}

/// LibTorch's current stream on CUDA device `device`: where its ops on
/// that device are queued, and so where the kernels go.
CUstream currentStream(const at::Device &device) {
  // cudaStream_t and CUstream are the same type (CUstream_st *).
  return c10::cuda::getCurrentCUDAStream(device.index()).stream();
}

/// Frees a buffer a kernel allocated on `device`, ordered after the work
/// queued on its current stream so far (which may still read it).
void releaseBuffer(void *allocated, const at::Device &device) {
  if (device.is_cuda())
    cuda::Driver::instance().release(allocated, currentStream(device));
  else
    std::free(allocated);
}

void *allocatedPointer(const int64_t *words) {
  void *allocated;
  std::memcpy(&allocated, &words[0], sizeof allocated);
  return allocated;
}

/// A tensor on `device` over a result descriptor; it frees the kernel's
/// buffer.
at::Tensor adopt(const int64_t *words, int64_t rank, at::Device device) {
  void *allocated = allocatedPointer(words), *aligned;
  std::memcpy(&aligned, &words[1], sizeof aligned);
  std::vector<int64_t> sizes(words + 3, words + 3 + rank);
  std::vector<int64_t> strides(words + 3 + rank, words + 3 + 2 * rank);
  float *first = static_cast<float *>(aligned) + words[2];
  return at::from_blob(
      first, sizes, strides,
      [allocated, device](void *) { releaseBuffer(allocated, device); },
      at::TensorOptions().dtype(at::kFloat).device(device));
}

/// The one CPU or CUDA device all of a kernel's float32 operands are on;
/// PlanError otherwise.
at::Device operandDevice(const std::vector<at::Tensor> &args) {
  at::Device device = args.empty() ? at::Device(at::kCPU) : args[0].device();
  for (const at::Tensor &arg : args) {
    if (arg.scalar_type() != at::kFloat)
      throw PlanError("compiled kernels take float32 tensors, not " +
                      std::string(at::toString(arg.scalar_type())));
    if (arg.device() != device || !(device.is_cpu() || device.is_cuda()))
      throw PlanError("compiled kernels take tensors on one CPU or CUDA "
                      "device, not on " +
                      device.str() + " and " + arg.device().str());
  }
  return device;
}

} // namespace

std::vector<at::Tensor>
callPackedKernel(PackedKernel kernel, const std::vector<at::Tensor> &args,
                 const std::vector<int64_t> &resultRanks) {
  std::vector<at::Tensor> held; // Contiguous copies live through the call.
  size_t resultWords = 0;
  for (int64_t rank : resultRanks)
    resultWords += descriptorWords(rank);
  std::vector<int64_t> results(resultWords, 0);
  std::vector<std::vector<int64_t>> descriptors;
  std::vector<void *> pointers = {results.data()};
  at::Device device = operandDevice(args);
  for (const at::Tensor &arg : args) {
    held.push_back(arg.contiguous());
    descriptors.emplace_back(descriptorWords(arg.dim()));
    describe(held.back(), descriptors.back().data());
    pointers.push_back(descriptors.back().data());
  }
  std::optional<c10::cuda::CUDAGuard> onDevice;
  std::optional<cuda::StreamScope> onStream;
  if (device.is_cuda()) {
    // LibTorch's guard makes the device's primary context current on this
    // thread (an autograd thread, say) as the driver API needs.
    onDevice.emplace(device.index());
    cuda::Driver::instance().useDevice(device.index());
    onStream.emplace(currentStream(device));
  }
  kernel(pointers.data());
  if (std::optional<std::string> error = cuda::takeError()) {
    const int64_t *words = results.data();
    for (int64_t rank : resultRanks) {
      releaseBuffer(allocatedPointer(words), device);
      words += descriptorWords(rank);
    }
    throw cuda::CudaError(*error);
  }
  std::vector<at::Tensor> tensors;
  const int64_t *words = results.data();
  for (int64_t rank : resultRanks) {
    tensors.push_back(adopt(words, rank, device));
    words += descriptorWords(rank);
  }
  return tensors;
}

void awaitKernels(const at::Device &device) {
  if (!device.is_cuda())
    return;
  cuda::Driver &driver = cuda::Driver::instance();
  if (driver.launchedSinceSynchronize())
    driver.synchronize(currentStream(device));
}

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// A fused step as one autograd node: the compiled forward, and the
/// compiled backward, which recomputes from the operands (the kernel's only
/// saved values) and returns one gradient per operand.
struct FusedFunction : torch::autograd::Function<FusedFunction> {
  static variable_list forward(AutogradContext *ctx, at::TensorList operands,
                               const KernelCall *call) {
    std::vector<int64_t> ranks = {call->resultRank};
    ranks.resize(1 + 2 * call->statistics.size(), 1);
    std::vector<at::Tensor> results =
        callPackedKernel(call->forward, operands.vec(), ranks);
    for (size_t i = 0; i < call->statistics.size(); ++i)
      updateRunningStatistics(call->statistics[i], results[1 + 2 * i],
                              results[2 + 2 * i]);
    std::vector<at::Tensor> saved;
    for (const at::Tensor &operand : operands)
      saved.push_back(operand.detach());
    // Not save_for_backward: the running statistics among the operands
    // change in place right above, which autograd's version check would
    // refuse; the backward reads them only for frozen batch norms, whose
    // statistics never change.
    ctx->saved_data["operands"] = saved;
    ctx->saved_data["backward"] =
        static_cast<int64_t>(reinterpret_cast<intptr_t>(call->backward));
    return {results[0]};
  }

  static variable_list backward(AutogradContext *ctx, variable_list grads) {
    std::vector<at::Tensor> args =
        ctx->saved_data["operands"].toTensorVector();
    auto kernel = reinterpret_cast<PackedKernel>(
        static_cast<intptr_t>(ctx->saved_data["backward"].toInt()));
    std::vector<int64_t> ranks;
    for (const at::Tensor &arg : args)
      ranks.push_back(arg.dim());
    args.push_back(grads[0]);
    variable_list gradients = callPackedKernel(kernel, args, ranks);
    gradients.emplace_back(); // The KernelCall pointer has no gradient.
    return gradients;
  }

  /// PyTorch's update: the running variance takes the unbiased batch
  /// variance; the kernel returns the biased one.
  static void updateRunningStatistics(const KernelCall::Statistics &s,
                                      const at::Tensor &mean,
                                      const at::Tensor &biasedVar) {
    double count = static_cast<double>(s.valuesPerChannel);
    double correction = count > 1 ? count / (count - 1) : 1.0;
    s.runningMean.mul_(1 - s.momentum).add_(mean, s.momentum);
    s.runningVar.mul_(1 - s.momentum).add_(biasedVar, s.momentum * correction);
  }
};

} // namespace

at::Tensor callFusedKernel(const KernelCall &call) {
  return FusedFunction::apply(at::TensorList(call.operands), &call)[0];
}

} // namespace dream::rt
