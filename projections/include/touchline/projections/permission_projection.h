// Every organisation's members, roles, assignments and delegations, in memory, so that a
// permission check never reads RocksDB. Persisted as one JSON value per organisation.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "touchline/domain/authorizer.h"
#include "touchline/domain/explain.h"
#include "touchline/domain/privacy.h"
#include "touchline/domain/organization.h"
#include "touchline/projections/projection.h"

namespace touchline::projections {

class PermissionProjection;
class PermissionHistory;

using OrganizationMap = std::unordered_map<std::string, domain::OrganizationState>;
using PrivacyMap = std::unordered_map<std::string, domain::Privacy>;  // only accounts that changed some
// Where each organisation's facts came from (domain/explain.h), by organisation id.
using SourcesMap = std::unordered_map<std::string, domain::Sources>;
// The position of the event that last changed each account's privacy settings (accounts that
// changed some).
using PrivacySourceMap = std::unordered_map<std::string, std::uint64_t>;

// One consistent read of the permission projection: every organisation and privacy setting as
// of one position of the log. A live view (PermissionProjection::read) holds the projection's
// shared lock for its lifetime; a past view (PermissionHistory::at) owns what it was loaded
// with. A request takes one view and answers everything from it, so that no answer mixes two
// positions. Keep a live view only for the length of one request: while it lives, the runner
// waits to fold the next event that changes anything. Not to be shared between threads.
class PermissionView {
 public:
  // The position of the last event folded into what this view sees (0 before any).
  std::uint64_t position() const { return position_; }

  // The organisation, or nullptr when unknown. Valid while the view lives.
  const domain::OrganizationState* organization(const std::string& organization_id) const;

  // The organisation's parent when it is a sub-organisation and the parent is known, else nullptr.
  const domain::OrganizationState* parent_of(const domain::OrganizationState& org) const;

  // The account's privacy settings, or nullptr when they are all at their defaults.
  const domain::Privacy* privacy(const std::string& account_id) const;

  // Where the organisation's facts came from (the position of each fact's last event), or nullptr
  // when unknown; and the position of the event that last changed the account's privacy
  // settings, or 0 when none did. For explanations (domain/explain.h). Valid while the view lives.
  const domain::Sources* sources(const std::string& organization_id) const;
  std::uint64_t privacy_source(const std::string& account_id) const;

  // The check (domain::check) with the target's privacy settings and the parent organisation;
  // nullopt when the organisation is unknown.
  std::optional<domain::Decision> check(const std::string& organization_id, const std::string& subject,
                                        const std::string& permission, const std::string& target = "") const;
  // The same on an organisation already found in this view; with `trace`, the gates it applied
  // (domain::check).
  domain::Decision check(const domain::OrganizationState& org, const std::string& subject,
                         const std::string& permission, const std::string& target = "",
                         std::vector<domain::Gate>* trace = nullptr) const;

 private:
  friend class PermissionProjection;
  friend class PermissionHistory;
  struct Owned {
    OrganizationMap organizations;
    PrivacyMap privacy;
    SourcesMap sources;
    PrivacySourceMap privacy_sources;
  };
  explicit PermissionView(const PermissionProjection& projection);
  PermissionView(std::shared_ptr<const Owned> owned, std::uint64_t position);

  const OrganizationMap* organizations_;
  const PrivacyMap* privacy_;
  const SourcesMap* sources_;
  const PrivacySourceMap* privacy_sources_;
  std::shared_lock<std::shared_mutex> lock_;  // live views
  std::shared_ptr<const Owned> owned_;        // past views
  std::uint64_t position_;
};

class PermissionProjection final : public Projection {
 public:
  static const std::string kName;  // "permissions"

  const std::string& name() const override { return kName; }
  // The shape of organization_to_json's value: bump it with every change to that function.
  // 3: grants, role_model_version and custom_roles (2 was briefly written with the shape before).
  // 4: members' privacy settings, beside the organisations. 5: the credit pool. 6: invites and
  // consent. 7: credentials. 8: deactivated members. 9: sub-organisations.
  // 10: an invite's issuer. 11: membership offers. 12: history rows (kHistoryEvery).
  // 13: sources (domain/explain.h): each organisation's under "sources/<id>" (sources_to_text) and
  // in its history rows; each account's privacy settings' ({"changed", "position"}).
  // 14: an invite's email_key.
  static constexpr std::uint32_t kStateFormat = 14;
  std::uint32_t state_format() const override { return kStateFormat; }

  // Every kHistoryEvery events of an organisation's stream, the projection keeps the
  // organisation's state as it stood after that event, under history_key (value: {"version":
  // stream version, "organization": organization_to_json, "sources": sources_to_text}), so that PermissionHistory answers at
  // a past position by folding at most this many events. Derived data, rebuilt with the rest.
  static constexpr std::uint64_t kHistoryEvery = 1024;
  // "history/<organization id>/" BE64(position): the rows of one organisation sort by position.
  static std::string history_prefix(const std::string& organization_id);
  static std::string history_key(const std::string& organization_id, std::uint64_t position);
  Status load(const store::StateStore& state) override;
  void apply(const events::RecordedEvent& e) override;
  void write_changes(store::StateBatch& batch) override;
  void reset() override;

  // A consistent read of everything (see PermissionView). Thread-safe.
  PermissionView read() const { return PermissionView(*this); }

  // The check, answered from memory, with the target's privacy settings. nullopt when the
  // organisation is unknown. Thread-safe. (read().check(...), for one check alone.)
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

  // The whole state as JSON: {"organizations": {id: ...}, "privacy": {account: changed settings},
  // "sources": {id: ...}, "privacy_sources": {account: ...}} (for rebuild-equals-live comparisons).
  nlohmann::json snapshot() const;

 private:
  friend class PermissionView;
  mutable std::shared_mutex mu_;
  // The position of the last event applied (or of the checkpoint loaded). Stored after the event
  // changed the state, under the exclusive lock when it changed anything, so that a reader holding
  // the shared lock never sees a position whose effects it does not see.
  std::atomic<std::uint64_t> applied_{0};
  OrganizationMap organizations_;
  PrivacyMap privacy_;
  SourcesMap sources_;
  PrivacySourceMap privacy_sources_;
  std::set<std::string> dirty_;          // organisation ids
  std::set<std::string> dirty_privacy_;  // account ids
  std::vector<std::pair<std::string, std::string>> history_;  // rows not yet written
};

nlohmann::json organization_to_json(const domain::OrganizationState& org);
domain::OrganizationState organization_from_json(const nlohmann::json& j);
// An organisation's sources as text, one "<fact> <position>" line each (facts hold no space or
// newline), and back: written with every change of the organisation, so kept cheaper than JSON.
// sources_from_text throws std::runtime_error on a line that is not such.
std::string sources_to_text(const domain::Sources& sources);
domain::Sources sources_from_text(std::string_view text);

}  // namespace touchline::projections
