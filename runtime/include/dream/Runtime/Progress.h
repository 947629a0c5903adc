//===- Progress.h - Progress of long work and metrics files -----*- C++ -*-===//
//
// A progress bar redrawn in place when the output is a terminal, plain
// periodic lines otherwise (logs, CI), and the JSON-lines metrics file.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_PROGRESS_H
#define DREAM_RUNTIME_PROGRESS_H

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace dream::rt {

/// Shows epoch, step, loss, samples/s and the time left of a training run.
class ProgressReporter {
public:
  /// `terminal`: redraw one line in place; otherwise print a line every
  /// `intervalSeconds`.
  ProgressReporter(std::FILE *out, bool terminal, double intervalSeconds);

  /// stderr, as a bar if stderr is a terminal.
  static ProgressReporter forStderr();

  /// `firstStep` is where this epoch starts (above 0 when resuming).
  void beginEpoch(const std::string &phase, int64_t epoch, int64_t epochs,
                  int64_t steps, int64_t firstStep);
  /// After `step` of the epoch's steps, with `samples` trained since
  /// beginEpoch.
  void update(int64_t step, int64_t samples, double loss);
  /// Clears the bar.
  void endEpoch();

private:
  using Clock = std::chrono::steady_clock;
  std::string line(int64_t step, int64_t samples, double loss) const;

  std::FILE *out;
  bool terminal;
  double interval;
  std::string phase;
  int64_t epoch = 0, epochs = 0, steps = 0, firstStep = 0;
  Clock::time_point start, lastShown;
  bool shown = false;
};

/// The --metrics file: one JSON object per line, written and flushed to
/// disk (fsync) at once so that a crashed run keeps what it measured. Keys
/// keep their insertion order. Every write is checked: a full disk stops
/// the run (FileError) instead of losing records without a word.
class MetricsWriter {
public:
  /// Writes nothing.
  MetricsWriter() = default;
  /// Truncates `path`, or appends to it when a run resumes.
  MetricsWriter(const std::string &path, bool append);
  MetricsWriter(MetricsWriter &&other) noexcept;
  MetricsWriter &operator=(MetricsWriter &&other) noexcept;
  MetricsWriter(const MetricsWriter &) = delete;
  MetricsWriter &operator=(const MetricsWriter &) = delete;
  ~MetricsWriter();

  void write(const nlohmann::ordered_json &record);

private:
  std::string path;
  int fd = -1;
};

/// Before a run resumes from a checkpoint taken after `epochs` epochs and
/// `steps` steps: drops from the metrics file at `path` the records of the
/// same phase (pre-training `encoder`, or training if empty) that a killed
/// run wrote past that point, and any line it left half-written, so that
/// the resumed run's records follow without duplicates. Records of other
/// phases stay. Rewrites the file atomically; no file, nothing to do.
void keepMetricsUpTo(const std::string &path, const std::string &encoder,
                     int64_t epochs, int64_t steps);

} // namespace dream::rt

#endif // DREAM_RUNTIME_PROGRESS_H
