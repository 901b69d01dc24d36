// Typed results shared by every layer. Expected failures travel as an Error with a stable
// ErrorCode; exceptions are kept for bugs and fatal conditions (a corrupt or unwritable store).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace touchline {

// Stable codes: clients and tests match on the string form (error_code_name), never on the
// message. The API maps each to one HTTP status in api/src/problem.cc.
enum class ErrorCode {
  invalid_argument,      // the input is malformed or breaks a field rule
  unauthenticated,       // no valid credentials
  permission_denied,     // authenticated, but the actor may not do this
  not_found,             // the thing named does not exist
  already_exists,        // a create collided with an existing thing
  conflict,              // optimistic concurrency: the stream moved on under us
  failed_precondition,   // the request is well formed but the current state forbids it
  idempotency_mismatch,  // an Idempotency-Key reused with a different request
  unavailable,           // a bounded wait ran out (e.g. a projection behind min_position)
  rate_limited,          // one client, account or member asked too often; retry_after_seconds says when to retry
  payload_too_large,     // request body over the server's limit
  internal,              // a bug or a storage failure; details are logged, not returned
};

std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;  // one sentence a person understands
  std::string field;    // the offending input field, when there is one
  // Where one code covers refusals a client tells apart, which one (stable, like the code), e.g.
  // "invite_expired" and "invite_revoked" under failed_precondition.
  std::string reason;
  std::int64_t retry_after_seconds = 0;  // rate_limited: when a retry may succeed (0: not said)

  static Error make(ErrorCode code, std::string message, std::string field = {}) {
    return Error{code, std::move(message), std::move(field), {}};
  }
  Error because(std::string stable_reason) && {
    reason = std::move(stable_reason);
    return std::move(*this);
  }
  Error retry_after(std::int64_t seconds) && {
    retry_after_seconds = seconds;
    return std::move(*this);
  }
};

// A value or an Error. Deliberately small: the project targets C++20, which has no
// std::expected.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation with no value.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace touchline
