// Credentials: password hashing (Argon2id), signed session tokens (HMAC-SHA-256) and random
// ids, all from libsodium. Secrets made here never enter the event log.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>

#include <boost/unordered/unordered_flat_map.hpp>

#include "touchline/events/result.h"

namespace touchline::api {

// How much work one password hash is: Argon2id's passes over its memory, and that memory. The
// default is libsodium's "interactive" level (2 passes over 64 MiB), what the service uses;
// cheapest() is libsodium's minimum, for the in-process test servers, whose suites sign hundreds
// of people up and in. A hash is verified at the cost written in it, whatever the verifier's.
struct PasswordCost {
  unsigned long long passes = 2;
  std::size_t memory_bytes = std::size_t{64} << 20;
  static constexpr PasswordCost cheapest() { return {1, 8192}; }
};

// An Argon2id hash string (salt and parameters included) of the password. Slow on purpose;
// thread-safe.
std::string hash_password(std::string_view password, PasswordCost cost = {});

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
  // A token whose MAC held is remembered (at most kVerifiedTokens of them, all forgotten when that
  // is reached; an expired one is refused all the same), so a client's requests cost one MAC
  // check, not one each. Thread-safe.
  Result<std::string> verify(std::string_view token, std::int64_t now_ms) const;

  static constexpr std::size_t kVerifiedTokens = 16384;

 private:
  struct Verified {
    std::string account;
    std::int64_t expires_at_ms = 0;
  };
  // Hashed with SipHash under a key of this signer's (an attacker cannot aim tokens at one
  // bucket) and compared in constant time, so that a lookup tells nothing of a token it holds.
  struct KeyedHash {
    using is_transparent = void;
    std::array<unsigned char, 16> key{};
    std::size_t operator()(std::string_view token) const;
  };
  struct ConstantTimeEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
  };

  std::string mac(std::string_view message) const;
  Result<Verified> verify_mac(std::string_view token) const;

  std::string key_;
  std::chrono::seconds ttl_;
  mutable std::shared_mutex verified_mu_;
  mutable boost::unordered_flat_map<std::string, Verified, KeyedHash, ConstantTimeEqual> verified_;
};

}  // namespace touchline::api
