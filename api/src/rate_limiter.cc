#include "touchline/api/rate_limiter.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace touchline::api {

Result<RateLimit> RateLimit::parse(std::string_view text) {
  const auto bad = [&] {
    return Error::make(ErrorCode::invalid_argument,
                       "a rate limit is N/s, N/min or N/hour (e.g. 30/min), or 0 for none; got '" +
                           std::string(text) + "'");
  };
  if (text == "0") return RateLimit{0, std::chrono::minutes(1)};
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  std::uint32_t count = 0;
  const auto number = text.substr(0, slash);
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
  if (ec != std::errc{} || end != number.data() + number.size() || number.empty()) return bad();
  const auto unit = text.substr(slash + 1);
  std::chrono::milliseconds window;
  if (unit == "s") {
    window = std::chrono::seconds(1);
  } else if (unit == "min") {
    window = std::chrono::minutes(1);
  } else if (unit == "hour") {
    window = std::chrono::hours(1);
  } else {
    return bad();
  }
  return RateLimit{count, window};
}

std::string RateLimit::to_string() const {
  if (unlimited()) return "0";
  const char* unit = window == std::chrono::hours(1) ? "hour" : window == std::chrono::seconds(1) ? "s" : "min";
  return std::to_string(count) + "/" + unit;
}

RateLimiter::RateLimiter(RateLimit limit, std::size_t max_keys)
    : limit_(limit),
      tokens_per_ms_(limit.unlimited() ? 0.0 : double(limit.count) / double(limit.window.count())),
      max_keys_(std::max<std::size_t>(max_keys, 1)) {}

RateLimiter::Bucket& RateLimiter::refill(const std::string& key, std::int64_t now_ms) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      buckets_.erase(recency_.back());
      recency_.pop_back();
    }
    recency_.push_front(key);
    it = buckets_.emplace(key, Bucket{double(limit_.count), now_ms, recency_.begin()}).first;
    return it->second;
  }
  Bucket& b = it->second;
  recency_.splice(recency_.begin(), recency_, b.recency);
  // A clock that steps back refills nothing rather than draining the bucket.
  const auto elapsed = std::max<std::int64_t>(now_ms - b.updated_ms, 0);
  b.tokens = std::min(double(limit_.count), b.tokens + double(elapsed) * tokens_per_ms_);
  b.updated_ms = std::max(b.updated_ms, now_ms);
  return b;
}

std::int64_t RateLimiter::seconds_until_a_token(const Bucket& b) const {
  if (b.tokens >= 1.0) return 0;
  const double ms = (1.0 - b.tokens) / tokens_per_ms_;
  // The epsilon keeps rounding error from turning 1800 s into 1801.
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(ms / 1000.0 - 1e-6)));
}

std::int64_t RateLimiter::take(const std::string& key, std::int64_t now_ms) {
  if (limit_.unlimited()) return 0;
  std::lock_guard lock(mu_);
  Bucket& b = refill(key, now_ms);
  if (auto wait = seconds_until_a_token(b)) return wait;
  b.tokens -= 1.0;
  return 0;
}

std::int64_t RateLimiter::retry_after(const std::string& key, std::int64_t now_ms) {
  if (limit_.unlimited()) return 0;
  std::lock_guard lock(mu_);
  return seconds_until_a_token(refill(key, now_ms));
}

std::size_t RateLimiter::keys() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

RequestLimits::RequestLimits(LimitSettings settings)
    : by_address_(settings.password_attempts_per_address),
      failures_by_account_(settings.sign_in_failures_per_account),
      actions_by_member_(settings.actions_per_member) {}

namespace {
Error too_many(std::string message, std::int64_t seconds) {
  return Error::make(ErrorCode::rate_limited, std::move(message) + "; retry in " + std::to_string(seconds) + " s")
      .retry_after(seconds);
}
}  // namespace

std::optional<Error> RequestLimits::password_attempt(const std::string& address, const std::string& email,
                                                     std::int64_t now_ms) {
  if (!email.empty()) {
    if (auto wait = failures_by_account_.retry_after(email, now_ms)) {
      return too_many("too many failed sign-ins on this account", wait);
    }
  }
  if (auto wait = by_address_.take(address, now_ms)) {
    return too_many("too many sign-ins and sign-ups from this address", wait);
  }
  return std::nullopt;
}

void RequestLimits::sign_in_failed(const std::string& email, std::int64_t now_ms) {
  failures_by_account_.take(email, now_ms);
}

std::optional<Error> RequestLimits::action(const std::string& member, std::int64_t now_ms) {
  if (auto wait = actions_by_member_.take(member, now_ms)) {
    return too_many("too many recorded actions by this member", wait);
  }
  return std::nullopt;
}

}  // namespace touchline::api
