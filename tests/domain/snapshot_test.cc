// Snapshots give back exactly the state they were made from: every state the golden logs pass
// through, folded event by event, and a hand-made one with every field away from its default. And
// whatever JSON a cache hands back, decoding answers with a state or an error, never an exception.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/data_files.h"
#include "touchline/domain/account.h"
#include "touchline/domain/organization.h"
#include "touchline/domain/snapshot.h"
#include "touchline/events/domain_events.h"

namespace touchline::domain {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Through text, as a cache would store it, so that what JSON cannot carry exactly (large integers)
// shows here.
json stored(const json& j) { return json::parse(j.dump()); }

// What the golden logs made the states go through, so that the round trip cannot pass on states
// that leave the rich fields empty.
struct Seen {
  int accounts = 0, organizations = 0, claims = 0;
  int privacy_changed = 0, athlete_in_org = 0, claimed = 0;
  int custom_roles = 0, invites = 0, used_or_revoked_invites = 0, credentials = 0, verified = 0;
  int grant_holders = 0, emptied_grants = 0, settings = 0, assignments = 0, consenting = 0;
  int deactivated = 0, children = 0, sub_organizations = 0, credits = 0, later_model_versions = 0,
      tiers = 0;
};

void note(Seen& seen, const AccountState& s) {
  ++seen.accounts;
  seen.privacy_changed += !s.privacy.changed.empty();
  seen.athlete_in_org += !s.athlete_organization_id.empty();
}

void note(Seen& seen, const EmailClaimState& s) {
  ++seen.claims;
  seen.claimed += s.claimed && !s.account_id.empty();
}

void note(Seen& seen, const OrganizationState& s) {
  ++seen.organizations;
  seen.custom_roles += !s.custom_roles.empty();
  seen.invites += !s.invites.empty();
  for (const auto& [id, invite] : s.invites) seen.used_or_revoked_invites += invite.uses > 0 || invite.revoked;
  seen.credentials += !s.credentials.empty();
  for (const auto& [id, c] : s.credentials) seen.verified += c.verified;
  for (const auto& [grant, holders] : s.grants) {
    seen.grant_holders += !holders.empty();
    seen.emptied_grants += holders.empty();
  }
  seen.settings += !s.settings.empty();
  seen.assignments += !s.assignments.empty();
  seen.consenting += !s.consenting.empty();
  seen.deactivated += !s.deactivated.empty();
  seen.children += !s.children.empty();
  seen.sub_organizations += !s.parent_id.empty();
  seen.credits += s.credits > 0;
  seen.later_model_versions += s.role_model_version > 1;
  seen.tiers += s.tier != "free";
}

// The fields two states differ in, for the failure message: printing both through snapshot_json
// would hide exactly what the encoder lost.
class Differences {
 public:
  template <typename T>
  Differences& field(const char* name, const T& a, const T& b) {
    if (!(a == b)) names_ += (names_.empty() ? "" : ", ") + std::string(name);
    return *this;
  }
  std::string str() const { return names_; }

 private:
  std::string names_;
};

std::string differences(const AccountState& a, const AccountState& b) {
  return Differences()
      .field("exists", a.exists, b.exists)
      .field("id", a.id, b.id)
      .field("email", a.email, b.email)
      .field("display_name", a.display_name, b.display_name)
      .field("membership_role", a.membership_role, b.membership_role)
      .field("athlete_organization_id", a.athlete_organization_id, b.athlete_organization_id)
      .field("privacy", a.privacy, b.privacy)
      .str();
}

std::string differences(const EmailClaimState& a, const EmailClaimState& b) {
  return Differences().field("claimed", a.claimed, b.claimed).field("account_id", a.account_id, b.account_id).str();
}

std::string differences(const OrganizationState& a, const OrganizationState& b) {
  return Differences()
      .field("exists", a.exists, b.exists)
      .field("id", a.id, b.id)
      .field("name", a.name, b.name)
      .field("role_model", a.role_model, b.role_model)
      .field("role_model_version", a.role_model_version, b.role_model_version)
      .field("members", a.members, b.members)
      .field("assignments", a.assignments, b.assignments)
      .field("grants", a.grants, b.grants)
      .field("tier", a.tier, b.tier)
      .field("settings", a.settings, b.settings)
      .field("custom_roles", a.custom_roles, b.custom_roles)
      .field("credits", a.credits, b.credits)
      .field("invites", a.invites, b.invites)
      .field("consenting", a.consenting, b.consenting)
      .field("credentials", a.credentials, b.credentials)
      .field("deactivated", a.deactivated, b.deactivated)
      .field("parent_id", a.parent_id, b.parent_id)
      .field("children", a.children, b.children)
      .field("parent", a.parent, b.parent)
      .str();
}

template <typename State, typename Decode>
void expect_round_trip(const State& state, Decode decode, const std::string& where) {
  const json snapshot = snapshot_json(state);
  EXPECT_EQ(snapshot.value("format", 0u), kSnapshotFormat) << where;
  auto back = decode(stored(snapshot));
  ASSERT_TRUE(back.ok()) << where << ": " << back.error().message << "\n" << snapshot.dump();
  EXPECT_TRUE(*back == state) << where << ": the decoded state differs in " << differences(state, *back)
                              << "\n  snapshot: " << snapshot.dump();
}

TEST(Snapshot, EveryStateTheGoldenLogsPassThroughRoundTrips) {
  const auto files = touchline::testing::data_files(fs::path(TOUCHLINE_SOURCE_DIR) / "tests/golden", ".ndjson");
  // log_v1 to log_v7 when this was written: fewer means the files were not found.
  ASSERT_GE(files.size(), 7u);
  Seen seen;
  int events_folded = 0;
  for (const auto& file : files) {
    std::ifstream in(file);
    ASSERT_TRUE(in) << file;
    std::map<std::string, AccountState> accounts;
    std::map<std::string, OrganizationState> organizations;
    std::map<std::string, EmailClaimState> claims;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      const std::string where = file.filename().string() + ":" + std::to_string(n);
      const json envelope = json::parse(line);
      auto event = events::decode_event(envelope.at("type").get<std::string>(),
                                        envelope.at("schema_version").get<std::uint32_t>(), envelope.at("payload"));
      ASSERT_TRUE(event.ok()) << where << ": " << event.error().message;
      const std::string stream = envelope.at("stream").get<std::string>();
      if (stream.starts_with("account-")) {
        auto& s = accounts[stream];
        s = evolve(std::move(s), *event);
        note(seen, s);
        expect_round_trip(s, account_from_snapshot, where);
      } else if (stream.starts_with("organization-")) {
        auto& s = organizations[stream];
        s = evolve(std::move(s), *event);
        note(seen, s);
        expect_round_trip(s, organization_from_snapshot, where);
      } else if (stream.starts_with("email-")) {
        auto& s = claims[stream];
        s = evolve(std::move(s), *event);
        note(seen, s);
        expect_round_trip(s, email_claim_from_snapshot, where);
      } else {
        ADD_FAILURE() << where << ": stream " << stream << " is of no aggregate this test knows";
      }
      ++events_folded;
    }
  }
  EXPECT_GT(events_folded, 300);
  EXPECT_GT(seen.accounts, 0);
  EXPECT_GT(seen.organizations, 0);
  EXPECT_GT(seen.claims, 0);
  EXPECT_GT(seen.privacy_changed, 0);
  EXPECT_GT(seen.athlete_in_org, 0);
  EXPECT_GT(seen.claimed, 0);
  EXPECT_GT(seen.custom_roles, 0);
  EXPECT_GT(seen.invites, 0);
  EXPECT_GT(seen.used_or_revoked_invites, 0);
  EXPECT_GT(seen.credentials, 0);
  EXPECT_GT(seen.verified, 0);
  EXPECT_GT(seen.grant_holders, 0);
  EXPECT_GT(seen.emptied_grants, 0);
  EXPECT_GT(seen.settings, 0);
  EXPECT_GT(seen.assignments, 0);
  EXPECT_GT(seen.consenting, 0);
  EXPECT_GT(seen.deactivated, 0);
  EXPECT_GT(seen.children, 0);
  EXPECT_GT(seen.sub_organizations, 0);
  EXPECT_GT(seen.credits, 0);
  EXPECT_GT(seen.later_model_versions, 0);
  EXPECT_GT(seen.tiers, 0);
}

// Fields no event of the golden logs sets (a custom role's conditions, athlete and unique; the
// integers' extremes) and keys JSON must quote.
OrganizationState everything_set() {
  OrganizationState s;
  s.exists = true;
  s.id = "org-ü";
  s.name = "Harbour \"Runners\" ✓";
  s.role_model = "custom-roles";
  s.role_model_version = 1;
  s.members = {{"acc-1", "owner"}, {"acc.2", "analyst"}, {"", "athlete"}};
  s.assignments = {{"acc-ath", "acc.2"}};
  s.grants = {{"adjust_setup", {"acc.2", "acc-1"}}, {"billing_delegation", {}}};
  s.tier = "enterprise";
  s.settings = {{"sso_saml_enabled", true}, {"other", false}};
  Role analyst;
  analyst.name = "analyst";
  analyst.label = "Analyst";
  analyst.athlete = true;
  analyst.addable = true;
  analyst.add_requires = "members.add.custom";
  analyst.unique = true;
  analyst.coaches_athletes = true;
  analyst.custom = true;
  analyst.permissions = {{"athletes.view", Scope::all}, {"reports.view", Scope::assigned}, {"profile.edit", Scope::own}};
  analyst.conditions = {{"athletes.view", "share_reports"}};
  s.custom_roles = {{"analyst", analyst}, {"empty", Role{}}};
  s.credits = INT64_MAX;
  s.invites = {{"inv-1", Invite{"assistant", "a@b.io", INT_MAX, INT64_MAX, std::string(64, 'a'), "acc-1", std::string(64, 'b'), 3, true}},
               {"inv-2", Invite{}}};
  s.consenting = {"acc-ath"};
  s.credentials = {{"cred-1", Credential{"acc.2", "DBS check", "2027-06-30", "scans/x.pdf", true}},
                   {"cred-2", Credential{}}};
  s.deactivated = {"acc.2"};
  s.parent_id = "org-parent";
  s.children = {"org-a", "org-b"};
  return s;
}

TEST(Snapshot, EveryFieldRoundTripsAwayFromItsDefault) {
  expect_round_trip(everything_set(), organization_from_snapshot, "organisation");
  expect_round_trip(OrganizationState{}, organization_from_snapshot, "empty organisation");

  AccountState account{true, true, "acc-1", "Ada@Example.com", "Ada ✓", "coach", "org-1",
                       Privacy{{{"share_activity_in_profile", false}, {"share_pace_data", false}}}};
  expect_round_trip(account, account_from_snapshot, "account");
  expect_round_trip(AccountState{}, account_from_snapshot, "empty account");

  expect_round_trip(EmailClaimState{true, "acc-1"}, email_claim_from_snapshot, "claim");
  expect_round_trip(EmailClaimState{}, email_claim_from_snapshot, "empty claim");
}

TEST(Snapshot, TheParentIsNeitherWrittenNorRead) {
  OrganizationState parent = everything_set();
  parent.id = "org-parent";
  OrganizationState sub = everything_set();
  sub.parent = std::make_shared<const OrganizationState>(parent);
  const json snapshot = snapshot_json(sub);
  EXPECT_FALSE(snapshot.contains("parent"));
  auto back = organization_from_snapshot(stored(snapshot));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->parent, nullptr);
  EXPECT_EQ(back->parent_id, "org-parent");
  sub.parent = nullptr;
  EXPECT_TRUE(*back == sub);
}

template <typename Decode>
Error refused(Decode decode, const json& j) {
  std::optional<Error> error;
  EXPECT_NO_THROW({
    auto r = decode(j);
    if (r.ok()) {
      ADD_FAILURE() << "decoded " << j.dump();
    } else {
      error = r.error();
    }
  });
  if (!error) return Error::make(ErrorCode::internal, "no error");
  EXPECT_EQ(error->code, ErrorCode::invalid_argument) << j.dump();
  EXPECT_FALSE(error->message.empty());
  return *error;
}

TEST(Snapshot, ANonObjectIsRefused) {
  for (const json& j : {json(nullptr), json(42), json(-1.5), json(true), json("snapshot"), json::array(),
                        json::array({snapshot_json(everything_set())}), json::binary({1, 2, 3})}) {
    refused(account_from_snapshot, j);
    refused(organization_from_snapshot, j);
    refused(email_claim_from_snapshot, j);
  }
  EXPECT_EQ(refused(account_from_snapshot, json::object()).field, "format");
}

TEST(Snapshot, AnotherFormatIsRefused) {
  for (const json& format : {json(kSnapshotFormat + 1), json(0), json(-1), json("1"), json(1.0), json(nullptr)}) {
    json j = snapshot_json(everything_set());
    j["format"] = format;
    EXPECT_EQ(refused(organization_from_snapshot, j).field, "format") << format.dump();
  }
  json j = snapshot_json(AccountState{});
  j.erase("format");
  EXPECT_EQ(refused(account_from_snapshot, j).field, "format");
}

TEST(Snapshot, AMissingFieldIsNamed) {
  const json org = snapshot_json(everything_set());
  for (const auto& [key, value] : org.items()) {
    json j = org;
    j.erase(key);
    EXPECT_EQ(refused(organization_from_snapshot, j).field, key);
  }
  // Inside the structs a map holds.
  for (const std::string path : {"/custom_roles/analyst", "/invites/inv-1", "/credentials/cred-1", "/privacy"}) {
    const json base = path == "/privacy" ? snapshot_json(AccountState{}) : org;
    const json::json_pointer at(path);
    for (const auto& [key, value] : base.at(at).items()) {
      json j = base;
      j.at(at).erase(key);
      std::string field = path.substr(1) + "." + key;
      std::replace(field.begin(), field.end(), '/', '.');
      const Error e = path == "/privacy" ? refused(account_from_snapshot, j) : refused(organization_from_snapshot, j);
      EXPECT_EQ(e.field, field);
    }
  }
  const json claim = snapshot_json(EmailClaimState{true, "acc-1"});
  for (const auto& [key, value] : claim.items()) {
    json j = claim;
    j.erase(key);
    EXPECT_EQ(refused(email_claim_from_snapshot, j).field, key);
  }
}

// Every value anywhere in the snapshot, replaced by one of another type: refused, naming where.
void swap_types(const json& whole, const json& here, const std::string& pointer, const std::string& field,
                int& swapped) {
  std::vector<json> others;
  if (here.is_object()) {
    for (const auto& [key, value] : here.items()) {
      swap_types(whole, value, pointer + "/" + key, field.empty() ? key : field + "." + key, swapped);
    }
    others = {json::array(), json("x"), json(nullptr)};
  } else if (here.is_array()) {
    for (std::size_t i = 0; i < here.size(); ++i) {
      swap_types(whole, here[i], pointer + "/" + std::to_string(i), field + "." + std::to_string(i), swapped);
    }
    others = {json::object(), json("x"), json(7)};
  } else if (here.is_string()) {
    others = {json(1), json(false), json(nullptr), json::array({"x"})};
  } else if (here.is_boolean()) {
    others = {json(1), json("true"), json(nullptr)};
  } else if (here.is_number()) {
    others = {json("1"), json(true), json(0.5), json(nullptr)};
  }
  for (const json& other : others) {
    json j = whole;
    j.at(json::json_pointer(pointer)) = other;
    Error e = whole.contains("claimed")       ? refused(email_claim_from_snapshot, j)
              : whole.contains("privacy")     ? refused(account_from_snapshot, j)
                                              : refused(organization_from_snapshot, j);
    EXPECT_EQ(e.field, field) << "with " << other.dump();
    ++swapped;
  }
}

TEST(Snapshot, AMistypedValueIsNamedWherever) {
  int swapped = 0;
  const json org = snapshot_json(everything_set());
  swap_types(org, org, "", "", swapped);
  AccountState account;
  account.privacy.changed["share_pace_data"] = false;
  const json acc = snapshot_json(account);
  swap_types(acc, acc, "", "", swapped);
  const json claim = snapshot_json(EmailClaimState{true, "acc-1"});
  swap_types(claim, claim, "", "", swapped);
  EXPECT_GT(swapped, 200);
}

TEST(Snapshot, AnIntegerOutOfItsFieldsRangeIsRefused) {
  const std::vector<std::pair<std::string, json>> cases = {
      {"/role_model_version", json(std::int64_t{INT_MAX} + 1)},
      {"/invites/inv-1/max_uses", json(std::int64_t{INT_MIN} - 1)},
      {"/invites/inv-1/uses", json(UINT64_MAX)},
      {"/credits", json(UINT64_MAX)},
      {"/invites/inv-1/expires_at_ms", json(std::uint64_t{INT64_MAX} + 1)},
  };
  for (const auto& [pointer, value] : cases) {
    json j = snapshot_json(everything_set());
    j.at(json::json_pointer(pointer)) = value;
    std::string field = pointer.substr(1);
    std::replace(field.begin(), field.end(), '/', '.');
    EXPECT_EQ(refused(organization_from_snapshot, stored(j)).field, field);
  }
  json j = snapshot_json(everything_set());
  j["credits"] = INT64_MIN;  // in range: the decoder is no judge of balances
  EXPECT_TRUE(organization_from_snapshot(stored(j)).ok());
}

TEST(Snapshot, AnUnknownScopeIsAnErrorNotAnException) {
  json j = snapshot_json(everything_set());
  j["custom_roles"]["analyst"]["permissions"]["athletes.view"] = "everyone";
  const Error e = refused(organization_from_snapshot, j);
  EXPECT_EQ(e.field, "custom_roles.analyst.permissions.athletes.view");
  EXPECT_NE(e.message.find("scope"), std::string::npos) << e.message;
}

TEST(Snapshot, AStateNoEventCouldHaveFoldedIsRefused) {
  json j = snapshot_json(everything_set());
  j["role_model_version"] = 999;
  EXPECT_EQ(refused(organization_from_snapshot, j).field, "role_model");
  j = snapshot_json(everything_set());
  j["role_model"] = "no-such-model";
  EXPECT_EQ(refused(organization_from_snapshot, j).field, "role_model");
  // An organisation that does not exist names no model, and needs none.
  j["exists"] = false;
  EXPECT_TRUE(organization_from_snapshot(j).ok());

  json account = snapshot_json(AccountState{});
  account["privacy"]["changed"]["share_shoe_size"] = false;
  EXPECT_EQ(refused(account_from_snapshot, account).field, "privacy.changed.share_shoe_size");
}

}  // namespace
}  // namespace touchline::domain
