#include <gtest/gtest.h>

#include "fixtures.h"
#include "touchline/domain/authorizer.h"

namespace touchline::domain {
namespace {

using namespace testing;

bool allowed(const OrganizationState& org, const char* subject, const char* perm,
             const char* target = "") {
  return check(org, subject, perm, target).allowed;
}

TEST(Check, TrainingPlansTable) {
  auto org = club();
  // View assigned plans: everyone, for themselves.
  for (const char* who : {"ath1", "asst", "head"}) EXPECT_TRUE(allowed(org, who, "plans.view_assigned"));
  // Create plan templates and generate AI plans: coaches only.
  for (const char* perm : {"plans.create_template", "plans.generate_ai"}) {
    EXPECT_FALSE(allowed(org, "ath1", perm));
    EXPECT_TRUE(allowed(org, "asst", perm));
    EXPECT_TRUE(allowed(org, "head", perm));
  }
  // Assign plans: assistant to own athletes only, head coach to any member.
  EXPECT_FALSE(allowed(org, "ath1", "plans.assign", "ath2"));
  EXPECT_TRUE(allowed(org, "asst", "plans.assign", "ath1"));
  EXPECT_FALSE(allowed(org, "asst", "plans.assign", "ath2"));
  EXPECT_TRUE(allowed(org, "head", "plans.assign", "ath2"));
  EXPECT_TRUE(allowed(org, "head", "plans.assign", "asst"));
}

TEST(Check, OrganizationManagementTable) {
  auto org = club();
  EXPECT_FALSE(allowed(org, "ath1", "members.view"));
  EXPECT_TRUE(allowed(org, "asst", "members.view", "ath2"));  // all members
  EXPECT_TRUE(allowed(org, "head", "members.view", "ath2"));
  for (const char* perm :
       {"members.manage", "coaches.manage", "athletes.assign", "org.settings.edit"}) {
    EXPECT_FALSE(allowed(org, "ath1", perm)) << perm;
    EXPECT_FALSE(allowed(org, "asst", perm)) << perm;
    EXPECT_FALSE(allowed(org, "gen", perm)) << perm;
    EXPECT_TRUE(allowed(org, "head", perm)) << perm;
  }
}

TEST(Check, ActivityDataTable) {
  auto org = club();
  EXPECT_TRUE(allowed(org, "ath1", "activities.view_own"));
  EXPECT_TRUE(allowed(org, "asst", "activities.view_own"));
  EXPECT_FALSE(allowed(org, "ath2", "athletes.view_activities", "ath1"));
  EXPECT_TRUE(allowed(org, "asst", "athletes.view_activities", "ath1"));
  EXPECT_FALSE(allowed(org, "asst", "athletes.view_activities", "ath2"));
  EXPECT_TRUE(allowed(org, "head", "athletes.view_activities", "ath2"));
  // Comments: athletes on their own, coaches on any athlete in the organisation.
  EXPECT_TRUE(allowed(org, "ath1", "activities.comment", "ath1"));
  EXPECT_FALSE(allowed(org, "ath1", "activities.comment", "ath2"));
  EXPECT_TRUE(allowed(org, "asst", "activities.comment", "ath2"));
}

TEST(Check, CoachesHaveEverythingAthletesHave) {
  auto org = club();
  for (const char* perm : {"activities.log_own", "summaries.view_own", "zones.track_own",
                           "leaderboard.participate", "feed.participate", "privacy.manage_own"}) {
    for (const char* who : {"ath1", "asst", "gen", "head"}) EXPECT_TRUE(allowed(org, who, perm)) << who << perm;
  }
  EXPECT_FALSE(allowed(org, "ath1", "console.access"));
  EXPECT_TRUE(allowed(org, "gen", "console.access"));
}

TEST(Check, GeneralCoachEqualsAssistantCoach) {
  auto org = club();
  EXPECT_EQ(effective_permissions(org, "gen"), effective_permissions(org, "asst"));
}

TEST(Check, BillingDelegationGrantsEndOrgCoverageForAssignedAthletes) {
  auto org = club();
  EXPECT_FALSE(allowed(org, "asst", "billing.end_org_coverage", "ath1"));
  EXPECT_EQ(check(org, "asst", "billing.end_org_coverage").reason,
            "Ending org-paid coverage is reserved for the head coach or organisation owner, unless "
            "they delegate it to you.");
  org = evolve(org, events::BillingDelegationGranted{"org", "asst"});
  EXPECT_TRUE(allowed(org, "asst", "billing.end_org_coverage", "ath1"));
  EXPECT_FALSE(allowed(org, "asst", "billing.end_org_coverage", "ath2"));
  EXPECT_FALSE(allowed(org, "gen", "billing.end_org_coverage", "ath1"));
  EXPECT_EQ(effective_permissions(org, "asst").at("billing.end_org_coverage"), Scope::assigned);
  org = evolve(org, events::BillingDelegationRevoked{"org", "asst"});
  EXPECT_FALSE(allowed(org, "asst", "billing.end_org_coverage", "ath1"));
  EXPECT_TRUE(allowed(org, "head", "billing.end_org_coverage", "ath2"));
}

TEST(Check, NonMembersUnknownPermissionsAndOutsideTargetsAreDenied) {
  auto org = club();
  EXPECT_FALSE(allowed(org, "stranger", "plans.view_assigned"));
  EXPECT_FALSE(allowed(org, "head", "no.such_permission"));
  EXPECT_FALSE(allowed(org, "head", "plans.assign", "stranger"));
  EXPECT_FALSE(allowed(OrganizationState{}, "head", "plans.assign"));
}

TEST(Check, ReassignmentMovesTheScope) {
  auto org = evolve(club(), events::AthleteAssigned{"org", "ath1", "gen", "asst"});
  EXPECT_FALSE(allowed(org, "asst", "athletes.view_activities", "ath1"));
  EXPECT_TRUE(allowed(org, "gen", "athletes.view_activities", "ath1"));
}

}  // namespace
}  // namespace touchline::domain

namespace touchline::domain {
namespace {

TEST(Check, NoRoleCanHoldANeverGrantablePermission) {
  auto org = testing::club();
  for (const char* who : {"head", "asst", "ath1"}) {
    auto d = check(org, who, "ai_conversations.view_raw", "ath1");
    EXPECT_FALSE(d.allowed);
    EXPECT_NE(d.reason.view().find("cannot be granted"), std::string::npos);
  }
  EXPECT_FALSE(find_permission("ai_conversations.view_raw")->grantable);
}

}  // namespace
}  // namespace touchline::domain

namespace touchline::domain {
namespace {

TEST(Check, HeadCoachOnlyFeaturesAreDeniedWithTheModelsMessage) {
  auto org = testing::given<OrganizationState>({
      events::OrganizationCreated{"co", "Peak Co", "head-assistant", "head", "head_coach"},
      events::MemberAdded{"co", "asst", "assistant_coach"},
  });
  auto d = check(org, "asst", "compliance_alerts.manage");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "Only head coaches can manage compliance alert rules.");
  EXPECT_TRUE(check(org, "head", "compliance_alerts.manage").allowed);
}

}  // namespace
}  // namespace touchline::domain
