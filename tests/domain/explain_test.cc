// The check's explanation: every gate, passed and failed, with the fact that decided it; and the
// facts each event establishes (the sources explanations cite).
#include <gtest/gtest.h>

#include <algorithm>

#include "fixtures.h"
#include "touchline/domain/authorizer.h"
#include "touchline/domain/explain.h"

namespace touchline::domain {
namespace {

using namespace testing;

struct Explained {
  Decision decision;
  std::vector<Gate> gates;
};

// The check with its trace, after making sure the trace changes nothing: the same decision as the
// check without one, and a trace that ends at the gate that decided (passed exactly when allowed,
// saying the reason when denied).
Explained explain(const OrganizationState& org, std::string_view subject, std::string_view permission,
                  std::string_view target = {}, PrivacyOf privacy = {}, const OrganizationState* parent = nullptr) {
  Explained out;
  out.decision = check(org, subject, permission, target, privacy, parent, &out.gates);
  const Decision plain = check(org, subject, permission, target, privacy, parent);
  EXPECT_EQ(out.decision.allowed, plain.allowed);
  EXPECT_EQ(out.decision.reason.view(), plain.reason.view());
  EXPECT_FALSE(out.gates.empty());
  if (!out.gates.empty()) {
    EXPECT_EQ(out.gates.back().passed, out.decision.allowed);
    if (!out.decision.allowed) {
      EXPECT_EQ(out.gates.back().detail, out.decision.reason.view());
    }
  }
  return out;
}

// The gate named `name` the trace ends with, or a failure. A copy: callers pass explanations
// made in the same expression.
Gate last(const Explained& e, std::string_view name) {
  EXPECT_EQ(e.gates.back().name, name) << e.gates.back().detail;
  return e.gates.back();
}

// Whether the gate names `fact` among its facts.
bool names_fact(const Gate& g, const std::string& fact) {
  return std::find(g.facts.begin(), g.facts.end(), fact) != g.facts.end();
}

std::vector<std::string_view> names(const Explained& e) {
  std::vector<std::string_view> out;
  for (const auto& g : e.gates) out.push_back(g.name);
  return out;
}

OrganizationState with(std::vector<events::DomainEvent> more, std::vector<events::DomainEvent> history = club_history()) {
  return given<OrganizationState>(concat(std::move(history), more));
}

// The athlete-coach model's current version: consent and privacy gates apply.
std::vector<events::DomainEvent> current_club() {
  auto h = club_history();
  h.front() = events::OrganizationCreated{"org", "Harbour Runners", "athlete-coach", "head", "head_coach",
                                          find_role_model("athlete-coach")->version};
  return h;
}

TEST(Explain, AnAllowedCheckPassesEveryGateInOrder) {
  const auto e = explain(club(), "asst", "plans.assign", "ath1");
  ASSERT_TRUE(e.decision.allowed);
  // tier twice: the role model's, then the permission's own.
  EXPECT_EQ(names(e), (std::vector<std::string_view>{"organization", "permission", "membership", "deactivation",
                                                       "tier", "role", "tier", "target", "scope"}));
  for (const auto& g : e.gates) EXPECT_TRUE(g.passed) << g.name;
  EXPECT_TRUE(names_fact(e.gates[2], "member/asst"));
  EXPECT_TRUE(names_fact(e.gates[5], "role/asst"));
  EXPECT_TRUE(names_fact(e.gates[7], "member/ath1"));
  EXPECT_TRUE(names_fact(e.gates[8], "assignment/ath1"));
  for (const auto& g : e.gates) EXPECT_EQ(g.organization, "org");
}

TEST(Explain, Organization) {
  const auto e = explain(OrganizationState{}, "asst", "plans.assign");
  EXPECT_EQ(last(e, "organization").detail, "the organisation does not exist");
}

TEST(Explain, Permission) {
  EXPECT_FALSE(last(explain(club(), "head", "no.such_permission"), "permission").passed);
}

TEST(Explain, Membership) {
  EXPECT_TRUE(names_fact(last(explain(club(), "stranger", "plans.view_assigned"), "membership"), "member/stranger"));
}

TEST(Explain, Deactivation) {
  const auto org = with({events::MemberDeactivated{"org", "asst", "assistant_coach"}});
  EXPECT_TRUE(names_fact(last(explain(org, "asst", "plans.assign", "ath1"), "deactivation"), "deactivated/asst"));
  const auto back = with({events::MemberDeactivated{"org", "asst", "assistant_coach"},
                          events::MemberReactivated{"org", "asst"}});
  EXPECT_TRUE(explain(back, "asst", "plans.assign", "ath1").decision.allowed);
}

TEST(Explain, TierOfTheModelAndOfThePermission) {
  // custom-roles: the audit log needs the business tier.
  const std::vector<events::DomainEvent> history{
      events::OrganizationCreated{"org", "Peak", "custom-roles", "own", "owner", find_role_model("custom-roles")->version}};
  const auto pro = given<OrganizationState>(concat(history, {events::OrganizationTierChanged{"org", "pro", ""}}));
  const auto& gate = last(explain(pro, "own", "audit_log.view"), "tier");
  EXPECT_TRUE(names_fact(gate, "tier"));
  const auto business = given<OrganizationState>(concat(history, {events::OrganizationTierChanged{"org", "business", ""}}));
  const auto allowed = explain(business, "own", "audit_log.view");
  ASSERT_TRUE(allowed.decision.allowed);
  EXPECT_EQ(allowed.gates.back().name, "tier");  // the permission's own tier gate, passed
}

TEST(Explain, Role) {
  const auto e = explain(club(), "ath1", "members.manage");
  EXPECT_TRUE(names_fact(last(e, "role"), "role/ath1"));
}

TEST(Explain, Setting) {
  // club: an admin sees credential documents only while admin_document_visibility is on.
  const std::vector<events::DomainEvent> history{
      events::OrganizationCreated{"org", "Otters", "club", "own", "owner", find_role_model("club")->version},
      events::OrganizationTierChanged{"org", "club", ""}, events::MemberAdded{"org", "adm", "admin"}};
  const auto e = explain(given<OrganizationState>(history), "adm", "credentials.view_documents");
  EXPECT_TRUE(names_fact(last(e, "setting"), "setting/admin_document_visibility"));
  const auto on = explain(given<OrganizationState>(concat(
                              history, {events::OrganizationSettingChanged{"org", "admin_document_visibility", true}})),
                          "adm", "credentials.view_documents");
  ASSERT_TRUE(on.decision.allowed);
  const auto setting = std::find_if(on.gates.begin(), on.gates.end(), [](const Gate& g) { return g.name == "setting"; });
  ASSERT_NE(setting, on.gates.end());
  EXPECT_TRUE(setting->passed);
}

TEST(Explain, Grant) {
  // athlete-coach: billing.end_org_coverage comes to an assistant only with the billing delegation.
  const auto without = explain(club(), "asst", "billing.end_org_coverage", "ath1");
  ASSERT_FALSE(without.decision.allowed);
  ASSERT_GE(without.gates.size(), 2u);
  const Gate& grant = without.gates[without.gates.size() - 2];
  EXPECT_EQ(grant.name, "grant");
  EXPECT_FALSE(grant.passed);
  EXPECT_TRUE(names_fact(grant, "grant/billing_delegation/asst"));
  EXPECT_EQ(without.gates.back().name, "role");

  const auto with_grant = explain(with({events::BillingDelegationGranted{"org", "asst"}}), "asst",
                                  "billing.end_org_coverage", "ath1");
  ASSERT_TRUE(with_grant.decision.allowed);
  auto found = std::find_if(with_grant.gates.begin(), with_grant.gates.end(), [](const Gate& g) { return g.name == "grant"; });
  ASSERT_NE(found, with_grant.gates.end());
  EXPECT_TRUE(found->passed);
  EXPECT_TRUE(names_fact(with_grant.gates.back(), "assignment/ath1"));  // the grant's scope: assigned athletes
}

TEST(Explain, NotOnSelf) {
  const std::vector<events::DomainEvent> history{
      events::OrganizationCreated{"org", "Otters", "club", "own", "owner", find_role_model("club")->version},
      events::OrganizationTierChanged{"org", "club", ""}, events::MemberAdded{"org", "adm", "admin"}};
  EXPECT_FALSE(last(explain(given<OrganizationState>(history), "adm", "roles.manage", "adm"), "not_on_self").passed);
}

TEST(Explain, Target) {
  EXPECT_TRUE(names_fact(last(explain(club(), "head", "plans.assign", "stranger"), "target"), "member/stranger"));
}

TEST(Explain, ScopeOwnAndAssigned) {
  EXPECT_TRUE(names_fact(last(explain(club(), "ath1", "plans.view_assigned", "ath2"), "scope"), "role/ath1"));
  EXPECT_TRUE(names_fact(last(explain(club(), "asst", "plans.assign", "ath2"), "scope"), "assignment/ath2"));
}

TEST(Explain, OwnPrivacy) {
  const auto org = given<OrganizationState>(current_club());
  const Privacy opted_out{{{"participate_in_leaderboard", false}}};
  const auto e = explain(org, "ath1", "leaderboard.participate", "", {.subject = &opted_out});
  EXPECT_TRUE(names_fact(last(e, "own_privacy"), "privacy/ath1"));
  EXPECT_EQ(explain(org, "ath1", "leaderboard.participate").gates.back().name, "own_privacy");
}

TEST(Explain, Consent) {
  const auto org = given<OrganizationState>(current_club());
  EXPECT_TRUE(names_fact(last(explain(org, "head", "athletes.view_activities", "ath1"), "consent"), "consent/ath1"));
}

TEST(Explain, Privacy) {
  const auto org = given<OrganizationState>(concat(current_club(), {events::ConsentGiven{"org", "ath1"}}));
  const Privacy hidden{{{"share_activity_with_coach", false}}};
  const auto e = explain(org, "head", "athletes.view_activities", "ath1", {.target = &hidden});
  EXPECT_TRUE(names_fact(last(e, "privacy"), "privacy/ath1"));
  const auto shared = explain(org, "head", "athletes.view_activities", "ath1");
  ASSERT_TRUE(shared.decision.allowed);
  EXPECT_EQ(names(shared).back(), "privacy");
  EXPECT_EQ(shared.gates[shared.gates.size() - 2].name, "consent");
}

TEST(Explain, ParentOrganization) {
  const int version = find_role_model("custom-roles")->version;
  const auto parent = given<OrganizationState>(
      {events::OrganizationCreated{"parent", "Peak", "custom-roles", "own", "owner", version},
       events::OrganizationTierChanged{"parent", "business", ""}, events::MemberAdded{"parent", "asst", "assistant"},
       events::SubOrganizationAdded{"parent", "sub", "Juniors"}});
  const auto sub = given<OrganizationState>(
      {events::SubOrganizationCreated{"sub", "parent", "Juniors", "custom-roles", version, "business", "adm", "owner"},
       events::MemberAdded{"sub", "ath", "athlete"}});
  const auto managed = explain(sub, "own", "members.view", "", {}, &parent);
  ASSERT_TRUE(managed.decision.allowed) << managed.decision.reason;
  EXPECT_EQ(managed.gates[2].name, "membership");
  EXPECT_FALSE(managed.gates[2].passed);
  EXPECT_EQ(managed.gates[3].name, "parent_organization");
  EXPECT_TRUE(managed.gates[3].passed);
  EXPECT_EQ(managed.gates[3].organization, "parent");
  // The parent's own gates follow, each naming the parent.
  EXPECT_EQ(managed.gates[4].organization, "parent");

  const auto not_managed = explain(sub, "asst", "members.view", "", {}, &parent);
  const Gate& gate = last(not_managed, "parent_organization");
  EXPECT_EQ(gate.organization, "parent");
  EXPECT_TRUE(names_fact(gate, "role/asst"));
}

TEST(Facts, EachEventNamesWhatItChanges) {
  EXPECT_EQ(facts_of(events::AthleteAssigned{"org", "ath1", "asst", ""}), std::vector<std::string>{"assignment/ath1"});
  EXPECT_EQ(facts_of(events::MemberRemoved{"org", "asst", "assistant_coach"}),
            (std::vector<std::string>{"member/asst", "role/asst", "deactivated/asst", "consent/asst"}));
  EXPECT_EQ(facts_of(events::BillingDelegationGranted{"org", "asst"}),
            std::vector<std::string>{"grant/billing_delegation/asst"});
  EXPECT_EQ(facts_of(events::PrivacySettingsChanged{"ath1", {}}), std::vector<std::string>{"privacy/ath1"});
  EXPECT_TRUE(facts_of(events::CreditsAdded{}).empty());

  Sources sources;
  record_sources(sources, events::AthleteAssigned{"org", "ath1", "asst", ""}, 7);
  record_sources(sources, events::AthleteAssigned{"org", "ath1", "gen", "asst"}, 9);
  record_sources(sources, events::CreditsAdded{}, 10);
  EXPECT_EQ(sources, (Sources{{"assignment/ath1", 9}}));
}

// Every check the club can ask, explained: the same decision, a trace ending where it decided.
TEST(Explain, AgreesWithTheCheckOnEveryQuestionOfTheClub) {
  const auto org = with({events::BillingDelegationGranted{"org", "asst"}, events::MemberDeactivated{"org", "gen", "coach"}});
  int asked = 0;
  for (const auto& [name, info] : permission_catalogue()) {
    for (const char* subject : {"head", "asst", "gen", "ath1", "ath2", "stranger"}) {
      for (const char* target : {"", "head", "asst", "ath1", "ath2", "stranger"}) {
        explain(org, subject, info.name, target);
        ++asked;
      }
    }
  }
  EXPECT_GT(asked, 1000);
}

}  // namespace
}  // namespace touchline::domain
