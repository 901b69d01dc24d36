// Beast's client side, for tests only. Each blocking call starts one asynchronous Beast operation
// on a private io_context and runs it to completion, so that beast::tcp_stream's deadline applies:
// a server that never answers fails the call after kDeadline instead of hanging the test.
#include "support/http_client.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <stdexcept>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace touchline::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::chrono::seconds kDeadline{30};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

using Response = http::response<http::string_body>;
using ResponseParser = http::response_parser<http::string_body>;

HttpResult to_result(Response& res) {
  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    auto [it, inserted] = out.headers.emplace(lower(field.name_string()), std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  out.body = std::move(res.body());
  return out;
}

// One TCP connection and the io_context that drives it.
class Connection {
 public:
  Connection(const std::string& host, std::uint16_t port) : where_(host + ":" + std::to_string(port)) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) throw std::runtime_error("cannot resolve " + where_ + ": " + ec.message());
    stream_.expires_after(kDeadline);
    stream_.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run();
    if (ec) throw std::runtime_error("cannot connect to " + where_ + ": " + ec.message());
  }

  const std::string& where() const { return where_; }

  beast::error_code write(http::request<http::string_body>& req) {
    beast::error_code ec;
    stream_.expires_after(kDeadline);
    http::async_write(stream_, req, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    return ec;
  }

  beast::error_code write(const std::string& bytes) {
    beast::error_code ec;
    stream_.expires_after(kDeadline);
    asio::async_write(stream_, asio::buffer(bytes), [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    return ec;
  }

  beast::error_code read(ResponseParser& parser) {
    beast::error_code ec;
    parser.body_limit((std::numeric_limits<std::uint64_t>::max)());
    stream_.expires_after(kDeadline);
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    return ec;
  }

  // Reads and discards until the peer closes (true) or the timeout passes (false).
  bool wait_closed(std::chrono::milliseconds timeout) {
    buffer_.clear();
    stream_.expires_after(timeout);
    std::array<char, 4096> sink{};
    for (;;) {
      beast::error_code ec;
      stream_.async_read_some(asio::buffer(sink), [&](beast::error_code e, std::size_t) { ec = e; });
      run();
      if (ec == beast::error::timeout) return false;
      if (ec) return true;  // end of stream, reset, ...
    }
  }

  HttpResult exchange(const std::string& method, const std::string& target, const std::string& body,
                      const std::map<std::string, std::string>& headers, const std::string& host_header) {
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, host_header);
    req.set(http::field::user_agent, "touchline-tests");
    bool has_content_type = false;
    for (const auto& [name, value] : headers) {
      if (lower(name) == "content-type") has_content_type = true;
      req.set(name, value);
    }
    if (!body.empty() && !has_content_type) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();

    // A server may answer early (e.g. 413) and stop reading: a failed write still gets a read.
    const auto write_ec = write(req);
    return read_response(method + " " + target + ": " +
                             (write_ec ? "write: " + write_ec.message() + ", " : std::string{}),
                         method == "HEAD");
  }

  // `head`: the response answers a HEAD request, so it has no body whatever its Content-Length.
  HttpResult read_response(const std::string& context = {}, bool head = false) {
    ResponseParser parser;
    parser.skip(head);
    if (const auto ec = read(parser)) {
      throw std::runtime_error("no response from " + where_ + ": " + context + "read: " + ec.message());
    }
    return to_result(parser.get());
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  std::string where_;
  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
};

}  // namespace

nlohmann::json HttpResult::json() const { return nlohmann::json::parse(body); }

HttpClient::HttpClient(std::uint16_t port, std::string host) : port_(port), host_(std::move(host)) {}

HttpResult HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  Connection conn(host_, port_);
  return conn.exchange(method, target, body, headers, host_ + ":" + std::to_string(port_));
}

HttpResult HttpClient::get(const std::string& target, const std::map<std::string, std::string>& headers) {
  return request("GET", target, "", headers);
}

HttpResult HttpClient::post(const std::string& target, const std::string& body,
                            const std::map<std::string, std::string>& headers) {
  return request("POST", target, body, headers);
}

HttpResult HttpClient::raw(const std::string& bytes) {
  Connection conn(host_, port_);
  (void)conn.write(bytes);  // the answer, if any, is what counts
  ResponseParser parser;
  const auto ec = conn.read(parser);
  if (!ec || parser.is_header_done()) return to_result(parser.get());
  return HttpResult{};
}

struct HttpConnection::Impl {
  Impl(const std::string& host, std::uint16_t port)
      : conn(host, port), host_header(host + ":" + std::to_string(port)) {}
  Connection conn;
  std::string host_header;
};

HttpConnection::HttpConnection(std::uint16_t port, std::string host)
    : impl_(std::make_unique<Impl>(host, port)) {}

HttpConnection::~HttpConnection() = default;

HttpResult HttpConnection::request(const std::string& method, const std::string& target, const std::string& body,
                                   const std::map<std::string, std::string>& headers) {
  return impl_->conn.exchange(method, target, body, headers, impl_->host_header);
}

void HttpConnection::send_raw(const std::string& bytes) {
  if (auto ec = impl_->conn.write(bytes)) {
    throw std::runtime_error("cannot write to " + impl_->conn.where() + ": " + ec.message());
  }
}

HttpResult HttpConnection::read_response() { return impl_->conn.read_response(); }

bool HttpConnection::wait_closed(std::chrono::milliseconds timeout) { return impl_->conn.wait_closed(timeout); }

}  // namespace touchline::testing
