// Touchline's HTTP/1.1 server: a Boost.Beast listener and one session per connection on a small
// thread pool, each connection served by one of its threads throughout. It knows nothing of
// Touchline's routes: every request goes to the handler it was constructed with, which answers
// through a callback, possibly later and from another thread (e.g. after a group-committed
// append). Beast is confined to http_server.cc so its templates compile once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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

// The body of a response written piece by piece as it comes, for as long as the connection
// lasts (Server-Sent Events). The server writes the head, then asks for the pieces one at a time.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Asks for the next piece: call `next` exactly once, from any thread, with the bytes to write,
  // or with nullopt to end the response. Called on the connection's thread: first once the head
  // is written, then each time the previous piece has been. Never called again once the client
  // has gone or the server stops; the stream is then let go (a `next` still held does nothing).
  virtual void pull(std::function<void(std::optional<std::string>)> next) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // When set, the body comes from the stream instead (chunked; the connection closes after it,
  // and the server's stop() closes it at once rather than wait for its end).
  std::shared_ptr<BodyStream> stream;
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
  // Pool threads, each with an io_context of its own; connections are dealt to them in turn.
  int threads = 4;
  std::size_t body_limit = 64 * 1024;
  std::chrono::seconds read_timeout{30};  // for a request's body, once its header is in
  // For a request's header, and so for an idle kept-alive connection (and never more than
  // read_timeout): a
  // client that connects and sends nothing, or a header a byte at a time, holds a connection
  // this long, not the whole read_timeout.
  std::chrono::milliseconds header_timeout{10000};
  // Open connections at most, in all and from one client address. A connection beyond either is
  // answered 503 with Retry-After and closed at once, so that idle connections can neither use up
  // the file descriptors (after which nobody could connect) nor be one client's to hoard.
  std::size_t max_connections = 10000;
  std::size_t max_connections_per_address = 256;
  // How long stop() waits for requests already handed to the handler to be answered before it
  // closes their connections anyway (see HttpServer::stop). Zero: no wait.
  std::chrono::milliseconds drain_timeout{5000};
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

  // Client connections open now, and those refused so far for being over a connection limit.
  // Thread-safe.
  std::size_t open_connections() const;
  std::uint64_t refused_connections() const;

  // Runs fn on the server's thread pool: for handlers that continue work off a callback thread.
  // Called on a pool thread, fn runs later on that same thread; from elsewhere, on the pool's
  // threads in turn. Returns false, and runs nothing, once the server has stopped.
  bool post(std::function<void()> fn);

  // Runs fn on the pool after `delay` (on the calling pool thread, as post() does), unless the
  // server stops first.
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn);

  // Stops the server, draining the requests in flight:
  //  1. The listening socket closes: no new connections.
  //  2. Every connection without a request in flight closes at once: one idle between keep-alive
  //     requests, or one still reading a request the handler has not been given (that request is
  //     never handed to the handler; no further request is read on any connection).
  //  3. A request is in flight once the handler has been called with it (or the server began
  //     writing its own 400/413 answer to it), until its response has been written. Each such
  //     request is allowed to finish: its response, whenever the responder brings it, is written
  //     with `Connection: close` and the connection is then closed. post() and post_after() keep
  //     running work meanwhile, so responders completed through them still answer.
  //  4. Once no request is in flight, or options.drain_timeout after stop() began, every
  //     connection still open is closed (an unanswered request then gets no answer; its responder
  //     may still be called, harmlessly), pending post_after() work is cancelled and later post(),
  //     post_after() and responder calls do nothing; then stop() waits for the pool threads.
  // So stop() returns once every request in flight has been answered or drain_timeout passed,
  // plus the time for work already running on the pool to return.
  // Called from a pool thread (e.g. by a handler), stop() cannot wait: it does steps 1-3 and
  // returns; step 4 happens on the pool when the drain ends, and the threads then finish on their
  // own. Idempotent: a later or concurrent call from outside the pool (the destructor's too)
  // returns once the drain is over and the pool threads are joined, whoever began the stop; one
  // from a pool thread returns at once.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace touchline::api
