//===- BatchLoader.cpp - Batches prepared in a background thread ----------===//

#include "dream/Runtime/BatchLoader.h"

#include <chrono>
#include <stdexcept>

namespace dream::rt {

BatchLoader::BatchLoader(Producer producer, int64_t first, int64_t lastStep,
                         size_t queueDepth)
    : produce(std::move(producer)), last(lastStep),
      depth(std::max<size_t>(1, queueDepth)), delivered(first),
      worker([this, first] { work(first); }) {}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  changed.notify_all();
  worker.join();
}

void BatchLoader::work(int64_t first) {
  for (int64_t step = first; step < last; ++step) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return stopping || ready.size() < depth; });
      if (stopping)
        return;
    }
    Batch batch;
    try {
      batch = produce(step);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      error = std::current_exception();
      changed.notify_all();
      return;
    }
    std::lock_guard<std::mutex> lock(mutex);
    ready.push_back(std::move(batch));
    changed.notify_all();
  }
}

Batch BatchLoader::next() {
  if (delivered >= last)
    throw std::logic_error("BatchLoader::next: all batches were delivered");
  auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait(lock, [&] { return !ready.empty() || error; });
  waited +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (ready.empty())
    std::rethrow_exception(error);
  Batch batch = std::move(ready.front());
  ready.pop_front();
  ++delivered;
  changed.notify_all();
  return batch;
}

} // namespace dream::rt
