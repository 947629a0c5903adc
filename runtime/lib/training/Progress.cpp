//===- Progress.cpp - Progress of long work and metrics files -------------===//

#include "dream/Runtime/Progress.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Safetensors.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

namespace dream::rt {
namespace {

/// "1:02:03" or "4:05".
std::string formatDuration(double seconds) {
  auto total = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600,
                  total / 60 % 60, total % 60);
  else
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  return text;
}

} // namespace

ProgressReporter::ProgressReporter(std::FILE *out, bool terminal,
                                   double intervalSeconds)
    : out(out), terminal(terminal), interval(intervalSeconds) {}

ProgressReporter ProgressReporter::forStderr() {
  bool tty = ::isatty(::fileno(stderr)) != 0;
  // A bar is cheap to redraw; lines in a log should be few.
  return ProgressReporter(stderr, tty, tty ? 0.1 : 10.0);
}

void ProgressReporter::beginEpoch(const std::string &phaseName,
                                  int64_t epochNumber, int64_t epochCount,
                                  int64_t stepCount, int64_t first) {
  phase = phaseName;
  epoch = epochNumber;
  epochs = epochCount;
  steps = stepCount;
  firstStep = first;
  start = lastShown = Clock::now();
  shown = false;
}

std::string ProgressReporter::line(int64_t step, int64_t samples,
                                   double loss) const {
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double perStep =
      elapsed / static_cast<double>(std::max<int64_t>(1, step - firstStep));
  // Time to the end of training, evaluation not included.
  double left =
      perStep * static_cast<double>((steps - step) + (epochs - epoch) * steps);
  char numbers[160];
  std::snprintf(
      numbers, sizeof numbers, "%lld/%lld loss %.4f %.0f samples/s ETA %s",
      static_cast<long long>(step), static_cast<long long>(steps), loss,
      samples / std::max(elapsed, 1e-9), formatDuration(left).c_str());
  std::string head = phase + " epoch " + std::to_string(epoch) + "/" +
                     std::to_string(epochs) + " ";
  if (!terminal)
    return head + "step " + numbers;
  const int width = 24;
  int filled = static_cast<int>(width * step / std::max<int64_t>(1, steps));
  return head + "[" + std::string(filled, '#') +
         std::string(width - filled, '.') + "] " + numbers;
}

void ProgressReporter::update(int64_t step, int64_t samples, double loss) {
  Clock::time_point now = Clock::now();
  if (std::chrono::duration<double>(now - lastShown).count() < interval)
    return;
  lastShown = now;
  shown = true;
  std::string text = line(step, samples, loss);
  if (terminal)
    std::fprintf(out, "\r\033[K%s", text.c_str());
  else
    std::fprintf(out, "%s\n", text.c_str());
  std::fflush(out);
}

void ProgressReporter::endEpoch() {
  if (terminal && shown) {
    std::fprintf(out, "\r\033[K");
    std::fflush(out);
  }
}

void keepMetricsUpTo(const std::string &path, const std::string &encoder,
                     int64_t epochs, int64_t steps) {
  std::ifstream in(path);
  if (!in)
    return;
  std::string kept, line;
  while (std::getline(in, line)) {
    auto record = nlohmann::ordered_json::parse(line, nullptr, false);
    if (!record.is_object())
      continue; // Cut off by a kill in the middle of a write.
    bool ours = record.value("encoder", std::string()) == encoder;
    bool past = record.value("split", std::string()) == "step"
                    ? record.value("step", int64_t{0}) > steps
                    : record.value("epoch", int64_t{0}) > epochs;
    if (!ours || !past)
      kept += line + "\n";
  }
  writeFileAtomically(path, {{kept.data(), kept.size()}});
}

MetricsWriter::MetricsWriter(const std::string &path, bool append)
    : path(path),
      fd(::open(path.c_str(),
                O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
                0644)) {
  if (fd < 0)
    throw FileError(path + ": cannot open the metrics file: " +
                    std::strerror(errno));
}

MetricsWriter::MetricsWriter(MetricsWriter &&other) noexcept
    : path(std::move(other.path)), fd(other.fd) {
  other.fd = -1;
}

MetricsWriter &MetricsWriter::operator=(MetricsWriter &&other) noexcept {
  std::swap(path, other.path);
  std::swap(fd, other.fd);
  return *this;
}

MetricsWriter::~MetricsWriter() {
  if (fd >= 0)
    ::close(fd);
}

void MetricsWriter::write(const nlohmann::ordered_json &record) {
  if (fd < 0)
    return;
  std::string line = record.dump() + "\n";
  for (size_t done = 0; done < line.size();) {
    ssize_t written = ::write(fd, line.data() + done, line.size() - done);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      throw FileError(path + ": cannot write: " + std::strerror(errno));
    done += static_cast<size_t>(written);
  }
  if (::fsync(fd) != 0)
    throw FileError(path + ": cannot flush to disk: " + std::strerror(errno));
}

} // namespace dream::rt
