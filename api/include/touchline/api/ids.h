// Ids that travel in paths and bodies and become parts of stream names.
#pragma once

#include <cctype>
#include <string_view>

namespace touchline::api {

// 1 to 64 of [A-Za-z0-9_-]: what Touchline issues, and all a stream name may carry.
inline bool is_valid_id(std::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
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
