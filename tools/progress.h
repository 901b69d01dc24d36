// Progress of a long operator command (verify, rebuild, export, backup, restore) on stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace touchline::tools {

// On a terminal: one line, rewritten in place at most five times a second, with the count, the
// rate and, when the total is known, the share done and the time left. Elsewhere (a pipe, a log
// file): a line at each tenth of the total, or every ten seconds when there is no total, so that
// a log shows progress without a line per batch. Not thread-safe: one per operation.
class Progress {
 public:
  // `what` names the operation ("verify"), `unit` what it counts ("events"); total 0: unknown.
  Progress(std::string what, std::string unit, std::uint64_t total);
  // Writes the final line (count, elapsed time and average rate) if finish() was not called.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(std::uint64_t done);
  void finish(std::uint64_t done);

  // The line update() writes, from its parts (exposed for its test).
  static std::string describe(const std::string& what, const std::string& unit, std::uint64_t done,
                              std::uint64_t total, double seconds);

 private:
  using Clock = std::chrono::steady_clock;
  std::string what_;
  std::string unit_;
  std::uint64_t total_;
  bool terminal_;
  bool finished_ = false;
  std::uint64_t done_ = 0;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_written_ = start_;
  std::uint64_t next_tenth_ = 1;
};

}  // namespace touchline::tools
