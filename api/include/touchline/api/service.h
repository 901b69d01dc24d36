// The whole Touchline server in one object: the event store, both projections and their
// runners, the command service and the HTTP server, wired together. touchlined's main() is this
// plus configuration and signal handling; the HTTP tests start it in-process on port 0.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "touchline/api/http_server.h"
#include "touchline/api/password_hasher.h"
#include "touchline/api/rate_limiter.h"
#include "touchline/api/server_log.h"
#include "touchline/events/result.h"

namespace touchline::api {

struct ServiceConfig {
  std::string data_dir;              // RocksDB directory; created if missing
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;         // 0: any free port
  int threads = 2;  // HTTP worker threads (touchlined: the number of cores, at least 2)
  std::string operator_token;        // empty: GET /v1/events is closed
  std::chrono::seconds token_ttl{12 * 3600};
  bool sync = true;                  // false loses acknowledged writes on power loss: benchmarks only
  std::size_t body_limit = 64 * 1024;
  // Open connections at most, in all and from one client address (see HttpServerOptions).
  std::size_t max_connections = 10000;
  std::size_t max_connections_per_address = 256;
  std::chrono::milliseconds max_position_wait{2000};
  // The longest a long poll (?wait=) may ask to wait.
  std::chrono::seconds max_poll_wait{60};
  // The memory the write side may keep aggregates in (an estimate; least recently used out).
  std::size_t aggregate_cache_bytes = 256u << 20;
  // Password hashing (sign-in, sign-up) runs on its own threads, behind a bounded queue: a
  // flood of them waits there (503 once the queue is full) instead of on the HTTP threads.
  PasswordHasherOptions password_hashing;
  LimitSettings limits;  // per client address, account and member (rate_limiter.h)
  std::function<void(const std::string&)> log;  // one line per notable event
  std::function<void(const RequestLog&)> request_log;  // once per answered request; empty: none
  // Unix milliseconds now, for event times, token and invite expiry; empty: the system clock.
  std::function<std::int64_t()> clock;
};

class Service {
 public:
  Service();
  ~Service();  // calls stop()

  // Opens the store, starts the projections (they catch up from their checkpoints) and the HTTP
  // server. Returns the store's or the server's error (data directory locked, port in use).
  Status start(const ServiceConfig& config);

  std::uint16_t port() const;  // the bound port, after start()

  // Answers one request exactly as a request read from a connection would be answered, without
  // the socket: for the in-process HTTP fuzz target. After a successful start(); thread-safe.
  void handle(HttpRequest request, Responder respond);

  // Stops the HTTP server, the password hasher, the projection runners and the store's writer,
  // in that order, each waiting for its threads. Idempotent.
  void stop();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace touchline::api
