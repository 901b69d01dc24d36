#include "touchline/domain/organization.h"

#include <stdexcept>

#include "text.h"
#include "touchline/domain/authorizer.h"

namespace touchline::domain {

using events::DomainEvent;
using Events = std::vector<DomainEvent>;

const RoleModel& OrganizationState::model() const {
  const RoleModel* m = find_role_model(role_model);
  // Every model id in the log was validated when the organisation was created.
  if (!m) throw std::logic_error("organisation " + id + " names unknown role model " + role_model);
  return *m;
}

bool OrganizationState::setting(const std::string& name) const {
  if (auto it = settings.find(name); it != settings.end()) return it->second;
  const auto& declared = model().settings;
  auto it = declared.find(name);
  return it != declared.end() && it->second.default_value;
}

const Role* OrganizationState::role_of(const std::string& account_id) const {
  auto it = members.find(account_id);
  return it == members.end() ? nullptr : model().find_role(it->second);
}

OrganizationState evolve(OrganizationState state, const DomainEvent& event) {
  std::visit(
      [&state](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, events::OrganizationCreated>) {
          state.exists = true;
          state.id = e.organization_id;
          state.name = e.name;
          state.role_model = e.role_model;
          state.members[e.created_by] = e.founder_role;
        } else if constexpr (std::is_same_v<E, events::MemberAdded>) {
          state.members[e.account_id] = e.role;
        } else if constexpr (std::is_same_v<E, events::AthleteAssigned>) {
          state.assignments[e.athlete_id] = e.coach_id;
        } else if constexpr (std::is_same_v<E, events::BillingDelegationGranted>) {
          state.billing_delegates.insert(e.account_id);
        } else if constexpr (std::is_same_v<E, events::BillingDelegationRevoked>) {
          state.billing_delegates.erase(e.account_id);
        } else if constexpr (std::is_same_v<E, events::OrganizationTierChanged>) {
          state.tier = e.tier;
        } else if constexpr (std::is_same_v<E, events::OrganizationSettingChanged>) {
          state.settings[e.setting] = e.enabled;
        }
      },
      event);
  return state;
}

namespace {

Error org_not_found(const std::string& id) {
  return Error::make(ErrorCode::not_found, "organisation " + id + " not found", "organization_id");
}

// The actor must hold `permission` in the organisation; the denial explains why not.
std::optional<Error> require(const OrganizationState& org, const std::string& actor,
                             const std::string& permission) {
  Decision d = check(org, actor, permission);
  if (d.allowed) return std::nullopt;
  return Error::make(ErrorCode::permission_denied, d.reason);
}

}  // namespace

Result<Events> decide(const AccountState& actor, const CreateOrganization& cmd) {
  if (!actor.exists) return Error::make(ErrorCode::not_found, "account not found");
  if (actor.membership_role != "coach") {
    return Error::make(ErrorCode::permission_denied,
                       "only coach accounts can create an organisation; upgrade with UpgradeToCoach");
  }
  if (cmd.name.empty() || utf8_length(cmd.name) > kMaxNameChars) {
    return Error::make(ErrorCode::invalid_argument, "name is required and at most 100 characters",
                       "name");
  }
  const std::string model_id =
      cmd.role_model.empty() ? std::string(kDefaultRoleModel) : cmd.role_model;
  const RoleModel* model = find_role_model(model_id);
  if (!model) {
    return Error::make(ErrorCode::invalid_argument,
                       "role_model '" + model_id + "' is not a built-in role model", "role_model");
  }
  return Events{events::OrganizationCreated{cmd.new_organization_id, cmd.name, model->id, actor.id,
                                            model->founder_role}};
}

Result<Events> decide(const OrganizationState& org, const AccountState& target,
                      const std::string& actor, const AddMember& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  const RoleModel& model = org.model();
  const Role* role = model.find_role(cmd.role);
  if (!role || !role->addable) {
    std::string valid;
    for (const auto& r : model.roles) {
      if (r.addable) valid += (valid.empty() ? "" : ", ") + r.name;
    }
    return Error::make(ErrorCode::invalid_argument,
                       "role '" + cmd.role + "' cannot be given with AddMember in the " + model.id +
                           " model; valid roles: " + valid,
                       "role");
  }
  if (auto denied = require(org, actor, role->add_requires)) return *denied;
  if (!target.exists) {
    return Error::make(ErrorCode::not_found, "account " + cmd.account_id + " not found",
                       "account_id");
  }
  if (org.members.contains(cmd.account_id)) {
    return Error::make(ErrorCode::already_exists,
                       "account " + cmd.account_id + " is already a member of this organisation",
                       "account_id");
  }
  if (!role->athlete && target.membership_role != "coach") {
    return Error::make(ErrorCode::failed_precondition,
                       "the " + role->name +
                           " role needs a coach account; this athlete account can become a coach "
                           "with UpgradeToCoach",
                       "role");
  }
  if (role->unique) {
    for (const auto& [member, held] : org.members) {
      if (held == role->name) {
        return Error::make(ErrorCode::failed_precondition,
                           "this organisation already has a " + role->name, "role");
      }
    }
  }
  if (role->athlete && !target.athlete_organization_id.empty()) {
    return Error::make(ErrorCode::failed_precondition,
                       "the athlete already belongs to organisation " +
                           target.athlete_organization_id +
                           "; an athlete belongs to one organisation at a time",
                       "account_id");
  }
  Events out{events::MemberAdded{org.id, cmd.account_id, role->name}};
  if (role->athlete) out.push_back(events::AthleteJoinedOrganization{cmd.account_id, org.id});
  return out;
}

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const AssignAthlete& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto denied = require(org, actor, "athletes.assign")) return *denied;
  const Role* athlete_role = org.role_of(cmd.athlete_id);
  if (!athlete_role || !athlete_role->athlete) {
    return Error::make(ErrorCode::failed_precondition,
                       "account " + cmd.athlete_id + " is not an athlete member of this organisation",
                       "athlete_id");
  }
  const Role* coach_role = org.role_of(cmd.coach_id);
  if (!coach_role || !coach_role->coaches_athletes) {
    return Error::make(ErrorCode::failed_precondition,
                       "account " + cmd.coach_id + " is not a coach member of this organisation",
                       "coach_id");
  }
  std::string previous;
  if (auto it = org.assignments.find(cmd.athlete_id); it != org.assignments.end()) {
    if (it->second == cmd.coach_id) return Events{};  // already so: nothing to record
    previous = it->second;
  }
  return Events{events::AthleteAssigned{org.id, cmd.athlete_id, cmd.coach_id, previous}};
}

namespace {

// Shared checks of the delegation toggle; returns the error, if any.
std::optional<Error> check_delegation_target(const OrganizationState& org, const std::string& actor,
                                             const std::string& account_id) {
  if (!org.model().billing_delegation) {
    return Error::make(ErrorCode::failed_precondition,
                       "the " + org.role_model + " role model has no billing delegation");
  }
  if (auto denied = require(org, actor, "billing.manage")) return denied;
  const Role* role = org.role_of(account_id);
  if (!role) {
    return Error::make(ErrorCode::failed_precondition,
                       "account " + account_id + " is not a member of this organisation",
                       "account_id");
  }
  if (!role->billing_delegable) {
    return Error::make(ErrorCode::failed_precondition,
                       "billing delegation is for assistants; account " + account_id + " is " +
                           role->name,
                       "account_id");
  }
  return std::nullopt;
}

}  // namespace

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const GrantBillingDelegation& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto err = check_delegation_target(org, actor, cmd.account_id)) return *err;
  if (org.billing_delegates.contains(cmd.account_id)) return Events{};
  return Events{events::BillingDelegationGranted{org.id, cmd.account_id}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const RevokeBillingDelegation& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto err = check_delegation_target(org, actor, cmd.account_id)) return *err;
  if (!org.billing_delegates.contains(cmd.account_id)) return Events{};
  return Events{events::BillingDelegationRevoked{org.id, cmd.account_id}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const ChangeTier& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (tier_rank(cmd.tier) < 0) {
    std::string valid;
    for (const auto& t : tier_names()) valid += (valid.empty() ? "" : ", ") + t;
    return Error::make(ErrorCode::invalid_argument, "tier must be one of " + valid, "tier");
  }
  // Paying is what the billing permission is about, so it is checked regardless of the tier the
  // organisation is on now: a club below its model's tier must still be able to upgrade.
  const Role* role = org.role_of(actor);
  if (!role || !role->permissions.contains("billing.manage")) {
    const PermissionInfo* info = find_permission("billing.manage");
    return Error::make(ErrorCode::permission_denied, org.model().denial(*info));
  }
  if (org.tier == cmd.tier) return Events{};
  return Events{events::OrganizationTierChanged{org.id, cmd.tier, org.tier}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const ChangeOrganizationSetting& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (!org.model().settings.contains(cmd.setting)) {
    return Error::make(ErrorCode::invalid_argument,
                       "the " + org.role_model + " role model has no setting '" + cmd.setting + "'",
                       "setting");
  }
  if (auto denied = require(org, actor, "org.settings.edit")) return *denied;
  if (org.setting(cmd.setting) == cmd.enabled) return Events{};
  return Events{events::OrganizationSettingChanged{org.id, cmd.setting, cmd.enabled}};
}

}  // namespace touchline::domain
