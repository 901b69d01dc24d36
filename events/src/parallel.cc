#include "touchline/events/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace touchline {

void for_each_index_in_parallel(std::size_t n, const std::function<void(std::size_t)>& fn,
                                std::size_t parallel_from) {
  if (n < parallel_from) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  // Small chunks taken as threads come free: a thread held up by another process leaves its
  // share to the others instead of making them wait for it.
  constexpr std::size_t kChunk = 64;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::exception_ptr thrown;
  auto work = [&] {
    try {
      while (!failed.load(std::memory_order_relaxed)) {
        const std::size_t from = next.fetch_add(kChunk, std::memory_order_relaxed);
        if (from >= n) return;
        for (std::size_t i = from; i < std::min(n, from + kChunk); ++i) fn(i);
      }
    } catch (...) {
      std::lock_guard lock(mu);
      if (!thrown) thrown = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  };
  const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
  {
    std::vector<std::jthread> helpers;
    try {
      for (std::size_t t = 1; t < std::min(threads, (n + kChunk - 1) / kChunk); ++t) helpers.emplace_back(work);
    } catch (const std::system_error&) {
      // No thread to be had (a process at its limit): the threads already started and this one
      // share the work.
    }
    work();
  }
  if (thrown) std::rethrow_exception(thrown);
}

}  // namespace touchline
