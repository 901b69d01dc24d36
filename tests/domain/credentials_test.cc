// Credentials and the compliance dashboard (seed 003): declared by a coach, recorded on their
// behalf, verified by someone else, unverified by an edit; statuses current, lapsing, expired and
// none. Given past events, when a command, then events or a typed error.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "touchline/domain/credentials.h"

namespace touchline::domain {
namespace credentials_test {

using namespace testing;
using Events = std::vector<events::DomainEvent>;

// 2026-11-23 as days since 1970-01-01.
constexpr std::int64_t kToday = 20'780;

// Seed 003 on club version 2: owner, admin, coach1, coach2, a safeguarding officer, a viewer, an athlete.
OrganizationState team() {
  return given<OrganizationState>({
      events::OrganizationCreated{"t", "Harbour FC", "club", "owner", "owner", 2},
      events::OrganizationTierChanged{"t", "club", "free"},
      events::MemberAdded{"t", "admin", "admin"},
      events::MemberAdded{"t", "coach1", "coach"},
      events::MemberAdded{"t", "coach2", "coach"},
      events::MemberAdded{"t", "so", "safeguarding_officer"},
      events::MemberAdded{"t", "viewer", "viewer"},
      events::MemberAdded{"t", "ath", "athlete"},
  });
}

DeclareCredential declare(const std::string& name, const std::string& expires_on) {
  return DeclareCredential{"t", name, expires_on, "scans/" + name + ".pdf", "cred"};
}

template <typename Command>
OrganizationState after(OrganizationState org, const std::string& actor, const Command& cmd) {
  auto r = decide(org, actor, cmd);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  for (const auto& e : *r) org = evolve(org, e);
  return org;
}

void expect_error(const Result<Events>& r, ErrorCode code, const std::string& message_part = "") {
  ASSERT_FALSE(r.ok()) << "expected an error, got " << r->size() << " events";
  EXPECT_EQ(r.error().code, code) << r.error().message;
  EXPECT_NE(r.error().message.find(message_part), std::string::npos) << r.error().message;
}

TEST(DeclareCredential, ACoachDeclaresTheirOwnWithAnExpiryDate) {
  auto r = decide(team(), "coach1", declare("DBS check", "2027-06-30"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Events{events::CredentialDeclared{"t", "cred", "coach1", "DBS check", "2027-06-30",
                                                   "scans/DBS check.pdf"}}));
  expect_error(decide(team(), "coach1", declare("DBS check", "2026-02-30")), ErrorCode::invalid_argument, "YYYY-MM-DD");
  expect_error(decide(team(), "coach1", declare("DBS check", "30/06/2027")), ErrorCode::invalid_argument, "YYYY-MM-DD");
  expect_error(decide(team(), "coach1", declare("DBS check", "2027-02-29")), ErrorCode::invalid_argument, "YYYY-MM-DD");
  EXPECT_TRUE(decide(team(), "coach1", declare("DBS check", "2028-02-29")).ok());  // a leap day
  expect_error(decide(team(), "coach1", declare("", "2027-06-30")), ErrorCode::invalid_argument, "name");
  expect_error(decide(team(), "coach1", declare("DBS\ncheck", "2027-06-30")), ErrorCode::invalid_argument,
               "control characters");
  // Credentials are staff's: not an athlete's, not a stranger's, and only where the model keeps them.
  expect_error(decide(team(), "ath", declare("DBS check", "2027-06-30")), ErrorCode::failed_precondition, "staff");
  expect_error(decide(team(), "stranger", declare("DBS check", "2027-06-30")), ErrorCode::permission_denied);
  auto runners = given<OrganizationState>({events::OrganizationCreated{"r", "R", "athlete-coach", "head", "head_coach", 3}});
  expect_error(decide(runners, "head", DeclareCredential{"r", "DBS", "2027-06-30", "", "c"}),
               ErrorCode::failed_precondition, "keeps no credentials");
}

TEST(RecordCredential, OwnersAdminsAndSafeguardingOfficersRecordOnACoachsBehalf) {
  // "Record a credential on a coach's behalf": Owner, Admin, Safeguarding Officer.
  for (const std::string recorder : {"owner", "admin", "so"}) {
    auto r = decide(team(), recorder, RecordCredential{"t", "coach1", "First aid", "2027-01-31", "", "cred"});
    ASSERT_TRUE(r.ok()) << recorder << ": " << r.error().message;
    EXPECT_EQ(std::get<events::CredentialRecorded>(r->at(0)).holder_id, "coach1");
  }
  for (const std::string recorder : {"coach2", "viewer"}) {
    expect_error(decide(team(), recorder, RecordCredential{"t", "coach1", "First aid", "2027-01-31", "", "cred"}),
                 ErrorCode::permission_denied);
  }
  expect_error(decide(team(), "owner", RecordCredential{"t", "ath", "First aid", "2027-01-31", "", "cred"}),
               ErrorCode::failed_precondition, "staff");
  expect_error(decide(team(), "owner", RecordCredential{"t", "nobody", "First aid", "2027-01-31", "", "cred"}),
               ErrorCode::not_found);
}

TEST(VerifyCredential, SomeoneElseVerifiesAndNeverTheHolder) {
  auto org = after(team(), "coach1", declare("DBS check", "2027-06-30"));
  // "Verify a coach-declared credential": Owner, Admin, Safeguarding Officer; not coaches.
  expect_error(decide(org, "coach2", VerifyCredential{"t", "cred"}), ErrorCode::permission_denied);
  auto verified = decide(org, "so", VerifyCredential{"t", "cred"});
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(*verified, (Events{events::CredentialVerified{"t", "cred", "coach1"}}));
  org = evolve(org, verified->at(0));
  EXPECT_TRUE(org.credentials.at("cred").verified);
  EXPECT_TRUE(decide(org, "admin", VerifyCredential{"t", "cred"})->empty());  // already verified

  // "You cannot verify your own credential", whoever you are.
  auto own = after(team(), "admin", DeclareCredential{"t", "DBS check", "2027-06-30", "", "mine"});
  expect_error(decide(own, "admin", VerifyCredential{"t", "mine"}), ErrorCode::permission_denied, "themself");
  EXPECT_TRUE(decide(own, "owner", VerifyCredential{"t", "mine"}).ok());
  expect_error(decide(own, "owner", VerifyCredential{"t", "missing"}), ErrorCode::not_found);
}

TEST(EditCredential, EditingAVerifiedCredentialClearsTheVerification) {
  auto org = after(after(team(), "coach1", declare("DBS check", "2027-06-30")), "so", VerifyCredential{"t", "cred"});
  auto edited = decide(org, "coach1", EditCredential{"t", "cred", "", "2028-06-30", ""});
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_EQ(*edited, (Events{events::CredentialEdited{"t", "cred", "coach1", "DBS check", "2028-06-30",
                                                      "scans/DBS check.pdf", true}}));
  org = evolve(org, edited->at(0));
  EXPECT_FALSE(org.credentials.at("cred").verified);
  EXPECT_EQ(org.credentials.at("cred").expires_on, "2028-06-30");
  // Nothing changed: nothing to record. Only the holder or a recorder edits.
  EXPECT_TRUE(decide(org, "coach1", EditCredential{"t", "cred", "DBS check", "", ""})->empty());
  expect_error(decide(org, "coach2", EditCredential{"t", "cred", "", "2030-01-01", ""}), ErrorCode::permission_denied);
  EXPECT_TRUE(decide(org, "admin", EditCredential{"t", "cred", "", "2030-01-01", ""}).ok());
  expect_error(decide(org, "coach1", EditCredential{"t", "cred", "", "2030-13-01", ""}), ErrorCode::invalid_argument);
}

TEST(Credentials, AreAStaffMembersWhileTheyAreOneOnTheClubTier) {
  auto org = after(team(), "coach1", declare("DBS check", "2027-06-30"));
  // Below the club tier no role holds anything, and nobody declares either.
  auto lapsed = evolve(org, events::OrganizationTierChanged{"t", "free", "club"});
  expect_error(decide(lapsed, "coach2", declare("DBS check", "2027-06-30")), ErrorCode::permission_denied, "club tier");
  expect_error(decide(lapsed, "coach1", EditCredential{"t", "cred", "", "2030-01-01", ""}), ErrorCode::permission_denied);
  // A member who leaves takes their credentials off the organisation's state (the log keeps them);
  // they no longer edit them, and coming back they declare anew.
  org = evolve(org, events::MemberRemoved{"t", "coach1", "coach"});
  EXPECT_TRUE(org.credentials.empty());
  expect_error(decide(org, "coach1", EditCredential{"t", "cred", "", "2030-01-01", ""}), ErrorCode::not_found);
}

TEST(ComplianceDashboard, StatusesAreCurrentLapsingExpiredOrNone) {
  const auto status = [](const std::string& expires_on) {
    return credential_status(Credential{"c", "DBS", expires_on, "", false}, kToday);
  };
  EXPECT_EQ(format_day(kToday), "2026-11-23");
  EXPECT_EQ(status("2026-11-22"), CredentialStatus::expired);
  EXPECT_EQ(status("2026-11-23"), CredentialStatus::lapsing);  // valid through its expiry day
  EXPECT_EQ(status("2026-12-23"), CredentialStatus::lapsing);  // 30 days ahead
  EXPECT_EQ(status("2026-12-24"), CredentialStatus::current);

  auto org = team();
  org = after(org, "coach1", DeclareCredential{"t", "DBS", "2028-01-01", "", "c1-dbs"});
  org = after(org, "coach1", DeclareCredential{"t", "First aid", "2026-12-01", "", "c1-aid"});
  org = after(org, "coach2", DeclareCredential{"t", "DBS", "2026-01-01", "", "c2-dbs"});
  org = after(org, "admin", DeclareCredential{"t", "DBS", "2029-01-01", "", "a-dbs"});
  std::map<std::string, ComplianceRow> rows;
  for (auto& row : compliance_dashboard(org, kToday)) rows[row.account_id] = row;
  EXPECT_FALSE(rows.contains("ath"));  // staff only
  EXPECT_EQ(rows.at("coach1").status, CredentialStatus::lapsing);  // the worst of theirs
  EXPECT_EQ(rows.at("coach1").credential_ids, (std::vector<std::string>{"c1-aid", "c1-dbs"}));
  EXPECT_EQ(rows.at("coach2").status, CredentialStatus::expired);
  EXPECT_EQ(rows.at("admin").status, CredentialStatus::current);
  EXPECT_EQ(rows.at("viewer").status, CredentialStatus::none);
  // A member who left is no longer on the dashboard; their history stays in the log.
  org = evolve(org, events::MemberRemoved{"t", "coach2", "coach"});
  EXPECT_EQ(compliance_dashboard(org, kToday).size(), rows.size() - 1);
}

}  // namespace credentials_test
}  // namespace touchline::domain
