// A small blocking HTTP/1.1 client for tests, over real loopback TCP. Beast is confined to
// http_client.cc. Every call has a generous deadline (30 s) so that a broken server fails a test
// instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace touchline::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The body parsed as JSON; throws nlohmann::json::parse_error when it is not JSON.
  nlohmann::json json() const;
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, std::string host = "127.0.0.1");

  // One request on a fresh connection (simple and robust for tests). Throws std::runtime_error
  // on a connection failure (cannot connect, or no complete response comes back). A request
  // with a body gets Content-Type: application/json unless the headers give one.
  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});
  HttpResult get(const std::string& target, const std::map<std::string, std::string>& headers = {});
  HttpResult post(const std::string& target, const std::string& body,
                  const std::map<std::string, std::string>& headers = {});

  // Sends raw bytes on a fresh connection and returns whatever response comes back (for
  // malformed-HTTP tests). status is 0 when the server answers nothing parseable before it
  // closes the connection. Throws std::runtime_error only when it cannot connect.
  HttpResult raw(const std::string& bytes);

 private:
  std::uint16_t port_;
  std::string host_;
};

// One persistent connection, for keep-alive and connection-lifetime tests: several requests in
// turn on the same TCP connection, raw bytes, and waiting for the server to close it.
class HttpConnection {
 public:
  // Connects; throws std::runtime_error when it cannot.
  explicit HttpConnection(std::uint16_t port, std::string host = "127.0.0.1");
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends a request and reads its response on this connection. Throws std::runtime_error when
  // the connection fails or closes before a complete response.
  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});

  // Writes bytes as they are. Throws std::runtime_error when the write fails.
  void send_raw(const std::string& bytes);

  // Reads the next response (e.g. to requests written with send_raw, pipelined or not). Throws
  // std::runtime_error when the connection fails or closes before a complete response.
  HttpResult read_response();

  // Waits up to `timeout` for the server to close the connection (end of stream or reset);
  // true when it did. Any bytes the server sends meanwhile are discarded. On false the connection
  // is closed by the client and no longer usable.
  bool wait_closed(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace touchline::testing
