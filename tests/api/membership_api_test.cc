// The membership rules over HTTP: each rule the deciders enforce, seen by a client. A refused
// command answers its status with the rule in `detail` and appends nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/test_server.h"
#include "touchline/domain/role_model.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

// An organisation of one model, built the way a client would: the founder signs up with it.
class Org {
 public:
  Org(TestServer& server, const std::string& model, const std::string& tier = "")
      : server_(server) {
    auto founder = server.account("founder-" + model + "@org.test", "coach", "Org of " + model);
    id = founder["organization_id"];
    founder_id = founder["account_id"];
    founder_token = founder["token"];
    if (!tier.empty()) {
      auto r = send("ChangeTier", {{"tier", tier}});
      EXPECT_EQ(r.status, 201) << r.body;
    }
    // Sign-up made the organisation on the default model; this model's one is made here.
    if (model != "athlete-coach") {
      auto r = server.http().post("/v1/commands/CreateOrganization", json{{"name", "Org"}, {"role_model", model}}.dump(),
                                  {{"Authorization", "Bearer " + founder_token}});
      EXPECT_EQ(r.status, 201) << r.body;
      id = r.json()["organization_id"];
      if (!tier.empty()) {
        auto t = send("ChangeTier", {{"tier", tier}});
        EXPECT_EQ(t.status, 201) << t.body;
      }
    }
  }

  // A new account joining with `role`; returns {account_id, token}. An athlete accepts being
  // coached, as one who joins to be coached does, unless `consent` is false.
  json join(const std::string& name, const std::string& role, bool athlete = false, bool consent = true) {
    auto a = server_.account(name + "@org.test", athlete ? "athlete" : "coach");
    auto r = server_.join(id, a, role, founder_token);
    EXPECT_EQ(r.status, 201) << r.body;
    if (athlete && consent) {
      auto c = send("GiveConsent", json::object(), a["token"]);
      EXPECT_EQ(c.status, 201) << c.body;
    }
    return a;
  }

  // A command on this organisation, by the founder unless a token is given.
  HttpResult send(const std::string& command, json body, const std::string& token = "") {
    body["organization_id"] = id;
    return server_.command(command, body, token.empty() ? founder_token : token);
  }

  // Whether `subject` may use `permission` (on `target`), once everything so far is projected.
  bool allowed(const std::string& subject, const std::string& permission, const std::string& target = "") {
    json body{{"organization_id", id}, {"subject", subject}, {"permission", permission},
              {"min_position", server_.head()}};
    if (!target.empty()) body["target"] = target;
    auto r = server_.check(founder_token, body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["allowed"].get<bool>();
  }

  std::string reason(const std::string& subject, const std::string& permission) {
    json body{{"organization_id", id}, {"subject", subject}, {"permission", permission},
              {"min_position", server_.head()}};
    return server_.check(founder_token, body).json()["reason"];
  }

  std::string id, founder_id, founder_token;

 private:
  TestServer& server_;
};

class MembershipApiTest : public ::testing::Test {
 protected:
  // Sends a command that must be refused with `status`, `detail` containing `says`, nothing appended.
  void expect_refused(Org& org, const std::string& command, const json& body, int status, const std::string& says,
                      const std::string& token = "") {
    const auto before = server.head();
    auto r = org.send(command, body, token);
    EXPECT_EQ(r.status, status) << command << " " << body.dump() << ": " << r.body;
    EXPECT_NE(r.json().value("detail", std::string()).find(says), std::string::npos)
        << command << ": '" << says << "' not in " << r.body;
    EXPECT_EQ(server.head(), before) << command << " appended after a refusal";
  }

  TestServer server;
};

TEST_F(MembershipApiTest, ClubRoleChangesFollowTheSeedsRules) {
  Org team(server, "club", "club");
  auto admin = team.join("admin", "admin");
  auto coach = team.join("coach", "coach");
  const std::string admin_token = admin["token"];

  // "You can't change your own role."
  expect_refused(team, "ChangeMemberRole", {{"account_id", admin["account_id"]}, {"role", "coach"}}, 403,
                 "own role", admin_token);
  // "Only the owner can promote someone to admin."
  expect_refused(team, "ChangeMemberRole", {{"account_id", coach["account_id"]}, {"role", "admin"}}, 403,
                 "Only the owner can promote someone to admin.", admin_token);
  // "The owner role can't be reassigned."
  expect_refused(team, "ChangeMemberRole", {{"account_id", team.founder_id}, {"role", "coach"}}, 409,
                 "can't be transferred", admin_token);
  expect_refused(team, "ChangeMemberRole", {{"account_id", admin["account_id"]}, {"role", "owner"}}, 409,
                 "can't be given");
  // Admins change the roles below admin.
  auto to_viewer = team.send("ChangeMemberRole", {{"account_id", coach["account_id"]}, {"role", "viewer"}}, admin_token);
  ASSERT_EQ(to_viewer.status, 201) << to_viewer.body;
  EXPECT_FALSE(team.allowed(coach["account_id"], "items.create"));
  // The owner promotes.
  ASSERT_EQ(team.send("ChangeMemberRole", {{"account_id", coach["account_id"]}, {"role", "admin"}}).status, 201);
  EXPECT_TRUE(team.allowed(coach["account_id"], "members.manage"));

  auto perms = server.http().get("/v1/organizations/" + team.id + "/members/" + coach["account_id"].get<std::string>() +
                                     "/permissions?min_position=" + std::to_string(server.head()),
                                 {{"Authorization", "Bearer " + team.founder_token}});
  ASSERT_EQ(perms.status, 200) << perms.body;
  EXPECT_EQ(perms.json()["role"], "admin");
}

TEST_F(MembershipApiTest, UniqueRolesStayUniqueWhereTheModelSaysSo) {
  Org runners(server, "athlete-coach");
  auto asst = runners.join("asst", "assistant_coach");
  expect_refused(runners, "ChangeMemberRole", {{"account_id", asst["account_id"]}, {"role", "head_coach"}}, 409,
                 "head_coach");
  expect_refused(runners, "AddMember", {{"account_id", server.account("c2@org.test", "coach")["account_id"]},
                                        {"role", "head_coach"}},
                 400, "cannot be given");
  // In head-assistant a head coach makes another member head coach.
  Org company(server, "head-assistant");
  auto other = company.join("other", "assistant_coach");
  ASSERT_EQ(company.send("ChangeMemberRole", {{"account_id", other["account_id"]}, {"role", "head_coach"}}).status, 201);
  EXPECT_TRUE(company.allowed(other["account_id"], "compliance_alerts.manage"));
}

TEST_F(MembershipApiTest, RemovingACoachEndsTheirAccessAndSendsTheirAthletesBackVisibly) {
  Org runners(server, "athlete-coach");
  auto asst = runners.join("asst", "assistant_coach");
  auto ath = runners.join("ath", "athlete", true);
  ASSERT_EQ(runners.send("AssignAthlete", {{"athlete_id", ath["account_id"]}, {"coach_id", asst["account_id"]}}).status, 201);
  EXPECT_TRUE(runners.allowed(asst["account_id"], "athletes.view_pace", ath["account_id"]));

  expect_refused(runners, "RemoveMember", {{"account_id", runners.founder_id}}, 409, "cannot be removed");
  expect_refused(runners, "RemoveMember", {{"account_id", ath["account_id"]}}, 403, "", asst["token"]);
  auto removed = runners.send("RemoveMember", {{"account_id", asst["account_id"]}});
  ASSERT_EQ(removed.status, 201) << removed.body;
  EXPECT_FALSE(runners.allowed(asst["account_id"], "members.view"));

  auto audit = server.http().get("/v1/organizations/" + runners.id + "/audit?min_position=" +
                                     std::to_string(removed.json()["position"].get<std::uint64_t>()),
                                 {{"Authorization", "Bearer " + runners.founder_token}});
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(audit.json()["entries"][0]["action"], "member.removed");
  EXPECT_EQ(audit.json()["entries"][1]["action"], "athlete.assigned");
  EXPECT_EQ(audit.json()["entries"][1]["subject"], ath["account_id"]);
  EXPECT_EQ(audit.json()["entries"][1]["details"]["coach_id"], runners.founder_id);
  EXPECT_EQ(audit.json()["entries"][1]["details"]["previous_coach_id"], asst["account_id"]);

  // A removed athlete is free to join another organisation.
  ASSERT_EQ(runners.send("RemoveMember", {{"account_id", ath["account_id"]}}).status, 201);
  Org other(server, "head-assistant");
  EXPECT_EQ(server.join(other.id, ath, "athlete", other.founder_token).status, 201);
}

TEST_F(MembershipApiTest, ScopeFollowsAssignment) {
  Org runners(server, "athlete-coach");
  auto asst = runners.join("asst", "assistant_coach");
  auto ath = runners.join("ath", "athlete", true);
  EXPECT_FALSE(runners.allowed(asst["account_id"], "athletes.view_pace", ath["account_id"]));
  ASSERT_EQ(runners.send("AssignAthlete", {{"athlete_id", ath["account_id"]}, {"coach_id", asst["account_id"]}}).status, 201);
  EXPECT_TRUE(runners.allowed(asst["account_id"], "athletes.view_pace", ath["account_id"]));
  expect_refused(runners, "UnassignAthlete", {{"athlete_id", ath["account_id"]}}, 403, "", asst["token"]);
  ASSERT_EQ(runners.send("UnassignAthlete", {{"athlete_id", ath["account_id"]}}).status, 201);
  EXPECT_FALSE(runners.allowed(asst["account_id"], "athletes.view_pace", ath["account_id"]));
}

TEST_F(MembershipApiTest, PrivacyIsTheAthletesAloneAndOverridesEveryRole) {
  Org runners(server, "athlete-coach");
  auto asst = runners.join("asst", "assistant_coach");
  auto ath = runners.join("ath", "athlete", true);
  ASSERT_EQ(runners.send("AssignAthlete", {{"athlete_id", ath["account_id"]}, {"coach_id", asst["account_id"]}}).status, 201);
  EXPECT_TRUE(runners.allowed(runners.founder_id, "athletes.view_pace", ath["account_id"]));

  // Nobody else changes an athlete's privacy, the head coach included.
  const auto before = server.head();
  auto by_coach = server.command("UpdatePrivacySettings",
                                 {{"account_id", ath["account_id"]}, {"settings", {{"share_pace_data", true}}}},
                                 runners.founder_token);
  EXPECT_EQ(by_coach.status, 403) << by_coach.body;
  auto unknown = server.command("UpdatePrivacySettings", {{"settings", {{"share_shoe_size", false}}}}, ath["token"]);
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(server.head(), before);

  auto off = server.command("UpdatePrivacySettings", {{"settings", {{"share_pace_data", false}}}}, ath["token"]);
  ASSERT_EQ(off.status, 201) << off.body;
  for (const std::string& coach : {runners.founder_id, asst["account_id"].get<std::string>()}) {
    EXPECT_FALSE(runners.allowed(coach, "athletes.view_pace", ath["account_id"])) << coach;
    EXPECT_TRUE(runners.allowed(coach, "athletes.view_race_goals", ath["account_id"])) << coach;
  }
  json body{{"organization_id", runners.id}, {"subject", runners.founder_id}, {"permission", "athletes.view_pace"},
            {"target", ath["account_id"]}, {"min_position", server.head()}};
  EXPECT_NE(server.check(runners.founder_token, body).json()["reason"].get<std::string>().find("share_pace_data"),
            std::string::npos);

  // The master switch hides the rest too; switching back on shares again.
  ASSERT_EQ(server.command("UpdatePrivacySettings", {{"settings", {{"share_activity_in_profile", false}}}}, ath["token"]).status, 201);
  EXPECT_FALSE(runners.allowed(runners.founder_id, "athletes.view_race_goals", ath["account_id"]));
  ASSERT_EQ(server.command("UpdatePrivacySettings",
                           {{"settings", {{"share_activity_in_profile", true}, {"share_pace_data", true}}}}, ath["token"]).status,
            201);
  EXPECT_TRUE(runners.allowed(runners.founder_id, "athletes.view_pace", ath["account_id"]));

  // The athlete reads their own settings, defaults included; nobody else does.
  auto privacy = [&](const json& whose, const std::string& token) {
    return server.http().get("/v1/accounts/" + whose["account_id"].get<std::string>() +
                                 "/privacy?min_position=" + std::to_string(server.head()),
                             {{"Authorization", "Bearer " + token}});
  };
  auto own = privacy(ath, ath["token"]);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.json()["settings"]["share_pace_data"], true);
  EXPECT_EQ(own.json()["settings"]["share_activity_with_public"], false);
  EXPECT_EQ(privacy(ath, runners.founder_token).status, 403);
}

// 200 SpendCredits at once against one pool: the balance never goes below zero, exactly as many
// spends land as the pool can pay, and the credits spent equal the balance lost.
TEST_F(MembershipApiTest, ConcurrentSpendsNeverOverdrawThePool) {
  Org team(server, "club", "club");
  auto coach = team.join("coach", "coach");
  constexpr int kPool = 150, kSpends = 200;
  auto added = team.send("AddCredits", {{"amount", kPool}});
  ASSERT_EQ(added.status, 201) << added.body;
  const std::uint64_t start = server.head();

  std::atomic<int> landed{0}, refused{0}, other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      HttpClient http(server.port());
      for (int i = c; i < kSpends; i += 8) {
        json body{{"organization_id", team.id}, {"amount", 1}};
        const std::string who = i % 2 ? team.founder_token : coach["token"].get<std::string>();
        auto r = http.post("/v1/commands/SpendCredits", body.dump(), {{"Authorization", "Bearer " + who}});
        if (r.status == 201) {
          ++landed;
        } else if (r.status == 409 && r.body.find("cannot be spent") != std::string::npos) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(landed.load(), kPool);
  EXPECT_EQ(refused.load(), kSpends - kPool);

  // The log agrees: every spend's balance is the one before it less its amount, never negative.
  auto events = server.http().get("/v1/events?after=" + std::to_string(start) + "&limit=1000",
                                  {{"Authorization", std::string("Bearer ") + kOperatorToken}});
  ASSERT_EQ(events.status, 200) << events.body;
  std::int64_t balance = kPool, spent = 0;
  const json page = events.json();
  for (const auto& e : page["events"]) {
    if (e["type"] != "CreditsSpent") continue;
    const std::int64_t amount = e["payload"]["amount"];
    EXPECT_EQ(e["payload"]["balance"].get<std::int64_t>(), balance - amount);
    balance -= amount;
    spent += amount;
    EXPECT_GE(balance, 0);
  }
  EXPECT_EQ(spent, kPool);
  EXPECT_EQ(balance, 0);
  EXPECT_EQ(team.send("SpendCredits", {{"amount", 1}}).status, 409);
}

TEST_F(MembershipApiTest, AnOrganizationReportsItsTierSettingsAndPoolToItsMembers) {
  Org platform(server, "custom-roles", "business");
  auto asst = platform.join("asst", "assistant");
  const json sso{{"setting", "sso_saml_enabled"}, {"enabled", true}};
  expect_refused(platform, "ChangeOrganizationSetting", sso, 403, "needs the enterprise tier");
  ASSERT_EQ(platform.send("ChangeTier", {{"tier", "enterprise"}}).status, 201);
  ASSERT_EQ(platform.send("ChangeOrganizationSetting", sso).status, 201);
  ASSERT_EQ(platform.send("AddCredits", {{"amount", 40}}).status, 201);

  auto read = [&](const std::string& token) {
    return server.http().get("/v1/organizations/" + platform.id + "?min_position=" + std::to_string(server.head()),
                             {{"Authorization", "Bearer " + token}});
  };
  auto r = read(asst["token"]);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["role_model"], "custom-roles");
  EXPECT_EQ(r.json()["role_model_version"], domain::find_role_model("custom-roles")->version);
  EXPECT_EQ(r.json()["tier"], "enterprise");
  EXPECT_EQ(r.json()["settings"]["sso_saml_enabled"], true);
  EXPECT_EQ(r.json()["credits"], 40);
  EXPECT_EQ(r.json()["members"], 2);
  auto outsider = server.account("outsider@org.test", "coach");
  EXPECT_EQ(read(outsider["token"]).status, 403);
}

TEST_F(MembershipApiTest, AuditEntriesHaveCategoriesFiltersAndPerModelReaders) {
  Org team(server, "club", "club");
  auto admin = team.join("admin", "admin");
  auto coach = team.join("coach", "coach");
  auto viewer = team.join("viewer", "viewer");
  ASSERT_EQ(team.send("AddCredits", {{"amount", 5}}).status, 201);
  ASSERT_EQ(team.send("SpendCredits", {{"amount", 2}}, coach["token"]).status, 201);
  auto read = [&](const json& who, const std::string& query) {
    return server.http().get("/v1/organizations/" + team.id + "/audit?min_position=" + std::to_string(server.head()) +
                                 (query.empty() ? "" : "&" + query),
                             {{"Authorization", "Bearer " + who["token"].get<std::string>()}});
  };
  const json owner{{"token", team.founder_token}};

  auto all = read(owner, "");
  ASSERT_EQ(all.status, 200) << all.body;
  const json entries = all.json()["entries"];
  for (const auto& e : entries) EXPECT_TRUE(e.contains("category")) << e.dump();
  EXPECT_EQ(entries[0]["action"], "credits.spent");
  EXPECT_EQ(entries[0]["category"], "billing");

  auto billing = read(owner, "category=billing");
  ASSERT_EQ(billing.status, 200);
  const json billing_entries = billing.json()["entries"];
  EXPECT_EQ(billing_entries.size(), 3u);  // tier, credits added, credits spent
  for (const auto& e : billing_entries) EXPECT_EQ(e["category"], "billing");
  auto by_coach = read(owner, "actor=" + coach["account_id"].get<std::string>());
  ASSERT_EQ(by_coach.status, 200);
  EXPECT_EQ(by_coach.json()["entries"].size(), 3u);  // accepting the offer, joining, spending
  auto about_admin = read(owner, "subject=" + admin["account_id"].get<std::string>() + "&category=membership");
  EXPECT_EQ(about_admin.json()["entries"].size(), 3u);  // offered, accepted, added
  EXPECT_EQ(read(owner, "until=2000-01-01").json()["entries"].size(), 0u);
  EXPECT_EQ(read(owner, "since=2000-01-01").json()["entries"].size(), entries.size());
  EXPECT_EQ(read(owner, "category=gossip").status, 400);

  // The club's activity log: coaches and up read it; athlete access and consent are for admins
  // and the owner; viewers read none of it.
  EXPECT_EQ(read(coach, "").status, 200);
  EXPECT_EQ(read(coach, "category=consent").status, 403);
  EXPECT_EQ(read(admin, "category=consent").status, 200);
  EXPECT_EQ(read(viewer, "").status, 403);
}

TEST_F(MembershipApiTest, GrantsGoOnlyFromTheirGranterToTheirRoles) {
  Org platform(server, "custom-roles", "club");  // two staff seats taken: club has five
  auto asst = platform.join("asst", "assistant");
  auto ro = platform.join("ro", "read_only");
  auto ath = platform.join("ath", "athlete", true);
  auto other = platform.join("other", "athlete", true);
  ASSERT_EQ(platform.send("AssignAthlete", {{"athlete_id", ath["account_id"]}, {"coach_id", asst["account_id"]}}).status, 201);

  expect_refused(platform, "GrantToMember", {{"account_id", asst["account_id"]}, {"grant", "adjust_setup"}}, 403, "",
                 asst["token"]);
  expect_refused(platform, "GrantToMember", {{"account_id", ro["account_id"]}, {"grant", "adjust_setup"}}, 409,
                 "read_only");
  expect_refused(platform, "GrantToMember", {{"account_id", asst["account_id"]}, {"grant", "everything"}}, 400,
                 "adjust_setup");
  ASSERT_EQ(platform.send("GrantToMember", {{"account_id", asst["account_id"]}, {"grant", "adjust_setup"}}).status, 201);
  EXPECT_TRUE(platform.allowed(asst["account_id"], "athletes.adjust_setup", ath["account_id"]));
  EXPECT_FALSE(platform.allowed(asst["account_id"], "athletes.adjust_setup", other["account_id"]));
  ASSERT_EQ(platform.send("RevokeFromMember", {{"account_id", asst["account_id"]}, {"grant", "adjust_setup"}}).status, 201);
  EXPECT_FALSE(platform.allowed(asst["account_id"], "athletes.adjust_setup", ath["account_id"]));
}

TEST_F(MembershipApiTest, TierGatedPermissionsNameTheTier) {
  Org platform(server, "custom-roles", "pro");
  EXPECT_FALSE(platform.allowed(platform.founder_id, "audit_log.view"));
  EXPECT_NE(platform.reason(platform.founder_id, "audit_log.view").find("needs the business tier"), std::string::npos);
  expect_refused(platform, "DefineRole", {{"role", "analyst"}, {"permissions", {{"athletes.view", "all"}}}}, 403,
                 "business");
  auto audit = server.http().get("/v1/organizations/" + platform.id + "/audit?min_position=" + std::to_string(server.head()),
                                 {{"Authorization", "Bearer " + platform.founder_token}});
  EXPECT_EQ(audit.status, 403) << audit.body;

  ASSERT_EQ(platform.send("ChangeTier", {{"tier", "business"}}).status, 201);
  EXPECT_TRUE(platform.allowed(platform.founder_id, "audit_log.view"));
  audit = server.http().get("/v1/organizations/" + platform.id + "/audit?min_position=" + std::to_string(server.head()),
                            {{"Authorization", "Bearer " + platform.founder_token}});
  EXPECT_EQ(audit.status, 200) << audit.body;
}

TEST_F(MembershipApiTest, CustomRolesNeverEscalateNorGrantTheUngrantable) {
  Org platform(server, "custom-roles", "business");
  expect_refused(platform, "DefineRole", {{"role", "snoop"}, {"permissions", {{"ai_conversations.view_raw", "all"}}}},
                 400, "can never be granted");
  expect_refused(platform, "DefineRole", {{"role", "snoop"}, {"permissions", {{"athletes.view", "everyone"}}}}, 400,
                 "own, assigned or all");
  expect_refused(platform, "DefineRole", {{"role", "snoop"}, {"permissions", "all of them"}}, 400, "permissions");

  // A builder role that sees assigned athletes only cannot build a wider one.
  ASSERT_EQ(platform.send("DefineRole", {{"role", "builder"}, {"label", "Role builder"},
                                         {"permissions", {{"roles.define_custom", "all"}, {"athletes.view", "assigned"}}}})
                .status,
            201);
  auto builder = platform.join("builder", "builder");
  expect_refused(platform, "DefineRole", {{"role", "wide"}, {"permissions", {{"athletes.view", "all"}}}}, 403,
                 "scope assigned", builder["token"]);
  expect_refused(platform, "DefineRole", {{"role", "money"}, {"permissions", {{"billing.refund", "all"}}}}, 403,
                 "you do not hold billing.refund", builder["token"]);
  EXPECT_TRUE(platform.allowed(builder["account_id"], "roles.define_custom"));
  EXPECT_FALSE(platform.allowed(builder["account_id"], "billing.refund"));

  // Deleting a role still held says by how many; once nobody holds it, it goes.
  expect_refused(platform, "DeleteRole", {{"role", "builder"}}, 409, "still held by 1 member");
  ASSERT_EQ(platform.send("ChangeMemberRole", {{"account_id", builder["account_id"]}, {"role", "assistant"}}).status, 201);
  EXPECT_FALSE(platform.allowed(builder["account_id"], "roles.define_custom"));
  ASSERT_EQ(platform.send("DeleteRole", {{"role", "builder"}}).status, 201);
  expect_refused(platform, "UpdateRole", {{"role", "builder"}, {"permissions", {{"athletes.view", "all"}}}}, 404,
                 "no custom role");

  auto model = server.http().get("/v1/role-models/custom-roles");
  ASSERT_EQ(model.status, 200);
  EXPECT_EQ(model.json()["custom_roles"]["defined_with"], "roles.define_custom");
}

TEST_F(MembershipApiTest, ModelsWithoutCustomRolesOrNewerVersionsSaySo) {
  Org runners(server, "athlete-coach");
  expect_refused(runners, "DefineRole", {{"role", "analyst"}, {"permissions", {{"athletes.view", "all"}}}}, 409,
                 "no custom roles");
  expect_refused(runners, "AdoptRoleModelVersion", {{"version", 99}}, 400, "no version 99");
  const auto before = server.head();
  auto newest = runners.send("AdoptRoleModelVersion", json::object());
  EXPECT_EQ(newest.status, 201) << newest.body;  // already on the newest: nothing to record
  EXPECT_EQ(server.head(), before);
}


TEST_F(MembershipApiTest, Seed001DeactivatingAnAssistantKeepsTheirHistory) {
  Org company(server, "head-assistant");
  auto asst = company.join("asst", "assistant_coach");
  auto ath = company.join("ath", "athlete", true);
  ASSERT_EQ(company.send("AssignAthlete", {{"athlete_id", ath["account_id"]}, {"coach_id", asst["account_id"]}}).status, 201);
  ASSERT_TRUE(company.allowed(asst["account_id"], "analyses.publish", ath["account_id"]));

  expect_refused(company, "DeactivateMember", {{"account_id", company.founder_id}}, 403, "", asst["token"]);
  ASSERT_EQ(company.send("DeactivateMember", {{"account_id", asst["account_id"]}}).status, 201);
  EXPECT_FALSE(company.allowed(asst["account_id"], "analyses.publish", ath["account_id"]));
  EXPECT_FALSE(company.allowed(asst["account_id"], "team.view"));
  auto perms = server.http().get("/v1/organizations/" + company.id + "/members/" + asst["account_id"].get<std::string>() +
                                     "/permissions?min_position=" + std::to_string(server.head()),
                                 {{"Authorization", "Bearer " + company.founder_token}});
  ASSERT_EQ(perms.status, 200) << perms.body;
  EXPECT_EQ(perms.json()["role"], "assistant_coach");  // still a member
  EXPECT_EQ(perms.json()["deactivated"], true);
  EXPECT_TRUE(perms.json()["permissions"].empty());

  // The history stays: the audit log shows what they did and what happened to their athlete.
  auto audit = server.http().get("/v1/organizations/" + company.id + "/audit?min_position=" + std::to_string(server.head()),
                                 {{"Authorization", "Bearer " + company.founder_token}});
  ASSERT_EQ(audit.status, 200) << audit.body;
  const json entries = audit.json()["entries"];
  EXPECT_EQ(entries[0]["action"], "member.deactivated");
  EXPECT_EQ(entries[1]["action"], "athlete.unassigned");
  EXPECT_EQ(entries[1]["subject"], ath["account_id"]);

  ASSERT_EQ(company.send("ReactivateMember", {{"account_id", asst["account_id"]}}).status, 201);
  EXPECT_TRUE(company.allowed(asst["account_id"], "team.view"));
}


TEST_F(MembershipApiTest, Seed000OnlyAnOperatorTurnsACoachBackIntoAnAthlete) {
  Org runners(server, "athlete-coach");
  auto coach = runners.join("coach", "coach");
  auto operator_command = [&](const std::string& name, const json& body, const std::string& token) {
    return server.http().post("/v1/operator/commands/" + name, body.dump(), {{"Authorization", "Bearer " + token}});
  };
  // Never the user, nor anyone in their organisation.
  const auto before = server.head();
  EXPECT_EQ(server.command("DowngradeToAthlete", {{"account_id", coach["account_id"]}}, coach["token"]).status, 403);
  EXPECT_EQ(server.command("DowngradeToAthlete", {{"account_id", coach["account_id"]}}, runners.founder_token).status, 403);
  EXPECT_EQ(operator_command("DowngradeToAthlete", {{"account_id", coach["account_id"]}}, runners.founder_token).status, 403);
  // An operator, once the account is on no organisation's staff.
  auto staff = operator_command("DowngradeToAthlete", {{"account_id", coach["account_id"]}}, kOperatorToken);
  EXPECT_EQ(staff.status, 409) << staff.body;
  EXPECT_NE(staff.json()["detail"].get<std::string>().find(runners.id), std::string::npos) << staff.body;
  EXPECT_EQ(server.head(), before);
  ASSERT_EQ(runners.send("RemoveMember", {{"account_id", coach["account_id"]}}).status, 201);
  auto done = operator_command("DowngradeToAthlete", {{"account_id", coach["account_id"]}}, kOperatorToken);
  ASSERT_EQ(done.status, 201) << done.body;
  // Now an athlete account: a staff role needs a coach account again.
  auto again = runners.send("AddMember", {{"account_id", coach["account_id"]}, {"role", "coach"}});
  EXPECT_EQ(again.status, 409) << again.body;
  // Operators also change tiers and add credits on an organisation's behalf; nothing else.
  EXPECT_EQ(operator_command("ChangeTier", {{"organization_id", runners.id}, {"tier", "pro"}}, kOperatorToken).status, 201);
  EXPECT_EQ(operator_command("AddCredits", {{"organization_id", runners.id}, {"amount", 10}}, kOperatorToken).status, 201);
  EXPECT_EQ(operator_command("AddMember", {{"organization_id", runners.id}}, kOperatorToken).status, 404);
}

}  // namespace
}  // namespace touchline::testing
