// The HTTP API over real loopback sockets against an in-process server.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <rocksdb/db.h>

#include "support/raw_db.h"
#include "support/test_server.h"
#include "touchline/api/auth.h"
#include "touchline/store/event_store.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  TestServer server;
};

TEST_F(ApiTest, WalkThroughFromSignUpToAudit) {
  auto coach = server.account("coach@example.com", "coach", "Harbour Runners");
  auto athlete = server.account("runner@example.com");
  const std::string org = coach["organization_id"];
  ASSERT_FALSE(org.empty());

  auto add = server.join(org, athlete, "athlete", coach["token"]);
  ASSERT_EQ(add.status, 201) << add.body;
  auto assign = server.command("AssignAthlete", {{"organization_id", org}, {"athlete_id", athlete["account_id"]},
                                                 {"coach_id", coach["account_id"]}}, coach["token"]);
  ASSERT_EQ(assign.status, 201) << assign.body;
  const json view_activities{{"organization_id", org}, {"subject", coach["account_id"]},
                             {"permission", "athletes.view_activities"}, {"target", athlete["account_id"]},
                             {"min_position", assign.json()["position"]}};
  // Until the athlete accepts coaching, their data stays theirs.
  auto before_consent = server.check(coach["token"], view_activities);
  ASSERT_EQ(before_consent.status, 200) << before_consent.body;
  EXPECT_FALSE(before_consent.json()["allowed"].get<bool>());
  EXPECT_NE(before_consent.json()["reason"].get<std::string>().find("has not accepted coaching"), std::string::npos);

  auto consent = server.command("GiveConsent", {{"organization_id", org}}, athlete["token"]);
  ASSERT_EQ(consent.status, 201) << consent.body;
  const auto position = consent.json()["position"].get<std::uint64_t>();
  json after_consent = view_activities;
  after_consent["min_position"] = position;
  auto allowed = server.check(coach["token"], after_consent);
  ASSERT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_TRUE(allowed.json()["allowed"].get<bool>());
  EXPECT_GE(allowed.json()["position"].get<std::uint64_t>(), position);

  auto denied = server.check(athlete["token"], {{"organization_id", org}, {"subject", athlete["account_id"]},
                                                {"permission", "members.manage"}});
  ASSERT_EQ(denied.status, 200);
  EXPECT_FALSE(denied.json()["allowed"].get<bool>());
  EXPECT_EQ(denied.json()["reason"], "Only the head coach can add or remove members.");

  auto perms = server.http().get("/v1/organizations/" + org + "/members/" + athlete["account_id"].get<std::string>() +
                                     "/permissions?min_position=" + std::to_string(position),
                                 {{"Authorization", "Bearer " + coach["token"].get<std::string>()}});
  ASSERT_EQ(perms.status, 200) << perms.body;
  EXPECT_EQ(perms.json()["role"], "athlete");

  auto audit = server.http().get("/v1/organizations/" + org + "/audit?min_position=" + std::to_string(position),
                                 {{"Authorization", "Bearer " + coach["token"].get<std::string>()}});
  ASSERT_EQ(audit.status, 200) << audit.body;
  auto entries = audit.json()["entries"];
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_EQ(entries[0]["action"], "consent.given");
  EXPECT_EQ(entries[0]["category"], "consent");
  EXPECT_EQ(entries[0]["actor"], athlete["account_id"]);
  EXPECT_EQ(entries[1]["action"], "athlete.assigned");
  EXPECT_EQ(entries[1]["actor"], coach["account_id"]);
  // The coach offered, the athlete accepted and so joined.
  EXPECT_EQ(entries[2]["action"], "member.added");
  EXPECT_EQ(entries[2]["actor"], athlete["account_id"]);
  EXPECT_EQ(entries[3]["action"], "membership.accepted");
  EXPECT_EQ(entries[4]["action"], "membership.offered");
  EXPECT_EQ(entries[4]["actor"], coach["account_id"]);
  EXPECT_EQ(entries[5]["action"], "organization.created");

  auto log = server.http().get("/v1/events?after=0&limit=100",
                               {{"Authorization", std::string("Bearer ") + kOperatorToken}});
  ASSERT_EQ(log.status, 200);
  auto evs = log.json()["events"];
  ASSERT_FALSE(evs.empty());
  for (const auto& e : evs) {
    EXPECT_EQ(e["hash"].get<std::string>().size(), 64u);
    EXPECT_EQ(log.body.find("a long password"), std::string::npos);
    EXPECT_EQ(log.body.find("argon2"), std::string::npos);
  }
}

// The check answers are written as text, not dumped from a json value: the same bytes, members
// in the same order, as the value they parse to dumps to.
TEST_F(ApiTest, CheckAnswersAreTheTextTheirValuesDumpTo) {
  auto coach = server.account("coach@example.com", "coach", "Harbour Runners");
  auto other = server.account("other@example.com", "coach", "Other Club");
  const std::string org = coach["organization_id"];
  const json allowed{{"organization_id", org}, {"subject", coach["account_id"]}, {"permission", "plans.assign"}};
  const json denied{{"organization_id", org}, {"subject", other["account_id"]}, {"permission", "members.manage"}};
  const json not_asked{{"organization_id", other["organization_id"]}, {"subject", other["account_id"]},
                       {"permission", "plans.assign"}};
  const auto expect_canonical = [](const HttpResult& r, const std::string& what) {
    ASSERT_EQ(r.status, 200) << what << ": " << r.body;
    EXPECT_EQ(r.body, json::parse(r.body).dump()) << what;
  };
  expect_canonical(server.check(coach["token"], allowed), "an allowed check");
  expect_canonical(server.check(coach["token"], denied), "a denied check");
  auto batch = server.post_read("/v1/checks", coach["token"], {{"checks", {allowed, denied, not_asked}}});
  expect_canonical(batch, "a batch");
  const auto results = batch.json()["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0]["allowed"].get<bool>());
  EXPECT_FALSE(results[1]["allowed"].get<bool>());
  EXPECT_EQ(results[2]["not_asked"], "denied_to_caller") << batch.body;
}

TEST_F(ApiTest, NoTokenIs401AndAppendsNothing) {
  auto coach = server.account("coach@example.com", "coach", "Club");
  const auto before = server.head();
  auto r = server.command("CreateOrganization", {{"name", "Another"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_EQ(r.json()["code"], "unauthenticated");
  auto forged = server.command("CreateOrganization", {{"name", "Another"}}, "tl1.x.99999999999999.00");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(server.head(), before);
}

TEST_F(ApiTest, AnotherOrganizationIs403AndAppendsNothing) {
  auto coach = server.account("coach@example.com", "coach", "Club A");
  auto other = server.account("other@example.com", "coach", "Club B");
  auto athlete = server.account("runner@example.com");
  const auto before = server.head();
  auto r = server.command("AddMember", {{"organization_id", coach["organization_id"]},
                                        {"account_id", athlete["account_id"]}, {"role", "athlete"}},
                          other["token"]);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.json()["code"], "permission_denied");
  auto check = server.check(other["token"], {{"organization_id", coach["organization_id"]},
                                             {"subject", coach["account_id"]}, {"permission", "members.manage"}});
  EXPECT_EQ(check.status, 403) << check.body;
  auto audit = server.http().get("/v1/organizations/" + coach["organization_id"].get<std::string>() + "/audit",
                                 {{"Authorization", "Bearer " + other["token"].get<std::string>()}});
  EXPECT_EQ(audit.status, 403);
  EXPECT_EQ(server.head(), before);
}

TEST_F(ApiTest, BadInputIs4xxNamingTheProblemAndAppendsNothing) {
  auto coach = server.account("coach@example.com", "coach", "Club");
  const std::string token = coach["token"];
  const auto before = server.head();
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};

  auto bad_json = server.http().post("/v1/commands/CreateOrganization", "{\"name\": ", auth);
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.json()["detail"].get<std::string>().find("not valid JSON"), std::string::npos);

  auto unknown = server.command("MakeMeHeadCoach", json::object(), token);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.json()["detail"].get<std::string>().find("MakeMeHeadCoach"), std::string::npos);

  auto missing = server.command("CreateOrganization", json::object(), token);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json()["field"], "name");

  auto mistyped = server.command("CreateOrganization", {{"name", 42}}, token);
  EXPECT_EQ(mistyped.status, 400);
  EXPECT_EQ(mistyped.json()["field"], "name");

  auto extra = server.command("CreateOrganization", {{"name", "X"}, {"nmae", "typo"}}, token);
  EXPECT_EQ(extra.status, 400);
  EXPECT_EQ(extra.json()["field"], "nmae");

  auto not_object = server.http().post("/v1/commands/CreateOrganization", "[1,2]", auth);
  EXPECT_EQ(not_object.status, 400);

  auto huge = server.http().post("/v1/commands/CreateOrganization",
                                 json{{"name", std::string(100 * 1024, 'x')}}.dump(), auth);
  EXPECT_EQ(huge.status, 413);

  auto unknown_org = server.command("AssignAthlete", {{"organization_id", "nope"}, {"athlete_id", "a"},
                                                      {"coach_id", "b"}}, token);
  EXPECT_EQ(unknown_org.status, 404);
  EXPECT_EQ(unknown_org.json()["code"], "not_found");

  auto bad_id = server.command("AssignAthlete", {{"organization_id", "no/slashes"}, {"athlete_id", "a"},
                                                 {"coach_id", "b"}}, token);
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(bad_id.json()["field"], "organization_id");

  auto sub_role = server.command("SignUp", {{"email", "x@example.com"}, {"password", "long enough pw"},
                                            {"display_name", "X"}, {"membership_role", "head_coach"}});
  EXPECT_EQ(sub_role.status, 400);
  EXPECT_EQ(sub_role.json()["field"], "membership_role");

  auto short_pw = server.command("SignUp", {{"email", "x@example.com"}, {"password", "short"}, {"display_name", "X"}});
  EXPECT_EQ(short_pw.status, 400);
  EXPECT_EQ(short_pw.json()["field"], "password");

  auto wrong_method = server.http().get("/v1/commands/SignUp");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers["allow"], "POST");

  auto unknown_permission = server.check(token, {{"organization_id", coach["organization_id"]},
                                                 {"subject", coach["account_id"]}, {"permission", "fly"}});
  EXPECT_EQ(unknown_permission.status, 400);
  EXPECT_EQ(unknown_permission.json()["field"], "permission");

  EXPECT_EQ(server.head(), before);
  EXPECT_EQ(server.http().get("/healthz").status, 200);  // still serving
}

TEST_F(ApiTest, ATakenEmailIsAnsweredAsANewOneAndCreatesNothing) {
  auto ana = server.account("Ana@Example.com");
  const std::uint64_t head = server.head();
  auto again = server.command("SignUp", {{"email", "ana@example.COM"}, {"password", "another long password"},
                                         {"display_name", "Ana"}});
  auto fresh = server.command("SignUp", {{"email", "bo@example.com"}, {"password", "another long password"},
                                         {"display_name", "Bo"}});
  ASSERT_EQ(again.status, 201) << again.body;
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  const json again_body = again.json(), fresh_body = fresh.json();
  std::set<std::string> again_fields, fresh_fields;
  for (const auto& [k, v] : again_body.items()) again_fields.insert(k);
  for (const auto& [k, v] : fresh_body.items()) fresh_fields.insert(k);
  EXPECT_EQ(again_fields, fresh_fields);
  EXPECT_NE(again.json()["account_id"], ana["account_id"]);
  EXPECT_EQ(server.head(), fresh.json()["position"].get<std::uint64_t>());
  EXPECT_GT(server.head(), head);
  // Only Bo's sign-up was recorded; Ana's own password still signs her in, the new one does not.
  auto events = server.http().get("/v1/events?after=" + std::to_string(head),
                                  {{"Authorization", std::string("Bearer ") + kOperatorToken}});
  const json logged = events.json();
  for (const auto& e : logged["events"]) EXPECT_NE(e["stream"], "email-ana@example.com") << e.dump();
  auto signed_in = server.http().post("/v1/sessions", json{{"email", "ana@example.com"}, {"password", "a long password"}}.dump());
  EXPECT_EQ(signed_in.json()["account_id"], ana["account_id"]);
  EXPECT_EQ(server.http()
                .post("/v1/sessions", json{{"email", "ana@example.com"}, {"password", "another long password"}}.dump())
                .status,
            401);
}

TEST_F(ApiTest, WrongPasswordIs401) {
  server.account("ana@example.com");
  auto r = server.http().post("/v1/sessions", json{{"email", "ana@example.com"}, {"password", "wrong password"}}.dump());
  EXPECT_EQ(r.status, 401);
  auto unknown = server.http().post("/v1/sessions", json{{"email", "who@example.com"}, {"password", "whatever pw"}}.dump());
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(r.json()["detail"], unknown.json()["detail"]);  // no hint which one was wrong
}

TEST_F(ApiTest, IdempotencyKeyReplaysAndRejectsADifferentBody) {
  auto coach = server.account("coach@example.com", "coach");
  const std::string token = coach["token"];
  auto first = server.command("CreateOrganization", {{"name", "Club"}}, token, {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(first.status, 201);
  const auto head = server.head();
  auto retry = server.command("CreateOrganization", {{"name", "Club"}}, token, {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.headers["idempotent-replayed"], "true");
  EXPECT_EQ(retry.json(), first.json());
  EXPECT_EQ(server.head(), head);
  auto different = server.command("CreateOrganization", {{"name", "Other"}}, token, {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(different.status, 422);
  EXPECT_EQ(server.head(), head);
}

// Without a token (SignUp) there is no actor to keep keys per, so one caller's key must not
// decide another's request: the same key on another body is another request, not a 422 and not
// somebody else's result; a retry of the same body still replays.
TEST_F(ApiTest, AnonymousIdempotencyKeysCannotBePreemptedByAnotherCaller) {
  const json attacker{{"email", "mallory@example.com"}, {"password", "a long password"}, {"display_name", "M"}};
  const json victim{{"email", "ana@example.com"}, {"password", "another long password"}, {"display_name", "Ana"}};
  auto first = server.command("SignUp", attacker, "", {{"Idempotency-Key", "signup-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  auto theirs = server.command("SignUp", victim, "", {{"Idempotency-Key", "signup-1"}});
  ASSERT_EQ(theirs.status, 201) << theirs.body;
  EXPECT_NE(theirs.json()["account_id"], first.json()["account_id"]);
  const auto head = server.head();
  auto retry = server.command("SignUp", victim, "", {{"Idempotency-Key", "signup-1"}});
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.headers["idempotent-replayed"], "true");
  EXPECT_EQ(retry.json(), theirs.json());
  EXPECT_EQ(server.head(), head);
  auto session = server.http().post("/v1/sessions", json{{"email", "ana@example.com"}, {"password", "another long password"}}.dump());
  EXPECT_EQ(session.status, 201) << session.body;
}

TEST_F(ApiTest, ConcurrentRetriesWithOneKeyAppendOnce) {
  auto coach = server.account("coach@example.com", "coach");
  const std::string token = coach["token"];
  const auto head = server.head();
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, replayed{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      HttpClient client(server.http());
      auto r = client.post("/v1/commands/CreateOrganization", json{{"name", "Club"}}.dump(),
                           {{"Authorization", "Bearer " + token}, {"Idempotency-Key", "same"}});
      if (r.status == 201) ++created;
      if (r.status == 200) ++replayed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(replayed.load(), 7);
  EXPECT_EQ(server.head(), head + 1);
}

TEST_F(ApiTest, UpgradeToCoachIsIdempotentAndUnlocksOrganizations) {
  auto athlete = server.account("ana@example.com");
  const std::string token = athlete["token"];
  EXPECT_EQ(server.command("CreateOrganization", {{"name", "Club"}}, token).status, 403);
  EXPECT_EQ(server.command("UpgradeToCoach", json::object(), token).status, 201);
  const auto head = server.head();
  auto again = server.command("UpgradeToCoach", json::object(), token);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(server.head(), head);
  EXPECT_EQ(server.command("CreateOrganization", {{"name", "Club"}}, token).status, 201);
}

// Seed 000: signing in at the coach console with an existing athlete account upgrades it instead
// of creating a second account, and founds its head-coach organisation.
TEST_F(ApiTest, ConsoleSignInUpgradesAnAthleteAndFoundsTheirOrganisation) {
  auto athlete = server.account("ana@example.com");
  const json console{{"email", "ana@example.com"}, {"password", "a long password"}, {"console", true}};
  auto first = server.http().post("/v1/sessions", console.dump());
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.json()["account_id"], athlete["account_id"]);  // the same account
  EXPECT_TRUE(first.json()["upgraded"].get<bool>());
  ASSERT_TRUE(first.json().contains("organization_id"));
  const std::string org = first.json()["organization_id"];
  json check{{"organization_id", org}, {"subject", athlete["account_id"]}, {"permission", "console.access"},
             {"min_position", first.json()["position"]}};
  auto r = server.check(first.json()["token"], check);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["allowed"].get<bool>());
  EXPECT_NE(r.json()["reason"].get<std::string>().find("head_coach"), std::string::npos);

  // Signing in at the console again changes nothing; nor does a second sign-up with the email.
  const auto head = server.head();
  auto again = server.http().post("/v1/sessions", console.dump());
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_FALSE(again.json()["upgraded"].get<bool>());
  EXPECT_EQ(server.head(), head);
  auto duplicate = server.command("SignUp", {{"email", "ana@example.com"}, {"password", "a long password"},
                                             {"display_name", "Ana"}, {"membership_role", "coach"}});
  EXPECT_EQ(duplicate.status, 201);
  EXPECT_EQ(server.head(), head);
}

TEST_F(ApiTest, BillingDelegationOverHttp) {
  auto head = server.account("head@example.com", "coach", "Club");
  auto asst = server.account("asst@example.com", "coach");
  auto ath = server.account("ath@example.com");
  const std::string org = head["organization_id"];
  const std::string token = head["token"];
  ASSERT_EQ(server.join(org, asst, "assistant_coach", token).status, 201);
  ASSERT_EQ(server.join(org, ath, "athlete", token).status, 201);
  ASSERT_EQ(server.command("AssignAthlete", {{"organization_id", org}, {"athlete_id", ath["account_id"]},
                                             {"coach_id", asst["account_id"]}}, token).status, 201);
  json check{{"organization_id", org}, {"subject", asst["account_id"]},
             {"permission", "billing.end_org_coverage"}, {"target", ath["account_id"]}};
  check["min_position"] = server.head();
  EXPECT_FALSE(server.check(asst["token"], check).json()["allowed"].get<bool>());

  auto by_assistant = server.command("GrantBillingDelegation", {{"organization_id", org},
                                                                {"account_id", asst["account_id"]}}, asst["token"]);
  EXPECT_EQ(by_assistant.status, 403);
  auto grant = server.command("GrantBillingDelegation", {{"organization_id", org}, {"account_id", asst["account_id"]}}, token);
  ASSERT_EQ(grant.status, 201);
  check["min_position"] = grant.json()["position"];
  EXPECT_TRUE(server.check(asst["token"], check).json()["allowed"].get<bool>());

  auto revoke = server.command("RevokeBillingDelegation", {{"organization_id", org}, {"account_id", asst["account_id"]}}, token);
  ASSERT_EQ(revoke.status, 201);
  check["min_position"] = revoke.json()["position"];
  EXPECT_FALSE(server.check(asst["token"], check).json()["allowed"].get<bool>());
}

TEST_F(ApiTest, EventsNeedTheOperatorToken) {
  auto athlete = server.account("ana@example.com");
  EXPECT_EQ(server.http().get("/v1/events").status, 401);
  EXPECT_EQ(server.http().get("/v1/events", {{"Authorization", "Bearer " + athlete["token"].get<std::string>()}}).status, 403);
}

TEST_F(ApiTest, ProjectionsSurviveARestart) {
  auto coach = server.account("coach@example.com", "coach", "Club");
  server.restart();
  auto s = server.http().post("/v1/sessions", json{{"email", "coach@example.com"}, {"password", "a long password"}}.dump());
  ASSERT_EQ(s.status, 201);
  auto r = server.check(s.json()["token"], {{"organization_id", coach["organization_id"]},
                                            {"subject", coach["account_id"]}, {"permission", "members.manage"},
                                            {"min_position", server.head()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["allowed"].get<bool>());
}

TEST_F(ApiTest, MinPositionBeyondTheLogIs400) {
  auto coach = server.account("coach@example.com", "coach", "Club");
  auto r = server.check(coach["token"], {{"organization_id", coach["organization_id"]},
                                         {"subject", coach["account_id"]}, {"permission", "members.manage"},
                                         {"min_position", 1000000}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["field"], "min_position");
}

TEST_F(ApiTest, AuditReadsYourWritesRightAfterSignUp) {
  for (int i = 0; i < 5; ++i) {
    auto coach = server.account("coach" + std::to_string(i) + "@example.com", "coach", "Club");
    auto s = server.http().post("/v1/commands/CreateOrganization", json{{"name", "Second"}}.dump(),
                                {{"Authorization", "Bearer " + coach["token"].get<std::string>()}});
    ASSERT_EQ(s.status, 201);
    const std::string org = s.json()["organization_id"];
    auto audit = server.http().get("/v1/organizations/" + org + "/audit?min_position=" +
                                       std::to_string(s.json()["position"].get<std::uint64_t>()),
                                   {{"Authorization", "Bearer " + coach["token"].get<std::string>()}});
    ASSERT_EQ(audit.status, 200) << audit.body;
    EXPECT_EQ(audit.json()["entries"].size(), 1u);
  }
}

TEST_F(ApiTest, PathIdsAreValidatedAndBadUtf8IsAnsweredCleanly) {
  auto coach = server.account("coach@example.com", "coach", "Club");
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + coach["token"].get<std::string>()}};
  auto r = server.http().get("/v1/organizations/%FF%FE/audit", auth);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["field"], "organization_id");  // the body is valid JSON
  auto missing = server.http().get("/v1/nothing/%FF");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NO_THROW(missing.json());
  auto wrong_method = server.http().request("DELETE", "/v1/check");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.json()["code"], "method_not_allowed");
  EXPECT_EQ(wrong_method.json()["status"], 405);
}

TEST_F(ApiTest, PermissionCatalogueIsListed) {
  auto r = server.http().get("/v1/permissions");
  ASSERT_EQ(r.status, 200);
  bool found = false;
  const json body = r.json();
  for (const auto& p : body["permissions"]) found = found || p["permission"] == "athletes.assign";
  EXPECT_TRUE(found);
}

TEST_F(ApiTest, RoleModelsAreDiscoverable) {
  auto list = server.http().get("/v1/role-models");
  ASSERT_EQ(list.status, 200);
  const json models = list.json()["role_models"];
  ASSERT_GE(models.size(), 2u);
  auto one = server.http().get("/v1/role-models/head-assistant");
  ASSERT_EQ(one.status, 200);
  const json m = one.json();
  EXPECT_EQ(m["founder_role"], "head_coach");
  bool found = false;
  for (const auto& p : m["permissions"]) {
    if (p["permission"] == "compliance_alerts.manage") {
      found = true;
      EXPECT_EQ(p["scopes"]["head_coach"], "all");
      EXPECT_TRUE(p["scopes"]["assistant_coach"].is_null());
      EXPECT_EQ(p["denial"], "Only head coaches can manage compliance alert rules.");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(server.http().get("/v1/role-models/nope").status, 404);
  auto v1 = server.http().get("/v1/role-models/athlete-coach?version=1");
  ASSERT_EQ(v1.status, 200) << v1.body;
  EXPECT_EQ(v1.json()["version"], 1);
  EXPECT_EQ(server.http().get("/v1/role-models/athlete-coach?version=99").status, 404);
  EXPECT_EQ(server.http().get("/v1/role-models/athlete-coach?version=two").status, 400);
}

TEST_F(ApiTest, AClubTeamNeedsTheClubTierAndItsOwnerSetsIt) {
  auto owner = server.command("SignUp", {{"email", "owner@fc.test"}, {"password", "a long password"},
                                         {"display_name", "Owner"}, {"membership_role", "coach"},
                                         {"organization_name", "Harbour FC"}, {"role_model", "club"}});
  ASSERT_EQ(owner.status, 201) << owner.body;
  const std::string org = owner.json()["organization_id"];
  auto session = server.http().post("/v1/sessions", json{{"email", "owner@fc.test"}, {"password", "a long password"}}.dump());
  const std::string token = session.json()["token"];
  auto coach = server.account("coach@fc.test", "coach");
  const json add{{"organization_id", org}, {"account_id", coach["account_id"]}, {"role", "coach"}};

  auto too_low = server.command("AddMember", add, token);
  EXPECT_EQ(too_low.status, 403);
  EXPECT_NE(too_low.json()["detail"].get<std::string>().find("needs the club tier"), std::string::npos);
  EXPECT_EQ(server.command("ChangeTier", {{"organization_id", org}, {"tier", "club"}}, coach["token"]).status, 403);
  ASSERT_EQ(server.command("ChangeTier", {{"organization_id", org}, {"tier", "club"}}, token).status, 201);
  EXPECT_EQ(server.join(org, coach, "coach", token).status, 201);

  auto not_bool = server.command("ChangeOrganizationSetting",
                                 {{"organization_id", org}, {"setting", "admin_document_visibility"}, {"enabled", "yes"}}, token);
  EXPECT_EQ(not_bool.status, 400);
  EXPECT_EQ(not_bool.json()["field"], "enabled");
  auto on = server.command("ChangeOrganizationSetting",
                           {{"organization_id", org}, {"setting", "admin_document_visibility"}, {"enabled", true}}, token);
  ASSERT_EQ(on.status, 201) << on.body;
  auto audit = server.http().get("/v1/organizations/" + org + "/audit?min_position=" +
                                     std::to_string(on.json()["position"].get<std::uint64_t>()),
                                 {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(audit.json()["entries"][0]["action"], "organization.setting_changed");
  // Between them, the coach's joining: offered, accepted, added.
  EXPECT_EQ(audit.json()["entries"][1]["action"], "member.added");
  EXPECT_EQ(audit.json()["entries"][4]["action"], "organization.tier_changed");
}

TEST_F(ApiTest, ClientTokensAreValidated) {
  auto coach = server.account("coach@example.com", "coach");
  auto r = server.command("CreateOrganization", {{"name", "Club"}}, coach["token"],
                          {{"X-Correlation-Id", std::string(300, 'x')}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["field"], "X-Correlation-Id");
}

TEST_F(ApiTest, CorrelationIdReachesTheEnvelopes) {
  auto coach = server.account("coach@example.com", "coach");
  auto r = server.command("CreateOrganization", {{"name", "Club"}}, coach["token"], {{"X-Correlation-Id", "trace-42"}});
  ASSERT_EQ(r.status, 201);
  auto log = server.http().get("/v1/events?after=" + std::to_string(r.json()["position"].get<std::uint64_t>() - 1),
                               {{"Authorization", std::string("Bearer ") + kOperatorToken}});
  const json body = log.json();
  ASSERT_EQ(body["events"].size(), 1u);
  EXPECT_EQ(body["events"][0]["correlation_id"], "trace-42");
  EXPECT_EQ(body["events"][0]["actor"], coach["account_id"]);
}

TEST_F(ApiTest, ConcurrentCommandsOnOneOrganizationAllLand) {
  auto head = server.account("head@example.com", "coach", "Club");
  const std::string org = head["organization_id"];
  const std::string token = head["token"];
  // Sixteen athletes, added to the same organisation at the same time: every command contends
  // for the organisation's stream.
  std::vector<std::string> athletes;
  for (int i = 0; i < 16; ++i) athletes.push_back(server.account("a" + std::to_string(i) + "@example.com")["account_id"]);
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  std::mutex mu;
  std::vector<std::string> failures;
  for (const auto& id : athletes) {
    threads.emplace_back([&, id] {
      HttpClient client(server.http());
      auto r = client.post("/v1/commands/AddMember",
                           json{{"organization_id", org}, {"account_id", id}, {"role", "athlete"}}.dump(),
                           {{"Authorization", "Bearer " + token}});
      if (r.status == 201) {
        ++created;
      } else {
        std::lock_guard lock(mu);
        failures.push_back(r.body);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 16) << (failures.empty() ? "" : failures.front());
}

// Every stored idempotency record of a closed data directory: key -> request_hash, read with
// RocksDB directly (the store looks records up by key only).
std::map<std::string, std::string> idempotency_records(const std::string& dir) {
  RawDb raw(dir);
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), raw.cf("idempotency")));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out[it->key().ToString()] = json::parse(it->value().ToString())["request_hash"];
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return out;
}

TEST_F(ApiTest, IdempotentSignUpStoresNoUnkeyedHashOfThePassword) {
  const json body{{"email", "ana@example.com"}, {"password", "a long password"}, {"display_name", "Ana"}};
  ASSERT_EQ(server.command("SignUp", body, "", {{"Idempotency-Key", "signup-1"}}).status, 201);
  server.stop();
  // The one record there is: its key is scoped by the request's keyed fingerprint, and that
  // fingerprint is all it keeps of the request.
  const auto records = idempotency_records(server.data_dir());
  ASSERT_EQ(records.size(), 1u);
  const auto& [key, request_hash] = *records.begin();
  EXPECT_NE(request_hash, api::sha256_hex("SignUp\n" + body.dump()));
  EXPECT_EQ(request_hash.size(), 64u);
  EXPECT_EQ(key, "anonymous/" + request_hash + "/signup-1");
}

TEST(ApiWaits, AProjectionThatCannotReachMinPositionIs503AndHealthSaysWhy) {
  // A log whose first event this version cannot decode: the permission projection stops there.
  TestServer server(std::chrono::milliseconds(300), [](const std::string& dir) {
    store::StoreOptions o;
    o.path = dir;
    auto log = store::EventStore::open(o);
    ASSERT_TRUE(log.ok());
    store::AppendRequest r;
    r.streams.push_back({"organization-x", store::ExpectedVersion::any(), {{"FromTheFuture", 1, {{"a", 1}}}}});
    r.metadata = {"someone", "c", "c", "c"};
    ASSERT_TRUE((*log)->append(std::move(r)).ok());
  });
  auto coach = server.account("coach@example.com", "coach", "Club");
  auto r = server.check(coach["token"], {{"organization_id", coach["organization_id"]},
                                         {"subject", coach["account_id"]}, {"permission", "members.manage"},
                                         {"min_position", server.head()}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json()["code"], "unavailable");
  auto health = server.http().get("/healthz");
  EXPECT_EQ(health.status, 503);
  EXPECT_NE(health.json()["projections"]["permissions"]["failure"].get<std::string>().find("FromTheFuture"),
            std::string::npos);
}

}  // namespace
}  // namespace touchline::testing
