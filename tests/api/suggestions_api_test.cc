// POST /v1/check with "suggest": true: for each kind of denial, every suggestion, applied as given
// (each command sent by its first sender, in order, on a fresh copy of the situation), turns the
// check allowed.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "support/test_server.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

// A situation: the people in it (by name) and the check that is denied there.
struct Situation {
  std::map<std::string, json> people;  // name -> {account_id, token}
  std::string organization_id;
  std::string asker;  // who asks the check: the organisation's founder, who may view every member
  json check;         // the /v1/check body, without min_position
};

using Builder = std::function<Situation(TestServer&)>;

// An athlete-coach club: hana (head coach, founder), asst (assistant coach), ada (athlete).
Situation athlete_coach_club(TestServer& server, bool consent) {
  Situation s;
  s.people["hana"] = server.account("hana@club.test", "coach", "Harbour Runners");
  s.organization_id = s.people["hana"]["organization_id"];
  s.asker = "hana";
  s.people["asst"] = server.account("asst@club.test", "coach");
  s.people["ada"] = server.account("ada@club.test", "athlete");
  const std::string head = s.people["hana"]["token"];
  EXPECT_EQ(server.join(s.organization_id, s.people["asst"], "assistant_coach", head).status, 201);
  EXPECT_EQ(server.join(s.organization_id, s.people["ada"], "athlete", head).status, 201);
  if (consent) {
    EXPECT_EQ(server.command("GiveConsent", {{"organization_id", s.organization_id}}, s.people["ada"]["token"]).status, 201);
  }
  return s;
}

// An organisation of `model` founded by `founder` (a coach account), who asks the checks.
Situation founded(TestServer& server, const std::string& founder, const std::string& model) {
  Situation s;
  s.people[founder] = server.account(founder + "@" + model + ".test", "coach");
  s.asker = founder;
  auto created = server.command("CreateOrganization", {{"name", "Club"}, {"role_model", model}}, s.people[founder]["token"]);
  EXPECT_EQ(created.status, 201) << created.body;
  s.organization_id = created.json()["organization_id"];
  return s;
}

json check_body(const Situation& s, const std::string& subject, const std::string& permission,
                const std::string& target = "") {
  json body{{"organization_id", s.organization_id}, {"subject", s.people.at(subject)["account_id"]},
            {"permission", permission}};
  if (!target.empty()) body["target"] = s.people.at(target)["account_id"];
  return body;
}

// Asks the situation's check, with suggestions or without.
json ask(TestServer& server, const Situation& s, bool suggest) {
  json body = s.check;
  body["min_position"] = server.head();
  if (suggest) body["suggest"] = true;
  auto r = server.check(s.people.at(s.asker)["token"], body);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json();
}

// Every suggestion for the situation's check, each applied on a fresh copy of it.
void every_suggestion_allows(const std::string& what, const Builder& build, std::size_t at_least = 1) {
  SCOPED_TRACE(what);
  std::size_t count = 0;
  {
    TestServer server;
    const Situation s = build(server);
    const json answer = ask(server, s, true);
    ASSERT_FALSE(answer["allowed"].get<bool>()) << answer.dump();
    count = answer["suggestions"].size();
    EXPECT_GE(count, at_least) << answer.dump();
  }
  for (std::size_t i = 0; i < count; ++i) {
    TestServer server;
    const Situation s = build(server);
    const json suggestion = ask(server, s, true)["suggestions"][i];
    std::map<std::string, std::string> token_of;
    for (const auto& [name, person] : s.people) token_of[person["account_id"]] = person["token"];
    for (const auto& command : suggestion["commands"]) {
      ASSERT_FALSE(command["senders"].empty()) << command.dump();
      const std::string sender = command["senders"][0];
      ASSERT_TRUE(token_of.contains(sender)) << "a sender outside the situation: " << command.dump();
      auto sent = server.command(command["command"], command["body"], token_of[sender]);
      EXPECT_EQ(sent.status, 201) << command.dump() << " -> " << sent.body;
    }
    const json after = ask(server, s, false);
    EXPECT_TRUE(after["allowed"].get<bool>()) << "suggestion " << i << " " << suggestion.dump() << " left: " << after.dump();
  }
}

TEST(Suggestions, AnAthleteNotAssignedToTheCoach) {
  every_suggestion_allows("scope", [](TestServer& server) {
    Situation s = athlete_coach_club(server, true);
    s.check = check_body(s, "asst", "plans.assign", "ada");
    return s;
  });
}

TEST(Suggestions, ADeactivatedMember) {
  every_suggestion_allows("deactivation", [](TestServer& server) {
    Situation s = athlete_coach_club(server, true);
    EXPECT_EQ(server.command("DeactivateMember", {{"organization_id", s.organization_id}, {"account_id", s.people["asst"]["account_id"]}},
                             s.people["hana"]["token"]).status, 201);
    s.check = check_body(s, "asst", "members.view");
    return s;
  });
}

TEST(Suggestions, APermissionOnlyAGrantGives) {
  every_suggestion_allows("grant", [](TestServer& server) {
    Situation s = athlete_coach_club(server, true);
    EXPECT_EQ(server.command("AssignAthlete", {{"organization_id", s.organization_id}, {"athlete_id", s.people["ada"]["account_id"]},
                                               {"coach_id", s.people["asst"]["account_id"]}}, s.people["hana"]["token"]).status, 201);
    s.check = check_body(s, "asst", "billing.end_org_coverage", "ada");
    return s;
  });
}

TEST(Suggestions, AnAthleteWhoHasNotAcceptedCoaching) {
  every_suggestion_allows("consent", [](TestServer& server) {
    Situation s = athlete_coach_club(server, false);
    s.check = check_body(s, "hana", "athletes.view_activities", "ada");
    return s;
  });
}

TEST(Suggestions, AnAthleteWhoDoesNotShare) {
  every_suggestion_allows("privacy", [](TestServer& server) {
    Situation s = athlete_coach_club(server, true);
    EXPECT_EQ(server.command("UpdatePrivacySettings", {{"settings", {{"share_activity_in_profile", false}}}},
                             s.people["ada"]["token"]).status, 201);
    s.check = check_body(s, "hana", "athletes.view_activities", "ada");
    return s;
  });
}

TEST(Suggestions, AMembersOwnChoiceToStayOut) {
  every_suggestion_allows("own_privacy", [](TestServer& server) {
    Situation s = athlete_coach_club(server, true);
    EXPECT_EQ(server.command("UpdatePrivacySettings", {{"settings", {{"participate_in_leaderboard", false}}}},
                             s.people["ada"]["token"]).status, 201);
    s.check = check_body(s, "ada", "leaderboard.participate");
    return s;
  });
}

TEST(Suggestions, ARoleWithoutThePermission) {
  // head-assistant: only head coaches set compliance alert rules, and a head coach may make
  // another (seed 001).
  every_suggestion_allows("role", [](TestServer& server) {
    Situation s = founded(server, "hana", "head-assistant");
    s.people["ivan"] = server.account("ivan@peak.test", "coach");
    EXPECT_EQ(server.join(s.organization_id, s.people["ivan"], "assistant_coach", s.people["hana"]["token"]).status, 201);
    s.check = check_body(s, "ivan", "compliance_alerts.manage");
    return s;
  });
}

TEST(Suggestions, ATierBelowThePermissions) {
  every_suggestion_allows("tier", [](TestServer& server) {
    Situation s = founded(server, "own", "custom-roles");
    s.check = check_body(s, "own", "audit_log.view");
    return s;
  });
}

TEST(Suggestions, ASettingThatIsOff) {
  every_suggestion_allows("setting", [](TestServer& server) {
    Situation s = founded(server, "own", "club");
    EXPECT_EQ(server.command("ChangeTier", {{"organization_id", s.organization_id}, {"tier", "club"}}, s.people["own"]["token"]).status, 201);
    s.people["adm"] = server.account("adm@otters.test", "coach");
    EXPECT_EQ(server.join(s.organization_id, s.people["adm"], "admin", s.people["own"]["token"]).status, 201);
    s.check = check_body(s, "adm", "credentials.view_documents");
    return s;
  });
}

TEST(Suggestions, NoneForWhatNoCommandChanges) {
  TestServer server;
  Situation s = athlete_coach_club(server, true);
  auto stranger = server.account("stranger@club.test", "coach");
  s.people["stranger"] = stranger;
  // A non-member (joining needs their own acceptance) and an allowed check: no suggestions.
  for (const json& body : {check_body(s, "stranger", "members.view"), check_body(s, "hana", "members.view")}) {
    s.check = body;
    const json answer = ask(server, s, true);
    EXPECT_TRUE(answer["suggestions"].empty()) << answer.dump();
  }
}

}  // namespace
}  // namespace touchline::testing
