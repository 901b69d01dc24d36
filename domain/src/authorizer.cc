#include "touchline/domain/authorizer.h"

namespace touchline::domain {

namespace {

// Below its model's tier an organisation's roles hold nothing.
bool below_model_tier(const OrganizationState& org, const RoleModel& model) {
  return tier_rank(org.tier) < tier_rank(model.min_tier);
}

// The scope the subject holds the permission with, if any: the role's (while any setting it
// depends on is on), widened by a delegation.
std::optional<Scope> held_scope(const OrganizationState& org, const RoleModel& model, const Role& role,
                                std::string_view subject, std::string_view permission) {
  std::optional<Scope> scope;
  if (auto it = role.permissions.find(std::string(permission)); it != role.permissions.end()) {
    auto condition = role.conditions.find(it->first);
    if (condition == role.conditions.end() || org.setting(condition->second)) scope = it->second;
  }
  const auto& delegation = model.billing_delegation;
  if (delegation && permission == delegation->permission &&
      org.billing_delegates.contains(std::string(subject))) {
    if (!scope || *scope < delegation->scope) scope = delegation->scope;
  }
  return scope;
}

}  // namespace

Decision check(const OrganizationState& org, std::string_view subject, std::string_view permission,
               std::string_view target) {
  if (!org.exists) return {false, "the organisation does not exist"};
  const PermissionInfo* info = find_permission(permission);
  if (!info) return {false, "'" + std::string(permission) + "' is not a known permission"};
  if (!info->grantable) return {false, info->denial};
  const RoleModel& model = org.model();
  auto member = org.members.find(std::string(subject));
  const Role* role = member == org.members.end() ? nullptr : model.find_role(member->second);
  if (!role) return {false, "the subject is not a member of this organisation"};
  if (below_model_tier(org, model)) {
    return {false, "the " + model.id + " role model needs the " + model.min_tier +
                       " tier or above; this organisation is on " + org.tier};
  }

  auto scope = held_scope(org, model, *role, subject, permission);
  if (!scope) return {false, model.denial(*info)};
  if (target == subject && info->not_on_self) {
    return {false, "nobody may use " + std::string(permission) + " on themself"};
  }

  const std::string holder = "role " + role->name + " holds " + std::string(permission);
  if (target.empty() || target == subject) {
    return {true, holder + " (scope " + std::string(scope_name(*scope)) + ")"};
  }
  if (!org.members.contains(std::string(target))) {
    return {false, "the target is not a member of this organisation"};
  }
  switch (*scope) {
    case Scope::own:
      return {false, holder + " only for themself"};
    case Scope::assigned: {
      auto it = org.assignments.find(std::string(target));
      if (it != org.assignments.end() && it->second == subject) {
        return {true, holder + " for their assigned athletes, and the target is assigned to them"};
      }
      return {false, holder + " only for their assigned athletes, and the target is not assigned to them"};
    }
    case Scope::all:
      return {true, holder + " for every member of the organisation"};
  }
  return {false, model.denial(*info)};
}

std::map<std::string, Scope> effective_permissions(const OrganizationState& org,
                                                   std::string_view subject) {
  std::map<std::string, Scope> out;
  if (!org.exists) return out;
  const Role* role = org.role_of(std::string(subject));
  if (!role) return out;
  const RoleModel& model = org.model();
  if (below_model_tier(org, model)) return out;
  for (const auto& [permission, scope] : role->permissions) {
    if (held_scope(org, model, *role, subject, permission)) out.emplace(permission, scope);
  }
  const auto& delegation = model.billing_delegation;
  if (delegation && org.billing_delegates.contains(std::string(subject))) {
    auto [it, inserted] = out.emplace(delegation->permission, delegation->scope);
    if (!inserted && it->second < delegation->scope) it->second = delegation->scope;
  }
  return out;
}

}  // namespace touchline::domain
