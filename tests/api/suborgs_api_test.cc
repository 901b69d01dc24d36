// Sub-organisations over HTTP (seed 002): the owner creates one with its admin on Business, the
// owner's rights reach into it, its admin's do not reach the parent, members move, tiers follow.
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

TEST(SubOrganizationsApi, Seed002OrgHierarchyWithAdminsScopedPerSubOrg) {
  TestServer server;
  auto owner = server.account("owner@tri.test", "coach");
  auto created = server.command("CreateOrganization", {{"name", "Valley Tri"}, {"role_model", "custom-roles"}},
                                owner["token"]);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string parent = created.json()["organization_id"];
  auto admin = server.account("admin@tri.test", "coach");
  const json sub_body{{"organization_id", parent}, {"name", "Juniors"}, {"admin_id", admin["account_id"]}};

  // Business and Enterprise only.
  auto before = server.head();
  EXPECT_EQ(server.command("CreateSubOrganization", sub_body, owner["token"]).status, 403);
  EXPECT_EQ(server.head(), before);
  ASSERT_EQ(server.command("ChangeTier", {{"organization_id", parent}, {"tier", "business"}}, owner["token"]).status, 201);
  auto sub_created = server.command("CreateSubOrganization", sub_body, owner["token"]);
  ASSERT_EQ(sub_created.status, 201) << sub_created.body;
  const std::string sub = sub_created.json()["organization_id"];

  // The parent's owner adds an athlete to the sub-organisation through the parent's rights.
  auto kid = server.account("kid@tri.test", "athlete");
  ASSERT_EQ(server.join(sub, kid, "athlete", owner["token"]).status, 201);
  ASSERT_EQ(server.command("GiveConsent", {{"organization_id", sub}}, kid["token"]).status, 201);
  auto check = [&](const std::string& org, const json& subject, const std::string& permission, const std::string& target) {
    json body{{"organization_id", org}, {"subject", subject["account_id"]}, {"permission", permission},
              {"min_position", server.head()}};
    if (!target.empty()) body["target"] = target;
    auto r = server.check(owner["token"], body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["allowed"].get<bool>();
  };
  EXPECT_TRUE(check(sub, owner, "athletes.view", kid["account_id"]));
  EXPECT_TRUE(check(sub, admin, "athletes.view", kid["account_id"]));

  // The sub-organisation's admin holds nothing in the parent, and acting there is refused.
  EXPECT_FALSE(check(parent, admin, "members.manage", ""));
  auto newcomer = server.account("new@tri.test", "coach");
  before = server.head();
  auto refused = server.command(
      "AddMember", {{"organization_id", parent}, {"account_id", newcomer["account_id"]}, {"role", "assistant"}},
      admin["token"]);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(server.head(), before);

  // Coaches move between them; the tier is the parent's.
  ASSERT_EQ(server.join(parent, newcomer, "assistant", owner["token"]).status, 201);
  auto moved = server.command(
      "MoveMember", {{"organization_id", parent}, {"to_organization_id", sub}, {"account_id", newcomer["account_id"]}},
      owner["token"]);
  ASSERT_EQ(moved.status, 201) << moved.body;
  EXPECT_FALSE(check(parent, newcomer, "athletes.view", ""));
  EXPECT_TRUE(check(sub, newcomer, "athletes.view", ""));
  ASSERT_EQ(server.command("ChangeTier", {{"organization_id", parent}, {"tier", "enterprise"}}, owner["token"]).status, 201);
  EXPECT_EQ(server.command("ChangeTier", {{"organization_id", sub}, {"tier", "pro"}}, admin["token"]).status, 409);

  auto read = server.http().get("/v1/organizations/" + sub + "?min_position=" + std::to_string(server.head()),
                                {{"Authorization", "Bearer " + admin["token"].get<std::string>()}});
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json()["parent_id"], parent);
  EXPECT_EQ(read.json()["tier"], "enterprise");
  auto top = server.http().get("/v1/organizations/" + parent + "?min_position=" + std::to_string(server.head()),
                               {{"Authorization", "Bearer " + owner["token"].get<std::string>()}});
  EXPECT_EQ(top.json()["sub_organizations"], json::array({sub}));
}

}  // namespace
}  // namespace touchline::testing
