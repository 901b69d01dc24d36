// Touchline's HTTP/1.1 server: a Boost.Beast listener and one session per connection, each on
// its own strand, on a small thread pool. It knows nothing of Touchline's routes: every request
// goes to the handler it was constructed with, which answers through a callback, possibly later
// and from another thread (e.g. after a group-committed append). Beast is confined to
// http_server.cc so its templates compile once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "touchline/events/result.h"

namespace touchline::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query, as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote_address;  // the peer's IP address

  // The header's value, or empty when absent.
  std::string header(const std::string& lower_case_name) const {
    auto it = headers.find(lower_case_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

using Responder = std::function<void(HttpResponse)>;
// Must call the responder exactly once, from any thread.
using Handler = std::function<void(HttpRequest, Responder)>;
// Builds the response for a request the server rejects before the handler sees it (body too
// large: 413; malformed HTTP: 400), from the status and a one-line detail.
using ErrorResponder = std::function<HttpResponse(int status, std::string detail)>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: pick a free port (see HttpServer::port)
  int threads = 4;
  std::size_t body_limit = 64 * 1024;
  std::chrono::seconds read_timeout{30};  // per request, headers and body
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler, ErrorResponder error_responder);
  ~HttpServer();  // calls stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens, then runs the thread pool. Returns internal with the reason when the
  // address cannot be bound. Call once.
  Status start();

  // The port actually bound (useful with port 0). Valid after a successful start().
  std::uint16_t port() const;

  // Runs fn on the server's thread pool: for handlers that continue work off a callback thread.
  void post(std::function<void()> fn);

  // Runs fn on the pool after `delay`, unless the server stops first.
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn);

  // Stops accepting, closes open connections, waits for the pool threads. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace touchline::api
