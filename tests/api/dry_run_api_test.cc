// POST /v1/commands/{Name}?dry_run=true over HTTP: the answer a command would get, its events and
// the checks it would change, with nothing appended; refused as the command would be. (Every
// command kind is dry-run against what it then does in tests/model/model_test.cc.)
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

TEST(DryRunApi, PredictsTheEventsAndTheChangedChecksAndAppendsNothing) {
  // head-assistant: a head coach makes an assistant a second head coach (seed 001).
  TestServer server;
  auto hana = server.account("hana@dry.test", "coach");
  auto created = server.command("CreateOrganization", {{"name", "Peak"}, {"role_model", "head-assistant"}}, hana["token"]);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string org = created.json()["organization_id"];
  auto asst = server.account("asst@dry.test", "coach");
  ASSERT_EQ(server.join(org, asst, "assistant_coach", hana["token"]).status, 201);
  const json body{{"organization_id", org}, {"account_id", asst["account_id"]}, {"role", "head_coach"}};
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + hana["token"].get<std::string>()}};

  const auto head = server.head();
  auto dry = server.http().post("/v1/commands/ChangeMemberRole?dry_run=true", body.dump(), auth);
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(server.head(), head);
  const json answer = dry.json();
  EXPECT_TRUE(answer["dry_run"].get<bool>());
  ASSERT_EQ(answer["events"].size(), 1u);
  EXPECT_EQ(answer["events"][0]["type"], "MemberRoleChanged");
  bool gains_compliance_alerts = false;
  for (const auto& c : answer["permission_changes"]) {
    EXPECT_EQ(c["organization_id"], org);
    if (c["account_id"] == asst["account_id"] && c["permission"] == "compliance_alerts.manage" && c["target"].is_null()) {
      gains_compliance_alerts = !c["before"].get<bool>() && c["after"].get<bool>();
    }
  }
  EXPECT_TRUE(gains_compliance_alerts) << answer.dump();

  // The real command then changes exactly that check.
  auto check = [&] {
    return server.check(hana["token"], {{"organization_id", org}, {"subject", asst["account_id"]}, {"permission", "compliance_alerts.manage"},
                                        {"min_position", server.head()}}).json()["allowed"].get<bool>();
  };
  EXPECT_FALSE(check());
  ASSERT_EQ(server.command("ChangeMemberRole", body, hana["token"]).status, 201);
  EXPECT_TRUE(check());
}

TEST(DryRunApi, RefusesAsTheCommandWould) {
  TestServer server;
  auto hana = server.account("hana@dry.test", "coach", "Harbour Runners");
  auto asst = server.account("asst@dry.test", "coach");
  const std::string org = hana["organization_id"];
  const json body{{"organization_id", org}, {"account_id", asst["account_id"]}, {"role", "assistant_coach"}};
  const auto head = server.head();
  // Not hana's to give: refused, by the dry run as by the command.
  auto as_asst = server.http().post("/v1/commands/AddMember?dry_run=true", body.dump(),
                                    {{"Authorization", "Bearer " + asst["token"].get<std::string>()}});
  EXPECT_EQ(as_asst.status, server.command("AddMember", body, asst["token"]).status);
  EXPECT_EQ(as_asst.status, 403) << as_asst.body;
  // No token, an unknown field, a dry_run that is not a boolean, and SignUp.
  EXPECT_EQ(server.http().post("/v1/commands/AddMember?dry_run=true", body.dump()).status, 401);
  json unknown = body;
  unknown["colour"] = "blue";
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + hana["token"].get<std::string>()}};
  EXPECT_EQ(server.http().post("/v1/commands/AddMember?dry_run=true", unknown.dump(), auth).status, 400);
  EXPECT_EQ(server.http().post("/v1/commands/AddMember?dry_run=maybe", body.dump(), auth).status, 400);
  EXPECT_EQ(server.http().post("/v1/commands/SignUp?dry_run=true", json{{"email", "x@dry.test"}}.dump()).status, 400);
  EXPECT_EQ(server.head(), head);
}

}  // namespace
}  // namespace touchline::testing
