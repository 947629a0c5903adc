//===- TestMain.cpp - main() of RuntimeTests
//-------------------------------===//

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

int main(int argc, char **argv) {
  testing::InitGoogleTest(&argc, argv);
  // One intra-op thread. The tests' bitwise comparisons hold for any fixed
  // count, and on a busy machine OpenMP threads spinning while they wait
  // make these small ops up to a hundred times slower.
  at::set_num_threads(1);
  return RUN_ALL_TESTS();
}
