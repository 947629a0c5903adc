//===- BatchLoader.h - Batches prepared in a background thread -*- C++ -*-===//
//
// The training loop's batches are gathered from the shuffled data set and
// moved to the device by a worker thread, which keeps up to `depth`
// batches ready, so that a step need not wait for the next batch. Batches
// arrive in step order, each exactly what the producer returns for its
// step, so training stays deterministic. An exception thrown while
// preparing a batch reaches the training thread when it asks for that
// batch; destroying the loader (an early stop, an error in a step) stops
// and joins the worker.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_BATCHLOADER_H
#define DREAM_RUNTIME_BATCHLOADER_H

#include <ATen/ATen.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace dream::rt {

/// One step's examples and labels, on the device, and the size of the
/// global batch they are this rank's share of.
struct Batch {
  at::Tensor inputs;
  at::Tensor labels;
  int64_t globalBatch = 0;
  /// Class distributions [B, classes] the loss learns instead of `labels`
  /// (mixup); undefined: the labels.
  at::Tensor targets = {};
};

class BatchLoader {
public:
  using Producer = std::function<Batch(int64_t step)>;

  /// Prepares the batches of steps [first, last) with `produce`, in order,
  /// at most `depth` ahead of the consumer.
  BatchLoader(Producer produce, int64_t first, int64_t last, size_t depth = 2);
  ~BatchLoader();
  BatchLoader(const BatchLoader &) = delete;
  BatchLoader &operator=(const BatchLoader &) = delete;

  /// The next step's batch; rethrows what `produce` threw for it.
  Batch next();
  /// The seconds `next` has waited for batches so far.
  double waitSeconds() const { return waited; }

private:
  void work(int64_t first);

  Producer produce;
  const int64_t last;
  const size_t depth;
  int64_t delivered;
  double waited = 0.0;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Batch> ready;
  std::exception_ptr error; ///< Set after the batches before it.
  bool stopping = false;
  std::thread worker; ///< Last: starts once the rest is initialised.
};

} // namespace dream::rt

#endif // DREAM_RUNTIME_BATCHLOADER_H
