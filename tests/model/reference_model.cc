// The reference evaluator: loading the role-model data, folding events, answering checks, invariants.
// Every rule cites the doc section it comes from; nothing here is taken from the product's code.
#include "reference_model.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <stdexcept>
#include <string_view>

namespace touchline::model_test {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ROLE_MODELS.md "Top-level keys": "free, pro, club, business or enterprise (lowest first)".
constexpr std::array<std::string_view, 5> kTiers = {"free", "pro", "club", "business", "enterprise"};

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("domain/models: " + what); }

json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) fail("cannot read " + path.string());
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    fail(path.string() + ": " + e.what());
  }
}

std::vector<fs::path> json_files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

// An optional object-valued key; a reference, since iterating items() of a temporary would dangle.
const json& object_at(const json& file, const char* key) {
  static const json kEmpty = json::object();
  return file.contains(key) ? file.at(key) : kEmpty;
}

// ROLE_MODELS.md marks these keys required though no check reads them: a file without one is malformed.
void require_string(const json& object, const char* key) { object.at(key).get<std::string>(); }

const char* scope_name(int scope) {
  static constexpr std::array<const char*, 4> kNames = {"none", "own", "assigned", "all"};
  return kNames.at(static_cast<std::size_t>(scope));
}

}  // namespace

int ReferenceModel::tier_index(const std::string& name) {
  const auto it = std::find(kTiers.begin(), kTiers.end(), name);
  if (it == kTiers.end()) throw std::runtime_error("unknown tier '" + name + "'");
  return static_cast<int>(it - kTiers.begin());
}

ReferenceModel::Scope ReferenceModel::parse_scope(const json& scope) {
  const auto name = scope.get<std::string>();
  if (name == "own") return Scope::kOwn;
  if (name == "assigned") return Scope::kAssigned;
  if (name == "all") return Scope::kAll;
  throw std::runtime_error("unknown scope '" + name + "'");
}

ReferenceModel::ReferenceModel(const fs::path& models_dir) {
  // nlohmann reports a missing key or a wrong type with its own exception; the contract is runtime_error.
  try {
    // ROLE_MODELS.md "The catalogue": description and denial are required, the rest default off / free.
    const json catalogue = read_json(models_dir / "catalogue.json");
    for (const auto& [name, entry] : catalogue.at("permissions").items()) {
      CataloguePermission permission;
      require_string(entry, "description");
      permission.denial = entry.at("denial").get<std::string>();
      permission.grantable = entry.value("grantable", true);
      permission.not_on_self = entry.value("not_on_self", false);
      permission.athlete_data = entry.value("athlete_data", false);
      permission.privacy = entry.value("privacy", std::string());
      permission.own_privacy = entry.value("own_privacy", std::string());
      permission.min_tier = tier_index(entry.value("min_tier", std::string("free")));
      catalogue_.emplace(name, std::move(permission));
    }
    // ROLE_MODELS.md: the loader goes by the id and version inside a file, not by its name.
    for (const auto& path : json_files_in(models_dir))
      if (path.filename() != "catalogue.json") load_model(read_json(path));
    if (fs::is_directory(models_dir / "released"))
      for (const auto& path : json_files_in(models_dir / "released")) load_model(read_json(path));
  } catch (const json::exception& e) {
    fail(e.what());
  } catch (const fs::filesystem_error& e) {
    fail(e.what());
  }
  if (catalogue_.empty() || models_.empty()) fail("no catalogue or no model in " + models_dir.string());
}

void ReferenceModel::load_model(const json& file) {
  ModelVersion model;
  model.id = file.at("id").get<std::string>();
  model.version = file.value("version", 1);  // ROLE_MODELS.md "Top-level keys": default 1
  const std::string where = model.id + " v" + std::to_string(model.version) + ": ";
  require_string(file, "label");
  model.founder_role = file.at("founder_role").get<std::string>();
  const auto athlete_role = file.at("athlete_role").get<std::string>();
  model.min_tier = tier_index(file.value("min_tier", std::string("free")));
  model.athlete_consent = file.value("athlete_consent", false);
  // ROLE_MODELS.md "Top-level keys": every permission a model names, anywhere, must be in the catalogue.
  const auto known = [&](const std::string& permission) -> const std::string& {
    if (!catalogue_.count(permission)) fail(where + "permission '" + permission + "' is not in the catalogue");
    return permission;
  };
  for (const auto& [permission, tier] : object_at(file, "tier_gates").items())
    model.tier_gates[known(permission)] = tier_index(tier.get<std::string>());
  for (const auto& [name, setting] : object_at(file, "settings").items()) {
    require_string(setting, "description");
    tier_index(setting.value("min_tier", std::string("free")));
    model.setting_defaults[name] = setting.at("default").get<bool>();
  }
  for (const auto& [permission, denial] : object_at(file, "denials").items())
    model.denials[known(permission)] = denial.get<std::string>();
  if (file.contains("custom_roles")) {
    model.custom_roles_defined_with = known(file["custom_roles"].at("defined_with").get<std::string>());
    known(file["custom_roles"].at("given_with").get<std::string>());
  }
  for (const auto& spec : file.at("roles")) {
    Role role;
    role.name = spec.at("name").get<std::string>();
    require_string(spec, "label");
    role.athlete = spec.at("kind").get<std::string>() == "athlete";  // ROLE_MODELS.md "Roles": anything else is staff
    role.unique = spec.value("unique", false);
    role.coaches_athletes = spec.value("coaches_athletes", false);
    if (model.role(role.name)) fail(where + "role '" + role.name + "' twice");
    // ROLE_MODELS.md "Roles": inherits names an earlier role; the role starts with its permissions and conditions.
    if (spec.contains("inherits")) {
      const Role* parent = model.role(spec["inherits"].get<std::string>());
      if (!parent) fail(where + role.name + " inherits a role that is not earlier in the list");
      role.permissions = parent->permissions;
    }
    for (const auto& [permission, value] : spec.at("permissions").items()) {
      if (!catalogue_.at(known(permission)).grantable) fail(where + role.name + " names never-grantable " + permission);
      // A role's own entry replaces the inherited one whole, so a plain string drops an inherited `when`.
      RolePermission held;
      if (value.is_object()) {
        held.scope = parse_scope(value.at("scope"));
        held.when = value.at("when").get<std::string>();
        if (!model.setting_defaults.count(held.when)) fail(where + "undeclared setting '" + held.when + "'");
      } else {
        held.scope = parse_scope(value);
      }
      role.permissions[permission] = held;
    }
    model.roles.push_back(std::move(role));
  }
  if (!model.role(model.founder_role) || !model.role(athlete_role))
    fail(where + "founder_role or athlete_role is not a role of the model");
  for (const auto& [name, spec] : object_at(file, "grants").items()) {
    MemberGrant grant;
    require_string(spec, "description");
    grant.permission = known(spec.at("permission").get<std::string>());
    grant.scope = parse_scope(spec.at("scope"));
    known(spec.at("granted_with").get<std::string>());
    for (const auto& role : spec.at("to_roles")) {
      if (!model.role(role.get<std::string>())) fail(where + "grant " + name + " is for an unknown role");
      grant.to_roles.insert(role.get<std::string>());
    }
    model.grants[name] = std::move(grant);
  }
  if (!models_[model.id].emplace(model.version, model).second) fail(where + "two files with this id and version");
}

const ReferenceModel::Role* ReferenceModel::ModelVersion::role(const std::string& name) const {
  for (const auto& role : roles)
    if (role.name == name) return &role;
  return nullptr;
}

const ReferenceModel::ModelVersion& ReferenceModel::version_of(const Organization& org) const {
  return models_.at(org.model).at(org.version);
}

// ROLE_MODELS.md "Sub-organisations": a sub-organisation has its parent's tier.
int ReferenceModel::tier_of(const Organization& org) const {
  return org.parent.empty() ? org.tier : organizations_.at(org.parent).tier;
}

// ROLE_MODELS.md "Tier gates": the model's tier_gates entry if it has one, else the catalogue's min_tier.
int ReferenceModel::gate_of(const ModelVersion& model, const std::string& permission) const {
  const auto gate = model.tier_gates.find(permission);
  return gate != model.tier_gates.end() ? gate->second : catalogue_.at(permission).min_tier;
}

// ROLE_MODELS.md "Top-level keys": a model's `denials` replaces the catalogue's `denial`.
std::string ReferenceModel::denial_of(const ModelVersion& model, const std::string& permission) const {
  const auto denial = model.denials.find(permission);
  return denial != model.denials.end() ? denial->second : catalogue_.at(permission).denial;
}

// API.md "Privacy settings": every setting is on by default but share_activity_with_public.
bool ReferenceModel::privacy_shares(const std::string& account, const std::string& setting) const {
  const auto found = accounts_.find(account);
  if (found != accounts_.end()) {
    const auto value = found->second.privacy.find(setting);
    if (value != found->second.privacy.end()) return value->second;
  }
  return setting != "share_activity_with_public";
}

// What a member holds by their own role and grants in `org`, with the tier gates applied.
ReferenceModel::Held ReferenceModel::held_as_member(const Organization& org, const std::string& subject,
                                                     const std::string& permission) const {
  const auto found = org.members.find(subject);
  if (found == org.members.end()) return {Scope::kNone, subject + " is not a member"};
  const Member& member = found->second;
  // API.md DeactivateMember: every check of a deactivated member is denied.
  if (member.deactivated)
    return {Scope::kNone, "the subject is deactivated in this organisation and holds nothing until reactivated"};
  const ModelVersion& model = version_of(org);
  const int tier = tier_of(org);
  // ROLE_MODELS.md "Top-level keys" min_tier and "Tier gates": below either, nobody holds anything / it.
  if (tier < model.min_tier)
    return {Scope::kNone, "the organisation is below its model's tier " + std::string(kTiers[model.min_tier])};
  if (tier < gate_of(model, permission))
    return {Scope::kNone, permission + " needs the " + std::string(kTiers[gate_of(model, permission)]) + " tier"};
  Held held{Scope::kNone, denial_of(model, permission)};
  if (const Role* role = model.role(member.role)) {
    const auto entry = role->permissions.find(permission);
    if (entry != role->permissions.end()) {
      // ROLE_MODELS.md "Roles": with `when`, held only while the setting is on (its default until changed).
      const auto& when = entry->second.when;
      const auto setting = org.settings.find(when);
      const bool on =
          when.empty() || (setting != org.settings.end() ? setting->second : model.setting_defaults.at(when));
      // Ambiguity: a setting's own min_tier is read as a rule of ChangeOrganizationSetting (API.md), not of checks.
      if (on) held = {entry->second.scope, "role " + member.role + " holds " + permission};
      else held.why = permission + " needs the setting " + when + ", which is off";
    }
    // ROLE_MODELS.md "Member grants": held only while the role is in to_roles, with the wider scope.
    for (const auto& name : member.grants) {
      const auto grant = model.grants.find(name);
      if (grant != model.grants.end() && grant->second.permission == permission &&
          grant->second.to_roles.count(member.role) && grant->second.scope > held.scope)
        held = {grant->second.scope, "grant " + name + " gives " + permission};
    }
    return held;
  }
  // ROLE_MODELS.md "Custom roles": a custom role holds nothing below the tier of defined_with.
  const auto custom = org.custom_roles.find(member.role);
  if (model.custom_roles_defined_with.empty() || custom == org.custom_roles.end())
    return {Scope::kNone, "role " + member.role + " is neither the model's nor a custom role"};
  if (tier < gate_of(model, model.custom_roles_defined_with))
    return {Scope::kNone, "custom role " + member.role + " holds nothing below the custom roles' tier"};
  const auto entry = custom->second.find(permission);
  if (entry != custom->second.end()) held = {entry->second, "custom role " + member.role + " holds " + permission};
  return held;
}

ReferenceModel::Answer ReferenceModel::check(const std::string& organization, const std::string& subject,
                                             const std::string& permission, const std::string& target) const {
  const Organization& org = organizations_.at(organization);
  const ModelVersion& model = version_of(org);
  const CataloguePermission& entry = catalogue_.at(permission);
  // ROLE_MODELS.md "The catalogue": grantable false, every check is denied with its denial.
  if (!entry.grantable) return {false, entry.denial};
  // ROLE_MODELS.md "The catalogue" not_on_self; API.md "POST /v1/check": it stays so for the parent's holders.
  if (entry.not_on_self && target == subject) return {false, permission + " is never used on oneself"};

  Held held;
  bool from_parent = false;
  if (org.members.count(subject)) {
    held = held_as_member(org, subject, permission);
  } else if (!org.parent.empty() &&
             held_as_member(organizations_.at(org.parent), subject, "suborgs.manage").scope != Scope::kNone) {
    // API.md "POST /v1/check" / ROLE_MODELS.md "Sub-organisations": a non-member holding suborgs.manage in the
    // parent is answered by their role and grants in the parent (its version, settings and tier).
    held = held_as_member(organizations_.at(org.parent), subject, permission);
    from_parent = true;
  } else {
    return {false, org.parent.empty() ? "the subject is not a member"
                                      : "the subject is not a member of this sub-organisation and does not manage "
                                        "it from its parent organisation"};
  }
  if (held.scope == Scope::kNone) return {false, held.why};
  // API.md "GET /v1/permissions" own_privacy: the subject's own setting and master switch, whatever the target.
  if (!entry.own_privacy.empty() &&
      (!privacy_shares(subject, "share_activity_in_profile") || !privacy_shares(subject, entry.own_privacy)))
    return {false, "the subject's own privacy settings opt out of " + permission};
  // API.md "POST /v1/check": without a target the answer is whether the subject holds it at all.
  // Every scope reaches the subject themself (ROLE_MODELS.md "Roles"); the parent's holders included, or the
  // docs would not need to say not_on_self "stays so" for them.
  if (target.empty() || target == subject) return {true, held.why + (target.empty() ? "" : " (on themself)")};

  // ROLE_MODELS.md "Roles": scopes reach members. Ambiguity: a target who is not a member is read as reached by
  // no scope, since every scope is worded in members ("all: on any member").
  if (!org.members.count(target)) return {false, "the target is not a member of this organisation"};
  const std::string scope = scope_name(static_cast<int>(held.scope));
  if (from_parent && held.scope != Scope::kAll)
    return {false, "the subject holds " + permission + " (" + scope +
                       ") in the parent organisation only for its own members"};
  if (held.scope == Scope::kOwn) return {false, held.why + " only on themself"};
  if (held.scope == Scope::kAssigned) {
    const auto coach = org.coach_of.find(target);
    if (coach == org.coach_of.end() || coach->second != subject)
      return {false, held.why + " only for the athletes assigned to them, and the target is not"};
  }

  // ROLE_MODELS.md "Athlete consent": after role, scope and tiers, before privacy; the checked organisation's own
  // version and consent count, also for the parent's holders ("The sub-organisation's own consent ... still apply").
  if (model.athlete_consent && entry.athlete_data) {
    const Role* target_role = model.role(org.members.at(target).role);
    if (target_role && target_role->athlete && !org.consenting.count(target))
      return {false, "the athlete has not accepted coaching by this organisation, and no one here sees their "
                     "data until they do"};
  }
  // ROLE_MODELS.md "The catalogue" privacy, API.md "Privacy settings": the target's setting and the master switch.
  // API.md "POST /v1/check": like consent, privacy needs a target other than the subject ("Like privacy, ...").
  if (!entry.privacy.empty() &&
      (!privacy_shares(target, "share_activity_in_profile") || !privacy_shares(target, entry.privacy)))
    return {false, "the target's privacy settings do not share " + entry.privacy};
  if (from_parent)
    return {true, "holds " + permission + " in the parent organisation, which manages this one, for every member"};
  return {true, held.why + " (" + scope + ")"};
}

void ReferenceModel::apply(const LoggedEvent& event) {
  const json& payload = event.payload;
  const std::string& type = event.type;
  // Account streams (EVENTS.md): the account's kind and its privacy settings.
  if (type == "AccountRegistered") {
    accounts_[payload.at("account_id").get<std::string>()].coach = payload.at("membership_role") == "coach";
  } else if (type == "AccountUpgradedToCoach" || type == "AccountDowngradedToAthlete") {
    accounts_[payload.at("account_id").get<std::string>()].coach = type == "AccountUpgradedToCoach";
  } else if (type == "PrivacySettingsChanged") {
    // EVENTS.md: only the values that changed, so later events merge into earlier ones.
    auto& privacy = accounts_[payload.at("account_id").get<std::string>()].privacy;
    for (const auto& [setting, value] : payload.at("settings").items()) privacy[setting] = value.get<bool>();
  } else if (type == "OrganizationCreated" || type == "SubOrganizationCreated") {
    Organization org;
    org.model = payload.at("role_model").get<std::string>();
    // EVENTS.md "Schema versions": an OrganizationCreated without role_model_version is version 1.
    org.version = payload.value("role_model_version", 1);
    const auto model = models_.find(org.model);
    if (model == models_.end() || !model->second.count(org.version))
      throw std::runtime_error(type + " on unknown role model " + org.model + " v" + std::to_string(org.version));
    std::string founder;
    if (type == "SubOrganizationCreated") {
      // EVENTS.md: on the parent's version and tier; its admin is its first member, with admin_role.
      org.parent = payload.at("parent_id").get<std::string>();
      org.tier = tier_index(payload.at("tier").get<std::string>());
      founder = payload.at("admin_id").get<std::string>();
      org.members[founder].role = payload.at("admin_role").get<std::string>();
      if (!organizations_.count(org.parent)) anomalies_.push_back(type + " under unknown parent " + org.parent);
    } else {
      founder = payload.at("created_by").get<std::string>();
      org.members[founder].role = payload.value("founder_role", model->second.at(org.version).founder_role);
    }
    const auto id = payload.at("organization_id").get<std::string>();
    if (!organizations_.emplace(id, std::move(org)).second) anomalies_.push_back(type + " for existing " + id);
  } else if (payload.is_object() && payload.contains("organization_id")) {
    const auto org = organizations_.find(payload["organization_id"].get<std::string>());
    if (org != organizations_.end()) apply_to_organization(event, org->second);
    else anomalies_.push_back(type + " for unknown organisation " + payload["organization_id"].dump());
  }
  // Everything else (EmailClaimed, invites, credentials, ActionRecorded, AthleteJoined/LeftOrganization,
  // MembershipOffered/Accepted/Declined) changes no permission (EVENTS.md: an offered account is not a member
  // until the MemberAdded that follows its acceptance).
}

void ReferenceModel::apply_to_organization(const LoggedEvent& event, Organization& org) {
  const json& payload = event.payload;
  const std::string& type = event.type;
  const auto field = [&](const char* name) { return payload.at(name).get<std::string>(); };
  // Events about a member of the organisation; one about a non-member is a broken log, kept for the report.
  const auto member = [&](const std::string& account) -> Member* {
    const auto found = org.members.find(account);
    if (found != org.members.end()) return &found->second;
    anomalies_.push_back(type + " for " + account + ", not a member of " + field("organization_id"));
    return nullptr;
  };
  if (type == "RoleModelVersionAdopted") {
    // ROLE_MODELS.md "Versions": checks follow `version` from this event on; versions only move forward.
    const int version = payload.at("version").get<int>();
    if (!models_.at(org.model).count(version))
      throw std::runtime_error("RoleModelVersionAdopted of unknown version " + std::to_string(version));
    if (version <= org.version)
      anomalies_.push_back("RoleModelVersionAdopted moved " + field("organization_id") + " backwards");
    org.version = version;
  } else if (type == "MemberAdded") {
    // ROLE_MODELS.md "Athlete consent": joining gives no consent.
    if (org.members.count(field("account_id")))
      anomalies_.push_back("MemberAdded for existing member " + field("account_id"));
    org.members[field("account_id")] = Member{field("role"), false, {}};
  } else if (type == "MemberRoleChanged") {
    if (Member* m = member(field("account_id"))) m->role = field("role");
  } else if (type == "MemberRemoved" || type == "MemberLeft") {
    // EVENTS.md MemberLeft: as with MemberRemoved, whatever they held there ended with it.
    if (member(field("account_id"))) end_membership(org, field("account_id"));
  } else if (type == "MemberDeactivated" || type == "MemberReactivated") {
    if (Member* m = member(field("account_id"))) m->deactivated = type == "MemberDeactivated";
  } else if (type == "AthleteAssigned") {
    org.coach_of[field("athlete_id")] = field("coach_id");
  } else if (type == "AthleteUnassigned") {
    org.coach_of.erase(field("athlete_id"));
  } else if (type == "BillingDelegationGranted" || type == "MemberGranted") {
    // ROLE_MODELS.md "Member grants": billing_delegation keeps its own events.
    if (Member* m = member(field("account_id")))
      m->grants.insert(type == "MemberGranted" ? field("grant") : std::string("billing_delegation"));
  } else if (type == "BillingDelegationRevoked" || type == "MemberGrantRevoked") {
    if (Member* m = member(field("account_id")))
      m->grants.erase(type == "MemberGrantRevoked" ? field("grant") : std::string("billing_delegation"));
  } else if (type == "RoleDefined" || type == "RoleUpdated") {
    // EVENTS.md: RoleUpdated is the whole new definition, not a difference.
    auto& role = org.custom_roles[field("role")];
    role.clear();
    for (const auto& [permission, scope] : payload.at("permissions").items()) role[permission] = parse_scope(scope);
  } else if (type == "RoleDeleted") {
    org.custom_roles.erase(field("role"));
  } else if (type == "CreditsAdded" || type == "CreditsSpent") {
    const auto amount = payload.at("amount").get<std::int64_t>();
    org.credits += type == "CreditsAdded" ? amount : -amount;
    org.credits_reported = payload.at("balance").get<std::int64_t>();
  } else if (type == "OrganizationTierChanged") {
    org.tier = tier_index(payload.at("tier").get<std::string>());
  } else if (type == "OrganizationSettingChanged") {
    org.settings[field("setting")] = payload.at("enabled").get<bool>();
  } else if (type == "ConsentGiven") {
    org.consenting.insert(field("athlete_id"));
  } else if (type == "ConsentWithdrawn") {
    org.consenting.erase(field("athlete_id"));
  }
}

// EVENTS.md MemberRemoved: whatever they held there ended with it, consent and a deactivation included. Their
// assignment as an athlete, and athletes assigned to them, are part of what they held.
void ReferenceModel::end_membership(Organization& org, const std::string& account) {
  org.members.erase(account);
  org.consenting.erase(account);
  org.coach_of.erase(account);
  std::erase_if(org.coach_of, [&](const auto& assignment) { return assignment.second == account; });
}

std::vector<std::string> ReferenceModel::invariant_violations() const {
  std::vector<std::string> out = anomalies_;
  for (const auto& entry : organizations_) {
    const std::string& id = entry.first;
    const Organization& org = entry.second;  // a plain reference: lambdas below capture it
    const ModelVersion& model = version_of(org);
    const std::string where = id + " (" + org.model + " v" + std::to_string(org.version) + "): ";
    const auto role_of = [&](const std::string& account) { return model.role(org.members.at(account).role); };
    // ROLE_MODELS.md "Sub-organisations": one level only.
    if (!org.parent.empty() && (!organizations_.count(org.parent) || !organizations_.at(org.parent).parent.empty()))
      out.push_back(where + "its parent " + org.parent + " is not a top-level organisation");
    // API.md SpendCredits: never below zero; the events' balance is the running sum.
    if (org.credits < 0) out.push_back(where + "credit balance " + std::to_string(org.credits) + " below zero");
    if (org.credits != org.credits_reported)
      out.push_back(where + "credits sum to " + std::to_string(org.credits) + " but the last event says " +
                    std::to_string(org.credits_reported));
    for (const auto& role : model.roles) {
      int holders = 0, active = 0;
      for (const auto& [account, member] : org.members)
        if (member.role == role.name) ++holders, active += member.deactivated ? 0 : 1;
      // ROLE_MODELS.md "Roles" unique; API.md RemoveMember: the last active holder of a founding role stays.
      if (role.unique && holders > 1)
        out.push_back(where + std::to_string(holders) + " members hold unique " + role.name);
      if (role.name == model.founder_role && (role.unique ? holders != 1 : active < 1))
        out.push_back(where + std::to_string(role.unique ? holders : active) + (role.unique ? "" : " active") +
                      " holders of founding role " + role.name);
    }
    for (const auto& [name, permissions] : org.custom_roles)
      if (model.custom_roles_defined_with.empty() || model.role(name))
        out.push_back(where + "custom role " + name + " on a version without custom roles or beside a model role");
    for (const auto& [account, member] : org.members) {
      const Role* role = model.role(member.role);
      const bool custom = !role && !model.custom_roles_defined_with.empty() && org.custom_roles.count(member.role);
      if (!role && !custom) out.push_back(where + account + " holds " + member.role + ", which the version lacks");
      // API.md DeactivateMember: staff only; grants revoked and athletes handed back in the same batch.
      if (member.deactivated && !member.grants.empty())
        out.push_back(where + "deactivated " + account + " still holds grants");
      if (member.deactivated && role && role->athlete) out.push_back(where + "athlete " + account + " is deactivated");
      // ROLE_MODELS.md "Member grants" to_roles (a changed role revokes them); custom roles receive none.
      for (const auto& grant : member.grants) {
        const auto spec = model.grants.find(grant);
        if (spec == model.grants.end() || !spec->second.to_roles.count(member.role))
          out.push_back(where + account + " (" + member.role + ") holds grant " + grant + " not for their role");
      }
      // API.md AddMember / DowngradeToAthlete: a staff role, deactivated or not, needs a coach account. Holds for
      // commands run one at a time: ARCHITECTURE.md "Known limit" lets a concurrent downgrade break it.
      const auto acc = accounts_.find(account);
      if ((custom || (role && !role->athlete)) && acc != accounts_.end() && !acc->second.coach)
        out.push_back(where + account + " holds staff role " + member.role + " without a coach account");
    }
    // API.md AssignAthlete: an athlete member, to an active member whose role coaches athletes.
    for (const auto& [athlete, coach] : org.coach_of) {
      const bool athlete_ok = org.members.count(athlete) && role_of(athlete) && role_of(athlete)->athlete;
      const auto c = org.members.find(coach);
      // Custom roles coach athletes (ROLE_MODELS.md "Custom roles").
      const bool coach_ok =
          c != org.members.end() && !c->second.deactivated &&
          (role_of(coach) ? role_of(coach)->coaches_athletes : org.custom_roles.count(c->second.role) > 0);
      if (!athlete_ok || !coach_ok)
        out.push_back(where + athlete + " is assigned to " + coach + " against AssignAthlete's rules");
    }
    // ROLE_MODELS.md "Athlete consent": only an athlete member gives it, and removal ends it.
    for (const auto& athlete : org.consenting)
      if (!org.members.count(athlete) || !role_of(athlete) || !role_of(athlete)->athlete)
        out.push_back(where + athlete + " consents but is not an athlete member");
  }
  return out;
}

std::vector<std::string> ReferenceModel::organizations() const {
  std::vector<std::string> ids;
  for (const auto& [id, org] : organizations_) ids.push_back(id);
  return ids;
}

std::vector<std::string> ReferenceModel::members(const std::string& organization) const {
  std::vector<std::string> ids;
  for (const auto& [id, member] : organizations_.at(organization).members) ids.push_back(id);
  return ids;
}

std::vector<std::string> ReferenceModel::permissions() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : catalogue_) names.push_back(name);
  return names;
}

}  // namespace touchline::model_test
