// Role models as data. A role model is the set of roles one product's help page describes, with
// each role's permissions and scopes; an organisation picks one when it is created. The models
// and the permission catalogue live in domain/models/*.json and are compiled into the binary.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "touchline/events/result.h"

namespace touchline::domain {

// How far a permission reaches when it is used on another member (the "target").
enum class Scope {
  own,       // only the member themself
  assigned,  // the member and the athletes assigned to them
  all,       // every member of the organisation
};
std::string_view scope_name(Scope s);
std::optional<Scope> parse_scope(std::string_view s);

struct PermissionInfo {
  std::string name;  // "area.action"
  std::string description;
  std::string denial;  // shown when a check for it is denied for want of a role holding it
  bool grantable = true;  // false: no role may hold it, and every check for it is denied
  bool not_on_self = false;  // never allowed with the subject as its own target
};

// Organisation tiers, lowest first: free, pro, club, business, enterprise.
const std::vector<std::string>& tier_names();
int tier_rank(std::string_view tier);  // -1 for an unknown tier

// An organisation setting a model declares (e.g. club's admin_document_visibility).
struct ModelSetting {
  bool default_value = false;
  std::string description;
};

struct Role {
  std::string name;
  std::string label;
  bool athlete = false;           // an athlete member (as opposed to staff)
  bool addable = false;           // may be given with AddMember
  std::string add_requires;       // the permission AddMember needs to give this role
  bool unique = false;            // at most one member holds it
  bool coaches_athletes = false;  // athletes may be assigned to members holding it
  bool billing_delegable = false; // may receive the billing delegation
  std::map<std::string, Scope> permissions;  // effective: inherited ones already merged in
  std::map<std::string, std::string> conditions;  // permission -> setting that must be on
};

struct BillingDelegation {
  std::string permission;
  Scope scope = Scope::assigned;
};

struct RoleModel {
  std::string id;
  std::string label;
  std::string founder_role;  // the role the organisation's creator gets
  std::string athlete_role;  // the role of athlete members
  std::vector<Role> roles;   // in the order the model lists them
  std::optional<BillingDelegation> billing_delegation;  // absent: the model has no such toggle
  std::map<std::string, std::string> denials;  // this model's wording of a permission's denial
  std::string min_tier = "free";  // organisations below it hold no permission of this model
  std::map<std::string, ModelSetting> settings;

  const Role* find_role(std::string_view name) const;
  // The denial message for a permission: the model's own wording, else the catalogue's.
  std::string denial(const PermissionInfo& permission) const;
};

// The built-in role models' ids, e.g. {"athlete-coach"}.
std::vector<std::string> role_model_ids();

// The model with this id, or nullptr. The returned model lives for the whole program.
const RoleModel* find_role_model(std::string_view id);

// The default model for new organisations.
inline constexpr std::string_view kDefaultRoleModel = "athlete-coach";

// The permission catalogue: every permission any model may name.
const std::map<std::string, PermissionInfo>& permission_catalogue();
const PermissionInfo* find_permission(std::string_view name);

// A model as a client renders it (GET /v1/role-models/{id}, docs/roles.md): its roles, and a
// matrix of every permission any of its roles holds, in catalogue order, with each role's scope
// (or null where the role lacks it) and the permission's denial in this model.
nlohmann::json describe_role_model(const RoleModel& model);

}  // namespace touchline::domain
