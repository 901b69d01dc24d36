// The touchline tool as a client of a running touchlined (`touchline --server URL ...`): one
// blocking HTTP/1.1 request per call, on a fresh connection, as zed and fga talk to their servers.
// Beast is confined to remote.cc.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "touchline/events/result.h"

namespace touchline::tools {

struct ServerAddress {
  std::string host;
  std::string port;
};

// "http://HOST[:PORT]" (PORT 80 when absent; a trailing slash allowed) as an address; an Error
// (invalid_argument, field "server") for anything else, https included: touchlined speaks plain
// HTTP, behind a TLS-terminating proxy when it leaves the machine.
Result<ServerAddress> parse_server_url(std::string_view url);

struct Answer {
  int status = 0;
  std::string body;
  std::string request_id;  // the answer's X-Request-Id
};

class Remote {
 public:
  // `token` goes out as `Authorization: Bearer` on every request when not empty. `timeout` bounds
  // each request from connect to the answer's last byte.
  Remote(ServerAddress address, std::string token, std::chrono::seconds timeout);

  // The server's answer, whatever its status. An Error (unavailable) when the server cannot be
  // reached or the connection fails or times out before a whole answer. Not thread-safe.
  Result<Answer> get(const std::string& target) const;
  Result<Answer> post(const std::string& target, const std::string& json_body) const;

  const ServerAddress& address() const { return address_; }

 private:
  Result<Answer> request(bool post, const std::string& target, const std::string& body) const;

  ServerAddress address_;
  std::string token_;
  std::chrono::seconds timeout_;
};

}  // namespace touchline::tools
