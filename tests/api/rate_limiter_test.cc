// The request limits as plain objects: a clock given, no sockets.
#include <gtest/gtest.h>

#include "touchline/api/rate_limiter.h"

namespace touchline::api {
namespace {

using std::chrono::minutes;

TEST(RateLimit, ParsesCountsPerSecondMinuteAndHourAndZeroForNone) {
  EXPECT_EQ(RateLimit::parse("30/min")->count, 30u);
  EXPECT_EQ(RateLimit::parse("30/min")->window, minutes(1));
  EXPECT_EQ(RateLimit::parse("5/s")->window, std::chrono::seconds(1));
  EXPECT_EQ(RateLimit::parse("20/hour")->window, std::chrono::hours(1));
  EXPECT_TRUE(RateLimit::parse("0")->unlimited());
  for (const char* bad : {"", "30", "/min", "30/day", "-1/min", "3x/min", "30/ min", "99999999999/s"}) {
    auto r = RateLimit::parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  }
  for (const char* form : {"30/min", "5/s", "20/hour", "0"}) EXPECT_EQ(RateLimit::parse(form)->to_string(), form);
}

TEST(RateLimiter, ABurstOfCountThenOneAtTheRefillRate) {
  RateLimiter limiter(RateLimit{3, minutes(1)});  // one token every 20 s
  const std::int64_t t0 = 1'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.take("a", t0), 0) << i;
  EXPECT_EQ(limiter.take("a", t0), 20);       // nothing left; one in 20 s
  EXPECT_EQ(limiter.take("a", t0 + 15'000), 5);
  EXPECT_EQ(limiter.take("a", t0 + 20'000), 0);
  EXPECT_EQ(limiter.take("a", t0 + 20'000), 20);
  EXPECT_EQ(limiter.take("b", t0), 0);  // keys are apart
  EXPECT_EQ(limiter.take("a", t0 + 10 * 60'000), 0);  // refills to the burst, never beyond
  EXPECT_EQ(limiter.take("a", t0 + 10 * 60'000), 0);
  EXPECT_EQ(limiter.take("a", t0 + 10 * 60'000), 0);
  EXPECT_GT(limiter.take("a", t0 + 10 * 60'000), 0);
}

TEST(RateLimiter, RetryAfterTakesNothingAndIsAtLeastOneSecond) {
  RateLimiter limiter(RateLimit{1000, std::chrono::seconds(1)});
  EXPECT_EQ(limiter.retry_after("a", 0), 0);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(limiter.take("a", 0), 0);
  EXPECT_EQ(limiter.retry_after("a", 0), 1);  // 1 ms away, said as 1 s
  EXPECT_EQ(limiter.take("a", 0), 1);
}

TEST(RateLimiter, AClockThatStepsBackRefillsNothingAndDrainsNothing) {
  RateLimiter limiter(RateLimit{1, minutes(1)});
  EXPECT_EQ(limiter.take("a", 100'000), 0);
  EXPECT_EQ(limiter.take("a", 40'000), 60);
  EXPECT_EQ(limiter.take("a", 160'000), 0);
}

TEST(RateLimiter, RemembersAtMostMaxKeysForgettingTheLeastRecent) {
  RateLimiter limiter(RateLimit{1, std::chrono::hours(1)}, 2);
  EXPECT_EQ(limiter.take("a", 0), 0);
  EXPECT_EQ(limiter.take("b", 0), 0);
  EXPECT_GT(limiter.take("a", 0), 0);  // a is now the most recent
  EXPECT_EQ(limiter.take("c", 0), 0);  // forgets b
  EXPECT_EQ(limiter.keys(), 2u);
  EXPECT_GT(limiter.take("a", 0), 0);  // a was kept
  EXPECT_EQ(limiter.take("b", 0), 0);  // b starts again full
}

TEST(RateLimiter, UnlimitedAlwaysTakesAndRemembersNothing) {
  RateLimiter limiter(RateLimit{});
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(limiter.take("a", 0), 0);
  EXPECT_EQ(limiter.keys(), 0u);
}

TEST(RequestLimits, ASignInChargesItsAddressAndAFailureItsAccount) {
  RequestLimits limits({.password_attempts_per_address = RateLimit{3, minutes(1)},
                        .sign_in_failures_per_account = RateLimit{2, std::chrono::hours(1)},
                        .actions_per_member = RateLimit{}});
  EXPECT_FALSE(limits.password_attempt("10.0.0.1", "ada@x.io", 0));
  limits.sign_in_failed("ada@x.io", 0);
  EXPECT_FALSE(limits.password_attempt("10.0.0.2", "ada@x.io", 0));
  limits.sign_in_failed("ada@x.io", 0);
  // Two failures: ada's account waits, from any address, and the address is not charged for it.
  auto refused = limits.password_attempt("10.0.0.3", "ada@x.io", 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, ErrorCode::rate_limited);
  EXPECT_EQ(refused->retry_after_seconds, 1800);
  EXPECT_NE(refused->message.find("account"), std::string::npos);
  // Another account from the same addresses goes ahead; a sign-up has no account.
  EXPECT_FALSE(limits.password_attempt("10.0.0.3", "ben@x.io", 0));
  EXPECT_FALSE(limits.password_attempt("10.0.0.1", "", 0));
  EXPECT_FALSE(limits.password_attempt("10.0.0.1", "", 0));
  auto address = limits.password_attempt("10.0.0.1", "", 0);  // its fourth in the minute
  ASSERT_TRUE(address);
  EXPECT_EQ(address->retry_after_seconds, 20);
  EXPECT_NE(address->message.find("address"), std::string::npos);
}

TEST(RequestLimits, RecordedActionsAreLimitedPerMember) {
  RequestLimits limits({.password_attempts_per_address = RateLimit{},
                        .sign_in_failures_per_account = RateLimit{},
                        .actions_per_member = RateLimit{2, std::chrono::seconds(1)}});
  EXPECT_FALSE(limits.action("ada", 0));
  EXPECT_FALSE(limits.action("ada", 0));
  auto refused = limits.action("ada", 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, ErrorCode::rate_limited);
  EXPECT_EQ(refused->retry_after_seconds, 1);
  EXPECT_FALSE(limits.action("ben", 0));
  EXPECT_FALSE(limits.action("ada", 500));
}

}  // namespace
}  // namespace touchline::api
