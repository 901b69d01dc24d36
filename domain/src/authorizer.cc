#include "touchline/domain/authorizer.h"

#include <set>
#include <stdexcept>

namespace touchline::domain {

namespace {

struct Held {
  Scope scope = Scope::own;
  const MemberGrant* grant = nullptr;  // the grant the scope comes from, when wider than the role's
};

// The scope the subject holds the permission with, if any: the role's (while any setting it
// depends on is on), widened by a member grant the subject holds.
std::optional<Held> held_scope(const OrganizationState& org, const RoleModel& model, const Role& role,
                               const std::string& subject, const std::string& permission) {
  std::optional<Held> held;
  if (auto it = role.permissions.find(permission); it != role.permissions.end()) {
    auto condition = role.conditions.find(it->first);
    if (condition == role.conditions.end() || org.setting(condition->second)) held = Held{it->second};
  }
  for (const auto& [name, grant] : model.grants) {
    if (grant.permission != permission || !grant.may_receive(role.name) ||
        !org.holds_grant(name, subject)) {
      continue;
    }
    if (!held || held->scope < grant.scope) held = Held{grant.scope, &grant};
  }
  return held;
}

// The subject's role, found with the model already at hand (the hot path looks it up once).
const Role* role_named(const OrganizationState& org, const RoleModel& model, std::string_view name) {
  if (const Role* r = model.find_role(name)) return r;
  if (org.custom_roles.empty()) return nullptr;
  auto it = org.custom_roles.find(std::string(name));
  return it == org.custom_roles.end() ? nullptr : &it->second;
}

bool below(const std::string& tier, std::string_view needed) { return tier_rank(tier) < tier_rank(needed); }

// The answer a role's scope gives, in the role model's own sentence when the role holds the
// permission by itself, composed when a grant gives it or the role is a custom one.
Reason held_reason(const Role& role, const PermissionInfo& info, const Held& held, HeldAnswer answer) {
  if (!held.grant && !role.sentences.empty()) {
    return Reason::lasting(role.sentences[info.index][static_cast<std::size_t>(answer)]);
  }
  const std::string holder = "role " + role.name + " holds " + info.name +
                             (held.grant ? " through the " + held.grant->name + " grant" : std::string());
  return held_sentence(answer, holder, held.scope);
}


// A privacy setting that is off, named for a denial: the master switch when it is the one off.
std::string_view setting_off(const Privacy& privacy, std::string_view setting) {
  return privacy.value(kPrivacyMasterSwitch) ? setting : kPrivacyMasterSwitch;
}

// The gates after a role allowed a permission: the subject's own privacy choice; then, used on
// another member, the athlete's consent and their privacy. No role, grant or custom role passes
// them.
Decision gated(const OrganizationState& org, const RoleModel& model, const PermissionInfo& info,
               std::string_view subject, std::string_view target, PrivacyOf privacy, Decision allowed) {
  const Privacy defaults;
  if (!info.own_privacy.empty()) {
    const Privacy& own = privacy.subject ? *privacy.subject : defaults;
    if (!own.shares(info.own_privacy)) {
      return {false, "the subject has privacy setting " + std::string(setting_off(own, info.own_privacy)) +
                         " off, and no role overrides a member's own privacy settings"};
    }
  }
  if (target.empty() || target == subject) return allowed;
  if (info.athlete_data && model.athlete_consent) {
    const auto member = org.members.find(target);
    const Role* target_role = member == org.members.end() ? nullptr : role_named(org, model, member->second);
    if (target_role && target_role->athlete && !org.consenting.contains(member->first)) {
      return {false, Reason::lasting("the athlete has not accepted coaching by this organisation, and no one "
                                     "here sees their data until they do")};
    }
  }
  if (info.privacy.empty()) return allowed;
  const Privacy& theirs = privacy.target ? *privacy.target : defaults;
  if (theirs.shares(info.privacy)) return allowed;
  return {false, "the member does not share this data (privacy setting " +
                     std::string(setting_off(theirs, info.privacy)) +
                     " is off), and no role overrides a member's privacy settings"};
}

// Seed 002: an owner or admin of a parent organisation (a holder of suborgs.manage there) holds
// their rights in its sub-organisations: what their parent role holds with scope all reaches every
// member of the sub-organisation; narrower scopes stay in the parent.
Decision check_from_parent(const OrganizationState& org, const OrganizationState& parent, std::string_view subject,
                           const PermissionInfo& info, std::string_view target, PrivacyOf privacy) {
  if (!check(parent, subject, "suborgs.manage").allowed) {
    return {false, "the subject is not a member of this sub-organisation and does not manage it from its "
                   "parent organisation"};
  }
  const Decision in_parent = check(parent, subject, info.name, {}, {.subject = privacy.subject});
  if (!in_parent.allowed) return in_parent;
  if (target == subject && info.not_on_self) return {false, "nobody may use " + info.name + " on themself"};
  const std::string from = "holds " + info.name + " in the parent organisation, which manages this one";
  if (target.empty() || target == subject) return gated(org, org.model(), info, subject, target, privacy, {true, from, "", true});
  if (!org.members.contains(std::string(target))) return {false, "the target is not a member of this organisation"};
  const auto scopes = effective_permissions(parent, subject);
  if (auto it = scopes.find(info.name); it == scopes.end() || it->second != Scope::all) {
    return {false, "the subject holds " + info.name + " in the parent organisation only for its own members"};
  }
  return gated(org, org.model(), info, subject, target, privacy, {true, from + ", for every member", "", true});
}

}  // namespace


Decision check(const OrganizationState& org, std::string_view subject, std::string_view permission,
               std::string_view target, PrivacyOf privacy, const OrganizationState* parent) {
  if (!org.exists) return {false, "the organisation does not exist"};
  const PermissionInfo* info = find_permission(permission);
  if (!info) return {false, "'" + std::string(permission) + "' is not a known permission"};
  if (!info->grantable) return {false, Reason::lasting(info->denial)};
  const RoleModel& model = org.model();
  const auto member = org.members.find(subject);
  if (member == org.members.end()) {
    if (parent && parent->id == org.parent_id) return check_from_parent(org, *parent, subject, *info, target, privacy);
    return {false, Reason::lasting("the subject is not a member of this organisation")};
  }
  const std::string& subject_id = member->first;
  const Role* role = role_named(org, model, member->second);
  if (!role) throw std::logic_error("member " + subject_id + " holds unknown role " + member->second);
  if (!org.deactivated.empty() && org.deactivated.contains(subject_id)) {
    return {false, "the subject is deactivated in this organisation and holds nothing until reactivated"};
  }
  if (below(org.tier, model.min_tier)) {
    return {false, "the " + model.id + " role model needs the " + model.min_tier +
                       " tier or above; this organisation is on " + org.tier};
  }
  if (role->custom) {
    if (auto tier = org.custom_roles_missing_tier(); !tier.empty()) {
      return {false, "custom roles need the " + std::string(tier) +
                         " tier or above; this organisation is on " + org.tier};
    }
  }

  auto held = held_scope(org, model, *role, subject_id, info->name);
  if (!held) return {false, Reason::lasting(model.denial(*info))};
  if (const std::string_view gate = model.min_tier_of(info->name); below(org.tier, gate)) {
    return {false, info->name + " needs the " + std::string(gate) + " tier or above; this organisation is on " +
                       org.tier};
  }
  if (target == subject && info->not_on_self) {
    return {false, "nobody may use " + std::string(permission) + " on themself"};
  }

  const std::string_view grant = held->grant ? std::string_view(held->grant->name) : std::string_view();
  if (target.empty() || target == subject) {
    return gated(org, model, *info, subject, target, privacy,
                 {true, held_reason(*role, *info, *held, HeldAnswer::self), grant});
  }
  if (!org.members.contains(target)) {
    return {false, Reason::lasting("the target is not a member of this organisation")};
  }
  switch (held->scope) {
    case Scope::own:
      return {false, held_reason(*role, *info, *held, HeldAnswer::own_only)};
    case Scope::assigned: {
      auto it = org.assignments.find(target);
      if (it == org.assignments.end() || it->second != subject) {
        return {false, held_reason(*role, *info, *held, HeldAnswer::assigned_no)};
      }
      return gated(org, model, *info, subject, target, privacy,
                   {true, held_reason(*role, *info, *held, HeldAnswer::assigned_yes), grant});
    }
    case Scope::all:
      return gated(org, model, *info, subject, target, privacy,
                   {true, held_reason(*role, *info, *held, HeldAnswer::all), grant});
  }
  throw std::logic_error("unknown scope");
}

std::map<std::string, Scope> effective_permissions(const OrganizationState& org,
                                                   std::string_view subject) {
  std::map<std::string, Scope> out;
  if (!org.exists) return out;
  const std::string subject_id(subject);
  const Role* role = org.role_of(subject_id);
  if (!role || org.deactivated.contains(subject_id)) return out;
  const RoleModel& model = org.model();
  if (!org.missing_model_tier().empty()) return out;
  if (role->custom && !org.custom_roles_missing_tier().empty()) return out;
  std::set<std::string> candidates;
  for (const auto& [permission, scope] : role->permissions) candidates.insert(permission);
  for (const auto& [name, grant] : model.grants) candidates.insert(grant.permission);
  for (const auto& permission : candidates) {
    if (!org.missing_tier(permission).empty()) continue;
    if (auto held = held_scope(org, model, *role, subject_id, permission)) out.emplace(permission, held->scope);
  }
  return out;
}

}  // namespace touchline::domain
