// Role models as data. A role model is the set of roles one product's help page describes, with
// each role's permissions and scopes; an organisation picks one when it is created. The models
// and the permission catalogue live in domain/models/*.json and are compiled into the binary.
//
// Models are versioned with the log: an organisation records the model version it was created
// on (OrganizationCreated) and keeps it until it adopts a newer one (RoleModelVersionAdopted), so
// replaying old events gives the answers that held when they were written. What a released version
// grants is never edited (its wording may be): a change is a new version (domain/models/<id>.json), and the old one moves to
// domain/models/released/<id>.v<N>.json. See docs/ROLE_MODELS.md.
#pragma once

#include <array>
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
  std::string min_tier = "free";  // below it no role holds it (a model may raise it)
  std::string privacy;  // the target's privacy setting that must share the data, if any
  // The subject's own privacy setting that must be on for them to use it at all: the member's
  // choice to take part (participate_in_leaderboard), which no role overrides.
  std::string own_privacy;
  // Used on an athlete member it reads or changes their data: in models with athlete_consent,
  // only once the athlete has accepted coaching.
  bool athlete_data = false;
  std::size_t index = 0;  // its place in the catalogue, for tables indexed by permission
};

// Organisation tiers, lowest first: free, pro, club, business, enterprise.
const std::vector<std::string>& tier_names();
int tier_rank(std::string_view tier);  // -1 for an unknown tier

// An organisation setting a model declares (e.g. club's admin_document_visibility).
struct ModelSetting {
  bool default_value = false;
  std::string description;
  std::string min_tier = "free";  // below it the setting cannot be changed
};

struct Role {
  std::string name;
  std::string label;
  bool athlete = false;           // an athlete member (as opposed to staff)
  bool addable = false;           // may be given with AddMember and ChangeMemberRole
  std::string add_requires;       // the permission giving this role needs
  bool unique = false;            // at most one member holds it
  bool coaches_athletes = false;  // athletes may be assigned to members holding it
  bool custom = false;            // defined by the organisation (DefineRole), not by the model
  std::map<std::string, Scope> permissions;  // effective: inherited ones already merged in
  std::map<std::string, std::string> conditions;  // permission -> setting that must be on
  // A built-in role's answers for each permission it holds by itself, made once when its model
  // loads (indexed by PermissionInfo::index, then HeldAnswer), so that a check answers with a
  // sentence it need not compose. Empty for custom roles, whose answers are composed.
  std::vector<std::array<std::string, 5>> sentences;
  bool operator==(const Role&) const = default;
};

// The answers of a check a role allowed by scope, or denied by scope alone.
enum class HeldAnswer { self, own_only, assigned_yes, assigned_no, all };
// The sentence for `answer`: `holder` says who holds what ("role R holds P", with the grant when
// one gives it), `scope` the scope they hold it with.
std::string held_sentence(HeldAnswer answer, std::string_view holder, Scope scope);

// A permission the model lets one member be given on top of their role, e.g. the billing-
// delegation toggle (seed 002: "lets you grant an assistant that ability").
struct MemberGrant {
  std::string name;  // e.g. "billing_delegation"
  std::string description;
  std::string permission;  // what it confers
  Scope scope = Scope::assigned;
  std::string granted_with;  // the permission the granting member needs
  std::vector<std::string> to_roles;  // the roles that may receive it
  bool may_receive(std::string_view role) const;
};

// The grant GrantBillingDelegation and RevokeBillingDelegation act on.
inline constexpr std::string_view kBillingDelegationGrant = "billing_delegation";

// A model that lets organisations define their own roles says with which permissions (their
// tier gates apply: seed 002's builder needs business).
struct CustomRoles {
  std::string defined_with;  // the permission DefineRole, UpdateRole and DeleteRole need
  std::string given_with;    // the permission giving a member a custom role needs
};

// What every invite of a model is, where the product fixes it (seed 001: "joining with a code
// always makes you an assistant coach"; codes are single-use and valid for 24 hours).
struct InvitePolicy {
  std::string role;     // the role every invite gives
  int max_uses = 1;     // every invite's number of uses
  int valid_hours = 0;  // how long every invite is valid
};

struct RoleModel {
  std::string id;
  int version = 1;
  std::string label;
  std::string founder_role;  // the role the organisation's creator gets
  std::string athlete_role;  // the role of athlete members
  std::vector<Role> roles;   // in the order the model lists them
  std::map<std::string, MemberGrant, std::less<>> grants;
  std::map<std::string, std::string> denials;  // this model's wording of a permission's denial
  std::string min_tier = "free";  // organisations below it hold no permission of this model
  // permission -> lowest tier at which it is held, where above free: the catalogue's min_tier
  // merged with the model's own tier_gates.
  std::map<std::string, std::string, std::less<>> tier_gates;
  std::map<std::string, ModelSetting> settings;
  std::optional<CustomRoles> custom_roles;  // absent: the model has no custom roles
  std::optional<InvitePolicy> invites;  // absent: invites are as their issuer chooses
  // tier -> how many staff members besides the founder an organisation on that tier may have
  // (seed 002's assistant seats); a tier not listed has no cap.
  std::map<std::string, int, std::less<>> staff_seats;
  // Athletes' data (PermissionInfo::athlete_data) is shared only after they accept coaching.
  bool athlete_consent = false;

  const Role* find_role(std::string_view name) const;
  // The denial message for a permission: the model's own wording, else the catalogue's.
  const std::string& denial(const PermissionInfo& permission) const;
  // The lowest tier at which any role holds the permission ("free" when ungated).
  std::string_view min_tier_of(std::string_view permission) const;
};

// The built-in role models' ids, e.g. {"athlete-coach"}.
std::vector<std::string> role_model_ids();

// The newest version of the model with this id, or nullptr. The returned model lives for the
// whole program.
const RoleModel* find_role_model(std::string_view id);

// One version of a model, or nullptr when there is no such id or version.
const RoleModel* find_role_model(std::string_view id, int version);

// Every built-in version of every model, oldest version first within an id.
std::vector<const RoleModel*> all_role_model_versions();

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
