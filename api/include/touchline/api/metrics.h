// What GET /metrics reports, in the Prometheus text format (docs/OPERATIONS.md, "Metrics").
// RequestMetrics counts as requests are answered (lock-free on the hot path); the rest is read
// from the components that own it when a scrape asks, and rendered by render_metrics, a pure
// function.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "touchline/store/event_store.h"

namespace touchline::api {

// A histogram's counts, not cumulative: counts[i] observations at most bounds[i], the last one
// above every bound.
struct HistogramCounts {
  std::vector<double> bounds;
  std::vector<std::uint64_t> counts;  // bounds.size() + 1 of them
  double sum = 0;
};

struct RouteStatusCount {
  std::string method, route;  // the route's pattern, "/v1/organizations/{organization_id}"; "unmatched"
  std::string status;  // "200", ...; "other" for a status not counted apart
  std::uint64_t count = 0;
};

struct RouteLatency {
  std::string method, route;
  HistogramCounts seconds;
};

// Everything one scrape reports, gathered at one moment.
struct MetricsSnapshot {
  std::vector<RouteStatusCount> requests;
  std::vector<RouteLatency> latencies;
  std::map<std::pair<std::string, std::string>, std::uint64_t> commands;  // (name, outcome) -> count
  std::uint64_t log_position = 0;
  std::vector<std::pair<std::string, std::uint64_t>> projection_positions;  // (name, position)
  store::WriteStats writes;
  std::uint64_t cache_hits = 0, cache_loads = 0, cache_snapshots_loaded = 0, cache_evictions = 0;
  std::uint64_t cache_entries = 0, cache_bytes = 0;
  std::uint64_t open_connections = 0;
  std::uint64_t refused_connections = 0;  // over a connection limit: answered 503 and closed
  double start_time_seconds = 0;          // Unix time the server started
};

// The text format (version 0.0.4): a HELP and a TYPE line per family, then its samples. Counters
// end in _total; histograms give cumulative _bucket samples (le, ending with +Inf), _sum and
// _count; label values are escaped. Projection lag is the log position less each projection's.
std::string render_metrics(const MetricsSnapshot& m);

// Counts requests by route and status and their latencies, and commands by name and outcome.
// Thread-safe; record() takes no lock.
class RequestMetrics {
 public:
  static constexpr std::array<double, 14> kLatencyBounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                         0.025,  0.05,    0.1,    0.25,  0.5,    1,     5};
  RequestMetrics();

  // One answered request: its route's index in routes(), or routes().size() for none matched.
  void record(std::size_t route, int status, std::chrono::nanoseconds latency) noexcept;
  // One command answered: its name, and "ok" or the error code's name.
  void command(const std::string& name, std::string_view outcome);

  // Adds the counts so far to `m` (requests, latencies, commands).
  void read(MetricsSnapshot& m) const;

 private:
  // The statuses the service answers, each counted apart; any other is counted as kOther.
  static constexpr std::array<int, 20> kStatuses{200, 201, 202, 204, 304, 400, 401, 403, 404, 405,
                                                 406, 409, 410, 413, 415, 422, 429, 500, 503, 504};
  static constexpr std::size_t kOther = kStatuses.size();
  struct PerRoute {
    std::array<std::atomic<std::uint64_t>, kStatuses.size() + 1> by_status{};
    std::array<std::atomic<std::uint64_t>, kLatencyBounds.size() + 1> latency{};
    std::atomic<std::uint64_t> latency_nanos{0};
  };
  std::size_t route_count_;
  std::unique_ptr<PerRoute[]> routes_;  // one per route, and one for requests no route matched
  mutable std::mutex commands_mu_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> commands_;
};

}  // namespace touchline::api
