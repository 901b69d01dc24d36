// GET /metrics' text (render_metrics), the request counters behind it (RequestMetrics) and the
// server's log lines (server_log.h), as plain functions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "touchline/api/metrics.h"
#include "touchline/api/router.h"
#include "touchline/api/server_log.h"

namespace touchline::api {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

std::size_t route_index(std::string_view method, std::string_view target) {
  auto m = route(method, target);
  EXPECT_EQ(m.outcome, RouteMatch::Outcome::matched) << target;
  return m.route_index;
}

TEST(RenderMetrics, WritesEachFamilyWithHelpTypeAndSamples) {
  MetricsSnapshot m;
  m.requests.push_back({"POST", "/v1/check", "200", 12});
  m.commands[{"AddMember", "ok"}] = 3;
  m.commands[{"AddMember", "permission_denied"}] = 1;
  m.log_position = 100;
  m.projection_positions = {{"permissions", 100}, {"audit", 97}};
  m.cache_hits = 5;
  const std::string text = render_metrics(m);
  EXPECT_TRUE(has_line(text, "# HELP touchline_http_requests_total HTTP requests answered, by method, route and status."));
  EXPECT_TRUE(has_line(text, "# TYPE touchline_http_requests_total counter"));
  EXPECT_TRUE(has_line(text, R"(touchline_http_requests_total{method="POST",route="/v1/check",status="200"} 12)"));
  EXPECT_TRUE(has_line(text, R"(touchline_commands_total{command="AddMember",outcome="ok"} 3)"));
  EXPECT_TRUE(has_line(text, R"(touchline_commands_total{command="AddMember",outcome="permission_denied"} 1)"));
  EXPECT_TRUE(has_line(text, "touchline_log_position 100"));
  EXPECT_TRUE(has_line(text, R"(touchline_projection_lag_events{projection="permissions"} 0)"));
  EXPECT_TRUE(has_line(text, R"(touchline_projection_lag_events{projection="audit"} 3)"));
  EXPECT_TRUE(has_line(text, "touchline_write_cache_hits_total 5"));
  EXPECT_TRUE(has_line(text, "# TYPE touchline_store_batch_write_seconds histogram"));
  EXPECT_EQ(text.back(), '\n');
}

TEST(RenderMetrics, GivesHistogramsCumulativeBucketsEndingInInf) {
  MetricsSnapshot m;
  m.latencies.push_back({"GET", "/healthz", {{0.001, 0.01}, {2, 0, 1}, 0.5}});
  const std::string text = render_metrics(m);
  const std::string family = "touchline_http_request_duration_seconds";
  EXPECT_TRUE(has_line(text, family + R"(_bucket{method="GET",route="/healthz",le="0.001"} 2)"));
  EXPECT_TRUE(has_line(text, family + R"(_bucket{method="GET",route="/healthz",le="0.01"} 2)"));
  EXPECT_TRUE(has_line(text, family + R"(_bucket{method="GET",route="/healthz",le="+Inf"} 3)"));
  EXPECT_TRUE(has_line(text, family + R"(_sum{method="GET",route="/healthz"} 0.5)"));
  EXPECT_TRUE(has_line(text, family + R"(_count{method="GET",route="/healthz"} 3)"));
}

TEST(RenderMetrics, EscapesLabelValues) {
  MetricsSnapshot m;
  m.commands[{"A\"B\\C\nD", "ok"}] = 1;
  EXPECT_TRUE(has_line(render_metrics(m), R"(touchline_commands_total{command="A\"B\\C\nD",outcome="ok"} 1)"));
}

TEST(RequestMetrics, CountsByRouteAndStatusWithLatencies) {
  RequestMetrics metrics;
  const auto check = route_index("POST", "/v1/check");
  metrics.record(check, 200, std::chrono::microseconds(300));
  metrics.record(check, 200, std::chrono::milliseconds(3));
  metrics.record(check, 429, std::chrono::microseconds(50));
  metrics.record(check, 418, std::chrono::microseconds(50));  // not one the service answers
  metrics.record(routes().size(), 404, std::chrono::microseconds(10));
  metrics.command("AddMember", "ok");
  metrics.command("AddMember", "ok");
  MetricsSnapshot m;
  metrics.read(m);
  auto count = [&](const std::string& route, const std::string& status) -> std::uint64_t {
    for (const auto& r : m.requests) {
      if (r.route == route && r.status == status) return r.count;
    }
    return 0;
  };
  EXPECT_EQ(count("/v1/check", "200"), 2u);
  EXPECT_EQ(count("/v1/check", "429"), 1u);
  EXPECT_EQ(count("/v1/check", "other"), 1u);
  EXPECT_EQ(count("unmatched", "404"), 1u);
  ASSERT_EQ(m.latencies.size(), 2u) << "routes never asked for have no histogram";
  const auto& latency = m.latencies[0].route == "/v1/check" ? m.latencies[0].seconds : m.latencies[1].seconds;
  std::uint64_t total = 0;
  for (auto c : latency.counts) total += c;
  EXPECT_EQ(total, 4u);
  EXPECT_NEAR(latency.sum, 0.0034, 1e-9);
  EXPECT_EQ((m.commands[{"AddMember", "ok"}]), 2u);
}

TEST(ServerLog, TextLinesAreWhatTheyWere) {
  EXPECT_EQ(format_message(LogFormat::text, 0, "stopped"), "touchlined: stopped");
  RequestLog r{"abc123", "POST", "/v1/check", 200, 0.41249, "127.0.0.1"};
  EXPECT_EQ(format_request(LogFormat::text, 0, r), "touchlined: POST /v1/check 200 0.412 ms request_id=abc123 from 127.0.0.1");
}

TEST(ServerLog, JsonLinesAreOneObjectWithTimeLevelAndMessage) {
  const std::int64_t t = 1796135368612;  // 2026-12-01T14:29:28.612Z
  auto line = nlohmann::json::parse(format_message(LogFormat::json, t, "WARNING: relaxed durability"));
  EXPECT_EQ(line["time"], "2026-12-01T14:29:28.612Z");
  EXPECT_EQ(line["level"], "warning");
  EXPECT_EQ(line["message"], "WARNING: relaxed durability");
  EXPECT_EQ(nlohmann::json::parse(format_message(LogFormat::json, t, "internal error: disk"))["level"], "error");
  EXPECT_EQ(nlohmann::json::parse(format_message(LogFormat::json, t, "stopped"))["level"], "info");

  auto request = nlohmann::json::parse(format_request(LogFormat::json, t, {"id-1", "GET", "/healthz", 503, 1.23456, "::1"}));
  EXPECT_EQ(request, (nlohmann::json{{"time", "2026-12-01T14:29:28.612Z"}, {"level", "error"}, {"message", "request"},
                                     {"request_id", "id-1"}, {"method", "GET"}, {"route", "/healthz"}, {"status", 503},
                                     {"latency_ms", 1.235}, {"remote_address", "::1"}}));
  const std::string raw = format_message(LogFormat::json, t, "line\nbreak \xff");
  EXPECT_EQ(raw.find('\n'), std::string::npos) << "one line, whatever the message holds";
}

}  // namespace
}  // namespace touchline::api
