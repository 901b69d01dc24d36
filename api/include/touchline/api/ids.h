// Ids that travel in paths and bodies and become parts of stream names.
#pragma once

#include <string_view>

namespace touchline::api {

// An ASCII letter or digit, whatever the locale (and inline: ids are checked on every request,
// a character at a time).
inline bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// 1 to 64 of [A-Za-z0-9_-]: what Touchline issues, and all a stream name may carry.
inline bool is_valid_id(std::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v) {
    if (!is_ascii_alnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

// Client-chosen tokens (Idempotency-Key, X-Correlation-Id): 1 to 200 printable ASCII characters.
inline bool is_valid_client_token(std::string_view v) {
  if (v.empty() || v.size() > 200) return false;
  for (char c : v) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace touchline::api
