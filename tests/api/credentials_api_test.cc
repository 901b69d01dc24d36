// Credentials and the compliance dashboard over HTTP (seed 003), as a club's staff meet them.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "support/test_server.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

// The date `days` from today (UTC), "YYYY-MM-DD".
std::string days_from_today(int days) {
  using namespace std::chrono;
  const year_month_day d{floor<std::chrono::days>(system_clock::now()) + std::chrono::days{days}};
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                static_cast<unsigned>(d.day()));
  return out;
}

class CredentialsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto owner = server.account("owner@club.test", "coach");
    owner_token = owner["token"];
    auto r = server.command("CreateOrganization", {{"name", "Harbour FC"}, {"role_model", "club"}}, owner_token);
    ASSERT_EQ(r.status, 201) << r.body;
    org = r.json()["organization_id"];
    ASSERT_EQ(send("ChangeTier", {{"tier", "club"}}, owner_token).status, 201);
    for (const std::string role : {"admin", "coach", "safeguarding_officer", "viewer"}) {
      staff[role] = server.account(role + "@club.test", "coach");
      auto added = server.join(org, staff[role], role, owner_token);
      ASSERT_EQ(added.status, 201) << added.body;
    }
  }

  HttpResult send(const std::string& command, json body, const std::string& token) {
    body["organization_id"] = org;
    return server.command(command, body, token);
  }
  std::string token(const std::string& role) { return staff[role]["token"]; }
  std::string id(const std::string& role) { return staff[role]["account_id"]; }

  HttpResult dashboard(const std::string& token) {
    return server.http().get("/v1/organizations/" + org + "/compliance?min_position=" + std::to_string(server.head()),
                             {{"Authorization", "Bearer " + token}});
  }

  // The dashboard row of one staff member, as the safeguarding officer reads it.
  json row(const std::string& account) {
    auto r = dashboard(token("safeguarding_officer"));
    EXPECT_EQ(r.status, 200) << r.body;
    const json all = r.json()["staff"];
    for (const auto& s : all) {
      if (s["account_id"] == account) return s;
    }
    ADD_FAILURE() << account << " is not on the dashboard: " << r.body;
    return json::object();
  }

  TestServer server;
  std::string org, owner_token;
  std::map<std::string, json> staff;
};

TEST_F(CredentialsApiTest, ACoachDeclaresSomeoneElseVerifiesAndAnEditClearsIt) {
  auto declared = send("DeclareCredential",
                       {{"name", "DBS check"}, {"expires_on", days_from_today(400)}, {"document", "scans/dbs.pdf"}},
                       token("coach"));
  ASSERT_EQ(declared.status, 201) << declared.body;
  const std::string credential = declared.json()["credential_id"];

  // "You cannot verify your own credential."
  const auto before = server.head();
  auto own = send("VerifyCredential", {{"credential_id", credential}}, token("coach"));
  EXPECT_EQ(own.status, 403) << own.body;
  EXPECT_EQ(server.head(), before);
  // Coaches do not verify others' either; safeguarding officers do.
  auto other = server.account("coach2@club.test", "coach");
  ASSERT_EQ(server.join(org, other, "coach", owner_token).status, 201);
  EXPECT_EQ(send("VerifyCredential", {{"credential_id", credential}}, other["token"]).status, 403);
  ASSERT_EQ(send("VerifyCredential", {{"credential_id", credential}}, token("safeguarding_officer")).status, 201);
  EXPECT_EQ(row(id("coach"))["credentials"][0]["verified"], true);
  EXPECT_EQ(row(id("coach"))["status"], "current");

  // Editing a verified credential clears the verification.
  ASSERT_EQ(send("EditCredential", {{"credential_id", credential}, {"expires_on", days_from_today(500)}}, token("coach")).status,
            201);
  EXPECT_EQ(row(id("coach"))["credentials"][0]["verified"], false);

  auto audit = server.http().get("/v1/organizations/" + org + "/audit?category=content&min_position=" +
                                     std::to_string(server.head()),
                                 {{"Authorization", "Bearer " + owner_token}});
  ASSERT_EQ(audit.status, 200) << audit.body;
  const json entries = audit.json()["entries"];
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0]["action"], "credential.edited");
  EXPECT_EQ(entries[0]["details"]["verification_cleared"], true);
  EXPECT_EQ(entries[1]["action"], "credential.verified");
  EXPECT_EQ(entries[1]["actor"], id("safeguarding_officer"));
  EXPECT_EQ(entries[2]["action"], "credential.declared");
  // The activity log says whether there is a document, never where: coaches read it too.
  EXPECT_EQ(entries[2]["details"]["has_document"], true);
  EXPECT_EQ(audit.body.find("scans/"), std::string::npos);
  EXPECT_EQ(entries[0]["subject"], id("coach"));  // every credential entry is about its holder
}

TEST_F(CredentialsApiTest, TheDashboardGivesEachCoachsStatusToOwnersAdminsAndSafeguardingOfficers) {
  ASSERT_EQ(send("DeclareCredential", {{"name", "DBS check"}, {"expires_on", days_from_today(10)}}, token("coach")).status,
            201);
  // "Record a credential on a coach's behalf": here, one that has lapsed.
  auto recorded = send("RecordCredential",
                       {{"account_id", id("admin")}, {"name", "First aid"}, {"expires_on", days_from_today(-1)},
                        {"document", "scans/aid.pdf"}},
                       token("safeguarding_officer"));
  ASSERT_EQ(recorded.status, 201) << recorded.body;
  EXPECT_EQ(send("RecordCredential", {{"account_id", id("admin")}, {"name", "x"}, {"expires_on", "2030-01-01"}},
                 token("coach")).status,
            403);
  EXPECT_EQ(send("DeclareCredential", {{"name", "DBS"}, {"expires_on", "2030-02-30"}}, token("coach")).status, 400);

  EXPECT_EQ(row(id("coach"))["status"], "lapsing");
  EXPECT_EQ(row(id("admin"))["status"], "expired");
  EXPECT_EQ(row(id("viewer"))["status"], "none");
  EXPECT_EQ(row(id("safeguarding_officer"))["status"], "none");

  // Owners, admins and safeguarding officers only: "not coaches".
  EXPECT_EQ(dashboard(owner_token).status, 200);
  EXPECT_EQ(dashboard(token("admin")).status, 200);
  EXPECT_EQ(dashboard(token("coach")).status, 403);
  EXPECT_EQ(dashboard(token("viewer")).status, 403);
  auto outsider = server.account("outsider@club.test", "coach");
  EXPECT_EQ(dashboard(outsider["token"]).status, 403);

  // Document scans: safeguarding officers always; admins only once the owner turns it on.
  EXPECT_EQ(dashboard(token("safeguarding_officer")).json()["documents_shown"], true);
  EXPECT_EQ(row(id("admin"))["credentials"][0]["document"], "scans/aid.pdf");
  EXPECT_EQ(dashboard(token("admin")).json()["documents_shown"], false);
  ASSERT_EQ(send("ChangeOrganizationSetting", {{"setting", "admin_document_visibility"}, {"enabled", true}}, owner_token).status,
            201);
  EXPECT_EQ(dashboard(token("admin")).json()["documents_shown"], true);
}

}  // namespace
}  // namespace touchline::testing
