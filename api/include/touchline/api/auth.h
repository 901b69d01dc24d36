// Credentials: password hashing (Argon2id), signed session tokens (HMAC-SHA-256) and random
// ids, all from libsodium. Secrets made here never enter the event log.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "touchline/events/result.h"

namespace touchline::api {

// An Argon2id hash string (salt and parameters included) of the password. Slow on purpose
// (libsodium's "interactive" limits); thread-safe.
std::string hash_password(std::string_view password);

// Whether the password matches a hash made by hash_password; constant-time in the comparison.
bool verify_password(const std::string& hash, std::string_view password);

// Compares in time independent of where the strings differ (the lengths may leak).
bool constant_time_equals(std::string_view a, std::string_view b);

// 32 lowercase hex characters from a CSPRNG: account, organisation and command ids.
std::string random_id();

// 32 random bytes, for a new token signing key.
std::string random_key();

// Lowercase hex SHA-256.
std::string sha256_hex(std::string_view data);

// Lowercase hex HMAC-SHA-256 of data under a 32-byte key.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

struct IssuedToken {
  std::string token;
  std::int64_t expires_at_ms = 0;
};

// Session tokens: "tl1.<account id>.<expiry unix ms>.<hex HMAC-SHA-256 of the rest>".
class TokenSigner {
 public:
  // `key` is 32 bytes, kept in the store's secrets, never in the log.
  TokenSigner(std::string key, std::chrono::seconds ttl);

  IssuedToken issue(const std::string& account_id, std::int64_t now_ms) const;

  // The account id the token was issued to. unauthenticated when it is malformed, forged, or
  // expired (the message says which of malformed/expired, never why a MAC failed).
  Result<std::string> verify(std::string_view token, std::int64_t now_ms) const;

 private:
  std::string mac(std::string_view message) const;
  std::string key_;
  std::chrono::seconds ttl_;
};

}  // namespace touchline::api
