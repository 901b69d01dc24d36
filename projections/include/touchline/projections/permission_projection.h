// Every organisation's members, roles, assignments and delegations, in memory, so that a
// permission check never reads RocksDB. Persisted as one JSON value per organisation.
#pragma once

#include <map>
#include <optional>
#include <shared_mutex>
#include <set>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "touchline/domain/authorizer.h"
#include "touchline/domain/privacy.h"
#include "touchline/domain/organization.h"
#include "touchline/projections/projection.h"

namespace touchline::projections {

class PermissionProjection final : public Projection {
 public:
  static const std::string kName;  // "permissions"

  const std::string& name() const override { return kName; }
  // The shape of organization_to_json's value: bump it with every change to that function.
  // 3: grants, role_model_version and custom_roles (2 was briefly written with the shape before).
  // 4: members' privacy settings, beside the organisations. 5: the credit pool. 6: invites and
  // consent. 7: credentials. 8: deactivated members. 9: sub-organisations.
  // 10: an invite's issuer. 11: membership offers.
  std::uint32_t state_format() const override { return 11; }
  Status load(const store::StateStore& state) override;
  void apply(const events::Envelope& e) override;
  void write_changes(store::StateBatch& batch) override;
  void reset() override;

  // The check, answered from memory, with the target's privacy settings. nullopt when the
  // organisation is unknown. Thread-safe.
  std::optional<domain::Decision> check(const std::string& organization_id,
                                        const std::string& subject, const std::string& permission,
                                        const std::string& target) const;

  // A copy of the organisation's state; nullopt when unknown. Thread-safe.
  std::optional<domain::OrganizationState> organization(const std::string& organization_id) const;

  // An account's privacy settings (their defaults when never changed). Thread-safe.
  domain::Privacy privacy(const std::string& account_id) const;

  // The organisations where the account holds a staff (non-athlete) role, in id order. Scans every
  // organisation: for rare operator commands (DowngradeToAthlete), not for checks.
  std::vector<std::string> staff_organizations(const std::string& account_id) const;

  // The whole state as JSON: {"organizations": {id: ...}, "privacy": {account: changed settings}}
  // (for rebuild-equals-live comparisons).
  nlohmann::json snapshot() const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, domain::OrganizationState> organizations_;
  std::unordered_map<std::string, domain::Privacy> privacy_;  // only accounts that changed some
  std::set<std::string> dirty_;          // organisation ids
  std::set<std::string> dirty_privacy_;  // account ids
};

nlohmann::json organization_to_json(const domain::OrganizationState& org);
domain::OrganizationState organization_from_json(const nlohmann::json& j);

}  // namespace touchline::projections
