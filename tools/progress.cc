#include "progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace touchline::tools {
namespace {

// 1234567 -> "1,234,567"
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string duration(double seconds) {
  const auto s = static_cast<std::uint64_t>(seconds + 0.5);
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

}  // namespace

Progress::Progress(std::string what, std::string unit, std::uint64_t total)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total), terminal_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (!finished_) finish(done_);
}

std::string Progress::describe(const std::string& what, const std::string& unit, std::uint64_t done,
                               std::uint64_t total, double seconds) {
  std::string line = what + ": " + grouped(done);
  if (total > 0) line += " of " + grouped(total);
  line += " " + unit;
  if (total > 0) line += " (" + std::to_string(done * 100 / total) + "%)";
  if (seconds > 0 && done > 0) {
    const double rate = static_cast<double>(done) / seconds;
    line += ", " + grouped(static_cast<std::uint64_t>(rate)) + "/s";
    if (total > done) line += ", about " + duration(static_cast<double>(total - done) / rate) + " left";
  }
  return line;
}

void Progress::update(std::uint64_t done) {
  done_ = done;
  const auto now = Clock::now();
  const double seconds = std::chrono::duration<double>(now - start_).count();
  if (terminal_) {
    if (now - last_written_ < std::chrono::milliseconds(200)) return;
    std::cerr << "\r" << describe(what_, unit_, done, total_, seconds) << "\033[K" << std::flush;
  } else if (total_ > 0) {
    if (done * 10 < next_tenth_ * total_) return;
    while (done * 10 >= next_tenth_ * total_) ++next_tenth_;
    std::cerr << describe(what_, unit_, done, total_, seconds) << "\n";
  } else {
    if (now - last_written_ < std::chrono::seconds(10)) return;
    std::cerr << describe(what_, unit_, done, total_, seconds) << "\n";
  }
  last_written_ = now;
}

void Progress::finish(std::uint64_t done) {
  finished_ = true;
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  std::string line = what_ + ": " + grouped(done) + " " + unit_ + " in " +
                     (seconds < 10 ? std::to_string(static_cast<int>(seconds * 1000)) + " ms" : duration(seconds));
  if (seconds > 0 && done > 0) line += ", " + grouped(static_cast<std::uint64_t>(done / seconds)) + "/s";
  std::cerr << (terminal_ ? "\r" : "") << line << (terminal_ ? "\033[K\n" : "\n") << std::flush;
}

}  // namespace touchline::tools
