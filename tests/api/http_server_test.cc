// HttpServer over real loopback TCP: routing to the handler, asynchronous answers, keep-alive,
// the server's own 400/413 answers, concurrency, timeouts, and stopping with its drain.
#include "touchline/api/http_server.h"

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/http_client.h"

namespace touchline::api {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::HttpClient;
using testing::HttpConnection;

// Echoes the request as JSON, with an extra header.
void echo(HttpRequest req, Responder respond) {
  HttpResponse res;
  res.body = json{{"method", req.method},
                  {"target", req.target},
                  {"body", req.body},
                  {"x_test", req.header("x-test")},
                  {"remote", req.remote_address}}
                 .dump();
  res.headers.emplace_back("X-Echo", "yes");
  respond(std::move(res));
}

HttpResponse error_response(int status, std::string detail) {
  HttpResponse res;
  res.status = status;
  res.content_type = "application/problem+json";
  res.body = json{{"status", status}, {"detail", detail}}.dump();
  return res;
}

HttpServerOptions test_options() {
  HttpServerOptions o;
  o.port = 0;
  o.threads = 4;
  return o;
}

// A started server on a free port; fails the test when it cannot start.
std::unique_ptr<HttpServer> start_server(HttpServerOptions options, Handler handler) {
  auto server = std::make_unique<HttpServer>(std::move(options), std::move(handler), error_response);
  auto st = server->start();
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  EXPECT_NE(server->port(), 0);
  return server;
}

TEST(HttpServer, PassesTheRequestToTheHandlerAndWritesItsAnswer) {
  auto server = start_server(test_options(), echo);
  HttpClient client(server->port());

  auto r = client.post("/things?x=1", R"({"a":1})", {{"X-Test", "hello"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["server"], "touchline");
  EXPECT_EQ(r.headers["x-echo"], "yes");
  EXPECT_EQ(r.headers["content-length"], std::to_string(r.body.size()));
  auto body = r.json();
  EXPECT_EQ(body["method"], "POST");
  EXPECT_EQ(body["target"], "/things?x=1");
  EXPECT_EQ(body["body"], R"({"a":1})");
  EXPECT_EQ(body["x_test"], "hello");
  EXPECT_EQ(body["remote"], "127.0.0.1");

  auto g = client.get("/other");
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.json()["method"], "GET");
  EXPECT_EQ(g.json()["body"], "");
}

TEST(HttpServer, WritesTheStatusContentTypeAndHeadersTheHandlerChose) {
  auto server = start_server(test_options(), [](HttpRequest, Responder respond) {
    HttpResponse res;
    res.status = 201;
    res.content_type = "text/plain";
    res.body = "created";
    res.headers = {{"Location", "/things/1"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}};
    respond(std::move(res));
  });
  auto r = HttpClient(server->port()).post("/things", "x");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.headers["content-type"], "text/plain");
  EXPECT_EQ(r.headers["location"], "/things/1");
  EXPECT_EQ(r.headers["set-cookie"], "a=1, b=2");
  EXPECT_EQ(r.body, "created");
}

TEST(HttpServer, AnswersHeadWithTheLengthButNoBodyAnd204WithNeither) {
  auto server = start_server(test_options(), [](HttpRequest req, Responder respond) {
    HttpResponse res;
    if (req.target == "/empty") {
      res.status = 204;
      res.body = "ignored";
    } else {
      res.body = "twelve bytes";
    }
    respond(std::move(res));
  });
  HttpConnection conn(server->port());
  auto head = conn.request("HEAD", "/thing");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-length"], "12");
  EXPECT_EQ(head.body, "");
  auto empty = conn.request("DELETE", "/empty");
  EXPECT_EQ(empty.status, 204);
  EXPECT_EQ(empty.headers.count("content-length"), 0u);
  EXPECT_EQ(empty.body, "");
  auto get = conn.request("GET", "/thing");  // the connection is still in step
  EXPECT_EQ(get.body, "twelve bytes");
}

TEST(HttpServer, ClosesAnHttp10ConnectionAfterTheAnswer) {
  auto server = start_server(test_options(), echo);
  HttpConnection conn(server->port());
  conn.send_raw("GET /old HTTP/1.0\r\n\r\n");
  auto r = conn.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["target"], "/old");
  EXPECT_TRUE(conn.wait_closed(10s));
}

TEST(HttpServer, AnswersLaterFromAnotherThread) {
  std::mutex mu;
  std::vector<std::thread> workers;
  auto server = start_server(test_options(), [&](HttpRequest req, Responder respond) {
    std::lock_guard lock(mu);
    workers.emplace_back([req = std::move(req), respond = std::move(respond)] {
      std::this_thread::sleep_for(50ms);
      HttpResponse res;
      res.body = json{{"late", req.target}}.dump();
      respond(std::move(res));
    });
  });
  HttpClient client(server->port());
  for (int i = 0; i < 3; ++i) {
    auto r = client.get("/late/" + std::to_string(i));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["late"], "/late/" + std::to_string(i));
  }
  std::lock_guard lock(mu);
  for (auto& t : workers) t.join();
}

TEST(HttpServer, KeepsTheConnectionAliveBetweenRequests) {
  auto server = start_server(test_options(), echo);
  HttpConnection conn(server->port());
  auto first = conn.request("GET", "/one");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.json()["target"], "/one");
  EXPECT_NE(first.headers["connection"], "close");
  auto second = conn.request("POST", "/two", "2");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.json()["target"], "/two");

  // Two pipelined requests in one write are answered in order, on the same connection.
  conn.send_raw("GET /three HTTP/1.1\r\nHost: x\r\n\r\nGET /four HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(conn.read_response().json()["target"], "/three");
  EXPECT_EQ(conn.read_response().json()["target"], "/four");
  EXPECT_EQ(conn.request("GET", "/five").json()["target"], "/five");
}

TEST(HttpServer, ClosesTheConnectionWhenTheClientAsks) {
  auto server = start_server(test_options(), echo);
  HttpConnection conn(server->port());
  auto r = conn.request("GET", "/bye", "", {{"Connection", "close"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(conn.wait_closed(10s));
}

TEST(HttpServer, AnswersAnOversizedBody413WithoutCallingTheHandler) {
  auto options = test_options();
  options.body_limit = 1024;
  std::atomic<int> calls{0};
  auto server = start_server(options, [&](HttpRequest req, Responder respond) {
    ++calls;
    echo(std::move(req), std::move(respond));
  });
  HttpClient client(server->port());

  auto small = client.post("/small", std::string(1024, 'a'));
  EXPECT_EQ(small.status, 200);
  EXPECT_EQ(calls.load(), 1);

  auto r = client.post("/big", std::string(4096, 'a'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_EQ(r.json()["status"], 413);
  EXPECT_EQ(calls.load(), 1);

  // Also when the body comes in chunks, without a Content-Length up front.
  HttpConnection conn(server->port());
  conn.send_raw("POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                std::string(0x800, 'b') + "\r\n0\r\n\r\n");
  auto chunked = conn.read_response();
  EXPECT_EQ(chunked.status, 413);
  EXPECT_EQ(chunked.json()["status"], 413);
  EXPECT_TRUE(conn.wait_closed(10s));
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServer, AnswersAMuchLargerBody413Too) {
  std::atomic<int> calls{0};
  auto server = start_server(test_options(), [&](HttpRequest req, Responder respond) {
    ++calls;
    echo(std::move(req), std::move(respond));
  });
  // 4 MiB against the default 64 KiB limit: the client is still writing when the answer comes.
  auto r = HttpClient(server->port()).post("/huge", std::string(4 * 1024 * 1024, 'h'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServer, AnswersMalformedHttp400WithoutCallingTheHandler) {
  std::atomic<int> calls{0};
  auto server = start_server(test_options(), [&](HttpRequest req, Responder respond) {
    ++calls;
    echo(std::move(req), std::move(respond));
  });
  HttpClient client(server->port());
  auto r = client.raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_EQ(r.json()["status"], 400);

  auto bad_header = client.raw("GET / HTTP/1.1\r\nHost x\r\n\r\n");
  EXPECT_EQ(bad_header.status, 400);
  EXPECT_EQ(calls.load(), 0);

  // The server still serves well-formed requests.
  EXPECT_EQ(client.get("/fine").status, 200);
}

TEST(HttpServer, ServesManyConcurrentClients) {
  auto server = start_server(test_options(), echo);
  constexpr int kClients = 32;
  constexpr int kRequests = 20;
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpClient client(server->port());
      for (int i = 0; i < kRequests; ++i) {
        const std::string body = "client " + std::to_string(c) + " request " + std::to_string(i);
        try {
          auto r = client.post("/c/" + std::to_string(c), body, {{"X-Test", std::to_string(i)}});
          auto j = r.json();
          if (r.status == 200 && j["body"] == body && j["x_test"] == std::to_string(i) &&
              j["target"] == "/c/" + std::to_string(c)) {
            ++good;
          }
        } catch (const std::exception& e) {
          ADD_FAILURE() << "client " << c << " request " << i << ": " << e.what();
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good.load(), kClients * kRequests);
}

TEST(HttpServer, DisconnectsAClientThatSendsNothing) {
  auto options = test_options();
  options.read_timeout = 1s;
  auto server = start_server(options, echo);
  HttpConnection idle(server->port());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.wait_closed(10s));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 500ms);  // by the timeout, not at once

  // A half-sent request is cut off the same way.
  HttpConnection slow(server->port());
  slow.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n");
  EXPECT_TRUE(slow.wait_closed(10s));
}

// A client gets header_timeout to send a whole header, then read_timeout for the body: a header
// trickled in is cut off early, a body that takes longer than the header timeout is not.
TEST(HttpServer, AHeaderHasAShorterTimeoutThanABody) {
  auto options = test_options();
  options.read_timeout = 10s;
  options.header_timeout = 300ms;
  auto server = start_server(options, echo);

  HttpConnection trickle(server->port());
  const auto started = std::chrono::steady_clock::now();
  trickle.send_raw("GET /trickle HTTP/1.1\r\n");
  EXPECT_TRUE(trickle.wait_closed(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // by the header timeout, not the read timeout

  HttpConnection slow_body(server->port());
  slow_body.send_raw("POST /slow-body HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab");
  std::this_thread::sleep_for(800ms);  // past the header timeout, well within the read timeout
  slow_body.send_raw("cd");
  auto r = slow_body.read_response();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["body"], "abcd");
}

TEST(HttpServer, StopClosesOpenConnectionsAndJoins) {
  auto server = start_server(test_options(), echo);
  HttpConnection idle(server->port());
  HttpConnection used(server->port());
  EXPECT_EQ(used.request("GET", "/x").status, 200);

  const auto started = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_TRUE(idle.wait_closed(5s));
  EXPECT_TRUE(used.wait_closed(5s));
  server->stop();  // idempotent
  EXPECT_THROW(HttpClient(server->port()).get("/after"), std::runtime_error);
}

TEST(HttpServer, AResponderCalledAfterStopIsHarmless) {
  std::promise<Responder> held;
  auto held_future = held.get_future();
  auto options = test_options();
  options.drain_timeout = 100ms;  // the request is never answered: stop() gives up on it
  auto server = start_server(options, [&](HttpRequest, Responder respond) { held.set_value(respond); });
  std::thread client([port = server->port()] {
    EXPECT_THROW(HttpClient(port).get("/never-answered"), std::runtime_error);
  });
  Responder respond = held_future.get();
  server->stop();
  client.join();
  respond(HttpResponse{});  // after stop
  server.reset();
  respond(HttpResponse{});  // after the server is gone; also a second call
  respond = nullptr;        // the last reference to the connection goes here
}

TEST(HttpServer, StopLetsARequestInFlightFinishThenCloses) {
  std::promise<void> received;
  std::atomic<bool> answered{false};
  std::jthread worker;  // joined however the test ends
  auto server = start_server(test_options(), [&](HttpRequest req, Responder respond) {
    worker = std::jthread([&answered, req = std::move(req), respond = std::move(respond)] {
      std::this_thread::sleep_for(300ms);  // e.g. waiting for a group-committed fsync
      HttpResponse res;
      res.status = 201;
      res.body = json{{"done", req.target}}.dump();
      answered = true;
      respond(std::move(res));
    });
    received.set_value();
  });
  // Keep-alive by default: the drain is what turns this connection's last answer into a close.
  HttpConnection conn(server->port());
  auto answer = std::async(std::launch::async, [&conn] { return conn.request("POST", "/slow", "{}"); });
  ASSERT_EQ(received.get_future().wait_for(10s), std::future_status::ready);
  std::this_thread::sleep_for(50ms);

  const auto started = std::chrono::steady_clock::now();
  server->stop();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(answered.load());  // stop() waited for the answer
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 10s);

  ASSERT_EQ(answer.wait_for(10s), std::future_status::ready);
  auto r = answer.get();
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.json()["done"], "/slow");
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(conn.wait_closed(5s));
  EXPECT_THROW(HttpClient(server->port()).get("/after"), std::runtime_error);
}

TEST(HttpServer, StopClosesARequestNeverAnsweredAfterTheDrainTimeout) {
  auto options = test_options();
  options.drain_timeout = 500ms;
  std::promise<Responder> held;
  auto held_future = held.get_future();
  auto server = start_server(options, [&](HttpRequest, Responder respond) { held.set_value(respond); });
  HttpConnection conn(server->port());
  conn.send_raw("GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(held_future.wait_for(10s), std::future_status::ready);
  Responder respond = held_future.get();

  const auto started = std::chrono::steady_clock::now();
  server->stop();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 400ms);  // it did wait for the answer
  EXPECT_LT(took, 10s);
  EXPECT_THROW(conn.read_response(), std::runtime_error);  // closed without an answer
  respond(HttpResponse{});  // too late: harmless
}

TEST(HttpServer, StopDoesNotWaitForIdleOrHalfReadConnections) {
  auto options = test_options();
  options.drain_timeout = 5s;
  std::atomic<int> calls{0};
  auto server = start_server(options, [&](HttpRequest req, Responder respond) {
    ++calls;
    echo(std::move(req), std::move(respond));
  });
  HttpConnection idle(server->port());  // answered once, now waiting for its next request
  EXPECT_EQ(idle.request("GET", "/x").status, 200);
  HttpConnection half(server->port());  // a request the handler never sees
  half.send_raw("POST /half HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  HttpConnection fresh(server->port());  // connected, nothing sent

  const auto started = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, options.drain_timeout);
  EXPECT_TRUE(idle.wait_closed(5s));
  EXPECT_TRUE(half.wait_closed(5s));
  EXPECT_TRUE(fresh.wait_closed(5s));
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServer, PostAndPostAfterStillRunDuringTheDrain) {
  HttpServer* server_ptr = nullptr;
  std::promise<void> received;
  auto server = start_server(test_options(), [&](HttpRequest req, Responder respond) {
    // Answer through post_after, then post, as the API does while it waits for a position.
    server_ptr->post_after(200ms, [server_ptr, req = std::move(req), respond = std::move(respond)]() mutable {
      server_ptr->post([req = std::move(req), respond = std::move(respond)] {
        HttpResponse res;
        res.body = json{{"posted", req.target}}.dump();
        respond(std::move(res));
      });
    });
    received.set_value();
  });
  server_ptr = server.get();
  auto answer = std::async(std::launch::async, [port = server->port()] { return HttpClient(port).get("/p"); });
  ASSERT_EQ(received.get_future().wait_for(10s), std::future_status::ready);
  server->stop();
  ASSERT_EQ(answer.wait_for(10s), std::future_status::ready);
  auto r = answer.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["posted"], "/p");
  EXPECT_EQ(r.headers["connection"], "close");
}

// With one thread, stop() on the only pool thread must not wait for the pool; with three, the
// slow request and the one stopping the server are on different threads, and the slow one's
// thread must keep running until its answer is written.
void a_handler_stops_the_server(int threads) {
  auto options = test_options();
  options.threads = threads;
  HttpServer* server_ptr = nullptr;
  std::promise<void> slow_received;
  std::atomic<bool> slow_answered{false};
  std::jthread worker;  // joined however the test ends
  auto server = start_server(options, [&](HttpRequest req, Responder respond) {
    if (req.target == "/slow") {
      worker = std::jthread([&slow_answered, respond = std::move(respond)] {
        std::this_thread::sleep_for(300ms);
        slow_answered = true;
        HttpResponse res;
        res.body = R"({"slow":true})";
        respond(std::move(res));
      });
      slow_received.set_value();
      return;
    }
    server_ptr->stop();
    server_ptr->stop();  // idempotent here too
    HttpResponse res;
    res.body = R"({"stopping":true})";
    respond(std::move(res));
  });
  server_ptr = server.get();
  HttpConnection idle(server->port());
  auto slow = std::async(std::launch::async, [port = server->port()] { return HttpClient(port).get("/slow"); });
  ASSERT_EQ(slow_received.get_future().wait_for(10s), std::future_status::ready);

  auto r = HttpClient(server->port()).post("/shutdown", "{}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["stopping"], true);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(idle.wait_closed(10s));

  // From outside the pool, stop() waits for the drain the handler began, then joins the pool.
  server->stop();
  EXPECT_TRUE(slow_answered.load());
  ASSERT_EQ(slow.wait_for(10s), std::future_status::ready);
  auto s = slow.get();
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.json()["slow"], true);
  EXPECT_EQ(s.headers["connection"], "close");
  server.reset();
}

TEST(HttpServer, AHandlerCanStopTheServerAndStillAnswer) {
  for (int threads : {1, 3}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    a_handler_stops_the_server(threads);
  }
}

TEST(HttpServer, AnswersCallingTheResponderTwiceOnce) {
  auto server = start_server(test_options(), [](HttpRequest, Responder respond) {
    HttpResponse first;
    first.body = R"({"n":1})";
    respond(first);
    HttpResponse second;
    second.body = R"({"n":2})";
    respond(second);
  });
  HttpConnection conn(server->port());
  EXPECT_EQ(conn.request("GET", "/a").json()["n"], 1);
  EXPECT_EQ(conn.request("GET", "/b").json()["n"], 1);
}

TEST(HttpServer, AnswersAThrowingHandler500) {
  auto server = start_server(test_options(), [](HttpRequest, Responder) -> void {
    throw std::runtime_error("boom");
  });
  auto r = HttpClient(server->port()).get("/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.json()["status"], 500);
}

TEST(HttpServer, StartFailsWhenThePortIsTaken) {
  auto first = start_server(test_options(), echo);
  auto options = test_options();
  options.port = first->port();
  HttpServer second(options, echo, error_response);
  auto st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::internal);
  EXPECT_FALSE(st.error().message.empty());
  second.stop();
  // The first server is unaffected.
  EXPECT_EQ(HttpClient(first->port()).get("/still").status, 200);
}

TEST(HttpServer, PostAndPostAfterRunOnThePool) {
  auto server = start_server(test_options(), echo);
  std::promise<std::thread::id> posted;
  EXPECT_TRUE(server->post([&] { posted.set_value(std::this_thread::get_id()); }));
  auto posted_future = posted.get_future();
  ASSERT_EQ(posted_future.wait_for(10s), std::future_status::ready);
  EXPECT_NE(posted_future.get(), std::this_thread::get_id());

  std::promise<void> later;
  const auto started = std::chrono::steady_clock::now();
  server->post_after(100ms, [&] { later.set_value(); });
  auto later_future = later.get_future();
  ASSERT_EQ(later_future.wait_for(10s), std::future_status::ready);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 90ms);
}

// Connections are dealt to the threads in turn, and each stays on its thread: three threads,
// three connections, three threads answering, each connection always by the same one.
TEST(HttpServer, EachConnectionIsServedByOneThreadAndTheThreadsShareThem) {
  auto options = test_options();
  options.threads = 3;
  std::mutex mu;
  std::map<std::string, std::set<std::thread::id>> threads_of;  // by connection name
  auto server = start_server(options, [&](HttpRequest req, Responder respond) {
    {
      std::lock_guard lock(mu);
      threads_of[req.target].insert(std::this_thread::get_id());
    }
    respond(HttpResponse{});
  });
  std::vector<std::unique_ptr<HttpConnection>> connections;
  for (int c = 0; c < 3; ++c) connections.push_back(std::make_unique<HttpConnection>(server->port()));
  for (int round = 0; round < 5; ++round) {
    for (int c = 0; c < 3; ++c) {
      ASSERT_EQ(connections[c]->request("GET", "/c" + std::to_string(c)).status, 200);
    }
  }
  std::set<std::thread::id> all;
  for (const auto& [name, ids] : threads_of) {
    EXPECT_EQ(ids.size(), 1u) << name << " was served by more than one thread";
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(threads_of.size(), 3u);
  EXPECT_EQ(all.size(), 3u) << "the three connections did not go to three threads";
}

// A handler's post() runs later on the handler's own thread: no other thread is woken for it.
TEST(HttpServer, WorkPostedFromAPoolThreadRunsOnThatThread) {
  auto options = test_options();
  options.threads = 3;
  HttpServer* server_ptr = nullptr;
  std::atomic<int> same{0}, other{0};
  auto server = start_server(options, [&](HttpRequest, Responder respond) {
    const auto handler_thread = std::this_thread::get_id();
    server_ptr->post([&, handler_thread, respond = std::move(respond)] {
      ++(std::this_thread::get_id() == handler_thread ? same : other);
      respond(HttpResponse{});
    });
  });
  server_ptr = server.get();
  HttpConnection connection(server->port());  // one connection: its requests on one thread
  for (int i = 0; i < 6; ++i) EXPECT_EQ(connection.request("GET", "/p").status, 200);
  EXPECT_EQ(same.load(), 6);
  EXPECT_EQ(other.load(), 0);
}

TEST(HttpServer, StopCancelsPendingPostAfter) {
  auto server = start_server(test_options(), echo);
  std::atomic<bool> ran{false};
  server->post_after(1h, [&] { ran = true; });
  const auto started = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_FALSE(ran.load());
  EXPECT_FALSE(server->post([&] { ran = true; }));  // after stop: refused
  server->post_after(1ms, [&] { ran = true; });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(ran.load());

  // Work given to a server that never starts is dropped with it (and leaks nothing).
  HttpServer never_started(test_options(), echo, error_response);
  never_started.post([&] { ran = true; });
  never_started.post_after(1ms, [&] { ran = true; });
  never_started.stop();
  EXPECT_FALSE(ran.load());
}

}  // namespace
}  // namespace touchline::api
