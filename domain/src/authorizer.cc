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

std::vector<std::string> no_fact() { return {}; }

// A gate's facts: one fact's key, or several (the explanation cites the latest to change).
std::vector<std::string> facts(std::string one) { return {std::move(one)}; }
std::vector<std::string> facts(std::vector<std::string> several) { return several; }

// What decides what a member's role gives: their role, the custom role's definition when it is
// one, and the role model version the organisation is on.
std::vector<std::string> role_facts(const Role& role, const std::string& subject) {
  std::vector<std::string> out{"role/" + subject};
  if (role.custom) out.push_back("custom_role/" + role.name);
  out.emplace_back("role_model");
  return out;
}

// Records the gates of one organisation's check, when there is a trace: each gate's detail and
// fact are composed only then, so that the hot path (no trace) pays one branch per gate.
struct Trace {
  std::vector<Gate>* gates;
  const OrganizationState& org;

  template <typename Detail, typename Fact>
  void pass(std::string_view name, Detail detail, Fact fact) const {
    if (gates) gates->push_back(Gate{name, true, std::string(detail()), org.id, facts(fact())});
  }
  template <typename Fact>
  Decision deny(std::string_view name, Reason reason, Fact fact) const {
    if (gates) gates->push_back(Gate{name, false, reason.str(), org.id, facts(fact())});
    return {false, std::move(reason)};
  }
  // A gate the check moves past without deciding on it (membership, for a sub-organisation's
  // manager from its parent).
  template <typename Fact>
  void note_failed(std::string_view name, std::string_view detail, Fact fact) const {
    if (gates) gates->push_back(Gate{name, false, std::string(detail), org.id, facts(fact())});
  }
};

// The gates after a role allowed a permission: the subject's own privacy choice; then, used on
// another member, the athlete's consent and their privacy. No role, grant or custom role passes
// them.
Decision gated(const OrganizationState& org, const RoleModel& model, const PermissionInfo& info,
               std::string_view subject, std::string_view target, PrivacyOf privacy, Decision allowed,
               const Trace& t) {
  const Privacy defaults;
  if (!info.own_privacy.empty()) {
    const Privacy& own = privacy.subject ? *privacy.subject : defaults;
    auto fact = [&] { return "privacy/" + std::string(subject); };
    if (!own.shares(info.own_privacy)) {
      return t.deny("own_privacy",
                    "the subject has privacy setting " + std::string(setting_off(own, info.own_privacy)) +
                        " off, and no role overrides a member's own privacy settings",
                    fact);
    }
    t.pass("own_privacy", [&] { return "the subject's privacy setting " + info.own_privacy + " is on"; }, fact);
  }
  if (target.empty() || target == subject) return allowed;
  if (info.athlete_data && model.athlete_consent) {
    const auto member = org.members.find(target);
    const Role* target_role = member == org.members.end() ? nullptr : role_named(org, model, member->second);
    if (target_role && target_role->athlete) {
      auto fact = [&] { return "consent/" + std::string(target); };
      if (!org.consenting.contains(member->first)) {
        return t.deny("consent",
                      Reason::lasting("the athlete has not accepted coaching by this organisation, and no one "
                                      "here sees their data until they do"),
                      fact);
      }
      t.pass("consent", [] { return "the athlete has accepted coaching by this organisation"; }, fact);
    }
  }
  if (info.privacy.empty()) return allowed;
  const Privacy& theirs = privacy.target ? *privacy.target : defaults;
  auto fact = [&] { return "privacy/" + std::string(target); };
  if (theirs.shares(info.privacy)) {
    t.pass("privacy", [&] { return "the member shares this data (privacy setting " + info.privacy + " is on)"; }, fact);
    return allowed;
  }
  return t.deny("privacy",
                "the member does not share this data (privacy setting " + std::string(setting_off(theirs, info.privacy)) +
                    " is off), and no role overrides a member's privacy settings",
                fact);
}

// The role, setting and grant gates, which are alternatives: the role holds the permission while
// the setting it depends on is on, or a grant gives it. Records the role and setting when they give
// it and the grants the subject holds for it; when a grant gives what the role or its setting does
// not, the role or setting that did not (passed: false); when nothing gives it, the grants that
// would, before the check's own denying gate (role, or setting when only the setting is missing).
// So an allowed check's last gate passed, and a denied one's last gate is the one that denied.
void trace_held(const Trace& t, const RoleModel& model, const Role& role, const std::string& subject,
                const PermissionInfo& info, const std::optional<Held>& held) {
  if (!t.gates) return;
  auto role_fact = [&] { return role_facts(role, subject); };
  const std::string role_label = (role.custom ? "custom role " : "role ") + role.name;
  auto by_role = role.permissions.find(info.name);
  if (by_role == role.permissions.end()) {
    if (held) t.note_failed("role", role_label + " does not hold " + info.name, role_fact);
  } else {
    t.pass("role", [&] {
      return role_label + " holds " + info.name + " (scope " + std::string(scope_name(by_role->second)) + ")";
    }, role_fact);
    if (auto condition = role.conditions.find(info.name); condition != role.conditions.end()) {
      const std::string& setting = condition->second;
      auto fact = [&] { return std::vector<std::string>{"setting/" + setting, "role_model"}; };
      if (t.org.setting(setting)) {
        t.pass("setting", [&] { return "organisation setting " + setting + " is on"; }, fact);
      } else if (held) {
        t.note_failed("setting", "organisation setting " + setting + " is off, and " + role.name + " holds " +
                                     info.name + " only while it is on", fact);
      }
    }
  }
  for (const auto& entry : model.grants) {
    // Named, not bound: lambdas below capture them (C++20 does not let clang capture bindings).
    const std::string& name = entry.first;
    const MemberGrant& grant = entry.second;
    if (grant.permission != info.name || !grant.may_receive(role.name)) continue;
    auto fact = [&] { return "grant/" + name + "/" + subject; };
    if (t.org.holds_grant(name, subject)) {
      t.pass("grant", [&] {
        return "the " + name + " grant gives " + info.name + " (scope " + std::string(scope_name(grant.scope)) + ")";
      }, fact);
    } else if (!held) {
      t.note_failed("grant", "the subject does not hold the " + name + " grant, which gives " + info.name, fact);
    }
  }
}

// Seed 002: an owner or admin of a parent organisation (a holder of suborgs.manage there) holds
// their rights in its sub-organisations: what their parent role holds with scope all reaches every
// member of the sub-organisation; narrower scopes stay in the parent.
Decision check_from_parent(const OrganizationState& org, const OrganizationState& parent, std::string_view subject,
                           const PermissionInfo& info, std::string_view target, PrivacyOf privacy,
                           std::vector<Gate>* trace) {
  const Trace t{trace, org};
  const Trace in_parent_t{trace, parent};
  t.note_failed("membership", "the subject is not a member of this sub-organisation; the parent organisation decides",
                [&] { return "member/" + std::string(subject); });
  // What decides whether they manage it from the parent: their membership, role and activity
  // there (the parent's own gates follow, for the permission itself).
  auto parent_role = [&] {
    const std::string id(subject);
    return std::vector<std::string>{"member/" + id, "role/" + id, "deactivated/" + id, "role_model"};
  };
  if (!check(parent, subject, "suborgs.manage").allowed) {
    return in_parent_t.deny("parent_organization",
                            "the subject is not a member of this sub-organisation and does not manage it from its "
                            "parent organisation",
                            parent_role);
  }
  in_parent_t.pass("parent_organization", [] { return "the subject manages this sub-organisation from its parent (suborgs.manage)"; },
                   parent_role);
  const Decision in_parent = check(parent, subject, info.name, {}, {.subject = privacy.subject}, nullptr, trace);
  if (!in_parent.allowed) return in_parent;
  if (target == subject && info.not_on_self) return t.deny("not_on_self", "nobody may use " + info.name + " on themself", no_fact);
  const std::string from = "holds " + info.name + " in the parent organisation, which manages this one";
  if (target.empty() || target == subject) return gated(org, org.model(), info, subject, target, privacy, {true, from, "", true}, t);
  auto target_fact = [&] { return "member/" + std::string(target); };
  if (!org.members.contains(std::string(target))) {
    return t.deny("target", "the target is not a member of this organisation", target_fact);
  }
  t.pass("target", [] { return "the target is a member of this organisation"; }, target_fact);
  const auto scopes = effective_permissions(parent, subject);
  if (auto it = scopes.find(info.name); it == scopes.end() || it->second != Scope::all) {
    return in_parent_t.deny("scope", "the subject holds " + info.name + " in the parent organisation only for its own members",
                            parent_role);
  }
  in_parent_t.pass("scope", [] { return "held with scope all in the parent: every member of the sub-organisation"; }, parent_role);
  return gated(org, org.model(), info, subject, target, privacy, {true, from + ", for every member", "", true}, t);
}

}  // namespace


Decision check(const OrganizationState& org, std::string_view subject, std::string_view permission,
               std::string_view target, PrivacyOf privacy, const OrganizationState* parent,
               std::vector<Gate>* trace) {
  const Trace t{trace, org};
  if (!org.exists) return t.deny("organization", "the organisation does not exist", no_fact);
  t.pass("organization", [&] { return "organisation " + org.id + " exists"; }, [] { return std::string("organization"); });
  const PermissionInfo* info = find_permission(permission);
  if (!info) return t.deny("permission", "'" + std::string(permission) + "' is not a known permission", no_fact);
  if (!info->grantable) return t.deny("permission", Reason::lasting(info->denial), no_fact);
  t.pass("permission", [&] { return info->name + " is a permission members may hold"; }, no_fact);
  const RoleModel& model = org.model();
  const auto member = org.members.find(subject);
  if (member == org.members.end()) {
    if (parent && parent->id == org.parent_id) return check_from_parent(org, *parent, subject, *info, target, privacy, trace);
    return t.deny("membership", Reason::lasting("the subject is not a member of this organisation"),
                  [&] { return "member/" + std::string(subject); });
  }
  const std::string& subject_id = member->first;
  t.pass("membership", [&] { return "the subject is a member, with role " + member->second; },
         [&] { return "member/" + subject_id; });
  const Role* role = role_named(org, model, member->second);
  if (!role) throw std::logic_error("member " + subject_id + " holds unknown role " + member->second);
  auto deactivated_fact = [&] { return "deactivated/" + subject_id; };
  if (!org.deactivated.empty() && org.deactivated.contains(subject_id)) {
    return t.deny("deactivation", "the subject is deactivated in this organisation and holds nothing until reactivated",
                  deactivated_fact);
  }
  t.pass("deactivation", [] { return "the subject is not deactivated"; }, deactivated_fact);
  auto tier_fact = [] { return std::vector<std::string>{"tier", "role_model"}; };
  if (below(org.tier, model.min_tier)) {
    return t.deny("tier",
                  "the " + model.id + " role model needs the " + model.min_tier +
                      " tier or above; this organisation is on " + org.tier,
                  tier_fact);
  }
  if (role->custom) {
    if (auto tier = org.custom_roles_missing_tier(); !tier.empty()) {
      return t.deny("tier", "custom roles need the " + std::string(tier) + " tier or above; this organisation is on " + org.tier,
                    tier_fact);
    }
  }
  t.pass("tier", [&] { return "the organisation's tier (" + (org.tier.empty() ? std::string("none") : org.tier) + ") is enough for its role model"; },
         tier_fact);

  auto held = held_scope(org, model, *role, subject_id, info->name);
  trace_held(t, model, *role, subject_id, *info, held);
  if (!held) {
    // For the trace: only the setting missing (the role holds the permission, but not while it is
    // off) is the setting gate's denial; anything else the role gate's.
    const auto condition = trace ? role->conditions.find(info->name) : role->conditions.end();
    if (trace && condition != role->conditions.end() && role->permissions.contains(info->name)) {
      return t.deny("setting", Reason::lasting(model.denial(*info)),
                    [&] { return std::vector<std::string>{"setting/" + condition->second, "role_model"}; });
    }
    return t.deny("role", Reason::lasting(model.denial(*info)), [&] { return role_facts(*role, subject_id); });
  }
  const std::string_view tier_gate = model.min_tier_of(info->name);
  if (below(org.tier, tier_gate)) {
    return t.deny("tier", info->name + " needs the " + std::string(tier_gate) + " tier or above; this organisation is on " + org.tier,
                  tier_fact);
  }
  if (!tier_gate.empty()) {
    t.pass("tier", [&] { return info->name + " needs the " + std::string(tier_gate) + " tier, which the organisation has"; },
           tier_fact);
  }
  if (target == subject && info->not_on_self) {
    return t.deny("not_on_self", "nobody may use " + std::string(permission) + " on themself", no_fact);
  }

  const std::string_view grant = held->grant ? std::string_view(held->grant->name) : std::string_view();
  if (target.empty() || target == subject) {
    return gated(org, model, *info, subject, target, privacy,
                 {true, held_reason(*role, *info, *held, HeldAnswer::self), grant}, t);
  }
  auto target_fact = [&] { return "member/" + std::string(target); };
  if (!org.members.contains(target)) {
    return t.deny("target", Reason::lasting("the target is not a member of this organisation"), target_fact);
  }
  t.pass("target", [] { return "the target is a member of this organisation"; }, target_fact);
  auto scope_fact = [&] {
    return held->grant ? facts("grant/" + held->grant->name + "/" + subject_id) : role_facts(*role, subject_id);
  };
  switch (held->scope) {
    case Scope::own:
      return t.deny("scope", held_reason(*role, *info, *held, HeldAnswer::own_only), scope_fact);
    case Scope::assigned: {
      auto it = org.assignments.find(target);
      auto assignment_fact = [&] { return "assignment/" + std::string(target); };
      if (it == org.assignments.end() || it->second != subject) {
        return t.deny("scope", held_reason(*role, *info, *held, HeldAnswer::assigned_no), assignment_fact);
      }
      t.pass("scope", [&] { return "the target is assigned to the subject"; }, assignment_fact);
      return gated(org, model, *info, subject, target, privacy,
                   {true, held_reason(*role, *info, *held, HeldAnswer::assigned_yes), grant}, t);
    }
    case Scope::all:
      t.pass("scope", [] { return "held for every member"; }, scope_fact);
      return gated(org, model, *info, subject, target, privacy,
                   {true, held_reason(*role, *info, *held, HeldAnswer::all), grant}, t);
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
