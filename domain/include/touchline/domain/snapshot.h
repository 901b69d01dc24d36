// Snapshots of the aggregates' states as JSON, so that a write-side cache can keep a state beside
// the log and load it back instead of folding the aggregate's whole stream again. A snapshot is a
// cache, never a source of truth: whatever fails to decode is discarded and the events folded.
// Pure: the caller stores and reads the bytes.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "touchline/domain/account.h"
#include "touchline/domain/organization.h"
#include "touchline/events/result.h"

namespace touchline::domain {

// The format of the JSON below. Bump it whenever a state struct or this encoding changes: a cache
// discards snapshots of any other format and folds the events again. Bump it too when evolve
// comes to fold an event differently (a custom role's add_requires, say, is derived when folded):
// a snapshot keeps what the old fold made of the events.
inline constexpr std::uint32_t kSnapshotFormat = 3;

// Every field of the state, and "format": kSnapshotFormat, so that a snapshot kept without its
// format beside it is still recognised as stale. Sets are arrays, maps objects, scopes their
// names (scope_name).
nlohmann::json snapshot_json(const AccountState& s);
// Never includes `parent`: it is not folded from the organisation's own events but attached by
// whoever loads a sub-organisation, and a copy here would go stale when the parent changes.
nlohmann::json snapshot_json(const OrganizationState& s);
nlohmann::json snapshot_json(const EmailClaimState& s);

// Each returns the state snapshot_json encoded (an organisation's `parent` null), or
// invalid_argument with `field` naming what is missing or mistyped ("invites.inv-1.max_uses"):
// a JSON value that is not an object, a format other than kSnapshotFormat (field "format"), an
// integer out of its field's range, an unknown scope name, and a state no event could have
// folded: an existing organisation on a role model version this build does not have, or a
// privacy setting it does not know. Never throws, whatever the JSON.
Result<AccountState> account_from_snapshot(const nlohmann::json& j);
Result<OrganizationState> organization_from_snapshot(const nlohmann::json& j);
Result<EmailClaimState> email_claim_from_snapshot(const nlohmann::json& j);

}  // namespace touchline::domain
