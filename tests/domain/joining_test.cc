// Joining and consent: invites (issue, revoke, accept, with every way an invite is refused), the
// seat caps seed 002 puts on staff, and an athlete's consent to being coached. Given past events,
// when a command, then events or a typed error.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "touchline/domain/authorizer.h"
#include "touchline/domain/joining.h"

namespace touchline::domain {
namespace joining_test {

using namespace testing;
using Events = std::vector<events::DomainEvent>;

constexpr std::int64_t kNow = 1'795'000'000'000;  // 2026-11-18T...Z
constexpr std::int64_t kHour = 3'600'000;

// Seed 001 on the version with its invite rule: two head coaches and an assistant.
OrganizationState company() {
  return given<OrganizationState>({
      events::OrganizationCreated{"c", "Peak Analysis", "head-assistant", "head", "head_coach", 2},
      events::MemberAdded{"c", "head2", "head_coach"},
      events::MemberAdded{"c", "asst", "assistant_coach"},
  });
}

// Seed 002 on the version with seat caps and consent: the owner alone.
OrganizationState platform(const std::string& tier) {
  return given<OrganizationState>({
      events::OrganizationCreated{"p", "Valley Tri", "custom-roles", "owner", "owner", 3},
      events::OrganizationTierChanged{"p", tier, "free"},
  });
}

// Seed 000 on the version that asks athletes to consent: head, asst coaching ath1, ath2.
OrganizationState runners() {
  return given<OrganizationState>({
      events::OrganizationCreated{"r", "Harbour Runners", "athlete-coach", "head", "head_coach", 3},
      events::MemberAdded{"r", "asst", "assistant_coach"},
      events::MemberAdded{"r", "ath1", "athlete"},
      events::MemberAdded{"r", "ath2", "athlete"},
      events::AthleteAssigned{"r", "ath1", "asst", ""},
  });
}

// What the server's keyed digest stands for here.
std::string claim_key(const std::string& address) { return "key(" + address + ")"; }

IssueInvite invite(const std::string& org, const std::string& role, const std::string& email = "") {
  IssueInvite cmd;
  cmd.organization_id = org;
  cmd.role = role;
  cmd.email = email;
  cmd.new_invite_id = "inv";
  cmd.code_digest = "digest";
  cmd.now_ms = kNow;
  if (!email.empty()) cmd.email_key = claim_key(normalize_email(email));
  return cmd;
}

AcceptInvite accept(const std::string& org, std::int64_t now = kNow, const std::string& digest = "digest",
                    const std::string& joiner_email = "") {
  AcceptInvite cmd;
  cmd.organization_id = org;
  cmd.invite_id = "inv";
  cmd.code_digest = digest;
  cmd.now_ms = now;
  cmd.joiner_email = joiner_email;
  if (!joiner_email.empty()) cmd.joiner_email_key = claim_key(joiner_email);
  return cmd;
}

void expect_refused(const Result<Events>& r, ErrorCode code, const std::string& reason,
                    const std::string& message_part = "") {
  ASSERT_FALSE(r.ok()) << "expected a refusal, got " << r->size() << " events";
  EXPECT_EQ(r.error().code, code) << r.error().message;
  EXPECT_EQ(r.error().reason, reason) << r.error().message;
  EXPECT_NE(r.error().message.find(message_part), std::string::npos) << r.error().message;
}

// The organisation after `cmd` was decided and recorded.
template <typename Command>
OrganizationState after(const OrganizationState& org, const std::string& actor, const Command& cmd) {
  auto r = decide(org, actor, cmd);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  OrganizationState next = org;
  for (const auto& e : *r) next = evolve(next, e);
  return next;
}

// --- IssueInvite -------------------------------------------------------------------------------

TEST(IssueInvite, Seed001CodesMakeAnAssistantCoachOnceWithin24Hours) {
  // "When you join an existing company with an invite code, you join as an assistant coach."
  IssueInvite cmd = invite("c", "");
  auto r = decide(company(), "head", cmd);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<events::InviteIssued>(r->at(0)),
            (events::InviteIssued{"c", "inv", "assistant_coach", "", 1, kNow + 24 * kHour, "digest", "head", ""}));
  // The policy is the model's: no other role, number of uses or validity.
  expect_refused(decide(company(), "head", invite("c", "head_coach")), ErrorCode::invalid_argument, "",
                 "always makes you assistant_coach");
  cmd.max_uses = 5;
  expect_refused(decide(company(), "head", cmd), ErrorCode::invalid_argument, "", "used 1 time");
  cmd.max_uses = 0;
  cmd.valid_hours = 48;
  expect_refused(decide(company(), "head", cmd), ErrorCode::invalid_argument, "", "valid for 24 hours");
  // "Invite or remove coaches": head coach only.
  expect_refused(decide(company(), "asst", invite("c", "")), ErrorCode::permission_denied, "",
                 "Only head coaches can invite or remove coaches.");
}

TEST(IssueInvite, EmailInvitesAreSingleUseAndCodesMayBeMultiUse) {
  auto org = runners();
  auto bound = decide(org, "head", invite("r", "athlete", "New.Runner@Example.com"));
  ASSERT_TRUE(bound.ok()) << bound.error().message;
  const auto& issued = std::get<events::InviteIssued>(bound->at(0));
  EXPECT_EQ(issued.email, "new.runner@example.com");
  EXPECT_EQ(issued.max_uses, 1);
  EXPECT_EQ(issued.expires_at_ms, 0);  // no validity given: it does not expire

  IssueInvite many = invite("r", "athlete", "someone@example.com");
  many.max_uses = 3;
  expect_refused(decide(org, "head", many), ErrorCode::invalid_argument, "", "used once");
  many.email.clear();
  many.valid_hours = 72;
  auto code = decide(org, "head", many);
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(std::get<events::InviteIssued>(code->at(0)).max_uses, 3);
  EXPECT_EQ(std::get<events::InviteIssued>(code->at(0)).expires_at_ms, kNow + 72 * kHour);

  many.max_uses = 0;  // no limit
  EXPECT_TRUE(decide(org, "head", many).ok());
  many.valid_hours = kMaxInviteValidHours + 1;
  expect_refused(decide(org, "head", many), ErrorCode::invalid_argument, "", "valid_hours");
  expect_refused(decide(org, "head", invite("r", "athlete", "not-an-email")), ErrorCode::invalid_argument, "",
                 "email");
}

TEST(IssueInvite, TheRoleMustBeOneTheIssuerMayGive) {
  auto org = runners();
  // An assistant coach adds nobody; the head coach role is never given.
  expect_refused(decide(org, "asst", invite("r", "athlete")), ErrorCode::permission_denied, "");
  expect_refused(decide(org, "head", invite("r", "head_coach")), ErrorCode::invalid_argument, "", "cannot be given");
  expect_refused(decide(org, "head", invite("r", "")), ErrorCode::invalid_argument, "", "role is required");
  expect_refused(decide(OrganizationState{}, "head", invite("r", "athlete")), ErrorCode::not_found, "");
}

// --- AcceptInvite ------------------------------------------------------------------------------

TEST(AcceptInvite, JoinsWithTheInvitesRole) {
  auto org = after(company(), "head", invite("c", ""));
  auto r = decide(org, coach_account("newbie"), accept("c", kNow + 23 * kHour));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Events{events::InviteAccepted{"c", "inv", "newbie"},
                        events::MemberAdded{"c", "newbie", "assistant_coach"}}));
}

TEST(AcceptInvite, AnAthleteInviteRecordsWhichOrganisationTheyJoined) {
  auto org = after(runners(), "head", invite("r", "athlete"));
  auto r = decide(org, athlete_account("new"), accept("r"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(std::get<events::AthleteJoinedOrganization>(r->at(2)), (events::AthleteJoinedOrganization{"new", "r"}));
  // Joining is not consenting: their data stays theirs until they accept coaching.
  OrganizationState joined = org;
  for (const auto& e : *r) joined = evolve(joined, e);
  EXPECT_FALSE(joined.consenting.contains("new"));
}

TEST(AcceptInvite, SaysWhetherTheInviteExpiredWasRevokedUsedUpOrIsSomeoneElses) {
  auto org = after(company(), "head", invite("c", ""));
  // Seed 001: "valid for 24 hours".
  expect_refused(decide(org, coach_account("late"), accept("c", kNow + 24 * kHour)), ErrorCode::failed_precondition,
                 "invite_expired", "expired at 2026-11-19T");
  // Single-use: the second person is refused.
  org = evolve(evolve(org, events::InviteAccepted{"c", "inv", "first"}), events::MemberAdded{"c", "first", "assistant_coach"});
  expect_refused(decide(org, coach_account("second"), accept("c")), ErrorCode::failed_precondition,
                 "invite_used_up", "used 1 of 1 time");
  // A code that is not this invite's.
  auto fresh = after(company(), "head", invite("c", ""));
  expect_refused(decide(fresh, coach_account("guess"), accept("c", kNow, "other")), ErrorCode::permission_denied,
                 "invite_code_wrong");
  // Revoked while unused.
  auto revoked = after(fresh, "head", RevokeInvite{"c", "inv"});
  expect_refused(decide(revoked, coach_account("x"), accept("c")), ErrorCode::failed_precondition, "invite_revoked");
  // Bound to another email address.
  auto bound = after(runners(), "head", invite("r", "athlete", "Invited@x.io"));
  expect_refused(decide(bound, athlete_account("intruder"), accept("r", kNow, "digest", "intruder@x.io")),
                 ErrorCode::permission_denied, "invite_wrong_email");
  expect_refused(decide(bound, athlete_account("erased"), accept("r")), ErrorCode::permission_denied,
                 "invite_wrong_email");  // an erased joiner has no address left
  EXPECT_TRUE(decide(bound, athlete_account("invited"), accept("r", kNow, "digest", "invited@x.io")).ok());
  // An invite of an older log names the address itself, and is matched on it.
  auto bound_by_name = after(runners(), "head", [] {
    auto cmd = invite("r", "athlete", "Invited@x.io");
    cmd.email_key.clear();
    return cmd;
  }());
  EXPECT_TRUE(decide(bound_by_name, athlete_account("invited"), accept("r", kNow, "digest", "invited@x.io")).ok());
  expect_refused(decide(bound_by_name, athlete_account("intruder"), accept("r", kNow, "digest", "intruder@x.io")),
                 ErrorCode::permission_denied, "invite_wrong_email");
  // No such invite.
  EXPECT_EQ(decide(runners(), athlete_account("a"), accept("r")).error().code, ErrorCode::not_found);
}

TEST(AcceptInvite, AnInviteHoldsOnlyWhileItsIssuerMayGiveItsRole) {
  // Seed 001: a head coach issues a code, then is made an assistant coach.
  auto org = after(company(), "head2", invite("c", ""));
  EXPECT_TRUE(decide(org, coach_account("newbie"), accept("c")).ok());
  org = evolve(org, events::MemberRoleChanged{"c", "head2", "assistant_coach", "head_coach"});
  expect_refused(decide(org, coach_account("newbie"), accept("c")), ErrorCode::failed_precondition,
                 "invite_issuer_lost_rights");
  // Invites recorded before issuers were (schema 1) name none and stay as they were.
  auto legacy = evolve(company(), events::InviteIssued{"c", "inv", "assistant_coach", "", 1, 0, "digest", "", ""});
  EXPECT_TRUE(decide(legacy, coach_account("newbie"), accept("c")).ok());
}

TEST(AcceptInvite, RefusesWhatAddMemberRefuses) {
  auto org = after(company(), "head", invite("c", ""));
  // A staff role needs a coach account; a member cannot join twice.
  EXPECT_EQ(decide(org, athlete_account("ath"), accept("c")).error().code, ErrorCode::failed_precondition);
  EXPECT_EQ(decide(org, coach_account("asst"), accept("c")).error().code, ErrorCode::already_exists);
  // An athlete already in another organisation.
  auto athletes = after(runners(), "head", invite("r", "athlete"));
  EXPECT_EQ(decide(athletes, athlete_account("busy", "elsewhere"), accept("r")).error().code,
            ErrorCode::failed_precondition);
}

// --- RevokeInvite ------------------------------------------------------------------------------

TEST(RevokeInvite, OnlyWhileUnusedAndOnlyByWhoeverMayGiveItsRole) {
  IssueInvite code = invite("r", "assistant_coach");
  code.max_uses = 3;
  auto org = after(runners(), "head", code);
  expect_refused(decide(org, "asst", RevokeInvite{"r", "inv"}), ErrorCode::permission_denied, "");
  auto used = evolve(org, events::InviteAccepted{"r", "inv", "c1"});
  expect_refused(decide(used, "head", RevokeInvite{"r", "inv"}), ErrorCode::failed_precondition, "invite_used",
                 "only while unused");
  auto r = decide(org, "head", RevokeInvite{"r", "inv"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Events{events::InviteRevoked{"r", "inv"}}));
  // Again: nothing more to record.
  EXPECT_TRUE(decide(evolve(org, r->at(0)), "head", RevokeInvite{"r", "inv"})->empty());
  EXPECT_EQ(decide(org, "head", RevokeInvite{"r", "nope"}).error().code, ErrorCode::not_found);
}

// --- Membership offers and leaving -------------------------------------------------------------

// The organisation after `actor` offered `account` the role (AddMember).
OrganizationState offered(OrganizationState org, const AccountState& account, const std::string& actor,
                          const std::string& role) {
  auto r = decide(org, account, actor, AddMember{org.id, account.id, role});
  if (!r.ok()) throw std::runtime_error(r.error().message);
  for (const auto& e : *r) org = evolve(org, e);
  return org;
}

TEST(AcceptMembership, JoinsWithTheOfferedRoleOnTheAthletesAccountToo) {
  auto org = offered(runners(), athlete_account("new"), "head", "athlete");
  auto r = decide(org, athlete_account("new"), AcceptMembership{"r"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Events{events::MembershipAccepted{"r", "new"}, events::MemberAdded{"r", "new", "athlete"},
                        events::AthleteJoinedOrganization{"new", "r"}}));
  for (const auto& e : *r) org = evolve(org, e);
  EXPECT_EQ(org.members.at("new"), "athlete");
  EXPECT_TRUE(org.offers.empty());
  // Joining is not consenting: the athlete still gives that on their own.
  EXPECT_FALSE(check(org, "head", "athletes.view_activities", "new").allowed);
}

TEST(AcceptMembership, AsksAddMembersRulesAgainAndTheOfferersRights) {
  expect_refused(decide(runners(), athlete_account("new"), AcceptMembership{"r"}), ErrorCode::not_found, "no_offer");
  // Joined another organisation since the offer: one organisation at a time.
  auto org = offered(runners(), athlete_account("new"), "head", "athlete");
  expect_refused(decide(org, athlete_account("new", "elsewhere"), AcceptMembership{"r"}),
                 ErrorCode::failed_precondition, "", "one organisation at a time");
  // The offer speaks for whoever made it: once they may no longer give the role, it is void.
  auto company_offer = offered(company(), coach_account("c2"), "head2", "assistant_coach");
  company_offer = evolve(company_offer, events::MemberRemoved{"c", "head2", "head_coach"});
  expect_refused(decide(company_offer, coach_account("c2"), AcceptMembership{"c"}), ErrorCode::failed_precondition,
                 "offer_lost_rights");
}

TEST(DeclineMembership, EndsTheOfferAndOnlyTheAccountDeclinesIt) {
  auto org = offered(runners(), athlete_account("new"), "head", "athlete");
  expect_refused(decide(org, "ath1", DeclineMembership{"r"}), ErrorCode::not_found, "no_offer");
  auto r = decide(org, "new", DeclineMembership{"r"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Events{events::MembershipDeclined{"r", "new"}}));
  org = evolve(org, r->at(0));
  expect_refused(decide(org, athlete_account("new"), AcceptMembership{"r"}), ErrorCode::not_found, "no_offer");
}

TEST(LeaveOrganization, AnAthleteTakesBackConsentAndAssignmentInTheSameBatch) {
  auto org = evolve(runners(), events::ConsentGiven{"r", "ath1"});
  auto r = decide(org, athlete_account("ath1", "r"), LeaveOrganization{"r"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Events{events::ConsentWithdrawn{"r", "ath1"}, events::AthleteUnassigned{"r", "ath1", "asst"},
                        events::MemberLeft{"r", "ath1", "athlete"}, events::AthleteLeftOrganization{"ath1", "r"}}));
  for (const auto& e : *r) org = evolve(org, e);
  EXPECT_FALSE(org.members.contains("ath1"));
  EXPECT_FALSE(check(org, "asst", "athletes.view_activities", "ath1").allowed);
}

TEST(LeaveOrganization, ACoachHandsBackTheirAthletes) {
  auto r = decide(runners(), coach_account("asst"), LeaveOrganization{"r"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Events{events::AthleteAssigned{"r", "ath1", "head", "asst"},
                        events::MemberLeft{"r", "asst", "assistant_coach"}}));
}

TEST(LeaveOrganization, TheLastActiveFounderStaysAndOutsidersAreNotMembers) {
  expect_refused(decide(runners(), coach_account("head"), LeaveOrganization{"r"}), ErrorCode::failed_precondition,
                 "last_founder");
  // Seed 001 shares the head coach's role: one of two may go, the other stays.
  auto both = company();
  auto first = decide(both, coach_account("head"), LeaveOrganization{"c"});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, (Events{events::MemberLeft{"c", "head", "head_coach"}}));
  expect_refused(decide(evolve(both, first->at(0)), coach_account("head2"), LeaveOrganization{"c"}),
                 ErrorCode::failed_precondition, "last_founder");
  // A deactivated head coach holds nothing, so the active one is the last.
  auto one_active = evolve(both, events::MemberDeactivated{"c", "head2", "head_coach"});
  expect_refused(decide(one_active, coach_account("head"), LeaveOrganization{"c"}), ErrorCode::failed_precondition,
                 "last_founder");
  EXPECT_TRUE(decide(one_active, coach_account("head2"), LeaveOrganization{"c"}).ok());
  expect_refused(decide(both, coach_account("stranger"), LeaveOrganization{"c"}), ErrorCode::not_found,
                 "not_a_member");
}

// --- Seat caps (seed 002: "Pro +1, Head Coach +5, Business unlimited") -------------------------

TEST(StaffSeats, ProHasOneAssistantSeatClubFiveBusinessNoCap) {
  auto pro = platform("pro");
  pro = add_and_accept(pro, coach_account("a1"), "owner", "assistant");
  expect_refused(decide(pro, coach_account("a2"), "owner", AddMember{"p", "a2", "assistant"}),
                 ErrorCode::failed_precondition, "no_staff_seat", "pro tier has 1 staff seat");
  // Athletes take no seat.
  EXPECT_TRUE(decide(pro, athlete_account("ath"), "owner", AddMember{"p", "ath", "athlete"}).ok());
  // An invite is refused at acceptance, when the seat would be taken.
  auto invited = after(pro, "owner", invite("p", "read_only"));
  expect_refused(decide(invited, coach_account("a2"), accept("p")), ErrorCode::failed_precondition, "no_staff_seat");

  auto club = platform("club");
  for (int i = 0; i < 5; ++i) club = evolve(club, events::MemberAdded{"p", "s" + std::to_string(i), "assistant"});
  expect_refused(decide(club, coach_account("s5"), "owner", AddMember{"p", "s5", "assistant"}),
                 ErrorCode::failed_precondition, "no_staff_seat", "club tier has 5 staff seats");
  club = evolve(club, events::OrganizationTierChanged{"p", "business", "club"});
  EXPECT_TRUE(decide(club, coach_account("s5"), "owner", AddMember{"p", "s5", "assistant"}).ok());
}

TEST(StaffSeats, OlderVersionsAndOtherModelsHaveNoCap) {
  auto v2 = given<OrganizationState>({events::OrganizationCreated{"p", "Old", "custom-roles", "owner", "owner", 2},
                                      events::OrganizationTierChanged{"p", "pro", "free"},
                                      events::MemberAdded{"p", "a1", "assistant"}});
  EXPECT_TRUE(decide(v2, coach_account("a2"), "owner", AddMember{"p", "a2", "assistant"}).ok());
}

// --- Consent -----------------------------------------------------------------------------------

TEST(Consent, NoCoachSeesAnAthletesDataBeforeTheyAccept) {
  auto org = runners();
  const auto view = [&](const OrganizationState& o, const std::string& coach, const std::string& athlete) {
    return check(o, coach, "athletes.view_activities", athlete);
  };
  Decision before = view(org, "asst", "ath1");
  EXPECT_FALSE(before.allowed);
  EXPECT_NE(before.reason.view().find("has not accepted coaching"), std::string::npos) << before.reason;
  EXPECT_FALSE(view(org, "head", "ath2").allowed);  // the head coach too
  // Holding the permission is unchanged; only its use on this athlete's data waits.
  EXPECT_TRUE(check(org, "asst", "athletes.view_activities").allowed);
  EXPECT_TRUE(check(org, "head", "members.manage", "ath1").allowed);

  org = after(org, "ath1", GiveConsent{"r"});
  EXPECT_TRUE(view(org, "asst", "ath1").allowed);
  EXPECT_TRUE(view(org, "head", "ath1").allowed);
  EXPECT_FALSE(view(org, "head", "ath2").allowed);  // consent is each athlete's own

  // Withdrawing ends it at once.
  auto withdrawn = decide(org, "ath1", WithdrawConsent{"r"});
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.error().message;
  EXPECT_EQ(*withdrawn, (Events{events::ConsentWithdrawn{"r", "ath1"}}));
  org = evolve(org, withdrawn->at(0));
  EXPECT_FALSE(view(org, "asst", "ath1").allowed);
}

TEST(Consent, OnlyTheAthleteGivesOrWithdrawsIt) {
  auto org = runners();
  EXPECT_EQ(decide(org, "head", GiveConsent{"r"}).error().code, ErrorCode::permission_denied);
  EXPECT_EQ(decide(org, "asst", WithdrawConsent{"r"}).error().code, ErrorCode::permission_denied);
  EXPECT_EQ(decide(org, "stranger", GiveConsent{"r"}).error().code, ErrorCode::permission_denied);
  EXPECT_EQ(decide(OrganizationState{}, "ath1", GiveConsent{"r"}).error().code, ErrorCode::not_found);
  // Again, or withdrawing what was never given: nothing to record.
  EXPECT_TRUE(decide(org, "ath1", WithdrawConsent{"r"})->empty());
  org = after(org, "ath1", GiveConsent{"r"});
  EXPECT_TRUE(decide(org, "ath1", GiveConsent{"r"})->empty());
}

TEST(Consent, LeavingEndsItAndOlderVersionsDoNotAskForIt) {
  auto org = after(runners(), "ath1", GiveConsent{"r"});
  org = evolve(org, events::MemberRemoved{"r", "ath1", "athlete"});
  org = evolve(org, events::MemberAdded{"r", "ath1", "athlete"});
  EXPECT_FALSE(org.consenting.contains("ath1"));  // a returning athlete accepts again
  // athlete-coach version 2 organisations answer as they always did.
  EXPECT_TRUE(check(club(), "asst", "athletes.view_activities", "ath1").allowed);
}

}  // namespace joining_test
}  // namespace touchline::domain
