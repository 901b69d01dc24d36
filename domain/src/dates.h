// Calendar dates without a clock: the caller says what day it is (domain/ keeps no time).
// Days are counted from 1970-01-01 in the proleptic Gregorian calendar, converted by 400-year
// eras of 146097 days.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace touchline::domain::dates {

inline constexpr std::int64_t kMsPerDay = 86'400'000;

struct Civil {
  std::int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

inline std::int64_t days_from_civil(Civil c) {
  const std::int64_t y = c.year - (c.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t year_of_era = y - era * 400;
  const std::int64_t day_of_year = (153 * (c.month > 2 ? c.month - 3 : c.month + 9) + 2) / 5 + c.day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146'097 + day_of_era - 719'468;
}

inline Civil civil_from_days(std::int64_t days) {
  const std::int64_t shifted = days + 719'468;  // days since 0000-03-01
  const std::int64_t era = (shifted >= 0 ? shifted : shifted - 146'096) / 146'097;
  const std::int64_t day_of_era = shifted - era * 146'097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;  // March = 0
  const auto day = static_cast<unsigned>(day_of_year - (153 * month_index + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(month_index < 10 ? month_index + 3 : month_index - 9);
  return Civil{year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

inline std::string two_digits(std::int64_t n) { return (n < 10 ? "0" : "") + std::to_string(n); }

// "2026-11-24"
inline std::string format_date(std::int64_t days) {
  const Civil c = civil_from_days(days);
  return std::to_string(c.year) + "-" + two_digits(c.month) + "-" + two_digits(c.day);
}

// "2026-11-24T13:00Z"
inline std::string format_utc_minute(std::int64_t ms) {
  const std::int64_t minutes = ms / 60'000;
  return format_date(minutes / 1440) + "T" + two_digits(minutes % 1440 / 60) + ":" + two_digits(minutes % 60) + "Z";
}

// "YYYY-MM-DD", a real date from 1900 to 9999; nullopt otherwise.
inline std::optional<std::int64_t> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](std::size_t from, std::size_t length) -> std::optional<unsigned> {
    unsigned n = 0;
    for (std::size_t i = from; i < from + length; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      n = n * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return n;
  };
  auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  if (!year || !month || !day || *year < 1900 || *month < 1 || *month > 12 || *day < 1) return std::nullopt;
  const std::int64_t days = days_from_civil({*year, *month, *day});
  // Rejects 2026-02-30 and the like: the day must survive the round trip.
  if (civil_from_days(days).day != *day) return std::nullopt;
  return days;
}

}  // namespace touchline::domain::dates
