// The server's own log: what touchlined writes to stderr, one line per message or answered
// request, as text for a person or as JSON for a log pipeline (--log-format; docs/OPERATIONS.md,
// "Logs"). Pure formatting: the caller writes the lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace touchline::api {

enum class LogFormat { text, json };

// One answered request, for the access log.
struct RequestLog {
  std::string request_id;  // the client's X-Request-Id, or one made up for it
  std::string method;
  std::string route;       // the pattern matched ("/v1/organizations/{organization_id}"), or "unmatched"
  int status = 0;
  double latency_ms = 0;   // from the request read to its answer handed to the connection
  std::string remote_address;
};

// A message's level, read from how the service words it: "WARNING: ..." is a warning, "internal
// error: ..." an error, anything else info.
std::string_view log_level(std::string_view message);

// One line, without its newline. Text: "touchlined: <message>". JSON: {"time", "level",
// "message"}, the time in RFC 3339 UTC with milliseconds.
std::string format_message(LogFormat format, std::int64_t now_ms, std::string_view message);

// One line, without its newline. Text: "touchlined: POST /v1/check 200 0.412 ms request_id=...
// from 127.0.0.1". JSON: {"time", "level": "info" (5xx: "error"), "message": "request",
// "request_id", "method", "route", "status", "latency_ms", "remote_address"}.
std::string format_request(LogFormat format, std::int64_t now_ms, const RequestLog& r);

}  // namespace touchline::api
