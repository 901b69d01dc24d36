// The audit log: one entry per consequential event, who did what to whom and when, read newest
// first. Entries of an organisation are listed under it; every entry is also in the
// platform-wide list operators read. The state keeps which positions each list and index holds;
// an entry is rendered from its event in the log when it is read.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "touchline/projections/projection.h"
#include "touchline/store/event_store.h"

namespace touchline::projections {

// The audit categories: athlete_access, team_settings, membership, content, consent, billing,
// roles. Every entry carries one.
const std::vector<std::string>& audit_categories();

// Which entries a page holds; an empty field does not filter.
struct AuditFilter {
  std::set<std::string> categories;  // any of these
  std::string actor;
  std::string subject;
  std::string since;  // recorded_at >= since (ISO 8601 UTC, any prefix such as "2026-11-23")
  std::string until;  // recorded_at < until
  bool matches(const nlohmann::json& entry) const;
};

struct AuditPage {
  std::vector<nlohmann::json> entries;  // newest first
  std::uint64_t next_before = 0;        // pass as `before` for the next page; 0 when no more
};

class AuditProjection final : public Projection {
 public:
  static const std::string kName;  // "audit"

  // `state` is this projection's own StateStore (named kName), over `log`, whose events the
  // entries are rendered from; both must outlive this object.
  AuditProjection(const store::StateStore& state, const store::EventStore& log) : state_(state), log_(log) {}

  const std::string& name() const override { return kName; }
  // 2: organization.created entries carry role_model_version; membership and role entries.
  // 3: every entry carries its category. 4: credential entries say has_document, not where the
  // document is; credential.edited is about the holder. 5: credential entries name no credential
  // name or expiry (the compliance dashboard's readers see those). 6: each list indexed by actor,
  // subject and category. 7: no entries, only positions, in chunks (entries are rendered from
  // the log). So a change to an entry's contents needs no new format (every entry is rendered
  // anew), but a change to which events are audited, or to an entry's organisation, actor,
  // subject or category (what the lists and indexes are keyed by) does.
  std::uint32_t state_format() const override { return 7; }
  Status load(const store::StateStore&) override { return ok_status(); }  // nothing in memory
  void apply(const events::RecordedEvent& e) override;
  void write_changes(store::StateBatch& batch) override;
  void reset() override;

  // Entries of the organisation (or, with an empty id, of the whole platform) with position
  // < before (0: from the newest) that match `filter`, at most limit; internal when a read
  // failed (never a short page that looks like the last). A filter on an actor, a subject or a
  // single category reads only the entries its index names. Thread-safe.
  Result<AuditPage> page(const std::string& organization_id, std::uint64_t before, std::size_t limit,
                         const AuditFilter& filter = {}) const;

  // Entries of the organisation (or, with an empty id, of the platform) with after < position <=
  // through that match `filter`, oldest first, at most limit; next_before is unused (0). internal
  // when a read failed. Thread-safe. (For following the log: the page after the last entry seen.)
  Result<AuditPage> after(const std::string& organization_id, std::uint64_t after, std::size_t limit,
                          const AuditFilter& filter = {}, std::uint64_t through = UINT64_MAX) const;

  // The entry an event produces, or null for events that are not audited. Pure.
  static nlohmann::json entry_for(const events::RecordedEvent& e);

 private:
  // The entry of the event at `position`, rendered from the log; internal when the read failed
  // or the event is not there, does not decode or is not audited (the state does not match the
  // log).
  Result<nlohmann::json> entry_at(std::uint64_t position) const;
  // For a filter on two or more categories (and no actor or subject), read through the list's
  // every-entry index: which offsets of the chunk are in one of its categories' indexes, so that
  // only those are rendered. nullopt for any other filter (every offset may match); internal
  // when a read failed.
  Result<std::optional<std::array<bool, 256>>> category_offsets(const std::string& organization_id,
                                                                 const AuditFilter& filter, std::uint64_t chunk) const;

  const store::StateStore& state_;
  const store::EventStore& log_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> pending_;  // chunk key -> its offsets so far
  // The chunks the last event was indexed in, and what chose them: a run of events by one actor
  // on one subject (a replay's usual case) adds to the same eight without building their keys.
  // The pointers are into pending_'s values (stable while it grows), cleared with it.
  struct LastIndexed {
    std::string actor, subject, organization_id;
    std::string_view category;
    std::uint64_t chunk = 0;
    std::vector<std::string*> offsets;  // empty: nothing remembered
  };
  LastIndexed last_;
};

// "2026-11-23T09:41:07.123Z"
std::string iso8601_utc(std::int64_t unix_ms);

}  // namespace touchline::projections
