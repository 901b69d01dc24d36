// Internal to the HTTP layer's endpoint files (api.cc, organization_reads.cc): rendering JSON and
// reading query parameters and command requests.
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "touchline/api/api.h"
#include "touchline/api/commands.h"
#include "touchline/api/commands/body.h"
#include "touchline/domain/times.h"
#include "touchline/api/ids.h"
#include "touchline/events/json_text.h"
#include "touchline/projections/audit_projection.h"

namespace touchline::api::endpoints {

using nlohmann::json;

inline HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

// A JSON answer whose text is written already (see append_json_string).
inline HttpResponse json_text_response(int status, std::string text) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(text);
  return r;
}

inline Error invalid(std::string message, std::string field = {}) {
  return Error::make(ErrorCode::invalid_argument, std::move(message), std::move(field));
}

// An unsigned integer query or body parameter; `fallback` when absent.
inline Result<std::uint64_t> parse_count(const std::map<std::string, std::string>& query,
                                  const std::string& name, std::uint64_t fallback) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return fallback;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc{} || end != it->second.data() + it->second.size()) {
    return invalid(name + " must be a non-negative integer", name);
  }
  return v;
}

// A read's min_position, at_position and at_time (ReadAt), from its query string or body: at most
// one of them.
inline std::optional<Error> one_read_time(const ReadAt& at) {
  const int given = (at.min_position != 0) + at.at_position.has_value() + at.at_time.has_value();
  if (given <= 1) return std::nullopt;
  return invalid("give one of min_position (a read now), at_position and at_time (a read of the past)",
                 at.at_position ? "at_position" : "at_time");
}

inline Result<ReadAt> read_at(const std::map<std::string, std::string>& query) {
  ReadAt at;
  auto min = parse_count(query, "min_position", 0);
  if (!min.ok()) return min.error();
  at.min_position = *min;
  if (auto it = query.find("at_position"); it != query.end() && !it->second.empty()) {
    auto position = parse_count(query, "at_position", 0);
    if (!position.ok()) return position.error();
    at.at_position = *position;
  }
  if (auto it = query.find("at_time"); it != query.end() && !it->second.empty()) {
    at.at_time = domain::parse_time(it->second);
    if (!at.at_time) {
      return invalid("at_time must be Unix milliseconds or an RFC 3339 UTC time (2026-03-03T12:00:00Z)", "at_time");
    }
  }
  if (auto err = one_read_time(at)) return *err;
  return at;
}

// The same from a body; problems are the body's (finish() reports them), then one_read_time's.
inline ReadAt read_at(commands::Body& body) {
  ReadAt at;
  at.min_position = body.optional_position("min_position");
  at.at_position = body.maybe_position("at_position");
  at.at_time = body.maybe_time("at_time");
  return at;
}

// invalid_argument for at_position or at_time on a read that only answers now.
inline std::optional<Error> live_only(const std::map<std::string, std::string>& query) {
  for (const char* name : {"at_position", "at_time"}) {
    // An empty value is no value, as read_at takes it.
    if (auto it = query.find(name); it != query.end() && !it->second.empty()) {
      return invalid(std::string("this read answers only now: it takes no ") + name, name);
    }
  }
  return std::nullopt;
}

// ?wait= of a long poll: 0 (answer at once) to `max` seconds.
inline Result<std::chrono::seconds> parse_wait(const std::map<std::string, std::string>& query,
                                              std::chrono::seconds max) {
  auto wait = parse_count(query, "wait", 0);
  if (!wait.ok()) return wait.error();
  if (*wait > static_cast<std::uint64_t>(max.count())) {
    return invalid("wait must be at most " + std::to_string(max.count()) + " seconds", "wait");
  }
  return std::chrono::seconds(*wait);
}

// The audit log's filters: category (one of audit_categories()), actor, subject, since, until.
inline Result<projections::AuditFilter> parse_audit_filter(const std::map<std::string, std::string>& query) {
  projections::AuditFilter filter;
  if (auto it = query.find("category"); it != query.end()) {
    const auto& known = projections::audit_categories();
    if (std::find(known.begin(), known.end(), it->second) == known.end()) {
      std::string valid;
      for (const auto& c : known) valid += (valid.empty() ? "" : ", ") + c;
      return invalid("category must be one of " + valid, "category");
    }
    filter.categories.insert(it->second);
  }
  for (auto [field, name] : {std::pair{&filter.actor, "actor"}, std::pair{&filter.subject, "subject"},
                             std::pair{&filter.since, "since"}, std::pair{&filter.until, "until"}}) {
    if (auto it = query.find(name); it != query.end()) *field = it->second;
  }
  return filter;
}

inline Result<json> parse_json_object(const std::string& body) {
  auto j = parse_json(body);
  if (!j) return invalid("the request body is not valid JSON");
  if (!j->is_object()) return invalid("the request body must be a JSON object");
  return std::move(*j);
}

inline std::string string_field(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// A command's body and the client's headers for it (the body may be empty: {}).
inline std::optional<Error> read_command(const HttpRequest& req, CommandRequest& cmd) {
  auto body = parse_json_object(req.body.empty() ? std::string("{}") : req.body);
  if (!body.ok()) return body.error();
  cmd.body = std::move(*body);
  cmd.correlation_id = req.header("x-correlation-id");
  cmd.idempotency_key = req.header("idempotency-key");
  for (auto [value, name] : {std::pair{&cmd.correlation_id, "X-Correlation-Id"},
                             std::pair{&cmd.idempotency_key, "Idempotency-Key"}}) {
    if (!value->empty() && !is_valid_client_token(*value)) {
      return invalid(std::string(name) + " must be 1 to 200 printable ASCII characters", name);
    }
  }
  return std::nullopt;
}

}  // namespace touchline::api::endpoints
