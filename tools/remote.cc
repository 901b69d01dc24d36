// Each request runs Beast's asynchronous operations on a private io_context to completion, so that
// beast::tcp_stream's deadline bounds it: a server that stops answering fails the call after the
// timeout instead of hanging the tool.
#include "remote.h"

#include <cctype>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace touchline::tools {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A whole audit page or a 1,000-item batch of checks fits many times over.
constexpr std::uint64_t kAnswerLimit = 64 * 1024 * 1024;

Error bad_url(std::string_view url, std::string_view why) {
  return Error::make(ErrorCode::invalid_argument,
                     "--server must be http://HOST[:PORT], not '" + std::string(url) + "': " + std::string(why),
                     "server");
}

}  // namespace

Result<ServerAddress> parse_server_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) return bad_url(url, "it must start with http://");
  std::string_view rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return bad_url(url, "it takes no path");
  ServerAddress out{std::string(rest), "80"};
  // A bracketed IPv6 literal keeps its colons: [::1]:8080.
  const auto bracket = rest.rfind(']');
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    out.host = std::string(rest.substr(0, colon));
    out.port = std::string(rest.substr(colon + 1));
    if (out.port.empty() || out.port.size() > 5) return bad_url(url, "the port must be 1 to 65535");
    for (char c : out.port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return bad_url(url, "the port must be 1 to 65535");
    }
    if (const int port = std::stoi(out.port); port < 1 || port > 65535) {
      return bad_url(url, "the port must be 1 to 65535");
    }
  }
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty()) return bad_url(url, "it names no host");
  return out;
}

Remote::Remote(ServerAddress address, std::string token, std::chrono::seconds timeout)
    : address_(std::move(address)), token_(std::move(token)), timeout_(timeout) {}

Result<Answer> Remote::get(const std::string& target) const { return request(false, target, ""); }

Result<Answer> Remote::post(const std::string& target, const std::string& json_body) const {
  return request(true, target, json_body);
}

Result<Answer> Remote::request(bool post, const std::string& target, const std::string& body) const {
  const std::string where = "http://" + address_.host + ":" + address_.port;
  const auto failed = [&](std::string_view step, const beast::error_code& ec) -> Result<Answer> {
    return Error::make(ErrorCode::unavailable, std::string(step) + " " + where + ": " + ec.message());
  };
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;

  tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(address_.host, address_.port, ec);
  if (ec) return failed("cannot resolve", ec);
  stream.expires_after(timeout_);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  ioc.run();
  if (ec) return failed("cannot connect to", ec);

  http::request<http::string_body> req{post ? http::verb::post : http::verb::get, target, 11};
  req.set(http::field::host, address_.host);
  req.set(http::field::user_agent, "touchline");
  if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
  if (post) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  ioc.restart();
  http::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
  ioc.run();
  if (ec) return failed("cannot send to", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kAnswerLimit);
  ioc.restart();
  http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
  ioc.run();
  if (ec) return failed("no whole answer from", ec);

  auto& res = parser.get();
  Answer out;
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  if (auto id = res.find("X-Request-Id"); id != res.end()) out.request_id = std::string(id->value());
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

}  // namespace touchline::tools
