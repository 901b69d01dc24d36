#include "touchline/api/server_log.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "touchline/projections/audit_projection.h"

namespace touchline::api {

std::string_view log_level(std::string_view message) {
  if (message.starts_with("WARNING: ")) return "warning";
  if (message.starts_with("internal error: ")) return "error";
  return "info";
}

std::string format_message(LogFormat format, std::int64_t now_ms, std::string_view message) {
  if (format == LogFormat::text) return "touchlined: " + std::string(message);
  return nlohmann::ordered_json{{"time", projections::iso8601_utc(now_ms)},
                        {"level", log_level(message)},
                        {"message", message}}
      .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string format_request(LogFormat format, std::int64_t now_ms, const RequestLog& r) {
  // Three decimals: a microsecond is as fine as the clock's reading is worth here.
  const double latency = static_cast<double>(static_cast<std::int64_t>(r.latency_ms * 1000 + 0.5)) / 1000;
  if (format == LogFormat::text) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", latency);
    return "touchlined: " + r.method + " " + r.route + " " + std::to_string(r.status) + " " + ms +
           " ms request_id=" + r.request_id + " from " + r.remote_address;
  }
  return nlohmann::ordered_json{{"time", projections::iso8601_utc(now_ms)},
                        {"level", r.status >= 500 ? "error" : "info"},
                        {"message", "request"},
                        {"request_id", r.request_id},
                        {"method", r.method},
                        {"route", r.route},
                        {"status", r.status},
                        {"latency_ms", latency},
                        {"remote_address", r.remote_address}}
      .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace touchline::api
