#include "touchline/projections/permission_history.h"

#include <set>

#include "touchline/domain/account.h"
#include "touchline/events/domain_events.h"
#include "touchline/events/recorded_event.h"
#include "touchline/events/json_text.h"
#include "touchline/store/export.h"

namespace touchline::projections {
namespace {

// Events read from a stream at a time: a row is at most kHistoryEvery events behind.
constexpr std::size_t kFoldChunk = 256;

// Calls fold(event) for each event of `stream` from `from_version` with position <= `position`,
// in order. The store's error, or internal naming an event that does not decode.
Status fold_stream(const store::EventStore& log, const std::string& stream, std::uint64_t from_version,
                   std::uint64_t position, const std::function<void(const events::RecordedEvent&)>& fold) {
  for (std::uint64_t version = from_version;;) {
    auto chunk = log.read_stream(stream, version, kFoldChunk);
    if (!chunk.ok()) return chunk.error();
    for (const auto& envelope : *chunk) {
      if (envelope.position > position) return Ok{};
      auto recorded = events::recorded_event(envelope);
      if (!recorded.ok()) {
        return Error::make(ErrorCode::internal, "the event at position " + std::to_string(envelope.position) +
                                                    " does not decode: " + recorded.error().message);
      }
      try {
        fold(*recorded);
      } catch (const std::exception& ex) {
        // evolve() refusing a recorded event (a setting or role this build does not know): the
        // log and the build disagree, which a read must report, not take for absent.
        return Error::make(ErrorCode::internal, "the event at position " + std::to_string(envelope.position) +
                                                    " cannot be folded: " + ex.what());
      }
    }
    if (chunk->size() < kFoldChunk) return Ok{};
    version = chunk->back().stream_version + 1;
  }
}

}  // namespace

PermissionHistory::PermissionHistory(store::EventStore& log) : log_(log), rows_(log, PermissionProjection::kName) {}

Result<PermissionView> PermissionHistory::at(std::uint64_t position, const PastRead& read) const {
  const std::uint64_t head = log_.head_position();
  if (position > head) {
    return Error::make(ErrorCode::invalid_argument, "position " + std::to_string(position) +
                                                        " is beyond the log's head, " + std::to_string(head));
  }
  // Rows of another format (a build that stored the state differently, before the runner has
  // rebuilt) are not read: the streams alone give the same answer.
  auto format = rows_.format();
  if (!format.ok()) return format.error();
  const bool use_rows = *format == PermissionProjection::kStateFormat;

  auto owned = std::make_shared<PermissionView::Owned>();
  auto load = [&](const std::string& id) -> Result<const domain::OrganizationState*> {
    if (auto it = owned->organizations.find(id); it != owned->organizations.end()) return &it->second;
    auto org = organization_at(id, position, use_rows);
    if (!org.ok()) return org.error();
    if (!*org) return static_cast<const domain::OrganizationState*>(nullptr);
    owned->sources.emplace(id, std::move((*org)->sources));
    return &owned->organizations.emplace(id, std::move((*org)->state)).first->second;
  };
  std::set<std::string> accounts(read.accounts.begin(), read.accounts.end());
  auto add_members = [&](const domain::OrganizationState* org) {
    if (!read.members_privacy || !org) return;
    for (const auto& [account, role] : org->members) accounts.insert(account);
  };
  for (const auto& id : read.organizations) {
    auto org = load(id);
    if (!org.ok()) return org.error();
    add_members(*org);
    if (*org && !(*org)->parent_id.empty()) {
      auto parent = load((*org)->parent_id);
      if (!parent.ok()) return parent.error();
      add_members(*parent);
    }
  }
  for (const auto& account : accounts) {
    auto privacy = privacy_at(account, position);
    if (!privacy.ok()) return privacy.error();
    if (*privacy) {
      owned->privacy.emplace(account, std::move((*privacy)->settings));
      owned->privacy_sources.emplace(account, std::move((*privacy)->source));
    }
  }
  return PermissionView(std::move(owned), position);
}

Result<std::optional<PermissionHistory::PastOrganization>> PermissionHistory::organization_at(
    const std::string& organization_id, std::uint64_t position, bool use_rows) const {
  domain::OrganizationState org;
  domain::Sources sources;
  std::uint64_t next_version = 1;
  if (use_rows && position > 0) {
    std::optional<Error> bad_row;
    auto st = rows_.scan_reverse(PermissionProjection::history_prefix(organization_id),
                                 PermissionProjection::history_key(organization_id, position + 1),
                                 [&](std::string_view key, std::string_view value) {
      auto row = parse_json(value);
      try {
        if (!row) throw std::runtime_error("not JSON");
        org = organization_from_json(row->at("organization"));
        sources = sources_from_text(row->at("sources").get<std::string>());
        next_version = row->at("version").get<std::uint64_t>() + 1;
      } catch (const std::exception& ex) {
        bad_row = Error::make(ErrorCode::internal, "the permission projection's history row '" +
                                                       std::string(key.substr(0, key.size() - 8)) +
                                                       "...' is unreadable (" + ex.what() +
                                                       "); rebuild the permissions projection");
      }
      return false;
    });
    if (!st.ok()) return st.error();
    if (bad_row) return *bad_row;
  }
  auto st = fold_stream(log_, events::organization_stream(organization_id), next_version, position,
                        [&](const events::RecordedEvent& e) {
    org = domain::evolve(std::move(org), e.event);
    domain::record_sources(sources, e.event, e.position);
  });
  if (!st.ok()) return st.error();
  if (!org.exists) return std::optional<PastOrganization>();
  return std::optional<PastOrganization>(PastOrganization{std::move(org), std::move(sources)});
}

Result<std::optional<PermissionHistory::PastPrivacy>> PermissionHistory::privacy_at(const std::string& account_id,
                                                                                   std::uint64_t position) const {
  std::optional<PastPrivacy> privacy;
  auto st = fold_stream(log_, events::account_stream(account_id), 1, position,
                        [&privacy](const events::RecordedEvent& e) {
    if (!std::holds_alternative<events::PrivacySettingsChanged>(e.event)) return;
    // As PermissionProjection::apply folds it.
    domain::AccountState account;
    if (privacy) account.privacy = privacy->settings;
    privacy = PastPrivacy{domain::evolve(std::move(account), e.event).privacy, e.position};
  });
  if (!st.ok()) return st.error();
  return privacy;
}

Result<std::map<std::uint64_t, EventOrigin>> event_origins(const store::EventStore& log,
                                                           const std::vector<std::uint64_t>& positions) {
  std::map<std::uint64_t, EventOrigin> out;
  const std::uint64_t head = log.head_position();
  for (const std::uint64_t p : positions) {
    if (out.contains(p)) continue;
    if (p == 0 || p > head) {
      // Positions come from the projection's own state: one the log does not have is damage.
      return Error::make(ErrorCode::internal, "a source names position " + std::to_string(p) +
                                                  ", which the log does not have (head " + std::to_string(head) + ")");
    }
    auto page = log.read_all(p - 1, 1);
    if (!page.ok()) return page.error();
    if (page->empty()) {
      return Error::make(ErrorCode::internal, "the event at position " + std::to_string(p) + " cannot be read");
    }
    out.emplace(p, EventOrigin{page->front().actor, page->front().type});
  }
  return out;
}

Result<std::uint64_t> PermissionHistory::position_at_time(std::int64_t time_ms) const {
  return last_position_at_or_before(log_.head_position(), time_ms, [this](std::uint64_t p) -> Result<std::int64_t> {
    auto page = log_.read_all(p - 1, 1);
    if (!page.ok()) return page.error();
    if (page->empty()) {
      return Error::make(ErrorCode::internal, "the event at position " + std::to_string(p) + " cannot be read");
    }
    return page->front().recorded_at_ms;
  });
}

Result<std::uint64_t> last_position_at_or_before(std::uint64_t size, std::int64_t time_ms,
                                                 const std::function<Result<std::int64_t>(std::uint64_t)>& time_of) {
  // Invariant: every p <= low is at or before time_ms (0 trivially); every p > high is after it.
  std::uint64_t low = 0;
  std::uint64_t high = size;
  while (low < high) {
    const std::uint64_t mid = low + (high - low + 1) / 2;
    auto t = time_of(mid);
    if (!t.ok()) return t.error();
    if (*t <= time_ms) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return low;
}

Result<std::uint64_t> fold_export(std::istream& in, std::optional<std::uint64_t> position, PermissionProjection& into) {
  std::uint64_t folded = 0;
  std::optional<Error> failed;
  auto st = store::read_export(in, [&](const events::Envelope& envelope) {
    if (position && envelope.position > *position) return false;
    try {
      apply_event(into, envelope);
    } catch (const std::exception& ex) {
      failed = Error::make(ErrorCode::internal, "the event at position " + std::to_string(envelope.position) +
                                                    " cannot be folded: " + ex.what());
      return false;
    }
    folded = envelope.position;
    return true;
  });
  if (!st.ok()) return st.error();
  if (failed) return *failed;
  if (position && folded < *position) {
    return Error::make(ErrorCode::invalid_argument, "position " + std::to_string(*position) +
                                                        " is beyond the export's last event, " +
                                                        std::to_string(folded));
  }
  return folded;
}

Result<std::uint64_t> export_position_at_time(std::istream& in, std::int64_t time_ms) {
  std::vector<std::int64_t> times;
  auto st = store::read_export(in, [&times](const events::Envelope& envelope) {
    times.push_back(envelope.recorded_at_ms);
    return true;
  });
  if (!st.ok()) return st.error();
  return last_position_at_or_before(times.size(), time_ms,
                                    [&times](std::uint64_t p) -> Result<std::int64_t> { return times[p - 1]; });
}

}  // namespace touchline::projections
