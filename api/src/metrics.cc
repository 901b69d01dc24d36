#include "touchline/api/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "touchline/api/router.h"

namespace touchline::api {
namespace {

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// A sample value: integers as integers, the rest with enough digits to read back.
std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void sample(std::string_view name, const std::vector<std::pair<std::string, std::string>>& labels, double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) out_ += ',';
        out_ += labels[i].first + "=\"" + escape_label(labels[i].second) + '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }

  // A family of one unlabelled sample.
  void single(std::string_view name, std::string_view type, double value, std::string_view help) {
    family(name, type, help);
    sample(name, {}, value);
  }

  // A histogram's samples from non-cumulative counts.
  void histogram(std::string_view name, std::vector<std::pair<std::string, std::string>> labels,
                 const HistogramCounts& h) {
    std::uint64_t cumulative = 0;
    labels.emplace_back("le", "");
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
      cumulative += h.counts[i];
      labels.back().second = i < h.bounds.size() ? number(h.bounds[i]) : "+Inf";
      sample(std::string(name) + "_bucket", labels, static_cast<double>(cumulative));
    }
    labels.pop_back();
    sample(std::string(name) + "_sum", labels, h.sum);
    sample(std::string(name) + "_count", labels, static_cast<double>(cumulative));
  }

 private:
  std::string& out_;
};

template <typename Bounds, typename Counts>
HistogramCounts histogram_of(const Bounds& bounds, const Counts& counts, double sum) {
  return {std::vector<double>(bounds.begin(), bounds.end()), std::vector<std::uint64_t>(counts.begin(), counts.end()),
          sum};
}

}  // namespace

std::string render_metrics(const MetricsSnapshot& m) {
  std::string out;
  Writer w(out);
  const auto d = [](std::uint64_t v) { return static_cast<double>(v); };

  w.family("touchline_http_requests_total", "counter", "HTTP requests answered, by method, route and status.");
  for (const auto& r : m.requests) {
    w.sample("touchline_http_requests_total", {{"method", r.method}, {"route", r.route}, {"status", r.status}}, d(r.count));
  }
  w.family("touchline_http_request_duration_seconds", "histogram",
           "Time from a request read to its answer handed to the connection, by method and route.");
  for (const auto& r : m.latencies) {
    w.histogram("touchline_http_request_duration_seconds", {{"method", r.method}, {"route", r.route}}, r.seconds);
  }
  w.single("touchline_http_open_connections", "gauge", d(m.open_connections), "Client connections open now.");
  w.single("touchline_http_refused_connections_total", "counter", d(m.refused_connections),
           "Connections over a connection limit, answered 503 and closed.");

  w.family("touchline_commands_total", "counter", "Commands answered, by name and outcome (ok, or the error code).");
  for (const auto& [key, count] : m.commands) {
    w.sample("touchline_commands_total", {{"command", key.first}, {"outcome", key.second}}, d(count));
  }

  w.single("touchline_log_position", "gauge", d(m.log_position),
           "The event log's head: the position of its last event.");
  w.family("touchline_projection_position", "gauge", "The last log position each projection has folded.");
  for (const auto& [name, position] : m.projection_positions) {
    w.sample("touchline_projection_position", {{"projection", name}}, d(position));
  }
  w.family("touchline_projection_lag_events", "gauge", "Events in the log a projection has not folded yet.");
  for (const auto& [name, position] : m.projection_positions) {
    w.sample("touchline_projection_lag_events", {{"projection", name}},
             d(m.log_position > position ? m.log_position - position : 0));
  }

  w.single("touchline_store_batches_total", "counter", d(m.writes.groups),
           "Batches the log's writer wrote, one synced write each.");
  w.single("touchline_store_appends_total", "counter", d(m.writes.requests),
           "Append requests written (a command's events are one).");
  w.single("touchline_store_events_total", "counter", d(m.writes.events),
           "Events appended to the log since the server started.");
  w.single("touchline_store_failed_writes_total", "counter", d(m.writes.failed_writes),
           "Batches the storage failed to write (after one, the log refuses appends).");
  w.family("touchline_store_batch_write_seconds", "histogram",
           "A batch's write and sync, the time every append in it waited for the disk.");
  w.histogram("touchline_store_batch_write_seconds", {},
              histogram_of(store::WriteStats::kWriteSecondsBounds, m.writes.write_seconds, m.writes.write_seconds_sum));
  w.family("touchline_store_batch_appends", "histogram", "Append requests per batch (group commit).");
  w.histogram("touchline_store_batch_appends", {},
              histogram_of(store::WriteStats::kGroupSizeBounds, m.writes.group_size, d(m.writes.requests)));

  w.single("touchline_write_cache_hits_total", "counter", d(m.cache_hits),
           "Aggregate reads the write side answered from memory.");
  w.single("touchline_write_cache_loads_total", "counter", d(m.cache_loads),
           "Aggregates the write side loaded from the store (a snapshot and the events after it, or all its events).");
  w.single("touchline_write_cache_snapshot_loads_total", "counter", d(m.cache_snapshots_loaded),
           "Of those loads, the ones that started from a snapshot.");
  w.single("touchline_write_cache_evictions_total", "counter", d(m.cache_evictions),
           "Aggregates let go to keep the cache within its budget.");
  w.single("touchline_write_cache_entries", "gauge", d(m.cache_entries), "Aggregates the write side holds in memory.");
  w.single("touchline_write_cache_bytes", "gauge", d(m.cache_bytes),
           "The estimate of their size the cache's budget is held to.");

  w.single("touchline_start_time_seconds", "gauge", m.start_time_seconds, "When the server started, in Unix seconds.");
  return out;
}

RequestMetrics::RequestMetrics()
    : route_count_(routes().size()), routes_(std::make_unique<PerRoute[]>(route_count_ + 1)) {}

void RequestMetrics::record(std::size_t route, int status, std::chrono::nanoseconds latency) noexcept {
  PerRoute& r = routes_[std::min(route, route_count_)];
  const auto s = std::find(kStatuses.begin(), kStatuses.end(), status) - kStatuses.begin();
  r.by_status[static_cast<std::size_t>(s)].fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(latency).count();
  const auto b = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds) - kLatencyBounds.begin();
  r.latency[static_cast<std::size_t>(b)].fetch_add(1, std::memory_order_relaxed);
  r.latency_nanos.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
}

void RequestMetrics::command(const std::string& name, std::string_view outcome) {
  std::lock_guard lock(commands_mu_);
  ++commands_[{name, std::string(outcome)}];
}

void RequestMetrics::read(MetricsSnapshot& m) const {
  const auto all = routes();
  for (std::size_t i = 0; i <= route_count_; ++i) {
    const PerRoute& r = routes_[i];
    const std::string method = i < route_count_ ? std::string(all[i].method) : "any";
    const std::string route = i < route_count_ ? std::string(all[i].path) : "unmatched";
    std::uint64_t answered = 0;
    for (std::size_t s = 0; s <= kStatuses.size(); ++s) {
      const auto n = r.by_status[s].load(std::memory_order_relaxed);
      answered += n;
      if (n > 0) m.requests.push_back({method, route, s < kStatuses.size() ? std::to_string(kStatuses[s]) : "other", n});
    }
    if (answered == 0) continue;  // a route never asked for has no histogram to show
    RouteLatency latency{method, route, {}};
    latency.seconds.bounds.assign(kLatencyBounds.begin(), kLatencyBounds.end());
    for (const auto& c : r.latency) latency.seconds.counts.push_back(c.load(std::memory_order_relaxed));
    latency.seconds.sum = static_cast<double>(r.latency_nanos.load(std::memory_order_relaxed)) / 1e9;
    m.latencies.push_back(std::move(latency));
  }
  std::lock_guard lock(commands_mu_);
  m.commands = commands_;
}

}  // namespace touchline::api
