// parse_time: the times reads take (at_time), as Unix milliseconds or RFC 3339 in UTC.
#include "touchline/domain/times.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace touchline::domain {
namespace {

TEST(ParseTime, ReadsMillisecondsAndUtcTimes) {
  EXPECT_EQ(parse_time("0"), 0);
  EXPECT_EQ(parse_time("1767225600000"), 1767225600000);
  EXPECT_EQ(parse_time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_time("2026-01-01T00:00:00Z"), 1767225600000);
  EXPECT_EQ(parse_time("2026-03-03T12:30:15Z"), 1772541015000);
  EXPECT_EQ(parse_time("2026-03-03T12:30:15.250Z"), 1772541015250);
  EXPECT_EQ(parse_time("2026-03-03T12:30:15.2Z"), 1772541015200);
  EXPECT_EQ(parse_time("2026-03-03T12:30:15.123456789Z"), 1772541015123);  // beyond ms: dropped
  EXPECT_EQ(parse_time("2024-02-29T23:59:59Z"), 1709251199000);            // a leap day
  EXPECT_EQ(parse_time("2026-03-03t12:30:15z"), 1772541015000);            // RFC 3339 allows lower case
  EXPECT_EQ(parse_time("2026-03-03T12:30:15.1234567890123456789012Z"), 1772541015123);
  EXPECT_EQ(parse_time("9223372036854775807"), INT64_MAX);
}

TEST(ParseTime, RefusesWhatIsNotOneOfTheTwoForms) {
  for (const char* bad : {"", "-5", "12a", "2026-03-03", "2026-03-03T12:30Z", "2026-03-03T12:30:15",
                          "2026-03-03T12:30:15+01:00", "2026-03-03 12:30:15Z", "2026-02-30T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-03-03T24:00:00Z", "2026-03-03T12:60:00Z",
                          "2026-03-03T12:30:15.Z", "2026-03-03T12:30:15.2xZ", "1969-12-31T23:59:59Z",
                          "99999999999999999999", "9223372036854775808"}) {
    EXPECT_FALSE(parse_time(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace touchline::domain
