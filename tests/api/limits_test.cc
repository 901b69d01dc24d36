// The request limits over HTTP: a client, an account or a member that asks too often is answered
// 429 with Retry-After, and the others are not; password hashing is bounded by its own queue.
// The limiters' arithmetic is in rate_limiter_test.cc.
#include <gtest/gtest.h>

#include <thread>

#include "support/test_server.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

api::RateLimit limit(const char* form) { return *api::RateLimit::parse(form); }

HttpResult sign_in(TestServer& server, const std::string& email, const std::string& password) {
  return server.http().post("/v1/sessions", json{{"email", email}, {"password", password}}.dump());
}

void expect_limited(const HttpResult& r, const std::string& says) {
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.json()["code"], "rate_limited");
  EXPECT_NE(r.json()["detail"].get<std::string>().find(says), std::string::npos) << r.body;
  ASSERT_TRUE(r.headers.count("retry-after")) << r.body;
  EXPECT_GE(std::stoi(r.headers.at("retry-after")), 1);
}

TEST(Limits, SignInsAndSignUpsFromOneAddressAreLimited) {
  TestServer server({}, {}, [](api::ServiceConfig& c) { c.limits.password_attempts_per_address = limit("3/min"); });
  const std::uint64_t before = server.head();
  auto first = server.command("SignUp", {{"email", "ada@x.io"}, {"password", "a long password"}, {"display_name", "Ada"}});
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(sign_in(server, "ada@x.io", "a long password").status, 201);
  EXPECT_EQ(sign_in(server, "ada@x.io", "a wrong password").status, 401);
  expect_limited(sign_in(server, "ada@x.io", "a long password"), "address");
  const std::uint64_t head = server.head();
  expect_limited(server.command("SignUp", {{"email", "ben@x.io"}, {"password", "a long password"}, {"display_name", "Ben"}}),
                 "address");
  EXPECT_EQ(server.head(), head);  // nothing appended
  EXPECT_GT(head, before);
  // A minute later the address has one attempt again.
  server.advance_clock(std::chrono::seconds(21));
  EXPECT_EQ(sign_in(server, "ada@x.io", "a long password").status, 201);
}

TEST(Limits, FailedSignInsOnOneAccountAreLimitedFromEveryAddress) {
  TestServer server({}, {}, [](api::ServiceConfig& c) { c.limits.sign_in_failures_per_account = limit("2/hour"); });
  server.account("ada@x.io");
  server.account("ben@x.io");
  EXPECT_EQ(sign_in(server, "ada@x.io", "guess one").status, 401);
  EXPECT_EQ(sign_in(server, "ADA@x.io", "guess two").status, 401);  // the same account
  expect_limited(sign_in(server, "ada@x.io", "a long password"), "account");  // even the right one, for now
  EXPECT_EQ(sign_in(server, "ben@x.io", "a long password").status, 201);
  // An email with no account is limited alike: the answers do not tell them apart.
  EXPECT_EQ(sign_in(server, "nobody@x.io", "guess one").status, 401);
  EXPECT_EQ(sign_in(server, "nobody@x.io", "guess two").status, 401);
  expect_limited(sign_in(server, "nobody@x.io", "guess three"), "account");
  server.advance_clock(std::chrono::minutes(30));
  EXPECT_EQ(sign_in(server, "ada@x.io", "a long password").status, 201);
}

TEST(Limits, RecordedActionsArePerMember) {
  TestServer server({}, {}, [](api::ServiceConfig& c) { c.limits.actions_per_member = limit("2/min"); });
  auto owner = server.account("owner@x.io", "coach", "Harbour");
  auto act = [&](const json& who) {
    return server.http().post("/v1/actions",
                              json{{"organization_id", owner["organization_id"]}, {"action", "refund.issued"},
                                   {"target", owner["account_id"]}}
                                  .dump(),
                              {{"Authorization", "Bearer " + who["token"].get<std::string>()}});
  };
  EXPECT_NE(act(owner).status, 429);
  EXPECT_NE(act(owner).status, 429);
  const std::uint64_t head = server.head();
  expect_limited(act(owner), "member");
  EXPECT_EQ(server.head(), head);  // the refused one is not recorded
  auto other = server.account("other@x.io", "coach");
  EXPECT_NE(act(other).status, 429);
}

TEST(Limits, PasswordsBeyondTheHashingQueueAreAnswered503) {
  TestServer server({}, {}, [](api::ServiceConfig& c) {
    // At the service's own cost: each hash takes long enough for the queue to fill behind it.
    c.password_hashing = {.threads = 1, .max_queued = 1, .cost = {}};
  });
  server.account("ada@x.io");
  std::vector<int> statuses(8);
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      HttpClient client(server.port());
      statuses[i] = client.post("/v1/sessions", json{{"email", "ada@x.io"}, {"password", "a long password"}}.dump()).status;
    });
  }
  for (auto& t : clients) t.join();
  int signed_in = 0, shed = 0;
  for (int s : statuses) {
    if (s == 201) ++signed_in;
    if (s == 503) ++shed;
  }
  EXPECT_GE(signed_in, 1);
  EXPECT_GE(shed, 1);  // 8 at once, 1 hashing and 1 waiting
  EXPECT_EQ(signed_in + shed, 8);
}

}  // namespace
}  // namespace touchline::testing
