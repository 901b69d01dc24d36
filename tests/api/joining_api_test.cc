// Joining and consent over HTTP: invites as an issuer and an invitee meet them (with each way an
// invite is refused, each appending nothing), staff seat caps, and an athlete's consent deciding
// what coaches see.
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

class JoiningApiTest : public ::testing::Test {
 protected:
  // An organisation on `model`, founded by a new coach account; returns {id, token, founder}.
  json organisation(const std::string& model, const std::string& tier = "") {
    auto founder = server.account("founder-" + std::to_string(++accounts_) + "@org.test", "coach");
    auto r = server.command("CreateOrganization", {{"name", "Org"}, {"role_model", model}}, founder["token"]);
    EXPECT_EQ(r.status, 201) << r.body;
    json org{{"id", r.json()["organization_id"]}, {"token", founder["token"]}, {"founder", founder["account_id"]}};
    if (!tier.empty()) {
      auto t = send(org, "ChangeTier", {{"tier", tier}});
      EXPECT_EQ(t.status, 201) << t.body;
    }
    return org;
  }

  HttpResult send(const json& org, const std::string& command, json body, const std::string& token = "") {
    body["organization_id"] = org["id"];
    return server.command(command, body, token.empty() ? org["token"].get<std::string>() : token);
  }

  // A command that must be refused with `status` and `reason` (when given), appending nothing.
  json expect_refused(const json& org, const std::string& command, const json& body, int status,
                      const std::string& reason, const std::string& token) {
    const auto before = server.head();
    auto r = send(org, command, body, token);
    EXPECT_EQ(r.status, status) << command << ": " << r.body;
    if (!reason.empty()) {
      EXPECT_EQ(r.json().value("reason", std::string()), reason) << r.body;
    }
    EXPECT_EQ(server.head(), before) << command << " appended after a refusal";
    return r.json();
  }

  bool allowed(const json& org, const std::string& subject, const std::string& permission, const std::string& target) {
    auto r = server.check(org["token"], {{"organization_id", org["id"]}, {"subject", subject},
                                         {"permission", permission}, {"target", target},
                                         {"min_position", server.head()}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["allowed"].get<bool>();
  }

  json account(const std::string& name, const std::string& role) {
    return server.account(name + "-" + std::to_string(++accounts_) + "@org.test", role);
  }

  TestServer server;
  int accounts_ = 0;
};

TEST_F(JoiningApiTest, Seed001AnInviteCodeMakesAnAssistantCoachOnce) {
  const json company = organisation("head-assistant");
  auto issued = send(company, "IssueInvite", json::object());
  ASSERT_EQ(issued.status, 201) << issued.body;
  const json invite = issued.json();
  EXPECT_EQ(invite["role"], "assistant_coach");
  EXPECT_EQ(invite["max_uses"], 1);
  const std::string code = invite["code"];

  auto newcomer = account("newcomer", "coach");
  auto joined = send(company, "AcceptInvite", {{"code", code}}, newcomer["token"]);
  ASSERT_EQ(joined.status, 201) << joined.body;
  EXPECT_EQ(joined.json()["role"], "assistant_coach");
  auto perms = server.http().get("/v1/organizations/" + company["id"].get<std::string>() + "/members/" +
                                     newcomer["account_id"].get<std::string>() + "/permissions?min_position=" +
                                     std::to_string(server.head()),
                                 {{"Authorization", "Bearer " + company["token"].get<std::string>()}});
  ASSERT_EQ(perms.status, 200) << perms.body;
  EXPECT_EQ(perms.json()["role"], "assistant_coach");

  // Single-use: the next person hears that it is used up.
  auto second = account("second", "coach");
  expect_refused(company, "AcceptInvite", {{"code", code}}, 409, "invite_used_up", second["token"]);
  // "Invite or remove coaches": head coaches only.
  expect_refused(company, "IssueInvite", json::object(), 403, "", newcomer["token"]);
  // Seed 001's codes make assistant coaches, nothing else.
  expect_refused(company, "IssueInvite", {{"role", "head_coach"}}, 400, "", company["token"]);
  // The log recognises the code by its digest and never holds it.
  auto log = server.http().get("/v1/events?after=0&limit=1000", {{"Authorization", std::string("Bearer ") + kOperatorToken}});
  ASSERT_EQ(log.status, 200);
  const std::string secret = code.substr(code.find('.') + 1);
  EXPECT_EQ(log.body.find(secret), std::string::npos);
  EXPECT_NE(log.body.find("InviteIssued"), std::string::npos);
}

TEST_F(JoiningApiTest, AnExpiredInviteIsRefusedAsExpired) {
  const json company = organisation("head-assistant");
  const std::string code = send(company, "IssueInvite", json::object()).json()["code"];
  server.advance_clock(std::chrono::hours(25));  // seed 001: "valid for 24 hours"
  auto late = account("late", "coach");
  auto refused = expect_refused(company, "AcceptInvite", {{"code", code}}, 409, "invite_expired", late["token"]);
  EXPECT_NE(refused["detail"].get<std::string>().find("expired"), std::string::npos);
}

TEST_F(JoiningApiTest, CodesAreRevokedWhileUnusedAndBoundInvitesAreTheirEmailsAlone) {
  const json runners = organisation("athlete-coach");
  auto code = send(runners, "IssueInvite", {{"role", "athlete"}, {"max_uses", 2}, {"valid_hours", 48}});
  ASSERT_EQ(code.status, 201) << code.body;
  auto revoked = send(runners, "RevokeInvite", {{"invite_id", code.json()["invite_id"]}});
  ASSERT_EQ(revoked.status, 201) << revoked.body;
  auto athlete = account("athlete", "athlete");
  expect_refused(runners, "AcceptInvite", {{"code", code.json()["code"]}}, 409, "invite_revoked", athlete["token"]);

  // Bound to one email address: someone else with the code is refused.
  auto invited = server.account("Invited.Runner@org.test", "athlete");
  auto bound = send(runners, "IssueInvite", {{"role", "athlete"}, {"email", "invited.runner@ORG.test"}});
  ASSERT_EQ(bound.status, 201) << bound.body;
  expect_refused(runners, "AcceptInvite", {{"code", bound.json()["code"]}}, 403, "invite_wrong_email",
                 athlete["token"]);
  auto joined = send(runners, "AcceptInvite", {{"code", bound.json()["code"]}}, invited["token"]);
  ASSERT_EQ(joined.status, 201) << joined.body;
  // Used: no longer revocable.
  expect_refused(runners, "RevokeInvite", {{"invite_id", bound.json()["invite_id"]}}, 409, "invite_used",
                 runners["token"].get<std::string>());

  // A code that is not the invite's, or not a code at all.
  const std::string real = bound.json()["code"];
  expect_refused(runners, "AcceptInvite", {{"code", real.substr(0, real.find('.')) + ".guess"}}, 403,
                 "invite_code_wrong", athlete["token"]);
  expect_refused(runners, "AcceptInvite", {{"code", "no-dot"}}, 400, "", athlete["token"]);
  expect_refused(runners, "AcceptInvite", {{"code", "missing.x"}}, 404, "", athlete["token"]);

  // The audit log shows who issued, revoked and accepted, as membership entries.
  auto audit = server.http().get("/v1/organizations/" + runners["id"].get<std::string>() +
                                     "/audit?category=membership&min_position=" + std::to_string(server.head()),
                                 {{"Authorization", "Bearer " + runners["token"].get<std::string>()}});
  ASSERT_EQ(audit.status, 200) << audit.body;
  const json entries = audit.json()["entries"];
  std::vector<std::string> actions;
  for (const auto& e : entries) actions.push_back(e["action"]);
  const std::vector<std::string> expected{"member.added", "invite.accepted", "invite.issued", "invite.revoked",
                                          "invite.issued"};
  ASSERT_GE(actions.size(), expected.size());
  EXPECT_EQ(std::vector<std::string>(actions.begin(), actions.begin() + 5), expected);
}

TEST_F(JoiningApiTest, Seed002AssistantSeatsAreCappedByTier) {
  const json platform = organisation("custom-roles", "pro");
  auto first = account("first", "coach");
  ASSERT_EQ(server.join(platform["id"], first, "assistant", platform["token"]).status, 201);
  auto second = account("second", "coach");
  auto refused = expect_refused(platform, "AddMember", {{"account_id", second["account_id"]}, {"role", "assistant"}},
                                409, "no_staff_seat", platform["token"].get<std::string>());
  EXPECT_NE(refused["detail"].get<std::string>().find("pro tier has 1 staff seat"), std::string::npos);
  // An invite is accepted only while a seat is free.
  const std::string code = send(platform, "IssueInvite", {{"role", "read_only"}}).json()["code"];
  expect_refused(platform, "AcceptInvite", {{"code", code}}, 409, "no_staff_seat", second["token"]);
  ASSERT_EQ(send(platform, "ChangeTier", {{"tier", "club"}}).status, 201);
  EXPECT_EQ(send(platform, "AcceptInvite", {{"code", code}}, second["token"]).status, 201);
}

TEST_F(JoiningApiTest, CoachesSeeAnAthletesDataOnlyWhileTheyConsent) {
  const json runners = organisation("athlete-coach");
  auto athlete = account("athlete", "athlete");
  const std::string ath = athlete["account_id"];
  const std::string head = runners["founder"];
  ASSERT_EQ(server.join(runners["id"], athlete, "athlete", runners["token"]).status, 201);
  EXPECT_FALSE(allowed(runners, head, "athletes.view_pace", ath));

  // Nobody consents for the athlete, the head coach included.
  expect_refused(runners, "GiveConsent", json::object(), 403, "", runners["token"].get<std::string>());
  ASSERT_EQ(send(runners, "GiveConsent", json::object(), athlete["token"]).status, 201);
  EXPECT_TRUE(allowed(runners, head, "athletes.view_pace", ath));

  // Withdrawing removes the access at once: the next check after it is denied.
  ASSERT_EQ(send(runners, "WithdrawConsent", json::object(), athlete["token"]).status, 201);
  EXPECT_FALSE(allowed(runners, head, "athletes.view_pace", ath));

  // Consent entries are their own category.
  auto audit = server.http().get("/v1/organizations/" + runners["id"].get<std::string>() +
                                     "/audit?category=consent&min_position=" + std::to_string(server.head()),
                                 {{"Authorization", "Bearer " + runners["token"].get<std::string>()}});
  ASSERT_EQ(audit.status, 200) << audit.body;
  const json entries = audit.json()["entries"];
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["action"], "consent.withdrawn");
  EXPECT_EQ(entries[0]["actor"], ath);
  EXPECT_EQ(entries[1]["action"], "consent.given");
}

}  // namespace
}  // namespace touchline::testing
