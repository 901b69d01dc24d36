// Following the event log without polling: GET /v1/events?wait=S (a long poll) and
// GET /v1/events/stream (Server-Sent Events, resumable with Last-Event-ID), against a real server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/test_server.h"

namespace touchline::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::map<std::string, std::string> kOperator{{"Authorization", std::string("Bearer ") + kOperatorToken}};

// A connection that sends one request and then reads what comes, as it comes: for a response that
// does not end (text/event-stream).
class StreamReader {
 public:
  StreamReader(std::uint16_t port, const std::string& request) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect");
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::send(fd_, request.data(), request.size(), 0);
  }
  ~StreamReader() { ::close(fd_); }

  // Reads until `done(everything read so far)` holds, the connection closes, or `within` passes.
  // Returns whether `done` held.
  bool read_until(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (!done(text_)) {
      if (std::chrono::steady_clock::now() > deadline || closed_) return false;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) closed_ = true;
      if (n > 0) text_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  const std::string& text() const { return text_; }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  std::string text_;
  bool closed_ = false;
};

std::string stream_request(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " + kOperatorToken + "\r\n" +
         extra_headers + "\r\n";
}

// The `id:` lines of an event stream, in order.
std::vector<std::uint64_t> ids(const std::string& text) {
  std::vector<std::uint64_t> out;
  static const std::regex id_line("(^|\n)id: ([0-9]+)\n");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), id_line); it != std::sregex_iterator(); ++it) {
    out.push_back(std::stoull((*it)[2]));
  }
  return out;
}

TEST(WatchApi, ALongPollAnswersWhenTheNextEventIsAppended) {
  TestServer server;
  server.account("ada@example.com");
  const std::uint64_t head = server.head();
  auto waiting = std::async(std::launch::async, [&] {
    HttpClient client(server.port());
    const auto started = std::chrono::steady_clock::now();
    auto r = client.get("/v1/events?after=" + std::to_string(head) + "&wait=20", kOperator);
    return std::pair{r, std::chrono::steady_clock::now() - started};
  });
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(waiting.wait_for(0s), std::future_status::timeout) << "it answered before anything was appended";
  server.account("ben@example.com");
  auto [r, took] = waiting.get();
  ASSERT_EQ(r.status, 200) << r.body;
  const json page = r.json();
  ASSERT_FALSE(page["events"].empty());
  EXPECT_EQ(page["events"][0]["position"].get<std::uint64_t>(), head + 1);
  EXPECT_EQ(page["events"][0]["type"], "AccountRegistered");
  EXPECT_LT(took, 10s);
}

TEST(WatchApi, ALongPollOnAQuietLogAnswersAnEmptyPageAfterItsWait) {
  TestServer server;
  server.account("ada@example.com");
  const std::uint64_t head = server.head();
  const auto started = std::chrono::steady_clock::now();
  auto r = server.http().get("/v1/events?after=" + std::to_string(head) + "&wait=1", kOperator);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["events"].empty());
  EXPECT_EQ(r.json()["head"].get<std::uint64_t>(), head);
  EXPECT_GE(took, 900ms);
  // Behind the head, it answers at once, as without wait.
  auto behind = server.http().get("/v1/events?after=0&wait=30&limit=2", kOperator);
  ASSERT_EQ(behind.status, 200);
  EXPECT_EQ(behind.json()["events"].size(), 2u);
  EXPECT_EQ(server.http().get("/v1/events?after=0&wait=61", kOperator).status, 400);
  EXPECT_EQ(server.http().get("/v1/events?after=0&wait=1").status, 401);
}

TEST(WatchApi, TheEventStreamGivesEveryEventOnceInOrderThenFollowsTheLog) {
  TestServer server;
  server.account("ada@example.com");
  const std::uint64_t head = server.head();
  StreamReader stream(server.port(), stream_request("/v1/events/stream?after=0"));
  ASSERT_TRUE(stream.read_until([&](const std::string& t) { return !ids(t).empty() && ids(t).back() == head; }, 10s))
      << stream.text();
  EXPECT_NE(stream.text().find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(stream.text().find("text/event-stream"), std::string::npos);
  EXPECT_NE(stream.text().find("event: AccountRegistered\n"), std::string::npos);
  server.account("ben@example.com");
  const std::uint64_t later = server.head();
  ASSERT_TRUE(stream.read_until([&](const std::string& t) { return ids(t).back() == later; }, 10s)) << stream.text();
  std::vector<std::uint64_t> expected;
  for (std::uint64_t p = 1; p <= later; ++p) expected.push_back(p);
  EXPECT_EQ(ids(stream.text()), expected);
  // Each event's data is its envelope, one line of JSON.
  const auto data = stream.text().find("data: {");
  ASSERT_NE(data, std::string::npos);
  const auto line = stream.text().substr(data + 6, stream.text().find('\n', data) - data - 6);
  EXPECT_EQ(json::parse(line)["position"], 1);
}

TEST(WatchApi, AReconnectingClientResumesAfterItsLastEventId) {
  TestServer server;
  server.account("ada@example.com");
  server.account("ben@example.com");
  const std::uint64_t head = server.head();
  ASSERT_GE(head, 4u);
  // Last-Event-ID wins over ?after=, as an EventSource sends it when it reconnects.
  StreamReader stream(server.port(), stream_request("/v1/events/stream?after=0", "Last-Event-ID: 2\r\n"));
  ASSERT_TRUE(stream.read_until([&](const std::string& t) { return !ids(t).empty() && ids(t).back() == head; }, 10s))
      << stream.text();
  EXPECT_EQ(ids(stream.text()).front(), 3u);
  StreamReader bad(server.port(), stream_request("/v1/events/stream", "Last-Event-ID: two\r\n"));
  ASSERT_TRUE(bad.read_until([](const std::string& t) { return t.find("\r\n\r\n") != std::string::npos; }, 10s));
  EXPECT_NE(bad.text().find("HTTP/1.1 400"), std::string::npos) << bad.text();
  StreamReader anonymous(server.port(), "GET /v1/events/stream HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(anonymous.read_until([](const std::string& t) { return t.find("\r\n\r\n") != std::string::npos; }, 10s));
  EXPECT_NE(anonymous.text().find("HTTP/1.1 401"), std::string::npos) << anonymous.text();
}

TEST(WatchApi, StoppingTheServerEndsAStreamAtOnce) {
  TestServer server;
  server.account("ada@example.com");
  StreamReader stream(server.port(), stream_request("/v1/events/stream?after=0"));
  ASSERT_TRUE(stream.read_until([](const std::string& t) { return !ids(t).empty(); }, 10s));
  const auto started = std::chrono::steady_clock::now();
  server.stop();
  // The drain does not wait for a stream that would never end on its own (drain_timeout: 5 s).
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  stream.read_until([](const std::string&) { return false; }, 3s);
  EXPECT_TRUE(stream.closed());
}

TEST(WatchApi, AnAuditLongPollAnswersWithTheOrganisationsNextEntries) {
  TestServer server;
  auto hana = server.account("hana@example.com", "coach", "Harbour Runners");
  const std::string org = hana["organization_id"];
  const std::string token = hana["token"];
  const std::map<std::string, std::string> as_hana{{"Authorization", "Bearer " + token}};
  const std::uint64_t head = server.head();
  auto waiting = std::async(std::launch::async, [&] {
    HttpClient client(server.port());
    return client.get("/v1/organizations/" + org + "/audit?after=" + std::to_string(head) + "&wait=20", as_hana);
  });
  // Something that is not this organisation's: the poll keeps waiting.
  server.account("stranger@example.com");
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(waiting.wait_for(0s), std::future_status::timeout) << "it answered with nothing of its organisation's";
  auto ada = server.account("ada@example.com");
  ASSERT_EQ(server.command("AddMember", {{"organization_id", org}, {"account_id", ada["account_id"]}, {"role", "athlete"}},
                           token).status, 201);
  auto r = waiting.get();
  ASSERT_EQ(r.status, 200) << r.body;
  const json page = r.json();
  ASSERT_EQ(page["entries"].size(), 1u) << r.body;
  EXPECT_EQ(page["entries"][0]["action"], "membership.offered");
  EXPECT_EQ(page["entries"][0]["subject"], ada["account_id"]);
  EXPECT_GE(page["after"].get<std::uint64_t>(), page["entries"][0]["position"].get<std::uint64_t>());
  // Oldest first from `after`, and the same rules as the log: an athlete may not read it.
  auto all = server.http().get("/v1/organizations/" + org + "/audit?after=0", as_hana);
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.json()["entries"][0]["action"], "organization.created");
  EXPECT_EQ(server.http().get("/v1/organizations/" + org + "/audit?after=0&before=9", as_hana).status, 400);
  const std::map<std::string, std::string> as_ada{{"Authorization", "Bearer " + ada["token"].get<std::string>()}};
  EXPECT_EQ(server.http().get("/v1/organizations/" + org + "/audit?after=0&wait=5", as_ada).status, 403);
}

TEST(WatchApi, AnAuditStreamFollowsWhatItsReaderMayReadAndEndsWhenTheyMayNoLonger) {
  TestServer server;
  // head-assistant: head coaches read the audit log, assistant coaches do not.
  auto signed_up = server.command("SignUp", {{"email", "hana@example.com"}, {"password", "a long password"},
                                             {"display_name", "Hana"}, {"membership_role", "coach"},
                                             {"organization_name", "Hana's company"}, {"role_model", "head-assistant"}});
  ASSERT_EQ(signed_up.status, 201) << signed_up.body;
  const std::string org = signed_up.json()["organization_id"];
  auto hana = server.http().post("/v1/sessions", json{{"email", "hana@example.com"}, {"password", "a long password"}}.dump());
  const std::string token = hana.json()["token"];
  auto ivan = server.account("ivan@example.com", "coach");
  ASSERT_EQ(server.join(org, ivan, "assistant_coach", token).status, 201);
  ASSERT_EQ(server.command("ChangeMemberRole", {{"organization_id", org}, {"account_id", ivan["account_id"]},
                                                {"role", "head_coach"}}, token).status, 201);
  const std::string request = "GET /v1/organizations/" + org +
                              "/audit/stream?category=membership&min_position=" + std::to_string(server.head()) +
                              " HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " +
                              ivan["token"].get<std::string>() + "\r\n\r\n";
  StreamReader stream(server.port(), request);
  ASSERT_TRUE(stream.read_until([](const std::string& t) { return t.find("event: member.added\n") != std::string::npos; },
                                10s))
      << stream.text();
  EXPECT_EQ(stream.text().find("event: organization.created"), std::string::npos) << "category=membership only";
  auto ada = server.account("ada@example.com");
  ASSERT_EQ(server.join(org, ada, "athlete", token).status, 201);
  ASSERT_TRUE(stream.read_until(
      [&](const std::string& t) { return t.find("\"subject\":\"" + ada["account_id"].get<std::string>()) != std::string::npos; },
      10s))
      << stream.text();
  const auto seen = ids(stream.text());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  // Once ivan is no head coach, the next read ends his stream with an error event.
  ASSERT_EQ(server.command("ChangeMemberRole", {{"organization_id", org}, {"account_id", ivan["account_id"]},
                                                {"role", "assistant_coach"}}, token).status, 201);
  ASSERT_TRUE(stream.read_until([](const std::string& t) { return t.find("event: error\n") != std::string::npos; }, 10s))
      << stream.text();
  EXPECT_NE(stream.text().find("permission_denied"), std::string::npos);
  stream.read_until([](const std::string&) { return false; }, 3s);
  EXPECT_TRUE(stream.closed());
  // An athlete's stream is refused before it starts.
  StreamReader refused(server.port(), "GET /v1/organizations/" + org + "/audit/stream HTTP/1.1\r\nHost: test\r\n"
                                      "Authorization: Bearer " + ada["token"].get<std::string>() + "\r\n\r\n");
  ASSERT_TRUE(refused.read_until([](const std::string& t) { return t.find("\r\n\r\n") != std::string::npos; }, 10s));
  EXPECT_NE(refused.text().find("HTTP/1.1 403"), std::string::npos) << refused.text();
}

}  // namespace
}  // namespace touchline::testing
