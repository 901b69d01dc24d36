#include "touchline/domain/role_model.h"

#include <stdexcept>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "embedded_models.h"
#include "touchline/domain/privacy.h"

namespace touchline::domain {

std::string_view scope_name(Scope s) {
  switch (s) {
    case Scope::own: return "own";
    case Scope::assigned: return "assigned";
    case Scope::all: return "all";
  }
  return "own";
}

std::optional<Scope> parse_scope(std::string_view s) {
  if (s == "own") return Scope::own;
  if (s == "assigned") return Scope::assigned;
  if (s == "all") return Scope::all;
  return std::nullopt;
}

const std::vector<std::string>& tier_names() {
  static const std::vector<std::string> names = {"free", "pro", "club", "business", "enterprise"};
  return names;
}

int tier_rank(std::string_view tier) {
  const auto& names = tier_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == tier) return static_cast<int>(i);
  }
  return -1;
}

const std::string& RoleModel::denial(const PermissionInfo& permission) const {
  auto it = denials.find(permission.name);
  return it == denials.end() ? permission.denial : it->second;
}

std::string held_sentence(HeldAnswer answer, std::string_view holder, Scope scope) {
  const std::string who(holder);
  switch (answer) {
    case HeldAnswer::self: return who + " (scope " + std::string(scope_name(scope)) + ")";
    case HeldAnswer::own_only: return who + " only for themself";
    case HeldAnswer::assigned_yes: return who + " for their assigned athletes, and the target is assigned to them";
    case HeldAnswer::assigned_no: return who + " only for their assigned athletes, and the target is not assigned to them";
    case HeldAnswer::all: return who + " for every member of the organisation";
  }
  throw std::logic_error("unknown HeldAnswer");
}

std::string_view RoleModel::min_tier_of(std::string_view permission) const {
  auto it = tier_gates.find(permission);
  return it == tier_gates.end() ? std::string_view("free") : std::string_view(it->second);
}

bool MemberGrant::may_receive(std::string_view role) const {
  for (const auto& r : to_roles) {
    if (r == role) return true;
  }
  return false;
}

const Role* RoleModel::find_role(std::string_view name) const {
  for (const auto& r : roles) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

namespace {

// The compiled-in data is part of the program: a malformed file is a bug, so loading throws.
[[noreturn]] void bad_data(const std::string& what) {
  throw std::logic_error("domain/models: " + what);
}

struct Registry {
  std::map<std::string, PermissionInfo> catalogue;
  // The catalogue by name, hashed: every check looks its permission up here.
  std::unordered_map<std::string_view, const PermissionInfo*> permission_by_name;
  std::map<std::string, std::map<int, RoleModel>, std::less<>> models;  // id -> version -> model
};

std::string known_tier(const std::string& where, std::string tier) {
  if (tier_rank(tier) < 0) bad_data(where + ": unknown tier " + tier);
  return tier;
}

std::map<std::string, PermissionInfo> load_catalogue(const nlohmann::json& j) {
  std::map<std::string, PermissionInfo> out;
  for (const auto& [name, entry] : j.at("permissions").items()) {
    out[name] = PermissionInfo{name,
                               entry.at("description").get<std::string>(),
                               entry.at("denial").get<std::string>(),
                               entry.value("grantable", true),
                               entry.value("not_on_self", false),
                               known_tier(name, entry.value("min_tier", std::string("free"))),
                               entry.value("privacy", std::string()),
                               entry.value("own_privacy", std::string()),
                               entry.value("athlete_data", false)};
    for (const std::string& setting : {out[name].privacy, out[name].own_privacy}) {
      if (!setting.empty() && !find_privacy_setting(setting)) bad_data(name + ": unknown privacy setting " + setting);
    }
  }
  std::size_t index = 0;
  for (auto& [name, info] : out) info.index = index++;
  return out;
}

RoleModel load_model(const nlohmann::json& j, const std::map<std::string, PermissionInfo>& catalogue) {
  RoleModel m;
  m.id = j.at("id").get<std::string>();
  m.version = j.value("version", 1);
  const std::string where = m.id + " v" + std::to_string(m.version);
  auto known_permission = [&](const std::string& perm, const std::string& context) {
    if (!catalogue.contains(perm)) bad_data(where + ": " + context + " names unknown permission " + perm);
    return perm;
  };
  m.label = j.at("label").get<std::string>();
  m.founder_role = j.at("founder_role").get<std::string>();
  m.athlete_role = j.at("athlete_role").get<std::string>();
  m.min_tier = known_tier(where, j.value("min_tier", std::string("free")));
  for (const auto& [perm, info] : catalogue) {
    if (info.min_tier != "free") m.tier_gates[perm] = info.min_tier;
  }
  const nlohmann::json gates = j.value("tier_gates", nlohmann::json::object());
  for (const auto& [perm, tier] : gates.items()) {
    const std::string gate = known_tier(where, tier.get<std::string>());
    if (tier_rank(gate) < tier_rank(catalogue.at(known_permission(perm, "tier_gates")).min_tier)) {
      bad_data(where + ": tier_gates may only raise " + perm + "'s catalogue min_tier");
    }
    m.tier_gates[perm] = gate;
  }
  const nlohmann::json settings = j.value("settings", nlohmann::json::object());
  for (const auto& [name, s] : settings.items()) {
    m.settings[name] = ModelSetting{s.at("default").get<bool>(), s.at("description").get<std::string>(),
                                    known_tier(where, s.value("min_tier", std::string("free")))};
  }
  const nlohmann::json denials = j.value("denials", nlohmann::json::object());
  for (const auto& [perm, message] : denials.items()) {
    m.denials[known_permission(perm, "denials")] = message.get<std::string>();
  }
  const nlohmann::json grants = j.value("grants", nlohmann::json::object());
  for (const auto& [name, g] : grants.items()) {
    MemberGrant grant{name,
                      g.at("description").get<std::string>(),
                      known_permission(g.at("permission").get<std::string>(), "grant " + name),
                      Scope::own,
                      known_permission(g.at("granted_with").get<std::string>(), "grant " + name),
                      g.at("to_roles").get<std::vector<std::string>>()};
    auto scope = parse_scope(g.at("scope").get<std::string>());
    if (!scope) bad_data(where + ": grant " + name + " has a bad scope");
    grant.scope = *scope;
    m.grants.emplace(name, std::move(grant));
  }
  if (auto c = j.find("custom_roles"); c != j.end()) {
    m.custom_roles = CustomRoles{known_permission(c->at("defined_with").get<std::string>(), "custom_roles"),
                                 known_permission(c->at("given_with").get<std::string>(), "custom_roles")};
  }
  m.athlete_consent = j.value("athlete_consent", false);
  const nlohmann::json seats = j.value("staff_seats", nlohmann::json::object());
  for (const auto& [tier, count] : seats.items()) {
    if (count.get<int>() < 0) bad_data(where + ": staff_seats for " + tier + " is negative");
    m.staff_seats[known_tier(where, tier)] = count.get<int>();
  }

  for (const auto& rj : j.at("roles")) {
    Role r;
    r.name = rj.at("name").get<std::string>();
    r.label = rj.at("label").get<std::string>();
    const std::string kind = rj.at("kind").get<std::string>();
    if (kind != "athlete" && kind != "staff") bad_data(where + ": role " + r.name + " has kind " + kind);
    r.athlete = kind == "athlete";
    r.addable = rj.value("addable", false);
    r.add_requires = rj.value("add_requires", std::string{});
    if (r.addable) known_permission(r.add_requires, "role " + r.name + "'s add_requires");
    r.unique = rj.value("unique", false);
    r.coaches_athletes = rj.value("coaches_athletes", false);
    if (auto parent = rj.value("inherits", std::string{}); !parent.empty()) {
      const Role* base = m.find_role(parent);
      if (!base) bad_data(where + ": role " + r.name + " inherits unknown or later role " + parent);
      r.permissions = base->permissions;
      r.conditions = base->conditions;
    }
    // A permission is "scope", or {"scope": ..., "when": "<setting>"} when an organisation
    // setting must be on for the role to hold it.
    for (const auto& [perm, value] : rj.at("permissions").items()) {
      known_permission(perm, "role " + r.name);
      if (!catalogue.at(perm).grantable) bad_data(where + ": role " + r.name + " names " + perm + ", which no role can hold");
      const bool conditional = value.is_object();
      auto s = parse_scope(conditional ? value.at("scope").get<std::string>() : value.get<std::string>());
      if (!s) bad_data(where + ": bad scope for " + perm);
      r.permissions[perm] = *s;
      r.conditions.erase(perm);
      if (conditional) {
        const std::string setting = value.at("when").get<std::string>();
        if (!m.settings.contains(setting)) bad_data(where + ": " + perm + " depends on undeclared setting " + setting);
        r.conditions[perm] = setting;
      }
    }
    r.sentences.resize(catalogue.size());
    for (const auto& [perm, scope] : r.permissions) {
      const std::string holder = "role " + r.name + " holds " + perm;
      auto& sentences = r.sentences[catalogue.at(perm).index];
      for (HeldAnswer answer : {HeldAnswer::self, HeldAnswer::own_only, HeldAnswer::assigned_yes,
                                HeldAnswer::assigned_no, HeldAnswer::all}) {
        sentences[static_cast<std::size_t>(answer)] = held_sentence(answer, holder, scope);
      }
    }
    m.roles.push_back(std::move(r));
  }
  if (!m.find_role(m.founder_role) || !m.find_role(m.athlete_role)) {
    bad_data(where + ": founder_role or athlete_role names no role");
  }
  if (auto inv = j.find("invites"); inv != j.end()) {
    m.invites = InvitePolicy{inv->at("role").get<std::string>(), inv->at("max_uses").get<int>(),
                             inv->at("valid_hours").get<int>()};
    const Role* role = m.find_role(m.invites->role);
    if (!role || !role->addable) bad_data(where + ": invites give " + m.invites->role + ", which cannot be given");
    if (m.invites->max_uses < 1 || m.invites->valid_hours < 1) bad_data(where + ": invites need uses and hours");
  }
  for (const auto& [name, grant] : m.grants) {
    for (const auto& role : grant.to_roles) {
      if (!m.find_role(role)) bad_data(where + ": grant " + name + " names unknown role " + role);
    }
  }
  return m;
}

const Registry& registry() {
  static const Registry reg = [] {
    Registry r;
    std::vector<nlohmann::json> model_docs;
    for (const auto& [name, text] : embedded::files()) {
      auto doc = nlohmann::json::parse(text);
      if (name == "catalogue.json") {
        r.catalogue = load_catalogue(doc);
      } else {
        model_docs.push_back(std::move(doc));
      }
    }
    for (const auto& doc : model_docs) {
      RoleModel m = load_model(doc, r.catalogue);
      auto& versions = r.models[m.id];
      const int version = m.version;
      if (!versions.emplace(version, std::move(m)).second) {
        bad_data(doc.at("id").get<std::string>() + ": version " + std::to_string(version) + " is defined twice");
      }
    }
    for (const auto& [name, info] : r.catalogue) r.permission_by_name.emplace(name, &info);
    return r;
  }();
  return reg;
}

}  // namespace

nlohmann::json describe_role_model(const RoleModel& model) {
  nlohmann::json roles = nlohmann::json::array();
  for (const auto& r : model.roles) {
    roles.push_back({{"name", r.name},
                     {"label", r.label},
                     {"kind", r.athlete ? "athlete" : "staff"},
                     {"unique", r.unique},
                     {"founder", r.name == model.founder_role},
                     {"given_by_add_member", r.addable},
                     {"given_with", r.add_requires},
                     {"coaches_athletes", r.coaches_athletes}});
  }
  nlohmann::json matrix = nlohmann::json::array();
  for (const auto& [name, info] : permission_catalogue()) {
    nlohmann::json scopes = nlohmann::json::object();
    nlohmann::json conditions = nlohmann::json::object();
    bool held = false;
    for (const auto& r : model.roles) {
      auto it = r.permissions.find(name);
      scopes[r.name] = it == r.permissions.end() ? nlohmann::json(nullptr)
                                                 : nlohmann::json(scope_name(it->second));
      held = held || it != r.permissions.end();
      if (auto c = r.conditions.find(name); c != r.conditions.end()) conditions[r.name] = c->second;
    }
    nlohmann::json granted_by = nlohmann::json::array();
    for (const auto& [grant_name, grant] : model.grants) {
      if (grant.permission == name) granted_by.push_back(grant_name);
    }
    if (!held && granted_by.empty()) continue;
    nlohmann::json row{{"permission", name},
                       {"description", info.description},
                       {"scopes", scopes},
                       {"denial", model.denial(info)}};
    if (!granted_by.empty()) row["member_grants"] = granted_by;
    if (auto tier = model.min_tier_of(name); tier != "free") row["min_tier"] = tier;
    if (!conditions.empty()) row["only_when_setting"] = conditions;
    if (info.not_on_self) row["not_on_self"] = true;
    if (model.athlete_consent && info.athlete_data) row["needs_athlete_consent"] = true;
    matrix.push_back(std::move(row));
  }
  nlohmann::json settings = nlohmann::json::object();
  for (const auto& [name, s] : model.settings) {
    settings[name] = {{"default", s.default_value}, {"description", s.description}};
    if (s.min_tier != "free") settings[name]["min_tier"] = s.min_tier;
  }
  nlohmann::json grants = nlohmann::json::object();
  for (const auto& [name, g] : model.grants) {
    grants[name] = {{"description", g.description},
                    {"permission", g.permission},
                    {"scope", scope_name(g.scope)},
                    {"granted_with", g.granted_with},
                    {"to_roles", g.to_roles}};
  }
  nlohmann::json custom = nullptr;
  if (model.custom_roles) {
    custom = {{"defined_with", model.custom_roles->defined_with},
              {"given_with", model.custom_roles->given_with}};
  }
  nlohmann::json out{{"id", model.id},
                        {"version", model.version},
                        {"label", model.label},
                        {"min_tier", model.min_tier},
                        {"settings", settings},
                        {"founder_role", model.founder_role},
                        {"athlete_role", model.athlete_role},
                        {"roles", roles},
                        {"member_grants", grants},
                        {"custom_roles", custom},
                        {"permissions", matrix}};
  // Only versions that have them show these, so what older versions show stays as released.
  if (model.athlete_consent) out["athlete_consent"] = true;
  if (model.invites) {
    out["invites"] = {{"role", model.invites->role},
                      {"max_uses", model.invites->max_uses},
                      {"valid_hours", model.invites->valid_hours}};
  }
  if (!model.staff_seats.empty()) out["staff_seats"] = model.staff_seats;
  return out;
}

std::vector<std::string> role_model_ids() {
  std::vector<std::string> ids;
  for (const auto& [id, m] : registry().models) ids.push_back(id);
  return ids;
}

const RoleModel* find_role_model(std::string_view id) {
  const auto& models = registry().models;
  auto it = models.find(id);
  return it == models.end() ? nullptr : &it->second.rbegin()->second;
}

const RoleModel* find_role_model(std::string_view id, int version) {
  const auto& models = registry().models;
  auto it = models.find(id);
  if (it == models.end()) return nullptr;
  auto v = it->second.find(version);
  return v == it->second.end() ? nullptr : &v->second;
}

std::vector<const RoleModel*> all_role_model_versions() {
  std::vector<const RoleModel*> out;
  for (const auto& [id, versions] : registry().models) {
    for (const auto& [version, model] : versions) out.push_back(&model);
  }
  return out;
}

const std::map<std::string, PermissionInfo>& permission_catalogue() { return registry().catalogue; }

const PermissionInfo* find_permission(std::string_view name) {
  const auto& by_name = registry().permission_by_name;
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

}  // namespace touchline::domain
