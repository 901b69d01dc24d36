// Limits how often one key (a client address, an account, a member) may do something: a token
// bucket per key that holds at most `count` tokens and refills at `count` per `window`, so a key
// may use a burst of `count` at once and `count` per window after that.
//
// The keys it remembers are bounded (max_keys, least recently used forgotten first): a forgotten
// key starts again with a full bucket, so a client can only reset its own limit by making the
// service see max_keys other keys first.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "touchline/events/result.h"

namespace touchline::api {

struct RateLimit {
  std::uint32_t count = 0;  // 0: no limit
  std::chrono::milliseconds window{60000};

  // "N/s", "N/min" or "N/hour" (e.g. "30/min"), or "0" for no limit. invalid_argument naming
  // the form otherwise.
  static Result<RateLimit> parse(std::string_view text);
  std::string to_string() const;  // the form parse() reads
  bool unlimited() const { return count == 0; }
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit, std::size_t max_keys = 100000);

  // Takes one token from the key's bucket at `now_ms`. Returns 0 when it was taken, else the
  // whole seconds (at least 1) until one will be there, and takes nothing. Always 0 when
  // unlimited. Thread-safe.
  std::int64_t take(const std::string& key, std::int64_t now_ms);

  // What take() would answer, without taking. Thread-safe.
  std::int64_t retry_after(const std::string& key, std::int64_t now_ms);

  const RateLimit& limit() const { return limit_; }
  std::size_t keys() const;  // the keys remembered now

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
    std::list<std::string>::iterator recency;
  };
  // The key's bucket refilled to now_ms (a new key's is full); the key becomes the most recent.
  Bucket& refill(const std::string& key, std::int64_t now_ms);
  std::int64_t seconds_until_a_token(const Bucket& b) const;

  RateLimit limit_;
  double tokens_per_ms_;
  std::size_t max_keys_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> recency_;  // most recent first
};

// The limits on what one client, account or member may ask, as settings (docs/OPERATIONS.md,
// "Limits"). Defaults let a person who mistypes a password several times, or a busy client
// app, through, and stop a script.
struct LimitSettings {
  // Sign-ins and sign-ups (each hashes a password) from one client address.
  RateLimit password_attempts_per_address{30, std::chrono::minutes(1)};
  // Failed sign-ins on one account (by email, whether or not it has an account), from anywhere.
  RateLimit sign_in_failures_per_account{20, std::chrono::hours(1)};
  // Recorded actions (POST /v1/actions) by one member.
  RateLimit actions_per_member{600, std::chrono::minutes(1)};
};

// The API's limiters, one per setting, and the rules of when each is asked and charged.
// Thread-safe.
class RequestLimits {
 public:
  explicit RequestLimits(LimitSettings settings);

  // Before a sign-in's password is checked (`email` lower-cased) or a sign-up's hashed (`email`
  // empty). Nothing when it may go ahead; else rate_limited with the seconds to wait. Charges
  // the address, not the account: the account is charged only for a failure, so that a flood
  // of right guesses is impossible and a flood of wrong ones delays only that account.
  std::optional<Error> password_attempt(const std::string& address, const std::string& email, std::int64_t now_ms);
  // A sign-in on `email` (lower-cased) failed.
  void sign_in_failed(const std::string& email, std::int64_t now_ms);
  // Before a recorded action by `member` (an account id); charges it.
  std::optional<Error> action(const std::string& member, std::int64_t now_ms);

 private:
  RateLimiter by_address_;
  RateLimiter failures_by_account_;
  RateLimiter actions_by_member_;
};

}  // namespace touchline::api
