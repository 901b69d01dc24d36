// for_each_index_in_parallel: every index once, the first exception back on the caller's thread.
#include "touchline/events/parallel.h"

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace touchline {
namespace {

TEST(ForEachIndexInParallel, CallsEveryIndexExactlyOnce) {
  for (const std::size_t n : {0u, 1u, 255u, 256u, 257u, 10'000u}) {
    std::vector<std::atomic<int>> calls(n);
    for_each_index_in_parallel(n, [&](std::size_t i) { calls[i].fetch_add(1); });
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(calls[i].load(), 1) << "n " << n << ", index " << i;
  }
}

TEST(ForEachIndexInParallel, ShortRunsStayOnTheCallingThread) {
  const auto caller = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  for_each_index_in_parallel(255, [&](std::size_t) {
    if (std::this_thread::get_id() != caller) elsewhere.fetch_add(1);
  });
  EXPECT_EQ(elsewhere.load(), 0);
}

TEST(ForEachIndexInParallel, WhatACallThrowsIsRethrownToTheCaller) {
  std::atomic<int> calls{0};
  EXPECT_THROW(for_each_index_in_parallel(10'000,
                                          [&](std::size_t i) {
                                            calls.fetch_add(1);
                                            if (i == 5'000) throw std::runtime_error("index 5000");
                                          }),
               std::runtime_error);
  EXPECT_GE(calls.load(), 1);
}

}  // namespace
}  // namespace touchline
