//===- BatchLoaderTest.cpp - Batches prepared in a background thread ------===//

#include "dream/Runtime/BatchLoader.h"
#include "dream/Runtime/Idx.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace dream::rt;
using testing::HasSubstr;

namespace {

/// A batch that says which step it was made for.
Batch batchOf(int64_t step) {
  return {at::full({1}, step, at::kLong), at::full({1}, step, at::kLong), 1};
}

void pause(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
}

TEST(BatchLoaderTest, DeliversEveryStepOnceAndInOrder) {
  BatchLoader loader(batchOf, 3, 10);
  for (int64_t step = 3; step < 10; ++step) {
    if (step % 2)
      pause(2); // Lets the worker fill the queue.
    EXPECT_EQ(loader.next().inputs.item<int64_t>(), step);
  }
  EXPECT_THROW(loader.next(), std::logic_error);
}

TEST(BatchLoaderTest, AnErrorArrivesAfterTheBatchesBeforeIt) {
  BatchLoader loader(
      [](int64_t step) {
        if (step == 4)
          throw DataError("record 4: not a number");
        return batchOf(step);
      },
      0, 10);
  for (int64_t step = 0; step < 4; ++step)
    EXPECT_EQ(loader.next().inputs.item<int64_t>(), step);
  try {
    loader.next();
    FAIL() << "the producer's error was not rethrown";
  } catch (const DataError &error) {
    EXPECT_THAT(error.what(), HasSubstr("record 4: not a number"));
  }
}

TEST(BatchLoaderTest, StopsEarlyWithoutPreparingTheRest) {
  std::atomic<int64_t> produced{0};
  {
    BatchLoader loader(
        [&](int64_t step) {
          ++produced;
          return batchOf(step);
        },
        0, 1000);
    EXPECT_EQ(loader.next().inputs.item<int64_t>(), 0);
    pause(20);
  } // Joins a worker that waits for room in the queue.
  // The one delivered, two queued, and at most one being made.
  EXPECT_GE(produced.load(), 3);
  EXPECT_LE(produced.load(), 4);
}

TEST(BatchLoaderTest, MeasuresTheTimeSpentWaiting) {
  BatchLoader slow(
      [](int64_t step) {
        pause(20);
        return batchOf(step);
      },
      0, 3);
  for (int i = 0; i < 3; ++i)
    slow.next();
  EXPECT_GE(slow.waitSeconds(), 0.05);

  BatchLoader fast(batchOf, 0, 3);
  pause(20); // All batches are ready before they are asked for.
  for (int i = 0; i < 3; ++i)
    fast.next();
  EXPECT_LT(fast.waitSeconds(), 0.01);
}

} // namespace
