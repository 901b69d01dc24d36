// How people join and leave an organisation, and what athletes accept once in it: invites
// (IssueInvite, RevokeInvite, AcceptInvite), the answer to AddMember's offer (AcceptMembership,
// DeclineMembership), leaving (LeaveOrganization) and an athlete's consent to being coached
// (GiveConsent, WithdrawConsent). Nobody becomes a member without their own command, and any
// member may leave. Pure deciders over the Organisation aggregate (organization.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "touchline/domain/account.h"
#include "touchline/domain/organization.h"
#include "touchline/events/domain_events.h"
#include "touchline/events/result.h"

namespace touchline::domain {

// Invite limits: at most a year's validity and a thousand uses per code.
inline constexpr int kMaxInviteValidHours = 24 * 366;
inline constexpr int kMaxInviteUses = 1000;

// An invite to join in `role`. With an email it is that person's alone and used once; without,
// it is a code for `max_uses` people (0: no limit). `valid_hours` 0: it does not expire. A model
// with an invite policy (head-assistant: an assistant coach, once, 24 hours) fixes role, uses and
// validity; fields left empty or 0 take the policy's values.
struct IssueInvite {
  std::string organization_id;
  std::string role;
  std::string email;
  int max_uses = 0;
  int valid_hours = 0;
  std::string new_invite_id;  // injected by the caller
  std::string code_digest;    // SHA-256 of the code the caller made and hands to the issuer
  std::int64_t now_ms = 0;    // injected by the caller
  std::string email_key;      // injected by the caller: the claim key of email, when there is one
};

struct RevokeInvite {
  std::string organization_id;
  std::string invite_id;
};

// The signed-in account joins with an invite's code.
struct AcceptInvite {
  std::string organization_id;
  std::string invite_id;
  std::string code_digest;  // SHA-256 of the code presented
  std::int64_t now_ms = 0;  // injected by the caller
  // Injected by the caller, for invites bound to an email: the joiner's lower-cased address and
  // its claim key (an invite recorded with a claim key is matched on it; an older one on the
  // address). Empty for an erased joiner, who matches no invite.
  std::string joiner_email;
  std::string joiner_email_key;
};

// The signed-in account answers the offer AddMember made it.
struct AcceptMembership {
  std::string organization_id;
};

struct DeclineMembership {
  std::string organization_id;
};

// The signed-in member leaves the organisation.
struct LeaveOrganization {
  std::string organization_id;
};

// The signed-in athlete member accepts (or stops accepting) being coached by the organisation.
struct GiveConsent {
  std::string organization_id;
};

struct WithdrawConsent {
  std::string organization_id;
};

// Whoever may give the role (its add_requires, and for a custom role what giving it needs).
// Errors: not_found (organisation), invalid_argument (role not givable, or not the policy's; email
// malformed; max_uses other than 1 with an email; uses or validity out of range, or against the
// policy), permission_denied.
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const IssueInvite& cmd);

// Whoever may give the invite's role, only while the invite is unused. Revoking a revoked invite
// succeeds with no events. Errors: not_found (organisation, invite), permission_denied,
// failed_precondition (used at least once, reason "invite_used").
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const RevokeInvite& cmd);

// `joiner` is the signed-in account. Joins with the invite's role: InviteAccepted, MemberAdded
// (and AthleteJoinedOrganization for an athlete role). Errors, each with its reason: not_found
// (organisation, invite), permission_denied (code does not match: "invite_code_wrong"; invite
// bound to another email: "invite_wrong_email"), failed_precondition ("invite_revoked",
// "invite_used_up", "invite_expired", "invite_issuer_lost_rights" when its issuer may no longer
// give the role; then what AddMember would refuse: a coach account needed, an athlete elsewhere,
// a unique role taken, "no_staff_seat"), already_exists (already a member).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const AccountState& joiner,
                                                const AcceptInvite& cmd);

// `joiner` is the signed-in account. Joins with the offer's role: MembershipAccepted, MemberAdded
// (and AthleteJoinedOrganization for an athlete role). The offer speaks for whoever made it, and
// the organisation may have changed since, so AddMember's rules are asked again. Errors, each with
// its reason: not_found (organisation; no offer to this account: "no_offer"), failed_precondition
// (the offer's role no longer exists; whoever offered may no longer give it:
// "offer_lost_rights"; then what AddMember would refuse: a coach account needed, an athlete
// elsewhere, a unique role taken, "no_staff_seat"), already_exists (already a member).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const AccountState& joiner,
                                                const AcceptMembership& cmd);

// The offer is gone (MembershipDeclined). Errors: not_found (organisation; no offer to this
// account: "no_offer").
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const DeclineMembership& cmd);

// `member` is the signed-in account. Any member leaves, deactivated or not, in one batch with its
// consequences: an athlete's consent withdrawn (ConsentWithdrawn) and own assignment ended, a
// coach's athletes handed back and grants revoked (as RemoveMember), then MemberLeft, and for an
// athlete AthleteLeftOrganization on their account. Errors: not_found (organisation; not a member:
// "not_a_member"), failed_precondition (the last active holder of the founding role, who stays
// until another member holds it: "last_founder").
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const AccountState& member,
                                                const LeaveOrganization& cmd);

// Only an athlete member, for themself. Giving consent held, or withdrawing consent not given,
// succeeds with no events. Errors: not_found (organisation), permission_denied (not an athlete
// member of it).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const GiveConsent& cmd);
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const WithdrawConsent& cmd);

}  // namespace touchline::domain
