// An independent reference evaluator of Touchline's authorization checks, for differential tests.
//
// It is written only from the role-model data (domain/models/), the documentation (docs/) and the
// seeds' product pages, never from the product's code, so that a shared misreading cannot hide a
// bug: where it and the product disagree, one of them departs from the docs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace touchline::model_test {

struct LoggedEvent {
  std::string type;          // e.g. "MemberAdded"
  nlohmann::json payload;    // the event's payload object as in docs/EVENTS.md
  std::string stream;        // e.g. "organization-<id>", "account-<id>"
  std::string actor;         // envelope actor
  std::int64_t recorded_at_ms = 0;
};

class ReferenceModel {
 public:
  // Reads catalogue.json, every <id>.json and released/<id>.v<N>.json under models_dir.
  // Throws std::runtime_error on unreadable/malformed data.
  explicit ReferenceModel(const std::filesystem::path& models_dir);
  // Folds one event, in log order. Unknown event types are ignored (they carry no permission state).
  void apply(const LoggedEvent& event);
  struct Answer { bool allowed = false; std::string why; };  // why: short human explanation, for failure reports
  // What POST /v1/check would answer for allowed, for subject (an account id) using permission in organization,
  // on target (an account id; empty string = no target). The organization and permission are known
  // (the caller only asks those). Subject and target may be non-members.
  Answer check(const std::string& organization, const std::string& subject,
               const std::string& permission, const std::string& target) const;
  std::vector<std::string> organizations() const;             // every organisation (and sub-organisation) created
  std::vector<std::string> members(const std::string& organization) const;  // current members, deactivated included
  std::vector<std::string> permissions() const;               // every permission in the catalogue
  // Invariants that must hold after every step; each violation as one readable line. At least:
  // where a model's founding role is unique, exactly one member holds it; no organisation's credit
  // balance below zero (CreditsAdded/CreditsSpent balances); a member's role is one their
  // organisation's model version (or its custom roles) has.
  // A step is a whole command's batch: inside a batch the docs allow passing states (EVENTS.md).
  std::vector<std::string> invariant_violations() const;

 private:
  // Ordered so that "wider" is a plain comparison (ROLE_MODELS.md "Member grants": the wider of two).
  enum class Scope { kNone, kOwn, kAssigned, kAll };

  struct CataloguePermission {
    std::string denial;
    bool grantable = true;
    bool not_on_self = false;
    bool athlete_data = false;
    std::string privacy;  // empty: not gated by privacy
    std::string own_privacy;  // empty: not gated by the subject's own privacy
    int min_tier = 0;
  };
  struct RolePermission {
    Scope scope = Scope::kNone;
    std::string when;  // empty: unconditional
  };
  struct Role {
    std::string name;
    bool athlete = false;
    bool unique = false;
    bool coaches_athletes = false;
    std::map<std::string, RolePermission> permissions;  // inheritance already folded in
  };
  struct MemberGrant {
    std::string permission;
    Scope scope = Scope::kNone;
    std::set<std::string> to_roles;
  };
  struct ModelVersion {
    std::string id;
    int version = 1;
    std::string founder_role;
    int min_tier = 0;
    std::map<std::string, int> tier_gates;
    std::map<std::string, bool> setting_defaults;
    std::map<std::string, std::string> denials;
    std::map<std::string, MemberGrant> grants;
    std::string custom_roles_defined_with;  // empty: the model has no custom roles
    bool athlete_consent = false;
    std::vector<Role> roles;
    const Role* role(const std::string& name) const;
  };
  struct Member {
    std::string role;
    bool deactivated = false;
    std::set<std::string> grants;
  };
  struct Organization {
    std::string model;
    int version = 1;
    std::string parent;  // empty: top-level
    int tier = 0;        // a sub-organisation's own copy is not read: it has its parent's tier
    std::map<std::string, bool> settings;
    std::map<std::string, Member> members;
    std::map<std::string, std::map<std::string, Scope>> custom_roles;
    std::map<std::string, std::string> coach_of;  // athlete -> coach
    std::set<std::string> consenting;
    std::int64_t credits = 0;
    std::int64_t credits_reported = 0;  // the balance the last credits event wrote
  };
  struct Account {
    bool coach = false;
    std::map<std::string, bool> privacy;  // only the settings changed from their defaults
  };
  struct Held {
    Scope scope = Scope::kNone;
    std::string why;
  };

  static Scope parse_scope(const nlohmann::json& scope);  // throws std::runtime_error
  static int tier_index(const std::string& name);         // throws std::runtime_error
  void load_model(const nlohmann::json& file);
  const ModelVersion& version_of(const Organization& org) const;
  int tier_of(const Organization& org) const;
  int gate_of(const ModelVersion& model, const std::string& permission) const;
  std::string denial_of(const ModelVersion& model, const std::string& permission) const;
  Held held_as_member(const Organization& org, const std::string& subject, const std::string& permission) const;
  bool privacy_shares(const std::string& account, const std::string& setting) const;
  void apply_to_organization(const LoggedEvent& event, Organization& org);
  void end_membership(Organization& org, const std::string& account);

  std::map<std::string, CataloguePermission> catalogue_;
  std::map<std::string, std::map<int, ModelVersion>> models_;
  std::map<std::string, Organization> organizations_;
  std::map<std::string, Account> accounts_;
  std::vector<std::string> anomalies_;  // events the docs say cannot happen, kept for invariant_violations
};

}  // namespace touchline::model_test
