// The permission projection as the log stood at any past position: what reads `at_position` and
// `at_time` answer from. Not a window: every position from 0 to the head is answerable, because
// the log keeps every event. An organisation's past state is the latest history row the
// permission projection kept at or before the position (one every
// PermissionProjection::kHistoryEvery events of its stream) and its stream's events after the row
// up to the position, folded with the domain's own evolve() (and their sources, with
// record_sources); an account's privacy settings are its stream's PrivacySettingsChanged events
// up to the position, folded as the projection folds them. So the rows only save time: without them (dropped, not yet written, or of another state
// format) the answer is the same, folded from the stream's first event.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "touchline/events/result.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/store/event_store.h"
#include "touchline/store/state_store.h"

namespace touchline::projections {

// What a past read needs loaded: the organisations it asks about (each with its parent, when it
// is a sub-organisation) and the accounts whose privacy settings its checks consult.
struct PastRead {
  std::vector<std::string> organizations;
  std::vector<std::string> accounts;  // the caller's first: with the organisations, it decides who may ask
  // Also every member of those organisations and of their parents (lookups check each of them).
  bool members_privacy = false;
};

class PermissionHistory {
 public:
  // `log` must outlive this object. Thread-safe: every method only reads.
  explicit PermissionHistory(store::EventStore& log);

  // A view of the permission projection as it stood after the event at `position` (0: before
  // the first event), holding what `read` names: its organisations as they stood then (those not
  // yet created are unknown to the view, as they were to the live projection) and the privacy
  // settings of its accounts. Anything else the view is asked about reads as unknown or default,
  // so `read` must name all a query consults. Errors: invalid_argument when position is beyond
  // the log's head (naming it); internal when a read of the log or of a history row failed or an
  // event does not decode (naming its position).
  Result<PermissionView> at(std::uint64_t position, const PastRead& read) const;

  // The position of the last event recorded at or before `time_ms` (Unix milliseconds): 0 when
  // the first event is later (or the log is empty), the head when the last is not. The log's
  // times never decrease (docs/LOG_FORMAT.md), so this is the prefix of the log as it stood at
  // that time. internal when a read failed.
  Result<std::uint64_t> position_at_time(std::int64_t time_ms) const;

 private:
  struct PastOrganization {
    domain::OrganizationState state;
    domain::Sources sources;
  };
  struct PastPrivacy {
    domain::Privacy settings;
    std::uint64_t source = 0;  // the position of the last PrivacySettingsChanged
  };
  // nullopt: not founded yet at `position` (or never); never changed, for privacy.
  Result<std::optional<PastOrganization>> organization_at(const std::string& organization_id, std::uint64_t position,
                                                         bool use_rows) const;
  Result<std::optional<PastPrivacy>> privacy_at(const std::string& account_id, std::uint64_t position) const;

  store::EventStore& log_;
  store::StateStore rows_;
};

// The search position_at_time runs, on any log of `size` events whose times never decrease:
// the largest p in 1..size with time_of(p) <= time_ms, or 0. time_of's error ends the search and
// is returned. (touchline answers offline from an exported file with it too.)
Result<std::uint64_t> last_position_at_or_before(std::uint64_t size, std::int64_t time_ms,
                                                 const std::function<Result<std::int64_t>(std::uint64_t)>& time_of);

// ---- Offline, from an exported file (store/export.h) ----------------------------------------

// Folds the file's events up to `position` (all of them when nullopt) into `into` (a fresh
// projection), as the live projection folded them: what `touchline check --file` answers from.
// Returns the position the projection then stands at; invalid_argument when the file ends before
// `position` or is not an export (read_export's errors), internal naming an event that does not
// decode.
Result<std::uint64_t> fold_export(std::istream& in, std::optional<std::uint64_t> position, PermissionProjection& into);

// The position at `time_ms` in the file's log, as position_at_time answers it on the live one.
// read_export's errors.
Result<std::uint64_t> export_position_at_time(std::istream& in, std::int64_t time_ms);

// Who recorded the event at each position and what it was, for explanations (which keep only
// positions): {position: {actor, event type}}. internal for a position beyond the head or 0 (the
// projection's state names an event the log does not have) and when a read failed.
struct EventOrigin {
  std::string actor;
  std::string event;
};
Result<std::map<std::uint64_t, EventOrigin>> event_origins(const store::EventStore& log,
                                                           const std::vector<std::uint64_t>& positions);

}  // namespace touchline::projections
