// Times as people and clients write them, read without a clock (domain/ keeps no time).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace touchline::domain {

// A time as reads take it (at_time): Unix milliseconds (digits alone), or an RFC 3339 time in
// UTC, "2026-03-03T12:00:00Z", with optional fractions of a second ("…:00.250Z"; beyond
// milliseconds they are dropped). nullopt for anything else: another zone offset, a date alone,
// a year before 1970 or after 9999, a day the month does not have.
std::optional<std::int64_t> parse_time(std::string_view text);

}  // namespace touchline::domain
