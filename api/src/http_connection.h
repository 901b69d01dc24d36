// Internal to http_server.cc, the one translation unit that includes Beast's server code: the
// state the asynchronous code shares and one session per connection (the listener is in
// http_listener.h; lifetimes and stopping are described at the top of http_server.cc).
#pragma once

#include "touchline/api/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace touchline::api::http_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// After the server decides to close a connection it stops sending, then reads and discards what
// the client still sends for at most this long (and at most kLingerBytes), so that closing a
// socket with unread input does not reset the connection before the client read our answer.
constexpr std::chrono::seconds kMaxLinger{5};
constexpr std::size_t kLingerBytes = 1024 * 1024;

class Session;

// Sockets, streams and the acceptor name the io_context's executor type itself rather than Asio's
// type-erased any_io_executor, which costs a copy and a destruction of the erased executor at
// every step of every read and write.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Stream = beast::basic_stream<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;

// State shared by the server object and every asynchronous operation (see the file comment).
struct Shared {
  Shared(HttpServerOptions o, Handler h, ErrorResponder e)
      : options(std::move(o)), handler(std::move(h)), error_responder(std::move(e)) {
    const int n = std::max(1, options.threads);
    contexts.reserve(static_cast<std::size_t>(n));
    // Concurrency hint 1: each is run by one thread, so a handler it posts to itself goes on that
    // thread's own queue, with no lock and no wakeup (posts from other threads stay safe).
    for (int i = 0; i < n; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  }

  // One io_context per pool thread, each run by its own thread: a connection stays on the one it
  // was accepted onto, so its reads, its handler and its write never leave that thread, and the
  // threads never wake each other for the same request (as they did sharing one io_context).
  // Declared first so that they are destroyed last: sockets and timers below need them.
  std::vector<std::unique_ptr<asio::io_context>> contexts;

  // The io_context for a new connection: each in turn, so that connections spread evenly.
  asio::io_context& context_for_connection() {
    return *contexts[next_connection.fetch_add(1, std::memory_order_relaxed) % contexts.size()];
  }
  // The io_context for work posted or timed: the calling pool thread's own (no wakeup, no lock
  // taken by another thread), or from outside the pool each in turn.
  asio::io_context& context_for_work();
  std::atomic<std::size_t> next_connection{0};
  std::atomic<std::size_t> next_work{0};

  const HttpServerOptions options;
  const Handler handler;
  const ErrorResponder error_responder;

  std::mutex mu;
  // Both written under mu, read anywhere. stopping: stop() began; no new connection or request is
  // taken, requests in flight finish. stopped: the drain is over; nothing more runs or is written.
  std::atomic<bool> stopping{false};
  std::atomic<bool> stopped{false};
  std::size_t in_flight = 0;  // requests handed to the handler and not yet answered (see Session)
  bool finish_when_drained = false;  // a stop() on a pool thread left finish_stop() to the drain
  std::condition_variable drained;   // notified (under no lock) when in_flight drops to zero
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;                   // open connections
  std::map<std::string, std::size_t> connections_from;  // open connections by client address
  std::atomic<std::uint64_t> refused_connections{0};    // over a limit: answered 503 and closed
  std::map<std::uint64_t, std::shared_ptr<asio::steady_timer>> timers;  // pending post_after
  // One per io_context while the server runs: released by finish_stop(), at the end of the drain,
  // so that no io_context runs out of work (and its thread returns) while a request on it is
  // still owed an answer.
  std::vector<asio::executor_work_guard<Executor>> work;
};

// The server whose pool runs on this thread, if any, and this thread's io_context in it:
// stop() must not wait for the pool from it, and work it posts stays on its own io_context.
thread_local const Shared* pool_of_this_thread = nullptr;
thread_local asio::io_context* context_of_this_thread = nullptr;

inline asio::io_context& Shared::context_for_work() {
  if (pool_of_this_thread == this && context_of_this_thread) return *context_of_this_thread;
  return *contexts[next_work.fetch_add(1, std::memory_order_relaxed) % contexts.size()];
}

// ASCII lower case, as header names are compared (RFC 9110), whatever the locale.
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Header names and values never carry CR or LF into the response (no header injection).
inline std::string strip_crlf(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; }), s.end());
  return s;
}

inline HttpResponse fallback_error(int status, const std::string& detail) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = detail + "\n";
  return r;
}

//------------------------------------------------------------------------------------------------

// One connection: reads a request, hands it to the handler, writes the answer the Responder
// brings back (on the thread that runs the connection's io_context), and
// loops while the connection is kept alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // Counted in shared->connections_from[remote_address] by whoever creates it (under mu).
  Session(Socket&& socket, std::shared_ptr<Shared> shared, std::uint64_t id, std::string remote_address)
      : shared_(std::move(shared)), id_(id), stream_(std::move(socket)), remote_address_(std::move(remote_address)) {}

  ~Session() {
    {
      std::lock_guard lock(shared_->mu);
      shared_->sessions.erase(id_);
      if (auto it = shared_->connections_from.find(remote_address_);
          it != shared_->connections_from.end() && --it->second == 0) {
        shared_->connections_from.erase(it);
      }
    }
    end_response();  // a Responder dropped without answering
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run() {
    // Start on the session's own thread: the socket was accepted on the listener's.
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

  // Closes the connection at once, giving up any answer still owed. Posted onto the session's
  // thread by finish_stop().
  void close_now() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    body_stream_.reset();  // whatever it holds (a pending wait, a timer) is let go
    end_response();
  }

  // The start of the drain (posted onto the session's thread by HttpServer::stop()): a connection without a
  // request in flight closes now; one with a request finishes it (see do_write and on_write).
  void begin_drain() {
    if (!in_flight_ || streaming_) close_now();
  }

  const Executor& executor() { return executor_; }

 private:
  void do_read() {
    if (shared_->stopping) return close_now();
    // A fresh parser for every request: the body limit applies per request.
    parser_.emplace();
    parser_->body_limit(shared_->options.body_limit);
    const auto& o = shared_->options;
    stream_.expires_after(std::min<std::chrono::steady_clock::duration>(o.header_timeout, o.read_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  // The header is in: the body (if any) gets the rest of the read timeout.
  void on_header(beast::error_code ec, std::size_t bytes) {
    if (ec || parser_->is_done()) return on_read(ec, bytes);
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::end_of_stream) return do_close();  // the client closed between requests
    if (ec == beast::error::timeout) return;  // the stream closed the socket already
    if (ec == asio::error::operation_aborted) return;
    if (ec == http::error::body_limit) {
      return send_error(413, "The request body is larger than the limit of " +
                                 std::to_string(shared_->options.body_limit) + " bytes.");
    }
    if (ec == http::error::partial_message) return;  // the client went away mid-request
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category()) {
      return send_error(400, "The request is not valid HTTP/1.1 (" + ec.message() + ").");
    }
    if (ec) return;  // a socket error (reset, ...): drop the connection
    if (!begin_response()) return close_now();  // the server is stopping: the handler never sees it

    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    head_ = msg.method() == http::verb::head;

    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) {
      auto name = lower(field.name_string());
      auto [it, inserted] = req.headers.emplace(name, std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());  // repeated header: one list
    }
    req.body = std::move(msg.body());
    req.remote_address = remote_address_;
    parser_.reset();

    // The handler answers exactly once, from any thread; later calls are ignored. The responder
    // holds the session, so the write can go back onto its thread whenever it comes.
    auto called = std::make_shared<std::atomic<bool>>(false);
    Responder respond = [self = shared_from_this(), called](HttpResponse res) {
      if (called->exchange(true)) return;
      self->deliver(std::move(res));
    };
    try {
      shared_->handler(std::move(req), respond);
    } catch (const std::exception& e) {
      std::cerr << "touchline http: handler threw: " << e.what() << "\n";
      respond(make_error(500, "The server failed to handle the request."));
    } catch (...) {
      std::cerr << "touchline http: handler threw a non-standard exception\n";
      respond(make_error(500, "The server failed to handle the request."));
    }
  }

  // A request is in flight from here until its answer is written or the connection closes; once
  // the server is stopping none starts (false). On the session's thread.
  bool begin_response() {
    std::lock_guard lock(shared_->mu);
    if (shared_->stopping) return false;
    in_flight_ = true;
    ++shared_->in_flight;
    return true;
  }

  // Ends the request in flight, if any: on the session's thread, or from the destructor.
  void end_response();

  // Called by the Responder on any thread. (Writing an answer given on the connection's own
  // thread there and then, instead of posting it, was measured slower: docs/PERFORMANCE.md.)
  void deliver(HttpResponse res) {
    std::lock_guard lock(shared_->mu);
    if (shared_->stopped) return;  // the pool is gone or going: nothing will write it
    asio::post(executor_, [self = shared_from_this(), res = std::move(res)]() mutable {
      self->do_write(std::move(res));
    });
  }

  HttpResponse make_error(int status, const std::string& detail) {
    try {
      if (shared_->error_responder) return shared_->error_responder(status, detail);
    } catch (const std::exception& e) {
      std::cerr << "touchline http: error responder threw: " << e.what() << "\n";
    }
    return fallback_error(status, detail);
  }

  // Answers a request rejected before the handler saw it, then closes the connection.
  void send_error(int status, const std::string& detail) {
    if (!begin_response()) return close_now();
    close_after_ = true;
    head_ = false;
    if (version_ == 0) version_ = 11;
    do_write(make_error(status, detail));
  }

  // Writes an answer: its head and body rendered into one buffer and sent with one write. (Beast's
  // serializer would gather the same bytes from a dozen pieces, through a fields container
  // allocated per answer; for answers this small the copy is the cheaper way.)
  void do_write(HttpResponse r) {
    if (shared_->stopped) return close_now();
    if (r.stream && !head_) return do_write_stream_head(std::move(r));
    int status = r.status;
    if (status < 200 || status > 999) {
      std::cerr << "touchline http: handler answered with status " << status << "; sending 500\n";
      status = 500;
    }
    // Once the server is stopping, this is the connection's last answer.
    const bool keep_alive = keep_alive_ && !close_after_ && !shared_->stopping;
    // 204 and 304 never have a body (RFC 9110); HEAD says what a GET would carry, without it.
    const bool bodiless = status == 204 || status == 304;
    const bool send_body = !bodiless && !head_ && !r.body.empty();

    std::string content_type = strip_crlf(r.content_type);
    std::string server = "touchline";
    std::string extra;
    for (auto& [name, value] : r.headers) {
      const auto key = lower(name);
      // Framing headers are the server's; the rest is passed through (repeats allowed).
      if (key == "content-length" || key == "transfer-encoding" || key == "connection") continue;
      if (key == "content-type") {
        content_type = strip_crlf(value);
      } else if (key == "server") {
        server = strip_crlf(value);
      } else {
        extra.append(strip_crlf(name)).append(": ").append(strip_crlf(value)).append("\r\n");
      }
    }
    auto wire = std::make_shared<std::string>();
    wire->reserve(128 + extra.size() + content_type.size() + (send_body ? r.body.size() : 0));
    wire->append(version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(status)).append(" ");
    wire->append(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)))).append("\r\n");
    wire->append("Server: ").append(server).append("\r\n");
    wire->append("Content-Type: ").append(content_type).append("\r\n");
    wire->append(extra);
    if (!bodiless) wire->append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
    if (version_ == 10 && keep_alive) wire->append("Connection: keep-alive\r\n");
    if (version_ != 10 && !keep_alive) wire->append("Connection: close\r\n");
    wire->append("\r\n");
    if (send_body) wire->append(r.body);
    stream_.expires_after(shared_->options.read_timeout);  // a client that never reads is dropped
    asio::async_write(stream_, asio::buffer(*wire),
                      [self = shared_from_this(), wire, close = !keep_alive](beast::error_code ec, std::size_t n) {
                        self->on_write(close, ec, n);
                      });
  }

  // A streamed response: the head (chunked, no keep-alive), then each piece the stream gives as
  // one chunk, until it ends, the client goes or the server stops. While the stream has nothing
  // to give, the connection waits without a deadline; each write has the read timeout, so a
  // client that stops reading is dropped.
  void do_write_stream_head(HttpResponse r) {
    streaming_ = true;
    if (shared_->stopping) return close_now();
    auto head = std::make_shared<StreamHead>();
    head->res.version(version_);
    head->res.result(static_cast<unsigned>(r.status));
    head->res.set(http::field::server, "touchline");
    head->res.set(http::field::content_type, strip_crlf(r.content_type));
    for (auto& [name, value] : r.headers) {
      const auto key = lower(name);
      if (key == "content-length" || key == "transfer-encoding" || key == "connection") continue;
      head->res.set(strip_crlf(name), strip_crlf(value));
    }
    head->res.keep_alive(false);
    head->res.chunked(true);
    body_stream_ = std::move(r.stream);
    stream_.expires_after(shared_->options.read_timeout);
    http::async_write_header(stream_, head->serializer, [self = shared_from_this(), head](beast::error_code ec, std::size_t) {
      self->on_stream_written(ec);
    });
  }

  void on_stream_written(beast::error_code ec) {
    if (ec || shared_->stopping || !body_stream_) return close_now();
    stream_.expires_never();
    auto once = std::make_shared<std::atomic<bool>>(false);
    body_stream_->pull([self = shared_from_this(), once](std::optional<std::string> piece) {
      if (once->exchange(true)) return;
      std::lock_guard lock(self->shared_->mu);
      if (self->shared_->stopped) return;
      asio::post(self->executor_, [self, piece = std::move(piece)]() mutable { self->do_write_piece(std::move(piece)); });
    });
  }

  void do_write_piece(std::optional<std::string> piece) {
    if (shared_->stopping || !stream_.socket().is_open()) return close_now();
    stream_.expires_after(shared_->options.read_timeout);
    if (!piece) {
      return asio::async_write(stream_, http::make_chunk_last(),
                               [self = shared_from_this()](beast::error_code, std::size_t) { self->close_now(); });
    }
    auto bytes = std::make_shared<std::string>(std::move(*piece));
    asio::async_write(stream_, http::make_chunk(asio::buffer(*bytes)),
                      [self = shared_from_this(), bytes](beast::error_code ec, std::size_t) { self->on_stream_written(ec); });
  }

  void on_write(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    end_response();
    if (ec) return;  // the connection is gone
    // Also when the server began stopping during a keep-alive write: no further request is read.
    if (close || shared_->stopping) return do_close();
    do_read();
  }

  // Graceful close: stop sending, then drain what the client still sends until it closes (or a
  // short deadline), so our last response is not lost to a reset.
  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec || shared_->stopped) return close_now();
    stream_.expires_after(std::min<std::chrono::steady_clock::duration>(shared_->options.read_timeout, kMaxLinger));
    do_drain();
  }

  void do_drain() {
    stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kLingerBytes || self->shared_->stopped) return self->close_now();
      self->do_drain();
    });
  }

  // Declared before stream_ so that the io_context outlives the socket.
  std::shared_ptr<Shared> shared_;
  const std::uint64_t id_;
  Stream stream_;
  Executor executor_ = stream_.get_executor();
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_address_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool close_after_ = false;
  bool in_flight_ = false;  // counted in shared_->in_flight; written under shared_->mu
  bool streaming_ = false;  // the response in flight is a BodyStream's
  std::shared_ptr<BodyStream> body_stream_;
  struct StreamHead {
    http::response<http::empty_body> res;
    http::response_serializer<http::empty_body> serializer{res};
  };
  std::array<char, 4096> drain_{};
  std::size_t drained_ = 0;
};

// The end of the drain (see the file comment): marks the server stopped, closes every session on
// its thread, cancels the pending timers, then lets each io_context run out of work. Runs once;
// later calls do nothing. Called without shared.mu held, while the pool still runs.
inline void finish_stop(Shared& shared) {
  std::vector<std::shared_ptr<Session>> sessions;
  std::vector<std::shared_ptr<asio::steady_timer>> timers;
  std::vector<asio::executor_work_guard<Executor>> work;
  {
    std::lock_guard lock(shared.mu);
    if (shared.stopped) return;
    shared.stopped = true;
    for (auto& [id, weak] : shared.sessions) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
    for (auto& [id, t] : shared.timers) timers.push_back(t);
    work.swap(shared.work);
  }
  for (auto& s : sessions) {
    asio::post(s->executor(), [s] { s->close_now(); });
  }
  for (auto& t : timers) {
    asio::post(t->get_executor(), [t] { t->cancel(); });
  }
  // The closes and cancels just posted are work too: each io_context's run() returns after them.
  work.clear();
}

inline void Session::end_response() {
  bool last = false;
  bool finish = false;
  {
    std::lock_guard lock(shared_->mu);
    if (!in_flight_) return;
    in_flight_ = false;
    last = --shared_->in_flight == 0;
    finish = last && shared_->finish_when_drained;
  }
  if (!last) return;
  shared_->drained.notify_all();
  if (finish) finish_stop(*shared_);
}

}  // namespace touchline::api::http_detail
