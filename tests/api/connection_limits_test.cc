// HttpServer's connection limits over real loopback sockets: idle connections cannot use up the
// server's file descriptors, nor one client address take all of them.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "support/http_client.h"
#include "touchline/api/http_server.h"

namespace touchline::api {
namespace connection_limits_test {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpConnection;

void ok(HttpRequest, Responder respond) { respond(HttpResponse{}); }

HttpResponse error_response(int status, std::string detail) {
  HttpResponse res;
  res.status = status;
  res.body = detail;
  return res;
}

std::unique_ptr<HttpServer> start_server(std::size_t max_connections, std::size_t per_address) {
  HttpServerOptions o;
  o.port = 0;
  o.threads = 2;
  o.max_connections = max_connections;
  o.max_connections_per_address = per_address;
  auto server = std::make_unique<HttpServer>(o, ok, error_response);
  auto st = server->start();
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  return server;
}

void expect_refused(std::uint16_t port) {
  HttpConnection refused(port);
  auto r = refused.read_response();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers["retry-after"], "1");
  EXPECT_TRUE(refused.wait_closed(5s));
}

// Waits until a new connection is served again (the server notices a closed one when its read
// ends); false after 5 s.
bool served_again(std::uint16_t port) {
  for (int i = 0; i < 100; ++i) {
    if (HttpClient(port).get("/again").status == 200) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(ConnectionLimits, AConnectionOverTheLimitIsAnswered503AndClosed) {
  auto server = start_server(2, 100);
  std::optional<HttpConnection> first(std::in_place, server->port());
  HttpConnection second(server->port());
  ASSERT_EQ(first->request("GET", "/first").status, 200);  // both accepted and counted
  ASSERT_EQ(second.request("GET", "/second").status, 200);

  expect_refused(server->port());
  EXPECT_EQ(second.request("GET", "/still").status, 200);  // the open ones are untouched

  first.reset();  // one closes: there is room again
  EXPECT_TRUE(served_again(server->port()));
}

TEST(ConnectionLimits, OneAddressHasALimitOfItsOwn) {
  auto server = start_server(100, 1);
  std::optional<HttpConnection> held(std::in_place, server->port());
  ASSERT_EQ(held->request("GET", "/held").status, 200);
  expect_refused(server->port());
  held.reset();
  EXPECT_TRUE(served_again(server->port()));
}

}  // namespace connection_limits_test
}  // namespace touchline::api
