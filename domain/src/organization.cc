#include "touchline/domain/organization.h"

#include <algorithm>
#include <stdexcept>

#include "organization_rules.h"
#include "text.h"
#include "touchline/domain/authorizer.h"

namespace touchline::domain {

using events::DomainEvent;
using Events = std::vector<DomainEvent>;

const RoleModel& OrganizationState::model() const {
  const RoleModel* m = find_role_model(role_model, role_model_version);
  // Every model version in the log was validated when it was recorded, and released versions
  // stay built in (domain/models/released/).
  if (!m) {
    throw std::logic_error("organisation " + id + " names unknown role model " + role_model + " v" +
                           std::to_string(role_model_version));
  }
  return *m;
}

bool OrganizationState::setting(const std::string& name) const {
  if (auto it = settings.find(name); it != settings.end()) return it->second;
  const auto& declared = model().settings;
  auto it = declared.find(name);
  return it != declared.end() && it->second.default_value;
}

const Role* OrganizationState::find_role(std::string_view name) const {
  if (const Role* r = model().find_role(name)) return r;
  auto it = custom_roles.find(std::string(name));
  return it == custom_roles.end() ? nullptr : &it->second;
}

const Role* OrganizationState::role_of(const std::string& account_id) const {
  auto it = members.find(account_id);
  return it == members.end() ? nullptr : find_role(it->second);
}

bool OrganizationState::holds_grant(std::string_view grant, const std::string& account_id) const {
  auto it = grants.find(std::string(grant));
  return it != grants.end() && it->second.contains(account_id);
}

std::string_view OrganizationState::missing_tier(std::string_view permission) const {
  std::string_view needed = model().min_tier_of(permission);
  return tier_rank(tier) < tier_rank(needed) ? needed : std::string_view{};
}

std::string_view OrganizationState::missing_model_tier() const {
  const std::string& needed = model().min_tier;
  return tier_rank(tier) < tier_rank(needed) ? std::string_view(needed) : std::string_view{};
}

std::string_view OrganizationState::custom_roles_missing_tier() const {
  const auto& custom = model().custom_roles;
  return custom ? missing_tier(custom->defined_with) : std::string_view{};
}

std::size_t OrganizationState::holders_of(const std::string& role) const {
  std::size_t n = 0;
  for (const auto& [member, held] : members) n += held == role ? 1 : 0;
  return n;
}

std::size_t OrganizationState::staff_seats_taken() const {
  const RoleModel& m = model();
  std::size_t n = 0;
  for (const auto& [member, role_name] : members) {
    const Role* role = find_role(role_name);
    n += role && !role->athlete && role_name != m.founder_role && !deactivated.contains(member) ? 1 : 0;
  }
  return n;
}

events::OrganizationCreated founding_event(const RoleModel& model, const std::string& organization_id,
                                           const std::string& name, const std::string& creator) {
  return events::OrganizationCreated{organization_id, name, model.id, creator, model.founder_role,
                                     model.version};
}

Role custom_role(const RoleModel& model, const Role& defined) {
  // Recorded custom roles were decided under a model that has them, and versions keep them.
  if (!model.custom_roles) throw std::logic_error("model " + model.id + " has no custom roles");
  Role r = defined;
  r.add_requires = model.custom_roles->given_with;
  return r;
}

Role custom_role(const RoleModel& model, const std::string& name, const std::string& label,
                 const std::map<std::string, std::string>& permissions) {
  Role r;
  r.name = name;
  r.label = label;
  r.addable = true;
  r.coaches_athletes = true;
  r.custom = true;
  for (const auto& [permission, scope] : permissions) {
    auto s = parse_scope(scope);
    if (!s) throw std::logic_error("custom role " + name + ": bad scope " + scope);
    r.permissions[permission] = *s;
  }
  return custom_role(model, r);
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
          state.role_model_version = e.role_model_version;
          state.members[e.created_by] = e.founder_role;
        } else if constexpr (std::is_same_v<E, events::SubOrganizationCreated>) {
          state.exists = true;
          state.id = e.organization_id;
          state.name = e.name;
          state.role_model = e.role_model;
          state.role_model_version = e.role_model_version;
          state.tier = e.tier;
          state.parent_id = e.parent_id;
          state.members[e.admin_id] = e.admin_role;
        } else if constexpr (std::is_same_v<E, events::SubOrganizationAdded>) {
          state.children.insert(e.sub_organization_id);
        } else if constexpr (std::is_same_v<E, events::RoleModelVersionAdopted>) {
          state.role_model_version = e.version;
          for (auto& [name, role] : state.custom_roles) role = custom_role(state.model(), role);
        } else if constexpr (std::is_same_v<E, events::MemberAdded>) {
          state.members[e.account_id] = e.role;
          state.offers.erase(e.account_id);  // joined, by its offer or otherwise
        } else if constexpr (std::is_same_v<E, events::MemberRoleChanged>) {
          state.members[e.account_id] = e.role;
        } else if constexpr (std::is_same_v<E, events::MembershipOffered>) {
          state.offers[e.account_id] = MembershipOffer{e.role, e.offered_by};
        } else if constexpr (std::is_same_v<E, events::MembershipAccepted> ||
                             std::is_same_v<E, events::MembershipDeclined>) {
          state.offers.erase(e.account_id);
        } else if constexpr (std::is_same_v<E, events::MemberDeactivated>) {
          state.deactivated.insert(e.account_id);
        } else if constexpr (std::is_same_v<E, events::MemberReactivated>) {
          state.deactivated.erase(e.account_id);
        } else if constexpr (std::is_same_v<E, events::MemberRemoved> || std::is_same_v<E, events::MemberLeft>) {
          state.members.erase(e.account_id);
          state.deactivated.erase(e.account_id);
          state.consenting.erase(e.account_id);  // a returning athlete accepts again
          // A returning member declares their credentials anew; the old ones stay in the log.
          std::erase_if(state.credentials, [&](const auto& c) { return c.second.holder == e.account_id; });
        } else if constexpr (std::is_same_v<E, events::AthleteAssigned>) {
          state.assignments[e.athlete_id] = e.coach_id;
        } else if constexpr (std::is_same_v<E, events::AthleteUnassigned>) {
          state.assignments.erase(e.athlete_id);
        } else if constexpr (std::is_same_v<E, events::BillingDelegationGranted>) {
          state.grants[std::string(kBillingDelegationGrant)].insert(e.account_id);
        } else if constexpr (std::is_same_v<E, events::BillingDelegationRevoked>) {
          state.grants[std::string(kBillingDelegationGrant)].erase(e.account_id);
        } else if constexpr (std::is_same_v<E, events::MemberGranted>) {
          state.grants[e.grant].insert(e.account_id);
        } else if constexpr (std::is_same_v<E, events::MemberGrantRevoked>) {
          state.grants[e.grant].erase(e.account_id);
        } else if constexpr (std::is_same_v<E, events::RoleDefined> ||
                             std::is_same_v<E, events::RoleUpdated>) {
          state.custom_roles[e.role] = custom_role(state.model(), e.role, e.label, e.permissions);
        } else if constexpr (std::is_same_v<E, events::CreditsAdded> ||
                             std::is_same_v<E, events::CreditsSpent>) {
          state.credits = e.balance;
        } else if constexpr (std::is_same_v<E, events::RoleDeleted>) {
          state.custom_roles.erase(e.role);
        } else if constexpr (std::is_same_v<E, events::OrganizationTierChanged>) {
          state.tier = e.tier;
        } else if constexpr (std::is_same_v<E, events::OrganizationSettingChanged>) {
          state.settings[e.setting] = e.enabled;
        } else if constexpr (std::is_same_v<E, events::InviteIssued>) {
          state.invites[e.invite_id] = Invite{e.role, e.email, e.max_uses, e.expires_at_ms, e.code_digest, e.issued_by, e.email_key};
        } else if constexpr (std::is_same_v<E, events::InviteRevoked>) {
          state.invites[e.invite_id].revoked = true;
        } else if constexpr (std::is_same_v<E, events::InviteAccepted>) {
          ++state.invites[e.invite_id].uses;
        } else if constexpr (std::is_same_v<E, events::ConsentGiven>) {
          state.consenting.insert(e.athlete_id);
        } else if constexpr (std::is_same_v<E, events::ConsentWithdrawn>) {
          state.consenting.erase(e.athlete_id);
        } else if constexpr (std::is_same_v<E, events::CredentialDeclared> ||
                             std::is_same_v<E, events::CredentialRecorded>) {
          state.credentials[e.credential_id] = Credential{e.holder_id, e.name, e.expires_on, e.document};
        } else if constexpr (std::is_same_v<E, events::CredentialEdited>) {
          // Logs of earlier builds may edit a credential its holder took away when leaving.
          if (auto it = state.credentials.find(e.credential_id); it != state.credentials.end()) {
            it->second = Credential{it->second.holder, e.name, e.expires_on, e.document, false};
          }
        } else if constexpr (std::is_same_v<E, events::CredentialVerified>) {
          if (auto it = state.credentials.find(e.credential_id); it != state.credentials.end()) {
            it->second.verified = true;
          }
        }
      },
      event);
  return state;
}

namespace rules {

Error org_not_found(const std::string& id) {
  return Error::make(ErrorCode::not_found, "organisation " + id + " not found", "organization_id");
}

Error not_a_member(const std::string& account_id, const char* field) {
  return Error::make(ErrorCode::not_found,
                     "account " + account_id + " is not a member of this organisation", field);
}

std::optional<Error> require(const OrganizationState& org, const std::string& actor,
                             const std::string& permission, std::string_view target) {
  Decision d = check(org, actor, permission, target, {}, org.parent.get());
  if (d.allowed) return std::nullopt;
  return Error::make(ErrorCode::permission_denied, d.reason.str());
}

// The scope `actor` holds `permission` with through their role alone: not through a grant, and not
// while a setting that can be switched off is on.
std::optional<Scope> own_scope(const OrganizationState& org, const std::string& actor,
                               const std::string& permission) {
  const Role* role = org.role_of(actor);
  if (!role || role->conditions.contains(permission)) return std::nullopt;
  auto it = role->permissions.find(permission);
  if (it == role->permissions.end()) return std::nullopt;
  return it->second;
}

// Nobody hands out more than they hold: every permission of `given` must be the actor's own, with
// at least that scope. `what` names what is handed out, for the message.
std::optional<Error> check_within(const OrganizationState& org, const std::string& actor,
                                  const std::map<std::string, Scope>& given, const std::string& what) {
  for (const auto& [permission, scope] : given) {
    auto mine = own_scope(org, actor, permission);
    if (!mine) {
      return Error::make(ErrorCode::permission_denied,
                         "you do not hold " + permission + ", so " + what + " cannot hold it either");
    }
    if (*mine < scope) {
      return Error::make(ErrorCode::permission_denied,
                         "you hold " + permission + " with scope " + std::string(scope_name(*mine)) +
                             ", so " + what + " cannot hold it with scope " +
                             std::string(scope_name(scope)));
    }
  }
  return std::nullopt;
}

std::optional<Error> check_may_give(const OrganizationState& org, const std::string& actor,
                                    const Role& role) {
  if (auto denied = require(org, actor, role.add_requires)) return denied;
  if (!role.custom) return std::nullopt;
  if (auto tier = org.custom_roles_missing_tier(); !tier.empty()) {
    return Error::make(ErrorCode::permission_denied,
                       "custom roles need the " + std::string(tier) +
                           " tier or above; this organisation is on " + org.tier);
  }
  return check_within(org, actor, role.permissions, "the " + role.name + " role you give");
}

// "a, b, c": the roles of the organisation for which `keep` holds, model roles first.
template <typename Keep>
std::string role_names(const OrganizationState& org, Keep keep) {
  std::vector<std::string> names;
  for (const auto& r : org.model().roles) {
    if (keep(r)) names.push_back(r.name);
  }
  for (const auto& [name, r] : org.custom_roles) {
    if (keep(r)) names.push_back(name);
  }
  return join_names(names);
}

Error role_not_givable(const OrganizationState& org, const std::string& role, const char* field) {
  return Error::make(ErrorCode::invalid_argument,
                     "role '" + role + "' cannot be given in the " + org.role_model +
                         " model; roles that can: " +
                         role_names(org, [](const Role& r) { return r.addable; }),
                     field);
}

std::optional<Error> check_unique(const OrganizationState& org, const Role& role) {
  if (role.unique && org.holders_of(role.name) > 0) {
    return Error::make(ErrorCode::failed_precondition,
                       "this organisation already has a " + role.name + ", and there is only one",
                       "role");
  }
  return std::nullopt;
}

std::optional<Error> check_may_join(const OrganizationState& org, const AccountState& joiner,
                                    const std::string& account_id, const Role& role, const char* field) {
  if (!joiner.exists) {
    return Error::make(ErrorCode::not_found, "account " + account_id + " not found", field);
  }
  if (org.members.contains(account_id)) {
    return Error::make(ErrorCode::already_exists,
                       "account " + account_id + " is already a member of this organisation", field);
  }
  if (!role.athlete && joiner.membership_role != "coach") {
    return Error::make(ErrorCode::failed_precondition,
                       "the " + role.name +
                           " role needs a coach account; this athlete account can become a coach "
                           "with UpgradeToCoach",
                       "role");
  }
  if (auto err = check_unique(org, role)) return err;
  if (role.athlete && !joiner.athlete_organization_id.empty()) {
    return Error::make(ErrorCode::failed_precondition,
                       "the athlete already belongs to organisation " + joiner.athlete_organization_id +
                           "; an athlete belongs to one organisation at a time",
                       field);
  }
  return check_staff_seat(org, role);
}

bool acts_in(const OrganizationState& org, const std::string& actor) {
  if (org.role_of(actor)) return true;
  return org.parent && check(*org.parent, actor, "suborgs.manage").allowed;
}

std::optional<Error> check_staff_seat(const OrganizationState& org, const Role& role) {
  const auto& seats = org.model().staff_seats;
  auto cap = seats.find(org.tier);
  if (role.athlete || cap == seats.end() || org.staff_seats_taken() < static_cast<std::size_t>(cap->second)) {
    return std::nullopt;
  }
  return Error::make(ErrorCode::failed_precondition,
                     "the " + org.tier + " tier has " + std::to_string(cap->second) +
                         (cap->second == 1 ? " staff seat" : " staff seats") + " besides the " +
                         org.model().founder_role + ", and all are taken; a higher tier has more")
      .because("no_staff_seat");
}

// The billing delegation keeps the events it had before grants were general.
events::DomainEvent grant_event(const OrganizationState& org, const std::string& account_id,
                                const std::string& grant, bool given) {
  if (grant == kBillingDelegationGrant) {
    if (given) return events::BillingDelegationGranted{org.id, account_id};
    return events::BillingDelegationRevoked{org.id, account_id};
  }
  if (given) return events::MemberGranted{org.id, account_id, grant};
  return events::MemberGrantRevoked{org.id, account_id, grant};
}

// The one member athletes go back to when their coach leaves: the holder of a unique founding
// role that coaches athletes (athlete-coach's head coach, custom-roles' owner). Empty where the
// founding role is shared (head-assistant's head coaches take unassigned athletes as a group) or
// coaches nobody (club).
std::string fallback_coach(const OrganizationState& org, const std::string& leaving) {
  const RoleModel& model = org.model();
  const Role* founder = model.find_role(model.founder_role);
  if (!founder || !founder->unique || !founder->coaches_athletes) return {};
  for (const auto& [member, role] : org.members) {
    if (role == founder->name && member != leaving && !org.deactivated.contains(member)) return member;
  }
  return {};
}

bool last_active_founder(const OrganizationState& org, const std::string& account_id) {
  const std::string& founder = org.model().founder_role;
  auto held = org.members.find(account_id);
  if (held == org.members.end() || held->second != founder) return false;
  return std::none_of(org.members.begin(), org.members.end(), [&](const auto& m) {
    return m.first != account_id && m.second == founder && !org.deactivated.contains(m.first);
  });
}

void release(const OrganizationState& org, const std::string& account_id, const Role* role,
             Events& out) {
  if (!role || !role->coaches_athletes) {
    const std::string back_to = fallback_coach(org, account_id);
    for (const auto& [athlete, coach] : org.assignments) {
      if (coach != account_id || athlete == account_id) continue;
      if (back_to.empty()) {
        out.push_back(events::AthleteUnassigned{org.id, athlete, coach});
      } else {
        out.push_back(events::AthleteAssigned{org.id, athlete, back_to, coach});
      }
    }
  }
  if (!role) {
    if (auto it = org.assignments.find(account_id); it != org.assignments.end()) {
      out.push_back(events::AthleteUnassigned{org.id, account_id, it->second});
    }
  }
  for (const auto& [name, grant] : org.model().grants) {
    if (!org.holds_grant(name, account_id) || (role && grant.may_receive(role->name))) continue;
    out.push_back(grant_event(org, account_id, name, false));
  }
}

}  // namespace rules

using namespace rules;

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
  if (has_control_characters(cmd.name)) {
    return Error::make(ErrorCode::invalid_argument, "name must not contain control characters", "name");
  }
  const std::string model_id =
      cmd.role_model.empty() ? std::string(kDefaultRoleModel) : cmd.role_model;
  const RoleModel* model = find_role_model(model_id);
  if (!model) {
    return Error::make(ErrorCode::invalid_argument,
                       "role_model '" + model_id + "' is not a built-in role model", "role_model");
  }
  return Events{founding_event(*model, cmd.new_organization_id, cmd.name, actor.id)};
}

Result<Events> decide(const OrganizationState& org, const AccountState& target,
                      const std::string& actor, const AddMember& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  const Role* role = org.find_role(cmd.role);
  if (!role || !role->addable) return role_not_givable(org, cmd.role);
  if (auto denied = check_may_give(org, actor, *role)) return *denied;
  if (auto refused = check_may_join(org, target, cmd.account_id, *role, "account_id")) return *refused;
  if (auto it = org.offers.find(cmd.account_id); it != org.offers.end() && it->second.role == role->name) {
    return Events{};  // offered already: the account has yet to answer
  }
  return Events{events::MembershipOffered{org.id, cmd.account_id, role->name, actor}};
}

namespace {

// RemoveMember and DeactivateMember: the member's role, if `actor` may take it away (`verb`:
// "removed", "deactivated"). The founding role that cannot be given stays; so does the last
// active holder of one that can.
Result<const Role*> check_may_take(const OrganizationState& org, const std::string& actor,
                                   const std::string& account_id, const std::string& verb) {
  if (!acts_in(org, actor)) {
    return Error::make(ErrorCode::permission_denied, "only members of an organisation change its members");
  }
  const Role* role = org.role_of(account_id);
  if (!role) return not_a_member(account_id, "account_id");
  if (!role->addable) {
    return Error::make(ErrorCode::failed_precondition,
                       "the " + role->name + " cannot be " + verb + " from the organisation", "account_id");
  }
  // Whoever cannot take such roles at all hears that first, not facts about the organisation.
  if (auto denied = require(org, actor, role->add_requires)) return *denied;
  if (last_active_founder(org, account_id)) {
    return Error::make(ErrorCode::failed_precondition,
                       "the last " + role->name + " cannot be " + verb + "; make another member " + role->name +
                           " first",
                       "account_id");
  }
  if (auto denied = require(org, actor, role->add_requires, account_id)) return *denied;
  return role;
}

}  // namespace

Result<Events> decide(const OrganizationState& org, const AccountState& target,
                      const std::string& actor, const RemoveMember& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  auto role = check_may_take(org, actor, cmd.account_id, "removed");
  if (!role.ok()) return role.error();
  Events out;
  release(org, cmd.account_id, nullptr, out);
  out.push_back(events::MemberRemoved{org.id, cmd.account_id, (*role)->name});
  if ((*role)->athlete && target.athlete_organization_id == org.id) {
    out.push_back(events::AthleteLeftOrganization{cmd.account_id, org.id});
  }
  return out;
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const DeactivateMember& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  auto role = check_may_take(org, actor, cmd.account_id, "deactivated");
  if (!role.ok()) return role.error();
  if ((*role)->athlete) {
    return Error::make(ErrorCode::failed_precondition,
                       "athletes are activated and deactivated in your product (athletes.activate); "
                       "deactivating a member is for staff",
                       "account_id");
  }
  if (org.deactivated.contains(cmd.account_id)) return Events{};
  Events out;
  release(org, cmd.account_id, nullptr, out);
  out.push_back(events::MemberDeactivated{org.id, cmd.account_id, (*role)->name});
  return out;
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const ReactivateMember& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (!acts_in(org, actor)) {
    return Error::make(ErrorCode::permission_denied, "only members of an organisation reactivate its members");
  }
  const Role* role = org.role_of(cmd.account_id);
  if (!role) return not_a_member(cmd.account_id, "account_id");
  if (!org.deactivated.contains(cmd.account_id)) return Events{};  // active: nothing to do
  if (auto denied = require(org, actor, role->add_requires, cmd.account_id)) return *denied;
  if (auto full = check_staff_seat(org, *role)) return *full;
  return Events{events::MemberReactivated{org.id, cmd.account_id}};
}

Result<Events> decide(const OrganizationState& parent, const AccountState& admin, const std::string& actor,
                      const CreateSubOrganization& cmd) {
  if (!parent.exists) return org_not_found(cmd.organization_id);
  if (auto denied = require(parent, actor, "suborgs.manage")) return *denied;
  if (!parent.parent_id.empty()) {
    return Error::make(ErrorCode::failed_precondition,
                       "organisation " + parent.id + " is itself a sub-organisation; sub-organisations have none",
                       "organization_id");
  }
  if (cmd.name.empty() || utf8_length(cmd.name) > kMaxNameChars) {
    return Error::make(ErrorCode::invalid_argument, "name is required and at most 100 characters", "name");
  }
  if (has_control_characters(cmd.name)) {
    return Error::make(ErrorCode::invalid_argument, "name must not contain control characters", "name");
  }
  if (!admin.exists) return Error::make(ErrorCode::not_found, "account " + cmd.admin_id + " not found", "admin_id");
  if (admin.membership_role != "coach") {
    return Error::make(ErrorCode::failed_precondition,
                       "a sub-organisation's admin needs a coach account; this athlete account can become a "
                       "coach with UpgradeToCoach",
                       "admin_id");
  }
  const RoleModel& model = parent.model();
  return Events{events::SubOrganizationCreated{cmd.new_organization_id, parent.id, cmd.name, model.id, model.version,
                                               parent.tier, cmd.admin_id, model.founder_role},
                events::SubOrganizationAdded{parent.id, cmd.new_organization_id, cmd.name}};
}

Result<Events> decide(const OrganizationState& from, const OrganizationState& to, const AccountState& member,
                      const std::string& actor, const MoveMember& cmd) {
  if (!from.exists) return org_not_found(cmd.organization_id);
  if (!to.exists) return org_not_found(cmd.to_organization_id);
  if (!acts_in(from, actor) || !acts_in(to, actor)) {
    return Error::make(ErrorCode::permission_denied, "only members of both organisations move members between them");
  }
  const bool related = to.parent_id == from.id || from.parent_id == to.id ||
                       (!from.parent_id.empty() && from.parent_id == to.parent_id && from.id != to.id);
  if (!related) {
    return Error::make(ErrorCode::invalid_argument,
                       "members move between an organisation and its sub-organisations, or between two "
                       "sub-organisations of one parent",
                       "to_organization_id");
  }
  auto role = check_may_take(from, actor, cmd.account_id, "moved");
  if (!role.ok()) return role.error();
  if (from.deactivated.contains(cmd.account_id)) {
    return Error::make(ErrorCode::failed_precondition, "the member is deactivated; reactivate them before a move",
                       "account_id");
  }
  const Role* there = to.find_role((*role)->name);
  if (!there || there->custom != (*role)->custom) {
    return Error::make(ErrorCode::invalid_argument,
                       "organisation " + to.id + " has no role " + (*role)->name + " to move the member into",
                       "to_organization_id");
  }
  if (auto denied = check_may_give(to, actor, *there)) return *denied;
  AccountState leaving = member;
  if (leaving.athlete_organization_id == from.id) leaving.athlete_organization_id.clear();
  if (auto refused = check_may_join(to, leaving, cmd.account_id, *there, "account_id")) return *refused;
  Events out;
  release(from, cmd.account_id, nullptr, out);
  out.push_back(events::MemberRemoved{from.id, cmd.account_id, (*role)->name});
  out.push_back(events::MemberAdded{to.id, cmd.account_id, there->name});
  if (there->athlete && member.athlete_organization_id == from.id) {
    out.push_back(events::AthleteLeftOrganization{cmd.account_id, from.id});
    out.push_back(events::AthleteJoinedOrganization{cmd.account_id, to.id});
  }
  return out;
}

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const ChangeMemberRole& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  const Role* current = org.role_of(cmd.account_id);
  if (!current) return not_a_member(cmd.account_id, "account_id");
  if (cmd.account_id == actor) {
    return Error::make(ErrorCode::permission_denied, "nobody can change their own role",
                       "account_id");
  }
  if (auto denied = require(org, actor, "roles.manage", cmd.account_id)) return *denied;
  const Role* next = org.find_role(cmd.role);
  if (!next) return role_not_givable(org, cmd.role);
  if (next->name == current->name) return Events{};
  if (!current->addable) {
    return Error::make(ErrorCode::failed_precondition,
                       "the " + current->name + " role can't be transferred, reassigned or demoted",
                       "account_id");
  }
  if (!next->addable) {
    return Error::make(ErrorCode::failed_precondition,
                       "the " + next->name + " role can't be given to another member", "role");
  }
  if (current->athlete != next->athlete) {
    return Error::make(ErrorCode::failed_precondition,
                       std::string(current->athlete ? "an athlete member" : "a staff member") +
                           " keeps a role of the same kind; " + next->name + " is " +
                           (next->athlete ? "an athlete role" : "a staff role"),
                       "role");
  }
  if (auto denied = require(org, actor, current->add_requires)) return *denied;
  if (auto denied = check_may_give(org, actor, *next)) return *denied;
  if (auto err = check_unique(org, *next)) return *err;
  Events out;
  release(org, cmd.account_id, next, out);
  out.push_back(events::MemberRoleChanged{org.id, cmd.account_id, next->name, current->name});
  return out;
}

namespace {

// AssignAthlete and UnassignAthlete: athletes.assign on an athlete member. A caller without the
// permission hears that, not whether the account is an athlete member.
std::optional<Error> check_assigner(const OrganizationState& org, const std::string& actor,
                                    const std::string& athlete_id) {
  const Role* role = org.role_of(athlete_id);
  if (role && role->athlete) return require(org, actor, "athletes.assign", athlete_id);
  if (auto denied = require(org, actor, "athletes.assign")) return denied;
  return Error::make(ErrorCode::failed_precondition,
                     "account " + athlete_id + " is not an athlete member of this organisation",
                     "athlete_id");
}

}  // namespace

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const AssignAthlete& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto err = check_assigner(org, actor, cmd.athlete_id)) return *err;
  const Role* coach_role = org.role_of(cmd.coach_id);
  if (!coach_role || !coach_role->coaches_athletes || org.deactivated.contains(cmd.coach_id)) {
    return Error::make(ErrorCode::failed_precondition,
                       "account " + cmd.coach_id + " is not an active coach member of this organisation",
                       "coach_id");
  }
  std::string previous;
  if (auto it = org.assignments.find(cmd.athlete_id); it != org.assignments.end()) {
    if (it->second == cmd.coach_id) return Events{};  // already so: nothing to record
    previous = it->second;
  }
  return Events{events::AthleteAssigned{org.id, cmd.athlete_id, cmd.coach_id, previous}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const UnassignAthlete& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto err = check_assigner(org, actor, cmd.athlete_id)) return *err;
  auto it = org.assignments.find(cmd.athlete_id);
  if (it == org.assignments.end()) return Events{};
  return Events{events::AthleteUnassigned{org.id, cmd.athlete_id, it->second}};
}

namespace {

// The checks giving and revoking a grant share; returns the grant, or why not.
Result<const MemberGrant*> check_grant(const OrganizationState& org, const std::string& actor,
                                       const std::string& account_id, const std::string& name) {
  const auto& grants = org.model().grants;
  auto it = grants.find(name);
  if (it == grants.end()) {
    if (name == kBillingDelegationGrant) {
      return Error::make(ErrorCode::failed_precondition,
                         "the " + org.role_model + " role model has no billing delegation");
    }
    const std::string valid = join_names(grants, [](const auto& g) { return g.first; });
    return Error::make(ErrorCode::invalid_argument,
                       "the " + org.role_model + " role model has no grant '" + name +
                           "'; its grants: " + (valid.empty() ? "none" : valid),
                       "grant");
  }
  const MemberGrant& grant = it->second;
  if (actor == account_id) {
    return Error::make(ErrorCode::permission_denied, "nobody gives or revokes their own grants",
                       "account_id");
  }
  const Role* role = org.role_of(account_id);
  if (!role) return not_a_member(account_id, "account_id");
  if (auto denied = require(org, actor, grant.granted_with, account_id)) return *denied;
  if (auto denied = check_within(org, actor, {{grant.permission, grant.scope}}, "the " + name + " grant")) {
    return *denied;
  }
  if (!grant.may_receive(role->name)) {
    return Error::make(ErrorCode::failed_precondition,
                       "the " + name + " grant is for " + join_names(grant.to_roles) + "; account " + account_id +
                           " is " + role->name,
                       "account_id");
  }
  return &grant;
}

}  // namespace

Result<Events> decide(const OrganizationState& org, const std::string& actor, const GrantToMember& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  auto grant = check_grant(org, actor, cmd.account_id, cmd.grant);
  if (!grant.ok()) return grant.error();
  if (org.holds_grant(cmd.grant, cmd.account_id)) return Events{};
  // Deactivation revoked their grants and reactivation gives none back: a grant given meanwhile
  // would come back with them unasked.
  if (org.deactivated.contains(cmd.account_id)) {
    return Error::make(ErrorCode::failed_precondition,
                       "account " + cmd.account_id + " is deactivated and is given no grant until reactivated",
                       "account_id");
  }
  return Events{grant_event(org, cmd.account_id, cmd.grant, true)};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const RevokeFromMember& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  auto grant = check_grant(org, actor, cmd.account_id, cmd.grant);
  if (!grant.ok()) return grant.error();
  if (!org.holds_grant(cmd.grant, cmd.account_id)) return Events{};
  return Events{grant_event(org, cmd.account_id, cmd.grant, false)};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const GrantBillingDelegation& cmd) {
  return decide(org, actor,
                GrantToMember{cmd.organization_id, cmd.account_id, std::string(kBillingDelegationGrant)});
}

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const RevokeBillingDelegation& cmd) {
  return decide(org, actor,
                RevokeFromMember{cmd.organization_id, cmd.account_id, std::string(kBillingDelegationGrant)});
}

namespace {

constexpr std::size_t kMaxRoleNameChars = 40;

bool valid_role_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxRoleNameChars || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// DefineRole, UpdateRole and DeleteRole: the model has custom roles and the actor may build them.
std::optional<Error> check_builder(const OrganizationState& org, const std::string& actor) {
  const RoleModel& model = org.model();
  if (!model.custom_roles) {
    return Error::make(ErrorCode::failed_precondition,
                       "the " + org.role_model + " role model has no custom roles");
  }
  return require(org, actor, model.custom_roles->defined_with);
}

// A definition's label and permissions are valid and no wider than what the actor holds.
std::optional<Error> check_definition(const OrganizationState& org, const std::string& actor,
                                      const std::string& label,
                                      const std::map<std::string, std::string>& permissions) {
  if (utf8_length(label) > kMaxNameChars) {
    return Error::make(ErrorCode::invalid_argument, "label is at most 100 characters", "label");
  }
  if (has_control_characters(label)) {
    return Error::make(ErrorCode::invalid_argument, "label must not contain control characters", "label");
  }
  if (permissions.empty()) {
    return Error::make(ErrorCode::invalid_argument, "a role needs at least one permission",
                       "permissions");
  }
  std::map<std::string, Scope> scopes;
  for (const auto& [permission, scope_text] : permissions) {
    const PermissionInfo* info = find_permission(permission);
    if (!info) {
      return Error::make(ErrorCode::invalid_argument,
                         "'" + permission + "' is not a known permission (GET /v1/permissions)",
                         "permissions");
    }
    if (!info->grantable) {
      return Error::make(ErrorCode::invalid_argument,
                         permission + " can never be granted: " + info->denial, "permissions");
    }
    auto scope = parse_scope(scope_text);
    if (!scope) {
      return Error::make(ErrorCode::invalid_argument,
                         "the scope of " + permission + " must be own, assigned or all",
                         "permissions");
    }
    scopes[permission] = *scope;
  }
  if (auto denied = check_within(org, actor, scopes, "a role you define")) {
    denied->field = "permissions";
    return denied;
  }
  return std::nullopt;
}

Error custom_role_not_found(const std::string& name) {
  return Error::make(ErrorCode::not_found, "there is no custom role '" + name + "'", "role");
}

}  // namespace

Result<Events> decide(const OrganizationState& org, const std::string& actor, const DefineRole& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto err = check_builder(org, actor)) return *err;
  if (auto err = check_definition(org, actor, cmd.label, cmd.permissions)) return *err;
  if (!valid_role_name(cmd.role)) {
    return Error::make(ErrorCode::invalid_argument,
                       "role must be 1 to 40 of a-z, 0-9 and _, starting with a letter", "role");
  }
  if (org.find_role(cmd.role)) {
    return Error::make(ErrorCode::already_exists,
                       "this organisation already has a role named " + cmd.role, "role");
  }
  return Events{events::RoleDefined{org.id, cmd.role, cmd.label.empty() ? cmd.role : cmd.label,
                                    cmd.permissions}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const UpdateRole& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto err = check_builder(org, actor)) return *err;
  auto existing = org.custom_roles.find(cmd.role);
  if (existing == org.custom_roles.end()) return custom_role_not_found(cmd.role);
  // Redefining a role its holders hold changes what they may do: that is giving it anew.
  if (org.holders_of(cmd.role) > 0) {
    if (auto denied = require(org, actor, existing->second.add_requires)) return *denied;
  }
  if (auto err = check_definition(org, actor, cmd.label, cmd.permissions)) return *err;
  const std::string label = cmd.label.empty() ? existing->second.label : cmd.label;
  if (existing->second == custom_role(org.model(), cmd.role, label, cmd.permissions)) return Events{};
  return Events{events::RoleUpdated{org.id, cmd.role, label, cmd.permissions}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const DeleteRole& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto err = check_builder(org, actor)) return *err;
  if (!org.custom_roles.contains(cmd.role)) return custom_role_not_found(cmd.role);
  if (const std::size_t holders = org.holders_of(cmd.role); holders > 0) {
    return Error::make(ErrorCode::failed_precondition,
                       "role " + cmd.role + " is still held by " + std::to_string(holders) +
                           (holders == 1 ? " member" : " members") +
                           "; give them another role first",
                       "role");
  }
  return Events{events::RoleDeleted{org.id, cmd.role}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor,
                      const AdoptRoleModelVersion& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto denied = require(org, actor, "org.settings.edit")) return *denied;
  const RoleModel* next = cmd.version == 0 ? find_role_model(org.role_model)
                                           : find_role_model(org.role_model, cmd.version);
  if (!next) {
    return Error::make(ErrorCode::invalid_argument,
                       "the " + org.role_model + " role model has no version " +
                           std::to_string(cmd.version),
                       "version");
  }
  if (next->version == org.role_model_version) return Events{};
  if (next->version < org.role_model_version) {
    return Error::make(ErrorCode::failed_precondition,
                       "this organisation is on version " + std::to_string(org.role_model_version) +
                           "; versions only move forward",
                       "version");
  }
  // The organisation as it would be on `next`: every member's role, grant, setting, assignment
  // and custom role must still mean something there, or adopting it would change answers beyond
  // what the new version intends.
  auto refuse = [&](const std::string& why) {
    return Error::make(ErrorCode::failed_precondition,
                       "cannot move to version " + std::to_string(next->version) + ": " + why,
                       "version");
  };
  if (tier_rank(org.tier) < tier_rank(next->min_tier)) {
    return refuse("it needs the " + next->min_tier + " tier; change the tier first");
  }
  if (!org.custom_roles.empty() && !next->custom_roles) return refuse("it has no custom roles; delete them first");
  for (const auto& [name, custom] : org.custom_roles) {
    if (next->find_role(name)) return refuse("it has a role named like custom role " + name + "; delete that first");
  }
  // A member's role on `next` (custom roles are the organisation's own), or nullptr.
  auto role_on_next = [&](const std::string& member) -> const Role* {
    auto it = org.members.find(member);
    if (it == org.members.end()) return nullptr;
    return org.custom_roles.contains(it->second) ? org.find_role(it->second) : next->find_role(it->second);
  };
  for (const auto& [member, role_name] : org.members) {
    const Role* now = org.find_role(role_name);
    const Role* then = role_on_next(member);
    if (!then) return refuse("member " + member + " holds role " + role_name + ", which it does not have");
    if (then->athlete != now->athlete) return refuse("role " + role_name + " changes between athlete and staff");
    if (then->unique && org.holders_of(role_name) > 1) {
      return refuse("role " + role_name + " becomes unique and is held by several members");
    }
  }
  for (const auto& [athlete, coach] : org.assignments) {
    const Role* then = role_on_next(coach);
    if (then && !then->coaches_athletes) {
      return refuse("role " + then->name + " no longer coaches athletes; unassign them first");
    }
  }
  for (const auto& [name, holders] : org.grants) {
    auto grant = next->grants.find(name);
    for (const auto& holder : holders) {
      const Role* then = role_on_next(holder);
      if (grant == next->grants.end() || !then || !grant->second.may_receive(then->name)) {
        return refuse("member " + holder + " holds grant " + name + ", which it does not give them; revoke it first");
      }
    }
  }
  for (const auto& [setting, value] : org.settings) {
    if (!next->settings.contains(setting)) return refuse("it has no setting " + setting);
  }
  return Events{events::RoleModelVersionAdopted{org.id, org.role_model, next->version,
                                                org.role_model_version}};
}

namespace {

std::optional<Error> check_amount(std::int64_t amount) {
  if (amount < 1 || amount > kMaxCreditsPerCommand) {
    return Error::make(ErrorCode::invalid_argument,
                       "amount must be a whole number of credits from 1 to " +
                           std::to_string(kMaxCreditsPerCommand),
                       "amount");
  }
  return std::nullopt;
}

}  // namespace

Result<Events> decide(const OrganizationState& org, const std::string& actor, const AddCredits& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto err = check_amount(cmd.amount)) return *err;
  if (!cmd.by_operator) {
    if (auto denied = require(org, actor, "billing.manage")) return *denied;
  }
  return Events{events::CreditsAdded{org.id, cmd.amount, org.credits + cmd.amount}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const SpendCredits& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (auto err = check_amount(cmd.amount)) return *err;
  if (auto denied = require(org, actor, "ai_credits.spend")) return *denied;
  if (cmd.amount > org.credits) {
    return Error::make(ErrorCode::failed_precondition,
                       "the pool holds " + std::to_string(org.credits) + " credits; " +
                           std::to_string(cmd.amount) + " cannot be spent",
                       "amount");
  }
  return Events{events::CreditsSpent{org.id, actor, cmd.amount, org.credits - cmd.amount}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const ChangeTier& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  if (tier_rank(cmd.tier) < 0) {
    return Error::make(ErrorCode::invalid_argument, "tier must be one of " + join_names(tier_names()),
                       "tier");
  }
  if (!org.parent_id.empty()) {
    if (!cmd.by_operator && !acts_in(org, actor)) {
      return Error::make(ErrorCode::permission_denied, "only members of an organisation change its tier");
    }
    return Error::make(ErrorCode::failed_precondition,
                       "a sub-organisation has its parent's tier; change organisation " + org.parent_id + "'s");
  }
  // Paying is what the billing permission is about, so it is checked regardless of the tier the
  // organisation is on now: a club below its model's tier must still be able to upgrade.
  const Role* role = org.deactivated.contains(actor) ? nullptr : org.role_of(actor);
  if (!cmd.by_operator && (!role || !role->permissions.contains("billing.manage"))) {
    const PermissionInfo* info = find_permission("billing.manage");
    return Error::make(ErrorCode::permission_denied, org.model().denial(*info));
  }
  if (org.tier == cmd.tier) return Events{};
  Events out{events::OrganizationTierChanged{org.id, cmd.tier, org.tier}};
  for (const auto& child : org.children) out.push_back(events::OrganizationTierChanged{child, cmd.tier, org.tier});
  return out;
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
  // Only switching on needs the tier: an organisation that moved down may still switch it off.
  const std::string& needed = org.model().settings.at(cmd.setting).min_tier;
  if (cmd.enabled && tier_rank(org.tier) < tier_rank(needed)) {
    return Error::make(ErrorCode::permission_denied,
                       cmd.setting + " needs the " + needed + " tier or above; this organisation is on " +
                           org.tier,
                       "setting");
  }
  return Events{events::OrganizationSettingChanged{org.id, cmd.setting, cmd.enabled}};
}

}  // namespace touchline::domain
