#include "touchline/domain/times.h"

#include <algorithm>
#include <limits>

#include "dates.h"

namespace touchline::domain {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// All digits, and at most `max` (nullopt past it, overflow included).
std::optional<std::int64_t> digits(std::string_view s, std::int64_t max) {
  if (!all_digits(s)) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (v > (max - (c - '0')) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::optional<std::int64_t> parse_time(std::string_view text) {
  if (all_digits(text)) return digits(text, std::numeric_limits<std::int64_t>::max());
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z (RFC 3339 allows t and z in lower case)
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' ||
      (text.back() != 'Z' && text.back() != 'z')) {
    return std::nullopt;
  }
  auto day = dates::parse_date(text.substr(0, 10));
  auto hour = digits(text.substr(11, 2), 23);
  auto minute = digits(text.substr(14, 2), 59);
  auto second = digits(text.substr(17, 2), 59);
  if (!day || *day < 0 || !hour || !minute || !second) return std::nullopt;
  std::int64_t millis = 0;
  const std::string_view fraction = text.substr(19, text.size() - 20);  // between the seconds and the Z
  if (!fraction.empty()) {
    if (fraction[0] != '.' || !all_digits(fraction.substr(1))) return std::nullopt;
    for (std::size_t i = 1; i <= 3; ++i) millis = millis * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  return *day * dates::kMsPerDay + ((*hour * 60 + *minute) * 60 + *second) * 1000 + millis;
}

}  // namespace touchline::domain
