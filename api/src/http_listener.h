// Internal to http_server.cc: the listener, which accepts connections and launches a Session
// for each (http_connection.h).
#pragma once

#include "http_connection.h"

namespace touchline::api::http_detail {

// Accepts connections (on the first io_context) and launches a Session for each, the io_contexts
// taking new connections in turn.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  explicit Listener(std::shared_ptr<Shared> shared)
      : shared_(std::move(shared)), acceptor_(shared_->contexts.front()->get_executor()), retry_(executor_) {}

  Status listen(const std::string& address, std::uint16_t port) {
    beast::error_code ec;
    auto ip = asio::ip::make_address(address, ec);
    if (ec) return fail("cannot parse the address " + address, ec);
    tcp::endpoint endpoint{ip, port};
    const std::string where = address + ":" + std::to_string(port);
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) return fail("cannot open a socket for " + where, ec);
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return fail("cannot set SO_REUSEADDR for " + where, ec);
    acceptor_.bind(endpoint, ec);
    if (ec) return fail("cannot bind " + where, ec);
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail("cannot listen on " + where, ec);
    port_ = acceptor_.local_endpoint(ec).port();
    if (ec) return fail("cannot read the bound port of " + where, ec);
    return ok_status();
  }

  std::uint16_t port() const { return port_; }
  const Executor& executor() { return executor_; }

  void run() {
    asio::dispatch(acceptor_.get_executor(), beast::bind_front_handler(&Listener::do_accept, shared_from_this()));
  }

  // Posted onto the acceptor's thread by HttpServer::stop().
  void close() {
    beast::error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  }

 private:
  Status fail(const std::string& what, const beast::error_code& ec) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return Error::make(ErrorCode::internal, what + ": " + ec.message());
  }

  void do_accept() {
    if (shared_->stopping || !acceptor_.is_open()) return;
    acceptor_.async_accept(shared_->context_for_connection(),
                           beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, Socket socket) {
    if (ec == asio::error::operation_aborted || shared_->stopping || !acceptor_.is_open()) return;
    if (ec) {
      // E.g. out of file descriptors: try again shortly rather than spin or stop accepting.
      std::cerr << "touchline http: accept failed: " << ec.message() << "\n";
      retry_.expires_after(std::chrono::milliseconds(50));
      retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->do_accept();
      });
      return;
    }
    beast::error_code remote_ec;
    const auto remote = socket.remote_endpoint(remote_ec);
    const std::string address = remote_ec ? std::string() : remote.address().to_string();
    std::shared_ptr<Session> session;
    bool over_limit = false;
    {
      std::lock_guard lock(shared_->mu);
      if (shared_->stopping) return;  // the socket closes as it goes out of scope
      auto& from_address = shared_->connections_from[address];
      over_limit = shared_->sessions.size() >= shared_->options.max_connections ||
                   from_address >= shared_->options.max_connections_per_address;
      if (!over_limit) {
        ++from_address;
        const auto id = shared_->next_id++;
        session = std::make_shared<Session>(std::move(socket), shared_, id, address);
        shared_->sessions.emplace(id, session);
      } else if (from_address == 0) {
        shared_->connections_from.erase(address);
      }
    }
    if (over_limit) {
      shared_->refused_connections.fetch_add(1, std::memory_order_relaxed);
      refuse(std::move(socket));
    } else {
      session->run();
    }
    do_accept();
  }

  // A connection over the limits: one short answer, written without waiting (it fits in any
  // socket buffer), then closed. Nothing of the client's is read.
  static void refuse(Socket socket) {
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
        "Content-Type: text/plain\r\nContent-Length: 22\r\n\r\ntoo many connections\r\n";
    beast::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  std::shared_ptr<Shared> shared_;
  Acceptor acceptor_;
  Executor executor_ = acceptor_.get_executor();
  asio::steady_timer retry_;
  std::uint16_t port_ = 0;
};

}  // namespace touchline::api::http_detail
