// POST /v1/actions over HTTP: seed 002's audit log of consequential actions ("who covered whom,
// who changed a Setup, who issued a refund"), denied attempts answered 403 and recorded, and the
// client's address on athlete-access entries.
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

class ActionsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    owner = server.account("owner@tri.test", "coach");
    auto r = server.command("CreateOrganization", {{"name", "Valley Tri"}, {"role_model", "custom-roles"}},
                            owner["token"]);
    ASSERT_EQ(r.status, 201) << r.body;
    org = r.json()["organization_id"];
    ASSERT_EQ(send("ChangeTier", {{"tier", "business"}}, owner).status, 201);  // the audit log's tier
    asst = server.account("asst@tri.test", "coach");
    ASSERT_EQ(server.join(org, asst, "assistant", owner["token"]).status, 201);
    athlete = server.account("athlete@tri.test", "athlete");
    ASSERT_EQ(server.join(org, athlete, "athlete", owner["token"]).status, 201);
    ASSERT_EQ(send("GiveConsent", json::object(), athlete).status, 201);
    ASSERT_EQ(send("AssignAthlete", {{"athlete_id", athlete["account_id"]}, {"coach_id", asst["account_id"]}}, owner).status,
              201);
  }

  HttpResult send(const std::string& command, json body, const json& who) {
    body["organization_id"] = org;
    return server.command(command, body, who["token"]);
  }

  HttpResult act(const json& who, json body) {
    body["organization_id"] = org;
    return server.http().post("/v1/actions", body.dump(), {{"Authorization", "Bearer " + who["token"].get<std::string>()}});
  }

  json audit(const std::string& query = "") {
    auto r = server.http().get("/v1/organizations/" + org + "/audit?min_position=" + std::to_string(server.head()) + query,
                               {{"Authorization", "Bearer " + owner["token"].get<std::string>()}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["entries"];
  }

  TestServer server;
  std::string org;
  json owner, asst, athlete;
};

TEST_F(ActionsApiTest, TheOwnersAuditLogShowsWhoCoveredWhomWhoChangedASetupWhoIssuedARefund) {
  const std::string ath = athlete["account_id"];
  auto covered = act(owner, {{"action", "athlete.covered"}, {"target", ath}});
  ASSERT_EQ(covered.status, 201) << covered.body;
  EXPECT_EQ(covered.json()["allowed"], true);
  ASSERT_EQ(send("GrantToMember", {{"account_id", asst["account_id"]}, {"grant", "adjust_setup"}}, owner).status, 201);
  EXPECT_EQ(act(asst, {{"action", "setup.changed"}, {"target", ath}}).status, 201);
  EXPECT_EQ(act(owner, {{"action", "refund.issued"}, {"target", ath}, {"details", {{"amount", "30.00"}}}}).status, 201);

  const json entries = audit();
  ASSERT_GE(entries.size(), 4u);
  EXPECT_EQ(entries[0]["action"], "refund.issued");
  EXPECT_EQ(entries[0]["actor"], owner["account_id"]);
  EXPECT_EQ(entries[0]["subject"], ath);
  EXPECT_EQ(entries[0]["category"], "billing");
  EXPECT_EQ(entries[0]["details"]["details"]["amount"], "30.00");
  EXPECT_EQ(entries[1]["action"], "setup.changed");
  EXPECT_EQ(entries[1]["actor"], asst["account_id"]);
  EXPECT_EQ(entries[1]["category"], "athlete_access");
  EXPECT_EQ(entries[1]["details"]["client_ip"], "127.0.0.1");  // athlete access carries the address
  EXPECT_EQ(entries[2]["action"], "member.granted");
  EXPECT_EQ(entries[3]["action"], "athlete.covered");
  EXPECT_FALSE(entries[3]["details"].contains("client_ip"));
}

TEST_F(ActionsApiTest, ADeniedAttemptIsAnswered403AndRecordedAsDenied) {
  const auto before = server.head();
  auto refund = act(asst, {{"action", "refund.issued"}, {"target", athlete["account_id"]}});
  EXPECT_EQ(refund.status, 403) << refund.body;
  EXPECT_EQ(refund.json()["code"], "permission_denied");
  EXPECT_EQ(refund.json()["reason"], "action_denied");
  EXPECT_EQ(refund.json()["recorded"], true);
  EXPECT_NE(refund.json()["detail"].get<std::string>().find("money action"), std::string::npos) << refund.body;
  EXPECT_EQ(server.head(), before + 1);
  const json entries = audit("&category=billing&actor=" + asst["account_id"].get<std::string>());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["action"], "refund.issued");
  EXPECT_EQ(entries[0]["details"]["allowed"], false);
  EXPECT_EQ(entries[0]["position"], refund.json()["position"]);
}

TEST_F(ActionsApiTest, ViewingAnAthletesDataFollowsConsentAndRequestsThatAreNotAttemptsRecordNothing) {
  const std::string ath = athlete["account_id"];
  const json view{{"action", "athlete_data.viewed"}, {"target", ath}, {"permission", "athletes.view"}};
  EXPECT_EQ(act(asst, view).status, 201);
  ASSERT_EQ(send("WithdrawConsent", json::object(), athlete).status, 201);
  auto after = act(asst, view);
  EXPECT_EQ(after.status, 403) << after.body;
  EXPECT_NE(after.json()["detail"].get<std::string>().find("has not accepted coaching"), std::string::npos);

  auto outsider = server.account("outsider@tri.test", "coach");
  const auto before = server.head();
  EXPECT_EQ(act(asst, {{"action", "teleport"}, {"target", ath}}).status, 400);
  EXPECT_EQ(act(asst, {{"action", "athlete_data.viewed"}, {"target", ath}}).status, 400);  // which permission?
  EXPECT_EQ(act(asst, {{"action", "refund.issued"}, {"target", ath}, {"surprise", 1}}).status, 400);
  EXPECT_EQ(act(outsider, {{"action", "refund.issued"}, {"target", ath}}).status, 403);
  EXPECT_EQ(server.http().post("/v1/actions", json{{"organization_id", org}}.dump()).status, 401);
  EXPECT_EQ(server.head(), before);
}

TEST_F(ActionsApiTest, AnIdempotentRetryAnswersTheFirstRecordAndAppendsNothing) {
  const json body{{"organization_id", org}, {"action", "athlete.covered"}, {"target", athlete["account_id"]}};
  const std::map<std::string, std::string> headers{{"Authorization", "Bearer " + owner["token"].get<std::string>()},
                                                   {"Idempotency-Key", "cover-1"}};
  auto first = server.http().post("/v1/actions", body.dump(), headers);
  ASSERT_EQ(first.status, 201) << first.body;
  const auto head = server.head();
  auto again = server.http().post("/v1/actions", body.dump(), headers);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["position"], first.json()["position"]);
  EXPECT_EQ(server.head(), head);
}

}  // namespace
}  // namespace touchline::testing
