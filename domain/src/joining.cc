#include "touchline/domain/joining.h"

#include "dates.h"
#include "organization_rules.h"

namespace touchline::domain {

using events::DomainEvent;
using Events = std::vector<DomainEvent>;
using namespace rules;

namespace {

Error invite_not_found(const std::string& id) {
  return Error::make(ErrorCode::not_found, "this organisation has no invite " + id, "invite_id");
}

Error bad_invite(std::string message, const char* field) {
  return Error::make(ErrorCode::invalid_argument, std::move(message), field);
}

// The role, uses and validity an invite will have, after the model's policy: an IssueInvite with
// what it asked for filled in.
Result<IssueInvite> with_policy(const OrganizationState& org, IssueInvite cmd) {
  const auto& policy = org.model().invites;
  if (!policy) {
    if (cmd.role.empty()) return bad_invite("role is required", "role");
    if (!cmd.email.empty() && cmd.max_uses == 0) cmd.max_uses = 1;
    return cmd;
  }
  const std::string why = " in the " + org.role_model + " role model";
  if (cmd.role.empty()) cmd.role = policy->role;
  if (cmd.role != policy->role) {
    return bad_invite("joining with an invite always makes you " + policy->role + why, "role");
  }
  if (cmd.max_uses == 0) cmd.max_uses = policy->max_uses;
  if (cmd.max_uses != policy->max_uses) {
    return bad_invite("an invite is used " + std::to_string(policy->max_uses) + " time(s)" + why, "max_uses");
  }
  if (cmd.valid_hours == 0) cmd.valid_hours = policy->valid_hours;
  if (cmd.valid_hours != policy->valid_hours) {
    return bad_invite("an invite is valid for " + std::to_string(policy->valid_hours) + " hours" + why,
                      "valid_hours");
  }
  return cmd;
}

// RevokeInvite and AcceptInvite: the invite named, or why not.
Result<const Invite*> find_invite(const OrganizationState& org, const std::string& organization_id,
                                  const std::string& invite_id) {
  if (!org.exists) return org_not_found(organization_id);
  auto it = org.invites.find(invite_id);
  if (it == org.invites.end()) return invite_not_found(invite_id);
  return &it->second;
}

// GiveConsent and WithdrawConsent: only an athlete member, for themself.
std::optional<Error> check_athlete_member(const OrganizationState& org, const std::string& organization_id,
                                          const std::string& actor) {
  if (!org.exists) return org_not_found(organization_id);
  const Role* role = org.role_of(actor);
  if (!role || !role->athlete) {
    return Error::make(ErrorCode::permission_denied,
                       "only an athlete member accepts or withdraws being coached, for themself");
  }
  return std::nullopt;
}

}  // namespace

Result<Events> decide(const OrganizationState& org, const std::string& actor, const IssueInvite& asked) {
  if (!org.exists) return org_not_found(asked.organization_id);
  auto policed = with_policy(org, asked);
  if (!policed.ok()) return policed.error();
  const IssueInvite& cmd = *policed;
  const Role* role = org.find_role(cmd.role);
  if (!role || !role->addable) return role_not_givable(org, cmd.role);
  if (auto denied = check_may_give(org, actor, *role)) return *denied;
  if (!cmd.email.empty() && !is_plausible_email(cmd.email)) {
    return bad_invite("email must be an address like name@example.com", "email");
  }
  if (!cmd.email.empty() && cmd.max_uses != 1) {
    return bad_invite("an invite for one email address is used once; leave out email for a code with more uses",
                      "max_uses");
  }
  if (cmd.max_uses < 0 || cmd.max_uses > kMaxInviteUses) {
    return bad_invite("max_uses is 0 (no limit) to " + std::to_string(kMaxInviteUses), "max_uses");
  }
  if (cmd.valid_hours < 0 || cmd.valid_hours > kMaxInviteValidHours) {
    return bad_invite("valid_hours is 0 (no expiry) to " + std::to_string(kMaxInviteValidHours), "valid_hours");
  }
  const std::int64_t expires = cmd.valid_hours == 0 ? 0 : cmd.now_ms + std::int64_t{cmd.valid_hours} * 3'600'000;
  return Events{events::InviteIssued{org.id, cmd.new_invite_id, role->name, normalize_email(cmd.email),
                                     cmd.max_uses, expires, cmd.code_digest, actor,
                                     cmd.email.empty() ? std::string() : cmd.email_key}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const RevokeInvite& cmd) {
  auto invite = find_invite(org, cmd.organization_id, cmd.invite_id);
  if (!invite.ok()) return invite.error();
  const Role* role = org.find_role((*invite)->role);
  // A custom role deleted since: whoever edits the organisation's settings clears its invites.
  if (auto denied = role ? check_may_give(org, actor, *role) : require(org, actor, "org.settings.edit")) {
    return *denied;
  }
  if ((*invite)->revoked) return Events{};
  if ((*invite)->uses > 0) {
    return Error::make(ErrorCode::failed_precondition, "an invite can be revoked only while unused", "invite_id")
        .because("invite_used");
  }
  return Events{events::InviteRevoked{org.id, cmd.invite_id}};
}

Result<Events> decide(const OrganizationState& org, const AccountState& joiner, const AcceptInvite& cmd) {
  auto found = find_invite(org, cmd.organization_id, cmd.invite_id);
  if (!found.ok()) return found.error();
  const Invite& invite = **found;
  auto refuse = [](ErrorCode code, std::string message, const char* reason) {
    return Error::make(code, std::move(message), "code").because(reason);
  };
  if (invite.code_digest != cmd.code_digest) {
    return refuse(ErrorCode::permission_denied, "the invite code is not this invite's", "invite_code_wrong");
  }
  if (invite.revoked) return refuse(ErrorCode::failed_precondition, "the invite was revoked", "invite_revoked");
  if (invite.max_uses != 0 && invite.uses >= invite.max_uses) {
    return refuse(ErrorCode::failed_precondition,
                  "the invite has been used " + std::to_string(invite.uses) + " of " +
                      std::to_string(invite.max_uses) + (invite.max_uses == 1 ? " time" : " times"),
                  "invite_used_up");
  }
  if (invite.expires_at_ms != 0 && cmd.now_ms >= invite.expires_at_ms) {
    return refuse(ErrorCode::failed_precondition, "the invite expired at " + dates::format_utc_minute(invite.expires_at_ms),
                  "invite_expired");
  }
  const bool for_joiner = invite.email_key.empty() ? !cmd.joiner_email.empty() && cmd.joiner_email == invite.email
                                                  : !cmd.joiner_email_key.empty() && cmd.joiner_email_key == invite.email_key;
  if (!invite.email.empty() && !for_joiner) {
    return refuse(ErrorCode::permission_denied, "the invite is for another email address", "invite_wrong_email");
  }
  const Role* role = org.find_role(invite.role);
  if (!role) {
    return Error::make(ErrorCode::failed_precondition,
                       "the invite's role " + invite.role + " no longer exists in this organisation", "code");
  }
  // An invite speaks for its issuer: once they may no longer give the role (removed, deactivated,
  // demoted), nobody joins with it.
  if (!invite.issued_by.empty() && check_may_give(org, invite.issued_by, *role)) {
    return refuse(ErrorCode::failed_precondition,
                  "whoever issued the invite may no longer give the " + role->name + " role", "invite_issuer_lost_rights");
  }
  if (auto refused = check_may_join(org, joiner, joiner.id, *role, "code")) return *refused;
  Events out{events::InviteAccepted{org.id, cmd.invite_id, joiner.id},
             events::MemberAdded{org.id, joiner.id, role->name}};
  if (role->athlete) out.push_back(events::AthleteJoinedOrganization{joiner.id, org.id});
  return out;
}

namespace {

Error no_offer(const std::string& account_id) {
  return Error::make(ErrorCode::not_found,
                     "this organisation has offered account " + account_id + " no membership", "organization_id")
      .because("no_offer");
}

}  // namespace

Result<Events> decide(const OrganizationState& org, const AccountState& joiner, const AcceptMembership& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  auto offer = org.offers.find(joiner.id);
  if (offer == org.offers.end()) return no_offer(joiner.id);
  const Role* role = org.find_role(offer->second.role);
  if (!role) {
    return Error::make(ErrorCode::failed_precondition,
                       "the offered role " + offer->second.role + " no longer exists in this organisation",
                       "organization_id");
  }
  if (check_may_give(org, offer->second.offered_by, *role)) {
    return Error::make(ErrorCode::failed_precondition,
                       "whoever offered the membership may no longer give the " + role->name + " role",
                       "organization_id")
        .because("offer_lost_rights");
  }
  if (auto refused = check_may_join(org, joiner, joiner.id, *role, "organization_id")) return *refused;
  Events out{events::MembershipAccepted{org.id, joiner.id}, events::MemberAdded{org.id, joiner.id, role->name}};
  if (role->athlete) out.push_back(events::AthleteJoinedOrganization{joiner.id, org.id});
  return out;
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const DeclineMembership& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (!org.offers.contains(actor)) return no_offer(actor);
  return Events{events::MembershipDeclined{org.id, actor}};
}

Result<Events> decide(const OrganizationState& org, const AccountState& member, const LeaveOrganization& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  const Role* role = org.role_of(member.id);
  if (!role) return not_a_member(member.id, "organization_id").because("not_a_member");
  if (last_active_founder(org, member.id)) {
    return Error::make(ErrorCode::failed_precondition,
                       "the last " + role->name + " stays until another member is " + role->name,
                       "organization_id")
        .because("last_founder");
  }
  Events out;
  if (org.consenting.contains(member.id)) out.push_back(events::ConsentWithdrawn{org.id, member.id});
  release(org, member.id, nullptr, out);
  out.push_back(events::MemberLeft{org.id, member.id, role->name});
  if (role->athlete && member.athlete_organization_id == org.id) {
    out.push_back(events::AthleteLeftOrganization{member.id, org.id});
  }
  return out;
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const GiveConsent& cmd) {
  if (auto refused = check_athlete_member(org, cmd.organization_id, actor)) return *refused;
  if (org.consenting.contains(actor)) return Events{};
  return Events{events::ConsentGiven{org.id, actor}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const WithdrawConsent& cmd) {
  if (auto refused = check_athlete_member(org, cmd.organization_id, actor)) return *refused;
  if (!org.consenting.contains(actor)) return Events{};
  return Events{events::ConsentWithdrawn{org.id, actor}};
}

}  // namespace touchline::domain
