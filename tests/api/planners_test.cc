// The write side's planners as plain functions, one area at a time: given the aggregates' past
// events, when a command's body, then the events, the answer, or a typed error naming the field.
// No store, no socket: the state comes from a reader over the given events.
#include <gtest/gtest.h>

#include <map>

#include "support/given_state.h"
#include "touchline/api/commands/body.h"
#include "touchline/api/commands/planners.h"
#include "touchline/domain/account.h"
#include "touchline/domain/organization.h"

namespace touchline::api::commands {
namespace {

using nlohmann::json;
using events::DomainEvent;

using testing::GivenState;

PlanContext context(StateReader& state, std::string actor) {
  auto counter = std::make_shared<int>(0);
  return PlanContext{state, std::move(actor), 1'700'000'000'000, "192.0.2.7", false,
                     [counter] { return "new-" + std::to_string(++*counter); },
                     [] { return std::string("secret"); },
                     [](const std::string&) -> Result<std::vector<std::string>> { return std::vector<std::string>{}; },
                     "$argon2id$hash-made-before-planning",
                     // Claim keys and sealed text as a test can read them: "key(" + address + ")",
                     // and states holding plain text (a server's hold sealed text; api tests cover it).
                     [](std::string_view email) { return "key(" + std::string(email) + ")"; },
                     [](std::string_view text) -> Result<std::optional<std::string>> { return std::optional<std::string>(std::string(text)); }};
}

std::vector<std::string> types(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& e : plan.events) out.emplace_back(events::event_type(e));
  return out;
}

void expect_invalid(const Result<Plan>& r, const std::string& field) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << r.error().message;
  EXPECT_EQ(r.error().field, field) << r.error().message;
}

// A head coach's athlete-coach organisation with one athlete.
GivenState athlete_coach_club() {
  return {events::AccountRegistered{"coach", "c@x.io", "Coach", "coach"},
          events::AccountRegistered{"ada", "ada@x.io", "Ada", "athlete"},
          events::OrganizationCreated{"org", "Harbour", "athlete-coach", "coach", "head_coach", 3},
          events::MemberAdded{"org", "ada", "athlete"},
          events::AthleteJoinedOrganization{"ada", "org"}};
}

// --- the body decoder ----------------------------------------------------------------------

TEST(Body, NamesAMissingMistypedOrUnknownField) {
  {
    const json j{{"a", 1}};
    Body b(j);
    b.required("a");
    ASSERT_TRUE(b.finish());
    EXPECT_EQ(b.finish()->field, "a");
  }
  {
    const json j{{"a", "x"}, {"extra", true}};
    Body b(j);
    b.required("a");
    ASSERT_TRUE(b.finish());
    EXPECT_EQ(b.finish()->field, "extra");
  }
  {
    const json j = json::array();
    Body b(j);
    ASSERT_TRUE(b.finish());
    EXPECT_EQ(b.finish()->code, ErrorCode::invalid_argument);
  }
  {
    const json j{{"id", "has space"}, {"n", -1}, {"flag", "yes"}};
    Body b(j);
    b.required_id("id");
    b.optional_count("n", 0);
    b.optional_bool("flag", false);
    EXPECT_EQ(b.finish()->field, "id");  // the first problem
  }
  {
    const json j{{"min_position", 42u}, {"console", true}, {"map", {{"k", "v"}}}};
    Body b(j);
    EXPECT_EQ(b.optional_position("min_position"), 42u);
    EXPECT_TRUE(b.optional_bool("console", false));
    EXPECT_EQ(b.optional_string_map("map").at("k"), "v");
    EXPECT_EQ(b.optional_string_map("absent").size(), 0u);
    EXPECT_FALSE(b.finish());
  }
}

// --- accounts ------------------------------------------------------------------------------

TEST(AccountPlanners, SignUpClaimsTheEmailAndKeepsTheHashOutOfTheLog) {
  GivenState state{};
  auto ctx = context(state, "");
  auto plan = plan_sign_up(ctx, {{"email", "Hana@X.io"}, {"password", "correct horse battery"},
                                 {"display_name", "Hana"}, {"membership_role", "coach"},
                                 {"organization_name", "Harbour"}});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  // The claim under the address's claim key, and an older log's claim under the address itself.
  EXPECT_EQ(state.streams_read, (std::vector<std::string>{"email-key(hana@x.io)", "email-hana@x.io"}));
  EXPECT_EQ(plan->result["account_id"], "new-1");
  EXPECT_EQ(plan->result["organization_id"], "new-2");
  EXPECT_EQ(plan->actor, "new-1");
  ASSERT_EQ(plan->secrets.size(), 1u);
  EXPECT_EQ(plan->secrets[0].key, "password/new-1");
  EXPECT_EQ(plan->secrets[0].value, "$argon2id$hash-made-before-planning");
  for (const auto& e : plan->events) {
    EXPECT_EQ(events::event_payload(e).dump().find("correct horse"), std::string::npos);
  }
}

TEST(AccountPlanners, ATakenEmailIsAnsweredAsANewOneWithNothingRecorded) {
  GivenState state{events::EmailClaimed{"hana@x.io", "someone"}};
  auto ctx = context(state, "");
  const json body{{"email", "Hana@x.io"}, {"password", "correct horse battery"}, {"display_name", "Hana"},
                  {"membership_role", "coach"}, {"organization_name", "Harbour"}};
  auto taken = plan_sign_up(ctx, body);
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  EXPECT_TRUE(taken->events.empty());
  EXPECT_TRUE(taken->secrets.empty());
  GivenState fresh{};
  auto fresh_ctx = context(fresh, "");
  auto created = plan_sign_up(fresh_ctx, body);
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(created->events.empty());
  EXPECT_EQ(taken->result, created->result);  // the same fields, from the same id source
  // Still a 400 for a body that would be refused for a new email.
  auto short_password = body;
  short_password["password"] = "short";
  EXPECT_EQ(plan_sign_up(ctx, short_password).error().field, "password");
}

TEST(AccountPlanners, AnUnknownFieldIsNamed) {
  GivenState state{};
  auto ctx = context(state, "");
  expect_invalid(plan_sign_up(ctx, {{"email", "a@x.io"}, {"password", "correct horse battery"},
                                    {"display_name", "A"}, {"nickname", "x"}}),
                 "nickname");
}

TEST(AccountPlanners, DowngradeIsTheOperatorsAndPrivacyTheAccountsOwn) {
  auto state = athlete_coach_club();
  auto ctx = context(state, "coach");
  auto by_member = plan_downgrade_to_athlete(ctx, {{"account_id", "coach"}});
  ASSERT_FALSE(by_member.ok());
  EXPECT_EQ(by_member.error().code, ErrorCode::permission_denied);
  auto privacy = plan_update_privacy(ctx, {{"settings", {{"share_activity_in_profile", false}}}});
  ASSERT_TRUE(privacy.ok()) << privacy.error().message;
  EXPECT_EQ(types(*privacy), std::vector<std::string>{"PrivacySettingsChanged"});
  auto others = plan_update_privacy(ctx, {{"account_id", "ada"}, {"settings", {{"share_activity_in_profile", false}}}});
  ASSERT_FALSE(others.ok());
  EXPECT_EQ(others.error().code, ErrorCode::permission_denied);
}

TEST(AccountPlanners, AnAthleteSigningInAtTheConsoleFoundsTheirOrganisation) {
  auto state = athlete_coach_club();
  auto athlete = context(state, "ada");
  auto upgraded = plan_upgrade_at_console(athlete, nlohmann::json::object());
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().message;
  ASSERT_EQ(types(*upgraded), (std::vector<std::string>{"AccountUpgradedToCoach", "OrganizationCreated"}));
  EXPECT_EQ(std::get<events::OrganizationCreated>(upgraded->events[1]).name, "Ada's organisation");
  EXPECT_EQ(upgraded->result["upgraded"], true);
  auto coach = context(state, "coach");
  auto already = plan_upgrade_at_console(coach, nlohmann::json::object());
  ASSERT_TRUE(already.ok()) << already.error().message;
  EXPECT_TRUE(already->events.empty());
  EXPECT_EQ(already->result["upgraded"], false);
  expect_invalid(plan_upgrade_at_console(athlete, {{"organization_name", "Mine"}}), "organization_name");
}

// --- membership ----------------------------------------------------------------------------

TEST(MembershipPlanners, AddMemberReadsTheOrganisationAndTheMember) {
  GivenState state{events::AccountRegistered{"coach", "c@x.io", "Coach", "coach"},
                   events::AccountRegistered{"bo", "bo@x.io", "Bo", "athlete"},
                   events::OrganizationCreated{"org", "Harbour", "athlete-coach", "coach", "head_coach", 3}};
  auto ctx = context(state, "coach");
  auto plan = plan_add_member(ctx, {{"organization_id", "org"}, {"account_id", "bo"}, {"role", "athlete"}});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(state.streams_read, (std::vector<std::string>{"organization-org", "account-bo"}));
  EXPECT_EQ(types(*plan), (std::vector<std::string>{"MembershipOffered"}));
  EXPECT_EQ(plan->result["pending"], true);
  expect_invalid(plan_add_member(ctx, {{"organization_id", "org"}, {"account_id", "bo"}}), "role");
}

TEST(MembershipPlanners, AcceptingAndLeavingReadTheOrganisationAndTheSignedInAccount) {
  GivenState state{events::AccountRegistered{"coach", "c@x.io", "Coach", "coach"},
                   events::AccountRegistered{"bo", "bo@x.io", "Bo", "athlete"},
                   events::OrganizationCreated{"org", "Harbour", "athlete-coach", "coach", "head_coach", 3},
                   events::MembershipOffered{"org", "bo", "athlete", "coach"}};
  auto bo = context(state, "bo");
  auto accepted = plan_accept_membership(bo, {{"organization_id", "org"}});
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(state.streams_read, (std::vector<std::string>{"organization-org", "account-bo"}));
  EXPECT_EQ(types(*accepted), (std::vector<std::string>{"MembershipAccepted", "MemberAdded", "AthleteJoinedOrganization"}));
  EXPECT_EQ(accepted->result["role"], "athlete");
  EXPECT_EQ(types(*plan_decline_membership(bo, {{"organization_id", "org"}})),
            std::vector<std::string>{"MembershipDeclined"});
  auto coach = context(state, "coach");
  auto founder_leaving = plan_leave_organization(coach, {{"organization_id", "org"}});
  ASSERT_FALSE(founder_leaving.ok());
  EXPECT_EQ(founder_leaving.error().reason, "last_founder");
  expect_invalid(plan_leave_organization(coach, {{"organization_id", "org"}, {"account_id", "bo"}}), "account_id");
}

TEST(MembershipPlanners, AssigningIsTheHeadCoachsAndAnAthleteCannot) {
  auto state = athlete_coach_club();
  auto coach = context(state, "coach");
  auto plan = plan_assign_athlete(coach, {{"organization_id", "org"}, {"athlete_id", "ada"}, {"coach_id", "coach"}});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(types(*plan), std::vector<std::string>{"AthleteAssigned"});
  auto athlete = context(state, "ada");
  auto refused = plan_assign_athlete(athlete, {{"organization_id", "org"}, {"athlete_id", "ada"}, {"coach_id", "coach"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::permission_denied);
  expect_invalid(plan_create_organization(coach, json::object()), "name");
  auto created = plan_create_organization(coach, {{"name", "Second"}});
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->result["organization_id"], "new-1");
}

// --- joining -------------------------------------------------------------------------------

TEST(JoiningPlanners, AnInviteCodeIsReturnedOnceAndOnlyItsDigestRecorded) {
  auto state = athlete_coach_club();
  auto ctx = context(state, "coach");
  auto plan = plan_issue_invite(ctx, {{"organization_id", "org"}, {"role", "athlete"}});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->result["code"], "new-1.secret");
  EXPECT_EQ(events::event_payload(plan->events.at(0)).dump().find("secret"), std::string::npos);
  auto athlete = context(state, "ada");
  expect_invalid(plan_accept_invite(athlete, {{"organization_id", "org"}, {"code", "no-dot"}}), "code");
  auto consent = plan_give_consent(athlete, {{"organization_id", "org"}});
  ASSERT_TRUE(consent.ok()) << consent.error().message;
  EXPECT_EQ(types(*consent), std::vector<std::string>{"ConsentGiven"});
}

// --- grants, custom roles, billing, credentials ---------------------------------------------

GivenState business_team() {
  return {events::AccountRegistered{"owner", "o@x.io", "Owner", "coach"},
          events::AccountRegistered{"asst", "a@x.io", "Asst", "coach"},
          events::OrganizationCreated{"t", "Team", "custom-roles", "owner", "owner", 3},
          events::OrganizationTierChanged{"t", "business", "free"},
          events::MemberAdded{"t", "asst", "assistant"}};
}

TEST(GrantPlanners, TheOwnerDelegatesBillingToAnAssistant) {
  auto state = business_team();
  auto ctx = context(state, "owner");
  auto plan = plan_grant_billing_delegation(ctx, {{"organization_id", "t"}, {"account_id", "asst"}});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(types(*plan), std::vector<std::string>{"BillingDelegationGranted"});
  expect_invalid(plan_grant_to_member(ctx, {{"organization_id", "t"}, {"account_id", "asst"}}), "grant");
  auto by_assistant = context(state, "asst");
  EXPECT_FALSE(plan_revoke_billing_delegation(by_assistant, {{"organization_id", "t"}, {"account_id", "asst"}}).ok());
}

TEST(CustomRolePlanners, DefineReadsPermissionsAsScopes) {
  auto state = business_team();
  auto ctx = context(state, "owner");
  auto plan = plan_define_role(
      ctx, {{"organization_id", "t"}, {"role", "analyst"}, {"permissions", {{"athletes.view", "all"}}}});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(types(*plan), std::vector<std::string>{"RoleDefined"});
  expect_invalid(plan_define_role(ctx, {{"organization_id", "t"}, {"role", "x"}, {"permissions", {{"a", 1}}}}),
                 "permissions");
  auto missing = plan_delete_role(ctx, {{"organization_id", "t"}, {"role", "nobody-holds-this"}});
  EXPECT_FALSE(missing.ok());
}

TEST(BillingPlanners, ChangeTierReadsEverySubOrganisationAndCreditsNeverGoNegative) {
  GivenState state{events::AccountRegistered{"owner", "o@x.io", "Owner", "coach"},
                   events::AccountRegistered{"adm", "adm@x.io", "Adm", "coach"},
                   events::OrganizationCreated{"p", "Parent", "custom-roles", "owner", "owner", 3},
                   events::OrganizationTierChanged{"p", "business", "free"},
                   events::SubOrganizationCreated{"s", "p", "Sub", "custom-roles", 3, "business", "adm", "owner"},
                   events::SubOrganizationAdded{"p", "s", "Sub"}};
  auto ctx = context(state, "owner");
  auto plan = plan_change_tier(ctx, {{"organization_id", "p"}, {"tier", "enterprise"}});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_NE(std::find(state.streams_read.begin(), state.streams_read.end(), "organization-s"),
            state.streams_read.end());
  std::set<std::string> written;
  for (const auto& e : plan->events) written.insert(events::stream_of(e));
  EXPECT_TRUE(written.contains("organization-s"));
  auto spend = plan_spend_credits(ctx, {{"organization_id", "p"}, {"amount", 5}});
  EXPECT_FALSE(spend.ok());
  expect_invalid(plan_add_credits(ctx, {{"organization_id", "p"}, {"amount", "5"}}), "amount");
}

TEST(CredentialPlanners, ADeclaredCredentialGetsANewId) {
  GivenState state{events::AccountRegistered{"owner", "o@x.io", "Owner", "coach"},
                   events::AccountRegistered{"coach", "c@x.io", "Coach", "coach"},
                   events::OrganizationCreated{"t", "Harbour FC", "club", "owner", "owner", 2},
                   events::OrganizationTierChanged{"t", "club", "free"},
                   events::MemberAdded{"t", "coach", "coach"}};
  auto ctx = context(state, "coach");
  auto plan = plan_declare_credential(
      ctx, {{"organization_id", "t"}, {"name", "First aid"}, {"expires_on", "2027-06-30"}});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->result["credential_id"], "new-1");
  expect_invalid(plan_declare_credential(ctx, {{"organization_id", "t"}, {"name", "First aid"}}), "expires_on");
  auto unknown = plan_verify_credential(ctx, {{"organization_id", "t"}, {"credential_id", "nope"}});
  EXPECT_FALSE(unknown.ok());
}

// --- recorded actions and sub-organisations -------------------------------------------------

TEST(ActionPlanners, ADeniedActionIsRecordedNotRefused) {
  auto state = athlete_coach_club();
  auto athlete = context(state, "ada");
  auto plan = plan_record_action(athlete, {{"organization_id", "org"}, {"action", "refund.issued"}, {"target", "ada"}});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->result["allowed"], false);
  EXPECT_EQ(types(*plan), std::vector<std::string>{"ActionRecorded"});
  expect_invalid(plan_record_action(athlete, {{"organization_id", "org"}, {"action", "refund.issued"},
                                              {"target", "ada"}, {"details", "x"}}),
                 "details");
  auto outsider = context(state, "stranger");
  auto refused = plan_record_action(outsider, {{"organization_id", "org"}, {"action", "refund.issued"}, {"target", "ada"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::permission_denied);
}

TEST(SubOrganizationPlanners, CreatingOneNeedsBusinessAndNamesItsAdmin) {
  auto state = business_team();
  auto ctx = context(state, "owner");
  auto plan = plan_create_sub_organization(ctx, {{"organization_id", "t"}, {"name", "North"}, {"admin_id", "asst"}});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->result["organization_id"], "new-1");
  expect_invalid(plan_move_member(ctx, {{"organization_id", "t"}, {"account_id", "asst"}}), "to_organization_id");
}

TEST(Catalogue, EveryNamedPlannerIsFoundByName) {
  for (const auto& [name, planner] : named_planners()) EXPECT_EQ(find_planner(name), planner) << name;
  EXPECT_EQ(find_planner("RecordAction"), nullptr);  // POST /v1/actions, not a named command
}

}  // namespace
}  // namespace touchline::api::commands
