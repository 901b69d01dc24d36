#include <gtest/gtest.h>

#include "fixtures.h"
#include "touchline/domain/authorizer.h"

namespace touchline::domain {
namespace {

using namespace testing;

TEST(CreateOrganization, CoachFoundsItAsHeadCoach) {
  auto result = decide(coach_account("c1"), CreateOrganization{"Track Club", "", "org-9"});
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->size(), 1u);
  auto org = given<OrganizationState>(*result);
  EXPECT_EQ(org.members.at("c1"), "head_coach");
  EXPECT_EQ(org.role_model, "athlete-coach");
}

TEST(CreateOrganization, AthleteIsDenied) {
  auto result = decide(athlete_account("a1"), CreateOrganization{"Track Club", "", "org-9"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::permission_denied);
}

TEST(CreateOrganization, NameAndModelAreValidated) {
  EXPECT_EQ(decide(coach_account("c1"), CreateOrganization{"", "", "o"}).error().field, "name");
  // A control character in a name would forge lines in lists, logs and the audit trail.
  for (const char* name : {"Club\nAdmins", "Club\t", "\x1b[31mClub", "Club\xc2\x9b"}) {
    auto refused = decide(coach_account("c1"), CreateOrganization{name, "", "o"});
    ASSERT_FALSE(refused.ok()) << name;
    EXPECT_EQ(refused.error().field, "name");
    EXPECT_NE(refused.error().message.find("control characters"), std::string::npos);
  }
  EXPECT_TRUE(decide(coach_account("c1"), CreateOrganization{"Club Ñandú \xe2\x80\x94 Élite", "", "o"}).ok());
  EXPECT_EQ(decide(coach_account("c1"), CreateOrganization{"X", "nope", "o"}).error().field,
            "role_model");
}

TEST(AddMember, OffersTheRoleAndMakesNobodyAMember) {
  auto result = decide(club(), athlete_account("ath3"), "head", AddMember{"org", "ath3", "athlete"});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(*result, (std::vector<events::DomainEvent>{events::MembershipOffered{"org", "ath3", "athlete", "head"}}));
  auto offered = given<OrganizationState>(concat(club_history(), *result));
  EXPECT_FALSE(offered.members.contains("ath3"));
  EXPECT_FALSE(check(offered, "ath3", "activities.log_own", "ath3").allowed);
  // The same offer again is already made; another role replaces it.
  EXPECT_TRUE(decide(offered, athlete_account("ath3"), "head", AddMember{"org", "ath3", "athlete"})->empty());
  auto as_coach = decide(offered, coach_account("ath3"), "head", AddMember{"org", "ath3", "coach"});
  ASSERT_TRUE(as_coach.ok()) << as_coach.error().message;
  EXPECT_EQ(as_coach->size(), 1u);
}

TEST(AddMember, HeadCoachAddsACoach) {
  auto result =
      decide(club(), coach_account("c2"), "head", AddMember{"org", "c2", "assistant_coach"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->size(), 1u);
}

TEST(AddMember, AssistantsCannotAddAnyone) {
  for (const char* actor : {"asst", "gen", "ath1"}) {
    auto r1 = decide(club(), athlete_account("ath3"), actor, AddMember{"org", "ath3", "athlete"});
    ASSERT_FALSE(r1.ok());
    EXPECT_EQ(r1.error().code, ErrorCode::permission_denied);
    auto r2 = decide(club(), coach_account("c2"), actor, AddMember{"org", "c2", "coach"});
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code, ErrorCode::permission_denied);
    EXPECT_EQ(r2.error().message, "Only the head coach can add or remove coaches.");
  }
}

TEST(AddMember, NonMemberIsDenied) {
  auto result = decide(club(), athlete_account("ath3"), "stranger", AddMember{"org", "ath3", "athlete"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::permission_denied);
}

TEST(AddMember, HeadCoachRoleCannotBeAdded) {
  auto result = decide(club(), coach_account("c2"), "head", AddMember{"org", "c2", "head_coach"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(result.error().message.find("athlete, assistant_coach, coach"), std::string::npos);
}

TEST(AddMember, CoachRoleNeedsACoachAccount) {
  auto result = decide(club(), athlete_account("ath3"), "head", AddMember{"org", "ath3", "coach"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::failed_precondition);
}

TEST(AddMember, AthleteBelongsToOneOrganizationAtATime) {
  auto result =
      decide(club(), athlete_account("ath3", "other-org"), "head", AddMember{"org", "ath3", "athlete"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::failed_precondition);
  EXPECT_NE(result.error().message.find("other-org"), std::string::npos);
}

TEST(AddMember, ExistingMemberAndUnknownThingsAreRejected) {
  EXPECT_EQ(decide(club(), athlete_account("ath1", "org"), "head", AddMember{"org", "ath1", "athlete"})
                .error().code,
            ErrorCode::already_exists);
  EXPECT_EQ(decide(club(), AccountState{}, "head", AddMember{"org", "ghost", "athlete"}).error().code,
            ErrorCode::not_found);
  EXPECT_EQ(decide(OrganizationState{}, athlete_account("a"), "head", AddMember{"nope", "a", "athlete"})
                .error().code,
            ErrorCode::not_found);
}

TEST(AssignAthlete, HeadCoachAssignsAndReassignmentMoves) {
  auto result = decide(club(), "head", AssignAthlete{"org", "ath1", "gen"});
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ(std::get<events::AthleteAssigned>((*result)[0]),
            (events::AthleteAssigned{"org", "ath1", "gen", "asst"}));
  auto after = evolve(club(), (*result)[0]);
  EXPECT_EQ(after.assignments.at("ath1"), "gen");
}

TEST(AssignAthlete, SameCoachAgainRecordsNothing) {
  auto result = decide(club(), "head", AssignAthlete{"org", "ath1", "asst"});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->empty());
}

TEST(AssignAthlete, HeadCoachCanCoachAthletesToo) {
  EXPECT_TRUE(decide(club(), "head", AssignAthlete{"org", "ath2", "head"}).ok());
}

TEST(AssignAthlete, OnlyTheHeadCoach) {
  auto result = decide(club(), "asst", AssignAthlete{"org", "ath2", "asst"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::permission_denied);
}

TEST(AssignAthlete, AthleteMustBeAnAthleteMemberAndCoachACoachMember) {
  auto r1 = decide(club(), "head", AssignAthlete{"org", "asst", "gen"});
  EXPECT_EQ(r1.error().field, "athlete_id");
  auto r2 = decide(club(), "head", AssignAthlete{"org", "ath2", "ath1"});
  EXPECT_EQ(r2.error().field, "coach_id");
  auto r3 = decide(club(), "head", AssignAthlete{"org", "ath2", "stranger"});
  EXPECT_EQ(r3.error().code, ErrorCode::failed_precondition);
}

TEST(BillingDelegation, HeadCoachGrantsAndRevokesForAssistants) {
  auto grant = decide(club(), "head", GrantBillingDelegation{"org", "asst"});
  ASSERT_TRUE(grant.ok());
  ASSERT_EQ(grant->size(), 1u);
  auto granted = evolve(club(), (*grant)[0]);
  EXPECT_TRUE(granted.holds_grant("billing_delegation", "asst"));

  auto again = decide(granted, "head", GrantBillingDelegation{"org", "asst"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());

  auto revoke = decide(granted, "head", RevokeBillingDelegation{"org", "asst"});
  ASSERT_TRUE(revoke.ok());
  ASSERT_EQ(revoke->size(), 1u);
  EXPECT_FALSE(evolve(granted, (*revoke)[0]).holds_grant("billing_delegation", "asst"));
}

TEST(BillingDelegation, GeneralCoachIsAnAssistantToo) {
  EXPECT_EQ(decide(club(), "head", GrantBillingDelegation{"org", "gen"})->size(), 1u);
}

TEST(BillingDelegation, TargetMustBeAnotherMembersAssistantRole) {
  const std::pair<const char*, ErrorCode> cases[] = {{"ath1", ErrorCode::failed_precondition},
                                                     {"head", ErrorCode::permission_denied},
                                                     {"stranger", ErrorCode::not_found}};
  for (const auto& [target, code] : cases) {
    auto result = decide(club(), "head", GrantBillingDelegation{"org", target});
    ASSERT_FALSE(result.ok()) << target;
    EXPECT_EQ(result.error().code, code) << target;
  }
}

TEST(BillingDelegation, OnlyTheHeadCoach) {
  auto result = decide(club(), "asst", GrantBillingDelegation{"org", "gen"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::permission_denied);
  auto revoke = decide(club(), "gen", RevokeBillingDelegation{"org", "asst"});
  EXPECT_EQ(revoke.error().code, ErrorCode::permission_denied);
}

}  // namespace
}  // namespace touchline::domain

namespace touchline::domain {
namespace {

using namespace testing;

OrganizationState company() {
  return given<OrganizationState>({
      events::OrganizationCreated{"co", "Peak Co", "head-assistant", "head", "head_coach"},
      events::MemberAdded{"co", "asst", "assistant_coach"},
  });
}

TEST(HeadAssistantModel, AHeadCoachMakesAnotherHeadCoach) {
  auto org = add_and_accept(company(), coach_account("c2"), "head", "head_coach");
  EXPECT_EQ(org.members.at("c2"), "head_coach");
  EXPECT_EQ(org.members.at("head"), "head_coach");  // several are allowed
}

TEST(HeadAssistantModel, AssistantsCannotAddCoachesAndHearWhy) {
  auto result = decide(company(), coach_account("c2"), "asst", AddMember{"co", "c2", "assistant_coach"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::permission_denied);
  EXPECT_EQ(result.error().message, "Only head coaches can invite or remove coaches.");
  auto promote = decide(company(), coach_account("c2"), "asst", AddMember{"co", "c2", "head_coach"});
  EXPECT_EQ(promote.error().code, ErrorCode::permission_denied);
}

TEST(HeadAssistantModel, HasNoBillingDelegation) {
  auto result = decide(company(), "head", GrantBillingDelegation{"co", "asst"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::failed_precondition);
}

}  // namespace
}  // namespace touchline::domain

namespace touchline::domain {
namespace {

using namespace testing;

OrganizationState team(const std::string& tier = "club") {
  std::vector<events::DomainEvent> h{
      events::OrganizationCreated{"t", "Harbour FC", "club", "owner", "owner"},
      events::MemberAdded{"t", "admin", "admin"},
      events::MemberAdded{"t", "coach", "coach"},
      events::MemberAdded{"t", "welfare", "safeguarding_officer"},
  };
  if (tier != "free") h.push_back(events::OrganizationTierChanged{"t", tier, "free"});
  return given<OrganizationState>(h);
}

TEST(ClubModel, BelowTheClubTierNoRoleHoldsAnything) {
  auto d = check(team("free"), "owner", "team_data.view");
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.view().find("needs the club tier"), std::string::npos);
  EXPECT_TRUE(check(team("club"), "owner", "team_data.view").allowed);
  EXPECT_TRUE(check(team("enterprise"), "owner", "team_data.view").allowed);
}

TEST(ClubModel, TheOwnerUpgradesEvenBelowTheTierAndOnlyTheOwner) {
  auto upgrade = decide(team("free"), "owner", ChangeTier{"t", "club"});
  ASSERT_TRUE(upgrade.ok()) << upgrade.error().message;
  EXPECT_EQ(std::get<events::OrganizationTierChanged>((*upgrade)[0]),
            (events::OrganizationTierChanged{"t", "club", "free"}));
  EXPECT_EQ(decide(team(), "admin", ChangeTier{"t", "business"}).error().code, ErrorCode::permission_denied);
  EXPECT_EQ(decide(team(), "owner", ChangeTier{"t", "platinum"}).error().field, "tier");
  EXPECT_TRUE(decide(team(), "owner", ChangeTier{"t", "club"})->empty());
}

TEST(ClubModel, AdminDocumentVisibilityIsTheOwnersSettingAndGatesAdminsOnly) {
  auto org = team();
  EXPECT_FALSE(check(org, "admin", "credentials.view_documents", "coach").allowed);
  EXPECT_TRUE(check(org, "welfare", "credentials.view_documents", "coach").allowed);
  EXPECT_EQ(decide(org, "admin", ChangeOrganizationSetting{"t", "admin_document_visibility", true}).error().code,
            ErrorCode::permission_denied);
  EXPECT_EQ(decide(org, "owner", ChangeOrganizationSetting{"t", "no_such_setting", true}).error().field, "setting");
  auto on = decide(org, "owner", ChangeOrganizationSetting{"t", "admin_document_visibility", true});
  ASSERT_TRUE(on.ok());
  org = evolve(org, (*on)[0]);
  EXPECT_TRUE(check(org, "admin", "credentials.view_documents", "coach").allowed);
  EXPECT_TRUE(decide(org, "owner", ChangeOrganizationSetting{"t", "admin_document_visibility", true})->empty());
}

TEST(ClubModel, NobodyVerifiesTheirOwnCredentialOrChangesTheirOwnRole) {
  auto org = team();
  for (const char* who : {"owner", "admin", "welfare"}) {
    EXPECT_TRUE(check(org, who, "credentials.verify", "coach").allowed) << who;
    EXPECT_FALSE(check(org, who, "credentials.verify", who).allowed) << who;
  }
  EXPECT_FALSE(check(org, "admin", "roles.manage", "admin").allowed);
  EXPECT_TRUE(check(org, "admin", "roles.manage", "coach").allowed);
}

TEST(ClubModel, OnlyTheOwnerMakesAdminsAndTheOwnerRoleIsNotGiven) {
  auto org = team();
  EXPECT_TRUE(decide(org, coach_account("c2"), "owner", AddMember{"t", "c2", "admin"}).ok());
  EXPECT_EQ(decide(org, coach_account("c2"), "admin", AddMember{"t", "c2", "admin"}).error().message,
            "Only the owner can promote someone to admin.");
  EXPECT_TRUE(decide(org, coach_account("c2"), "admin", AddMember{"t", "c2", "coach"}).ok());
  EXPECT_EQ(decide(org, coach_account("c2"), "owner", AddMember{"t", "c2", "owner"}).error().code,
            ErrorCode::invalid_argument);
  EXPECT_FALSE(check(org, "owner", "roles.transfer_owner", "admin").allowed);
}

TEST(ClubModel, TheComplianceDashboardIsNotForCoaches) {
  auto org = team();
  EXPECT_TRUE(check(org, "welfare", "safeguarding.view_dashboard").allowed);
  EXPECT_FALSE(check(org, "coach", "safeguarding.view_dashboard").allowed);
  EXPECT_TRUE(check(org, "admin", "safeguarding.view_dashboard").allowed);
}

}  // namespace
}  // namespace touchline::domain
