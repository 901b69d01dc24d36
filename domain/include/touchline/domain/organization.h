// The Organisation aggregate: members and their roles, athlete-to-coach assignments, member
// grants and custom roles, under one version of the organisation's role model. Pure: decide functions read state and a
// command and return events or a typed error; evolve folds one event into the state.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "touchline/domain/account.h"
#include "touchline/domain/id_map.h"
#include "touchline/domain/role_model.h"
#include "touchline/events/domain_events.h"
#include "touchline/events/result.h"

namespace touchline::domain {

// An invite as IssueInvite made it and its uses since (domain/joining.h).
struct Invite {
  std::string role;
  std::string email;  // sealed (lower-cased plain text in older logs); empty: a code anyone may use
  int max_uses = 1;   // 0: no limit
  std::int64_t expires_at_ms = 0;  // 0: never
  std::string code_digest;
  std::string issued_by;  // empty for invites recorded before issuers were
  std::string email_key;  // the claim key of email; empty in older logs
  int uses = 0;
  bool revoked = false;
  bool operator==(const Invite&) const = default;
};

// AddMember's offer to an existing account, waiting for it to accept or decline (domain/joining.h).
struct MembershipOffer {
  std::string role;
  std::string offered_by;
  bool operator==(const MembershipOffer&) const = default;
};

// A staff member's credential (domain/credentials.h).
struct Credential {
  std::string holder;
  std::string name;
  std::string expires_on;  // "YYYY-MM-DD"
  std::string document;
  bool verified = false;
  bool operator==(const Credential&) const = default;
};

struct OrganizationState {
  bool exists = false;
  std::string id;
  std::string name;
  std::string role_model;
  int role_model_version = 1;
  IdMap<std::string> members;      // account id -> role name
  IdMap<std::string> assignments;  // athlete id -> coach id
  std::map<std::string, std::set<std::string>> grants;  // member grant name -> holders
  std::string tier = "free";
  std::map<std::string, bool> settings;  // only those changed from the model's default
  std::map<std::string, Role> custom_roles;  // name -> role defined with DefineRole
  std::int64_t credits = 0;  // the owner's AI credit pool; never below zero
  std::map<std::string, Invite> invites;  // invite id -> invite
  std::set<std::string> consenting;  // athlete members who have accepted coaching
  std::map<std::string, MembershipOffer> offers;  // account id -> offer it has not answered
  std::map<std::string, Credential> credentials;  // credential id -> credential
  std::set<std::string> deactivated;  // members who hold nothing until reactivated
  std::string parent_id;              // set for a sub-organisation
  std::set<std::string> children;     // a parent's sub-organisations
  // Not folded from this organisation's events: the parent's state, attached by whoever loaded a
  // sub-organisation, so that the parent's owners and admins hold their rights here.
  std::shared_ptr<const OrganizationState> parent;

  const RoleModel& model() const;  // requires exists
  bool setting(const std::string& name) const;  // its value, else the model's default
  const Role* find_role(std::string_view name) const;  // the model's or a custom role, or nullptr
  const Role* role_of(const std::string& account_id) const;  // nullptr for non-members
  bool holds_grant(std::string_view grant, const std::string& account_id) const;
  // The tier a permission needs that this organisation is below, or empty when it has it.
  std::string_view missing_tier(std::string_view permission) const;
  // The tier the model needs (club: club) when the organisation is below it, or empty. Below it
  // no role holds anything.
  std::string_view missing_model_tier() const;
  // The same for custom roles (they need their builder's tier), or empty.
  std::string_view custom_roles_missing_tier() const;
  std::size_t holders_of(const std::string& role) const;
  // Active staff members other than holders of the founding role: the seats seed 002 caps by tier.
  std::size_t staff_seats_taken() const;
  bool operator==(const OrganizationState&) const = default;
};

// A custom role as DefineRole/UpdateRole record it: a staff role that coaches athletes and is
// given with the model's custom_roles.given_with. Throws std::logic_error on a scope that is not
// own/assigned/all (recorded definitions were validated when decided).
Role custom_role(const RoleModel& model, const std::string& name, const std::string& label,
                 const std::map<std::string, std::string>& permissions);
// The same role under another version of the model (after RoleModelVersionAdopted).
Role custom_role(const RoleModel& model, const Role& defined);

// The event that founds an organisation on the newest version of `model`, with its creator in the
// model's founding role (CreateOrganization, and SignUp with an organisation name).
events::OrganizationCreated founding_event(const RoleModel& model, const std::string& organization_id,
                                           const std::string& name, const std::string& creator);

// Folds an event into the state. Events of other aggregates leave it unchanged.
OrganizationState evolve(OrganizationState state, const events::DomainEvent& event);

struct CreateOrganization {
  std::string name;
  std::string role_model;           // empty: kDefaultRoleModel
  std::string new_organization_id;  // injected by the caller
};

struct AddMember {
  std::string organization_id;
  std::string account_id;
  std::string role;
};

// Takes a member out of the organisation, in one batch with its consequences: their athletes go
// back to the head coach or owner (where one member holds that founding role and coaches;
// otherwise they are unassigned, to the head coaches as a group) and their grants are revoked.
struct RemoveMember {
  std::string organization_id;
  std::string account_id;
};

// A staff member stops holding anything but stays a member, history included; reactivating
// restores their role (seed 001). Their athletes and grants go as with RemoveMember.
struct DeactivateMember {
  std::string organization_id;
  std::string account_id;
};

struct ReactivateMember {
  std::string organization_id;
  std::string account_id;
};

// Seed 002: a sub-organisation of a top-level organisation, with `admin_id` (a coach account) in
// the model's founding role there. Business and up (suborgs.manage).
struct CreateSubOrganization {
  std::string organization_id;  // the parent
  std::string name;
  std::string admin_id;
  std::string new_organization_id;  // injected by the caller
};

// Moves a member between an organisation and one of its sub-organisations, or between two
// sub-organisations of one parent, keeping their role.
struct MoveMember {
  std::string organization_id;  // from
  std::string to_organization_id;
  std::string account_id;
};

struct ChangeMemberRole {
  std::string organization_id;
  std::string account_id;
  std::string role;
};

struct UnassignAthlete {
  std::string organization_id;
  std::string athlete_id;
};

// Gives or takes back one of the model's member grants (RoleModel::grants).
struct GrantToMember {
  std::string organization_id;
  std::string account_id;
  std::string grant;
};

struct RevokeFromMember {
  std::string organization_id;
  std::string account_id;
  std::string grant;
};

// Custom roles (models with custom_roles). permissions: permission -> scope.
struct DefineRole {
  std::string organization_id;
  std::string role;
  std::string label;  // empty: the role's name
  std::map<std::string, std::string> permissions;
};

struct UpdateRole {
  std::string organization_id;
  std::string role;
  std::string label;
  std::map<std::string, std::string> permissions;
};

struct DeleteRole {
  std::string organization_id;
  std::string role;
};

// AI credits (seed 003): the payer adds to the pool; roles holding ai_credits.spend spend from it.
struct AddCredits {
  std::string organization_id;
  std::int64_t amount = 0;
  bool by_operator = false;  // set by the operator path only: no member's permission needed
};

struct SpendCredits {
  std::string organization_id;
  std::int64_t amount = 0;
};

inline constexpr std::int64_t kMaxCreditsPerCommand = 1'000'000;

// Moves the organisation to a newer version of its role model; version 0 means the newest.
struct AdoptRoleModelVersion {
  std::string organization_id;
  int version = 0;
};

struct AssignAthlete {
  std::string organization_id;
  std::string athlete_id;
  std::string coach_id;
};

struct GrantBillingDelegation {
  std::string organization_id;
  std::string account_id;
};

struct RevokeBillingDelegation {
  std::string organization_id;
  std::string account_id;
};

struct ChangeTier {
  std::string organization_id;
  std::string tier;
  bool by_operator = false;  // set by the operator path only: no member's permission needed
};

struct ChangeOrganizationSetting {
  std::string organization_id;
  std::string setting;
  bool enabled = false;
};

// `actor` is the signed-in account. Errors: permission_denied (not a coach account),
// invalid_argument (empty or over-long name, unknown role model).
Result<std::vector<events::DomainEvent>> decide(const AccountState& actor,
                                                const CreateOrganization& cmd);

// `target` is the account being added. Nobody is made a member without their acceptance: this
// offers the role (MembershipOffered, replacing an earlier offer), and the account's own
// AcceptMembership makes it a member under the same rules, checked again then (joining.h).
// Errors: not_found (organisation or account), permission_denied (actor lacks the permission the
// role needs; for a custom role, also below its tier or holding more than the actor holds),
// invalid_argument (role not addable in this model), already_exists (already a member),
// failed_precondition (staff role for an athlete account; unique role taken; athlete already in
// another organisation; no staff seat).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const AccountState& target,
                                                const std::string& actor, const AddMember& cmd);

// Assigning an athlete to the coach they already have succeeds with no events.
// Errors: not_found, permission_denied, failed_precondition (athlete not an athlete member, coach
// not a member whose role coaches athletes).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const AssignAthlete& cmd);

// Granting a delegation that holds, or revoking one that does not, succeeds with no events.
// GrantBillingDelegation and RevokeBillingDelegation are GrantToMember and RevokeFromMember of
// the model's "billing_delegation" grant.
// Errors: not_found, permission_denied, failed_precondition (target is not an assistant).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor,
                                                const GrantBillingDelegation& cmd);
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor,
                                                const RevokeBillingDelegation& cmd);

// Whoever holds the grant's granted_with permission on the member, and holds the permission the
// grant confers with at least its scope, to another member whose role may receive it. Giving a
// grant held, or revoking one not held, succeeds with no events. Errors: not_found (organisation
// or member), invalid_argument (the model has no such grant), permission_denied (including one's
// own grants), failed_precondition (a role the grant is not for).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const GrantToMember& cmd);
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor,
                                                const RevokeFromMember& cmd);

// Taking a member's role away needs the permission that gives it (so only the club owner removes
// an admin). The model's founding role, when it cannot be given, cannot be removed either; the
// last holder of a founding role that can be given stays. `target` is the member's account.
// Errors: not_found (organisation, or not a member), permission_denied, failed_precondition.
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const AccountState& target,
                                                const std::string& actor, const RemoveMember& cmd);

// Whoever holds suborgs.manage in the parent (its tier gate: business). `admin` is the admin's
// account. Errors: not_found (organisation, admin account), permission_denied, invalid_argument
// (name), failed_precondition (the parent is itself a sub-organisation; the admin's account is
// not a coach's).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& parent, const AccountState& admin,
                                                const std::string& actor, const CreateSubOrganization& cmd);

// `from` and `to` with their parents attached; `member` is the member's account. The actor needs
// the permission that gives the member's role in both (a parent's owner or admin holds it in its
// sub-organisations). The member leaves `from` as with RemoveMember (athletes handed back, grants
// revoked) and joins `to` with the same role, in one batch; an athlete's consent does not move
// with them. Errors: not_found (organisations, or not a member), invalid_argument (the two are not
// parent and sub-organisation or two sub-organisations of one parent; the role does not exist in
// `to`), permission_denied, failed_precondition (what AddMember would refuse in `to`).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& from, const OrganizationState& to,
                                                const AccountState& member, const std::string& actor,
                                                const MoveMember& cmd);

// Whoever may take the member's role away (as RemoveMember), for staff members: athletes are
// activated in the client's product (athletes.activate). The founding role that cannot be given,
// and the last holder of one that can, stay active. Deactivating a deactivated member, or
// reactivating an active one, succeeds with no events. Reactivating needs a free staff seat.
// Errors: not_found (organisation, or not a member), permission_denied, failed_precondition.
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const DeactivateMember& cmd);
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const ReactivateMember& cmd);

// The rules every seed states: nobody changes their own role; the actor needs roles.manage on the
// member, plus the permission that gives the member's current role and the one that gives the new
// role (only the club owner promotes to or demotes from admin); a custom role is given only on a
// tier that has custom roles, by someone holding everything it holds; a role that cannot be given
// (the club owner, athlete-coach's head coach) is neither given nor taken; unique roles stay unique;
// athlete members keep athlete roles. Grants the new role may not receive are revoked, and a role
// that coaches no athletes hands its athletes back as RemoveMember does, in the same batch. The
// same role again succeeds
// with no events. Errors: not_found, invalid_argument (unknown role), permission_denied,
// failed_precondition.
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor,
                                                const ChangeMemberRole& cmd);

// Whoever holds athletes.assign on the athlete. An athlete assigned to nobody succeeds with no
// events. Errors: not_found, permission_denied, failed_precondition (not an athlete member).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const UnassignAthlete& cmd);

// Custom roles need the model's custom_roles.defined_with (with its tier gate). A role holds only
// permissions its author holds by role (not through a grant or a switchable setting), each with no
// wider scope (no escalation), and never a permission no role can hold. Redefining a role that
// members hold also needs the permission that gives it; an empty label keeps the current one. Errors: not_found (organisation; for Update/Delete, the custom role),
// failed_precondition (the model has no custom roles; Delete: still held, with the count),
// permission_denied, invalid_argument (name, label, permission or scope), already_exists (a role of
// that name). Updating to the same definition succeeds with no events.
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const DefineRole& cmd);
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const UpdateRole& cmd);
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const DeleteRole& cmd);

// Whoever holds org.settings.edit. Versions only move forward, and only to a version in which
// every member's role, every held grant and every changed setting still exist. The version the
// organisation is on succeeds with no events. Errors: not_found, permission_denied,
// invalid_argument (no such version), failed_precondition.
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor,
                                                const AdoptRoleModelVersion& cmd);

// AddCredits: whoever holds billing.manage (the owner, who pays), or an operator. SpendCredits: whoever holds
// ai_credits.spend, never beyond the balance. Amounts are 1 to kMaxCreditsPerCommand. Errors:
// not_found, permission_denied, invalid_argument (amount), failed_precondition (spending more than
// the balance, which the message states).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const AddCredits& cmd);
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const SpendCredits& cmd);

// Whoever holds billing.manage (the head coach or owner: the one who pays), or an operator. A parent's
// sub-organisations move with it; a sub-organisation has its parent's tier. The same tier again
// succeeds with no events. Errors: not_found, permission_denied, invalid_argument (unknown tier),
// failed_precondition (a sub-organisation).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const ChangeTier& cmd);

// Whoever holds org.settings.edit; only settings the model declares, switched on only on a tier the
// setting allows (custom-roles' sso_saml_enabled: enterprise; switching off is always allowed). Setting a value it already has succeeds with no
// events. Errors: not_found, permission_denied (including below the setting's tier),
// invalid_argument.
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor,
                                                const ChangeOrganizationSetting& cmd);

}  // namespace touchline::domain
