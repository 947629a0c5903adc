//===- FuzzInput.h - Handing a fuzz input to a reader of files ------------===//
//
// Most of the runtime's readers take a path, as the trainer calls them: the
// fuzzers write each input to a file of their own (in /dev/shm when there
// is one, so that no disk is touched) and read it back through the real
// entry point.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_TEST_FUZZ_FUZZINPUT_H
#define DREAM_TEST_FUZZ_FUZZINPUT_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace dream::fuzz {

/// This process's input file, removed when the fuzzer exits normally (after
/// a crash it stays, next to the crash's artifact).
inline const std::string &inputPath(const std::string &suffix) {
  static const std::string path =
      std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") +
      "/dreamc-fuzz-" + std::to_string(getpid()) + suffix;
  static const int removal =
      std::atexit([] { std::remove(path.c_str()); });
  (void)removal;
  return path;
}

/// Writes `size` bytes to this process's input file named `suffix`
/// (`.csv`, `.gz`: some readers look at the name) and returns its path.
inline std::string writeInput(const uint8_t *data, size_t size,
                              const std::string &suffix) {
  const std::string &path = inputPath(suffix);
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file || std::fwrite(data, 1, size, file) != size ||
      std::fclose(file) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

} // namespace dream::fuzz

#endif // DREAM_TEST_FUZZ_FUZZINPUT_H
