// The Organisation aggregate: members and their roles, athlete-to-coach assignments and billing
// delegations, under the organisation's role model. Pure: decide functions read state and a
// command and return events or a typed error; evolve folds one event into the state.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "touchline/domain/account.h"
#include "touchline/domain/role_model.h"
#include "touchline/events/domain_events.h"
#include "touchline/events/result.h"

namespace touchline::domain {

struct OrganizationState {
  bool exists = false;
  std::string id;
  std::string name;
  std::string role_model;
  std::map<std::string, std::string> members;      // account id -> role name
  std::map<std::string, std::string> assignments;  // athlete id -> coach id
  std::set<std::string> billing_delegates;         // account ids
  std::string tier = "free";
  std::map<std::string, bool> settings;  // only those changed from the model's default

  const RoleModel& model() const;  // requires exists
  bool setting(const std::string& name) const;  // its value, else the model's default
  const Role* role_of(const std::string& account_id) const;  // nullptr for non-members
  bool operator==(const OrganizationState&) const = default;
};

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

// `target` is the account being added. Errors: not_found (organisation or account),
// permission_denied (actor lacks the permission the role needs), invalid_argument (role not
// addable in this model), failed_precondition (already a member; staff role for an athlete
// account; athlete already in another organisation).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const AccountState& target,
                                                const std::string& actor, const AddMember& cmd);

// Assigning an athlete to the coach they already have succeeds with no events.
// Errors: not_found, permission_denied, failed_precondition (athlete not an athlete member, coach
// not a member whose role coaches athletes).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const AssignAthlete& cmd);

// Granting a delegation that holds, or revoking one that does not, succeeds with no events.
// Errors: not_found, permission_denied, failed_precondition (target is not an assistant).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor,
                                                const GrantBillingDelegation& cmd);
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor,
                                                const RevokeBillingDelegation& cmd);

// Whoever holds billing.manage (the head coach or owner: the one who pays). The same tier again
// succeeds with no events. Errors: not_found, permission_denied, invalid_argument (unknown tier).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor, const ChangeTier& cmd);

// Whoever holds org.settings.edit; only settings the model declares. Setting a value it already
// has succeeds with no events. Errors: not_found, permission_denied, invalid_argument.
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org,
                                                const std::string& actor,
                                                const ChangeOrganizationSetting& cmd);

}  // namespace touchline::domain
