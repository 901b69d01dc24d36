// Killing touchlined with SIGKILL loses no acknowledged command, and its projections catch up
// by themselves after a restart. The oracle is what the clients saw acknowledged.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/test_server.h"

namespace touchline::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::vector<std::string> server_args(const std::string& dir) {
  return {"--data", dir, "--port", "0", "--operator-token", kOperatorToken};
}

// Every event in the log, through GET /v1/events page by page, as the operator reads it.
std::vector<json> logged_events(HttpClient& http) {
  std::vector<json> out;
  for (std::uint64_t after = 0;;) {
    auto page = http.get("/v1/events?after=" + std::to_string(after) + "&limit=1000",
                         {{"Authorization", std::string("Bearer ") + kOperatorToken}});
    EXPECT_EQ(page.status, 200);
    if (page.status != 200) return out;
    const json body = page.json();
    for (const auto& e : body["events"]) {
      out.push_back(e);
      after = e["position"].get<std::uint64_t>();
    }
    if (body["next"].is_null()) return out;
  }
}

// Waits until `enough` says so (or 5 s pass), then kills the server mid-stream.
void kill_when(ServerProcess& server, std::mutex& mu, const std::function<bool()>& enough) {
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mu);
      if (enough()) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  server.kill_now();
}

TEST(Crash, SigkillLosesNoAcknowledgedCommand) {
  const std::string dir = make_temp_dir("touchline-crash");
  std::string coach_email = "coach@example.com";
  std::string coach_id;
  std::set<std::string> acknowledged;  // organisation ids whose CreateOrganization got a 201
  std::uint64_t last_position = 0;
  {
    ServerProcess server(TOUCHLINED_PATH, server_args(dir));
    HttpClient http(server.port());
    auto up = http.post("/v1/commands/SignUp", json{{"email", coach_email}, {"password", "a long password"},
                                                    {"display_name", "Coach"}, {"membership_role", "coach"}}.dump());
    ASSERT_EQ(up.status, 201) << up.body;
    coach_id = up.json()["account_id"];
    auto session = http.post("/v1/sessions", json{{"email", coach_email}, {"password", "a long password"}}.dump());
    const std::string token = session.json()["token"];

    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 8; ++c) {
      clients.emplace_back([&, c] {
        HttpClient client(server.port());
        for (int i = 0; !stop; ++i) {
          try {
            auto r = client.post("/v1/commands/CreateOrganization",
                                 json{{"name", "Club " + std::to_string(c) + "-" + std::to_string(i)}}.dump(),
                                 {{"Authorization", "Bearer " + token}});
            if (r.status != 201) continue;
            std::lock_guard lock(mu);
            acknowledged.insert(r.json()["organization_id"].get<std::string>());
            last_position = std::max(last_position, r.json()["position"].get<std::uint64_t>());
          } catch (const std::exception&) {
            return;  // the server is gone: whatever was in flight was never acknowledged
          }
        }
      });
    }
    // Kill while the clients are mid-stream, once a good number of commands are through.
    kill_when(server, mu, [&] { return acknowledged.size() >= 200; });
    stop = true;
    for (auto& t : clients) t.join();
  }
  ASSERT_GE(acknowledged.size(), 50u) << "too few commands acknowledged before the kill to mean anything";

  ServerProcess server(TOUCHLINED_PATH, server_args(dir));
  HttpClient http(server.port());
  auto session = http.post("/v1/sessions", json{{"email", coach_email}, {"password", "a long password"}}.dump());
  ASSERT_EQ(session.status, 201) << "the coach's account did not survive";
  const std::string token = session.json()["token"];

  // Every acknowledged organisation is in the log...
  std::set<std::string> in_log;
  for (const auto& e : logged_events(http)) {
    if (e["type"] == "OrganizationCreated") in_log.insert(e["payload"]["organization_id"].get<std::string>());
  }
  EXPECT_GE(in_log.size(), acknowledged.size());
  for (const auto& org : acknowledged) EXPECT_TRUE(in_log.contains(org)) << "lost organisation " << org;

  // ...and the permission projection has caught up with all of them by itself.
  for (const auto& org : acknowledged) {
    auto r = http.post("/v1/check", json{{"organization_id", org}, {"subject", coach_id},
                                         {"permission", "members.manage"}, {"min_position", last_position}}.dump(),
                       {{"Authorization", "Bearer " + token}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.json()["allowed"].get<bool>()) << org;
  }
  auto health = http.get("/healthz").json();
  EXPECT_EQ(health["status"], "ok");

  EXPECT_TRUE(WIFEXITED(server.terminate()));  // and SIGTERM stops it cleanly
  std::filesystem::remove_all(dir);
}

// One hot organisation, 64 clients: the decisions that share a sync (group commit within one
// organisation) are each durable before they are acknowledged. Each recorded action carries its
// client's mark (as its correlation id), and every acknowledged mark must be in the log after the
// restart.
TEST(Crash, SigkillOnOneHotOrganisationWith64ClientsLosesNoAcknowledgedCommand) {
  const std::string dir = make_temp_dir("touchline-crash-hot");
  std::set<std::string> acknowledged;
  std::string coach_id, org_id;
  {
    ServerProcess server(TOUCHLINED_PATH, server_args(dir));
    HttpClient http(server.port());
    auto up = http.post("/v1/commands/SignUp", json{{"email", "hot@example.com"}, {"password", "a long password"},
                                                    {"display_name", "Coach"}, {"membership_role", "coach"},
                                                    {"organization_name", "Hot Club"}}.dump());
    ASSERT_EQ(up.status, 201) << up.body;
    coach_id = up.json()["account_id"];
    org_id = up.json()["organization_id"];
    auto session = http.post("/v1/sessions", json{{"email", "hot@example.com"}, {"password", "a long password"}}.dump());
    const std::string token = session.json()["token"];

    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 64; ++c) {
      clients.emplace_back([&, c] {
        HttpClient client(server.port());
        for (int i = 0; !stop; ++i) {
          const std::string mark = std::to_string(c) + "-" + std::to_string(i);
          try {
            auto r = client.post("/v1/actions",
                                 json{{"organization_id", org_id}, {"action", "setup.changed"}, {"target", coach_id},
                                      {"details", {{"mark", mark}}}}.dump(),
                                 {{"Authorization", "Bearer " + token}, {"X-Correlation-Id", "mark-" + mark}});
            // Allowed (201) or denied (403 with the record's position): recorded either way.
            const bool recorded = r.status == 201 || (r.status == 403 && r.json().contains("position"));
            if (!recorded) continue;
            std::lock_guard lock(mu);
            acknowledged.insert(mark);
          } catch (const std::exception&) {
            return;  // the server is gone: whatever was in flight was never acknowledged
          }
        }
      });
    }
    kill_when(server, mu, [&] { return acknowledged.size() >= 1000; });
    stop = true;
    for (auto& t : clients) t.join();
  }
  ASSERT_GE(acknowledged.size(), 200u) << "too few commands acknowledged before the kill to mean anything";

  ServerProcess server(TOUCHLINED_PATH, server_args(dir));
  HttpClient http(server.port());
  std::set<std::string> in_log;
  for (const auto& e : logged_events(http)) {
    // The details are sealed (personal data); the correlation id carries the mark in the clear.
    if (e["type"] == "ActionRecorded") in_log.insert(e["correlation_id"].get<std::string>().substr(5));
  }
  for (const auto& mark : acknowledged) EXPECT_TRUE(in_log.contains(mark)) << "lost action " << mark;
  EXPECT_TRUE(WIFEXITED(server.terminate()));
  std::filesystem::remove_all(dir);
}

TEST(Crash, SigtermStopsCleanlyWithExitZero) {
  const std::string dir = make_temp_dir("touchline-term");
  ServerProcess server(TOUCHLINED_PATH, server_args(dir));
  HttpClient http(server.port());
  EXPECT_EQ(http.get("/healthz").status, 200);
  int status = server.terminate();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace touchline::testing
