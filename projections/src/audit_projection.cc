#include "touchline/projections/audit_projection.h"

#include <cstdio>
#include <functional>
#include <iterator>
#include <ctime>
#include <stdexcept>
#include <unordered_map>

#include "touchline/domain/actions.h"
#include "touchline/events/domain_events.h"

namespace touchline::projections {

const std::string AuditProjection::kName = "audit";

namespace {

const std::string kPlatform;  // the platform-wide list's organisation id: none

// The state holds no entries: an entry is a pure function of its event (entry_for), and the log
// keeps every event. It holds lists of positions: each list (an organisation's, and the
// platform's) and its indexes (by actor, by subject, by category), so that a page reads only the
// events its list or index names. Each list is cut into chunks of kChunk consecutive positions,
// one key per chunk that holds any: the chunk's number, then one byte per position in it (its
// offset in the chunk), in order. A rebuild writes each chunk once per batch, not a key per
// event and index, and what a chunk holds depends only on the log, so live and rebuilt state
// are the same bytes however the batches fell.
constexpr std::uint64_t kChunk = 256;

constexpr char kHexDigits[] = "0123456789abcdef";

// Fixed-width hex, so that key order is chunk order.
void append_chunk(std::string& out, std::uint64_t chunk) {
  char digits[16];
  for (int i = 15; i >= 0; --i, chunk >>= 4) digits[i] = kHexDigits[chunk & 15];
  out.append(digits, 16);
}
std::string chunk_key(std::uint64_t chunk) {
  std::string out;
  append_chunk(out, chunk);
  return out;
}

// Actors and subjects are hex-encoded in keys: any byte may be in them, and a '/' must not make
// one a prefix of another.
std::string hex(std::string_view s) {
  std::string out(s.size() * 2, '\0');
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out[2 * i] = kHexDigits[c >> 4];
    out[2 * i + 1] = kHexDigits[c & 15];
  }
  return out;
}

// Appends the key prefix of a list's chunks ('e': every entry) or of one of its indexes ('a': by
// actor, 's': by subject, 'c': by category) of `name` (an actor or subject hex-encoded).
void append_index(std::string& out, std::string_view organization_id, char kind, std::string_view name = {}) {
  if (organization_id.empty()) {
    out += "all/";
  } else {
    out.append("org/").append(organization_id) += '/';
  }
  out += kind;
  out += '/';
  if (kind == 'e') return;
  out.append(name) += '/';
}
std::string index_key(std::string_view organization_id, char kind, std::string_view name = {}) {
  std::string out;
  append_index(out, organization_id, kind, name);
  return out;
}
std::string every_index(const std::string& organization_id) { return index_key(organization_id, 'e'); }
std::string actor_index(const std::string& organization_id, std::string_view actor) {
  return index_key(organization_id, 'a', hex(actor));
}
std::string subject_index(const std::string& organization_id, std::string_view subject) {
  return index_key(organization_id, 's', hex(subject));
}
std::string category_index(const std::string& organization_id, std::string_view category) {
  return index_key(organization_id, 'c', category);
}

// What the audit log says of an event: views into the event, which must outlive it. The details
// are rendered only for a page, never when the event is indexed.
struct Described {
  std::string_view action;
  std::string_view subject;
  std::string_view organization_id;
  std::function<nlohmann::json()> details;
};

// Its views would outlive a temporary event.
std::optional<Described> describe(events::DomainEvent&& event) = delete;

std::optional<Described> describe(const events::DomainEvent& event) {
  using namespace events;
  return std::visit(
      [](const auto& e) -> std::optional<Described> {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, AccountRegistered>) {
          return Described{"account.signed_up", e.account_id, "", [&e] { return nlohmann::json{{"membership_role", e.membership_role}, {"display_name", e.display_name}}; }};
        } else if constexpr (std::is_same_v<E, PrivacySettingsChanged>) {
          return Described{"account.privacy_changed", e.account_id, "", [&e] { return nlohmann::json{{"settings", e.settings}}; }};
        } else if constexpr (std::is_same_v<E, AccountDowngradedToAthlete>) {
          return Described{"account.downgraded_to_athlete", e.account_id, "", [] { return nlohmann::json::object(); }};
        } else if constexpr (std::is_same_v<E, AccountErased>) {
          return Described{"account.erased", e.account_id, "", [] { return nlohmann::json::object(); }};
        } else if constexpr (std::is_same_v<E, AccountUpgradedToCoach>) {
          return Described{"account.upgraded_to_coach", e.account_id, "", [] { return nlohmann::json::object(); }};
        } else if constexpr (std::is_same_v<E, OrganizationCreated>) {
          return Described{"organization.created", e.created_by, e.organization_id, [&e] { return nlohmann::json{{"name", e.name},
                            {"role_model", e.role_model},
                            {"role_model_version", e.role_model_version},
                            {"founder_role", e.founder_role}}; }};
        } else if constexpr (std::is_same_v<E, SubOrganizationCreated>) {
          return Described{"sub_organization.created", e.admin_id, e.organization_id, [&e] { return nlohmann::json{{"name", e.name}, {"parent_id", e.parent_id}, {"admin_role", e.admin_role}}; }};
        } else if constexpr (std::is_same_v<E, SubOrganizationAdded>) {
          return Described{"sub_organization.added", e.sub_organization_id, e.organization_id, [&e] { return nlohmann::json{{"name", e.name}}; }};
        } else if constexpr (std::is_same_v<E, RoleModelVersionAdopted>) {
          return Described{"organization.role_model_version_adopted", e.organization_id, e.organization_id, [&e] { return nlohmann::json{{"role_model", e.role_model},
                            {"version", e.version},
                            {"previous_version", e.previous_version}}; }};
        } else if constexpr (std::is_same_v<E, MemberAdded>) {
          return Described{"member.added", e.account_id, e.organization_id, [&e] { return nlohmann::json{{"role", e.role}}; }};
        } else if constexpr (std::is_same_v<E, MemberRemoved>) {
          return Described{"member.removed", e.account_id, e.organization_id, [&e] { return nlohmann::json{{"role", e.role}}; }};
        } else if constexpr (std::is_same_v<E, MemberLeft>) {
          return Described{"member.left", e.account_id, e.organization_id, [&e] { return nlohmann::json{{"role", e.role}}; }};
        } else if constexpr (std::is_same_v<E, MembershipOffered>) {
          return Described{"membership.offered", e.account_id, e.organization_id, [&e] { return nlohmann::json{{"role", e.role}, {"offered_by", e.offered_by}}; }};
        } else if constexpr (std::is_same_v<E, MembershipAccepted>) {
          return Described{"membership.accepted", e.account_id, e.organization_id, [] { return nlohmann::json::object(); }};
        } else if constexpr (std::is_same_v<E, MembershipDeclined>) {
          return Described{"membership.declined", e.account_id, e.organization_id, [] { return nlohmann::json::object(); }};
        } else if constexpr (std::is_same_v<E, MemberDeactivated>) {
          return Described{"member.deactivated", e.account_id, e.organization_id, [&e] { return nlohmann::json{{"role", e.role}}; }};
        } else if constexpr (std::is_same_v<E, MemberReactivated>) {
          return Described{"member.reactivated", e.account_id, e.organization_id, [] { return nlohmann::json::object(); }};
        } else if constexpr (std::is_same_v<E, MemberRoleChanged>) {
          return Described{"member.role_changed", e.account_id, e.organization_id, [&e] { return nlohmann::json{{"role", e.role}, {"previous_role", e.previous_role}}; }};
        } else if constexpr (std::is_same_v<E, AthleteUnassigned>) {
          return Described{"athlete.unassigned", e.athlete_id, e.organization_id, [&e] { return nlohmann::json{{"coach_id", e.coach_id}}; }};
        } else if constexpr (std::is_same_v<E, MemberGranted>) {
          return Described{"member.granted", e.account_id, e.organization_id, [&e] { return nlohmann::json{{"grant", e.grant}}; }};
        } else if constexpr (std::is_same_v<E, MemberGrantRevoked>) {
          return Described{"member.grant_revoked", e.account_id, e.organization_id, [&e] { return nlohmann::json{{"grant", e.grant}}; }};
        } else if constexpr (std::is_same_v<E, RoleDefined>) {
          return Described{"role.defined", e.role, e.organization_id, [&e] { return nlohmann::json{{"label", e.label}, {"permissions", e.permissions}}; }};
        } else if constexpr (std::is_same_v<E, RoleUpdated>) {
          return Described{"role.updated", e.role, e.organization_id, [&e] { return nlohmann::json{{"label", e.label}, {"permissions", e.permissions}}; }};
        } else if constexpr (std::is_same_v<E, CreditsAdded>) {
          return Described{"credits.added", e.organization_id, e.organization_id, [&e] { return nlohmann::json{{"amount", e.amount}, {"balance", e.balance}}; }};
        } else if constexpr (std::is_same_v<E, CreditsSpent>) {
          return Described{"credits.spent", e.account_id, e.organization_id, [&e] { return nlohmann::json{{"amount", e.amount}, {"balance", e.balance}}; }};
        } else if constexpr (std::is_same_v<E, RoleDeleted>) {
          return Described{"role.deleted", e.role, e.organization_id, [] { return nlohmann::json::object(); }};
        } else if constexpr (std::is_same_v<E, AthleteAssigned>) {
          return Described{"athlete.assigned", e.athlete_id, e.organization_id, [&e] { return nlohmann::json{{"coach_id", e.coach_id}, {"previous_coach_id", e.previous_coach_id}}; }};
        } else if constexpr (std::is_same_v<E, BillingDelegationGranted>) {
          return Described{"billing_delegation.granted", e.account_id, e.organization_id, [] { return nlohmann::json{{"permission", "billing.end_org_coverage"}}; }};
        } else if constexpr (std::is_same_v<E, BillingDelegationRevoked>) {
          return Described{"billing_delegation.revoked", e.account_id, e.organization_id, [] { return nlohmann::json{{"permission", "billing.end_org_coverage"}}; }};
        } else if constexpr (std::is_same_v<E, OrganizationTierChanged>) {
          return Described{"organization.tier_changed", e.organization_id, e.organization_id, [&e] { return nlohmann::json{{"tier", e.tier}, {"previous_tier", e.previous_tier}}; }};
        } else if constexpr (std::is_same_v<E, OrganizationSettingChanged>) {
          return Described{"organization.setting_changed", e.organization_id, e.organization_id, [&e] { return nlohmann::json{{"setting", e.setting}, {"enabled", e.enabled}}; }};
        } else if constexpr (std::is_same_v<E, InviteIssued>) {
          return Described{"invite.issued", e.invite_id, e.organization_id, [&e] { return nlohmann::json{{"role", e.role},
                            {"email", e.email},
                            {"max_uses", e.max_uses},
                            {"expires_at_ms", e.expires_at_ms}}; }};
        } else if constexpr (std::is_same_v<E, InviteRevoked>) {
          return Described{"invite.revoked", e.invite_id, e.organization_id, [] { return nlohmann::json::object(); }};
        } else if constexpr (std::is_same_v<E, InviteAccepted>) {
          return Described{"invite.accepted", e.account_id, e.organization_id, [&e] { return nlohmann::json{{"invite_id", e.invite_id}}; }};
        } else if constexpr (std::is_same_v<E, ConsentGiven>) {
          return Described{"consent.given", e.athlete_id, e.organization_id, [] { return nlohmann::json::object(); }};
        } else if constexpr (std::is_same_v<E, ConsentWithdrawn>) {
          return Described{"consent.withdrawn", e.athlete_id, e.organization_id, [] { return nlohmann::json::object(); }};
        } else if constexpr (std::is_same_v<E, CredentialDeclared> || std::is_same_v<E, CredentialRecorded>) {
          // Who and when, not what: a credential's name, expiry and document are for the readers
          // of the compliance dashboard, and the activity log has other readers (club coaches).
          return Described{std::is_same_v<E, CredentialDeclared> ? "credential.declared" : "credential.recorded",
                           e.holder_id, e.organization_id, [&e] { return nlohmann::json{{"credential_id", e.credential_id}, {"has_document", !e.document.empty()}}; }};
        } else if constexpr (std::is_same_v<E, CredentialEdited>) {
          // Schema 1 edits name no holder; their subject is the credential.
          return Described{"credential.edited", e.holder_id.empty() ? e.credential_id : e.holder_id, e.organization_id, [&e] { return nlohmann::json{{"credential_id", e.credential_id},
                            {"has_document", !e.document.empty()},
                            {"verification_cleared", e.verification_cleared}}; }};
        } else if constexpr (std::is_same_v<E, CredentialVerified>) {
          return Described{"credential.verified", e.holder_id, e.organization_id, [&e] { return nlohmann::json{{"credential_id", e.credential_id}}; }};
        } else if constexpr (std::is_same_v<E, ActionRecorded>) {
          return Described{e.action, e.target, e.organization_id, [&e] {
                             nlohmann::json details{{"permission", e.permission},
                                                    {"allowed", e.allowed},
                                                    {"reason", e.reason},
                                                    {"details", e.details}};
                             if (!e.client_ip.empty()) details["client_ip"] = e.client_ip;
                             return details;
                           }};
        } else {
          // EmailClaimed, EmailReleased, AthleteJoinedOrganization and AthleteLeftOrganization
          // restate facts audited above.
          return std::nullopt;
        }
      },
      event);
}


// Each action's category (docs/API.md lists them).
std::string_view category_of(std::string_view action) {
  static const std::pair<std::string_view, std::string_view> kCategories[] = {
      {"account.signed_up", "membership"},
      {"account.upgraded_to_coach", "membership"},
      {"account.downgraded_to_athlete", "membership"},
      {"account.erased", "membership"},
      {"account.privacy_changed", "consent"},
      {"organization.created", "team_settings"},
      {"sub_organization.created", "team_settings"},
      {"sub_organization.added", "team_settings"},
      {"organization.setting_changed", "team_settings"},
      {"organization.tier_changed", "billing"},
      {"organization.role_model_version_adopted", "roles"},
      {"member.added", "membership"},
      {"member.removed", "membership"},
      {"member.left", "membership"},
      {"membership.offered", "membership"},
      {"membership.accepted", "membership"},
      {"membership.declined", "membership"},
      {"member.deactivated", "membership"},
      {"member.reactivated", "membership"},
      {"athlete.assigned", "membership"},
      {"athlete.unassigned", "membership"},
      {"member.role_changed", "roles"},
      {"member.granted", "roles"},
      {"member.grant_revoked", "roles"},
      {"role.defined", "roles"},
      {"role.updated", "roles"},
      {"role.deleted", "roles"},
      {"billing_delegation.granted", "billing"},
      {"billing_delegation.revoked", "billing"},
      {"credits.added", "billing"},
      {"credits.spent", "billing"},
      {"invite.issued", "membership"},
      {"invite.revoked", "membership"},
      {"invite.accepted", "membership"},
      {"consent.given", "consent"},
      {"consent.withdrawn", "consent"},
      {"credential.declared", "content"},
      {"credential.recorded", "content"},
      {"credential.edited", "content"},
      {"credential.verified", "content"},
  };
  static const std::unordered_map<std::string_view, std::string_view> by_action = [] {
    std::unordered_map<std::string_view, std::string_view> map(std::begin(kCategories), std::end(kCategories));
    for (const auto& recorded : domain::recordable_actions()) map.emplace(recorded.name, recorded.category);
    return map;
  }();
  if (auto found = by_action.find(action); found != by_action.end()) return found->second;
  throw std::logic_error("audit action " + std::string(action) + " has no category");
}

}  // namespace

std::string iso8601_utc(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

nlohmann::json AuditProjection::entry_for(const events::RecordedEvent& e) {
  auto d = describe(e.event);
  if (!d) return nullptr;
  return nlohmann::json{{"position", e.position},
                        {"recorded_at", iso8601_utc(e.recorded_at_ms)},
                        {"actor", e.actor},
                        {"action", d->action},
                        {"category", category_of(d->action)},
                        {"subject", d->subject},
                        {"organization_id", d->organization_id},
                        {"details", d->details()},
                        {"command_id", e.command_id},
                        {"correlation_id", e.correlation_id}};
}

void AuditProjection::apply(const events::RecordedEvent& e) {
  auto d = describe(e.event);
  if (!d) return;
  const std::string_view category = category_of(d->action);
  const char offset = static_cast<char>(e.position % kChunk);
  const std::uint64_t chunk = e.position / kChunk;
  std::lock_guard lock(mu_);
  if (!last_.offsets.empty() && last_.chunk == chunk && last_.category == category && last_.actor == e.actor &&
      last_.subject == d->subject && last_.organization_id == d->organization_id) {
    for (std::string* offsets : last_.offsets) offsets->push_back(offset);
    return;
  }
  last_.offsets.clear();
  const std::string actor = hex(e.actor);
  const std::string subject = hex(d->subject);
  std::string key;  // built in place for each chunk the event is in; copied only for a new one
  auto index_in = [&](std::string_view list) {
    const std::pair<char, std::string_view> indexes[] = {{'e', {}}, {'a', actor}, {'s', subject}, {'c', category}};
    for (const auto& [kind, name] : indexes) {
      key.clear();
      append_index(key, list, kind, name);
      append_chunk(key, chunk);
      auto at = pending_.find(key);
      if (at == pending_.end()) {
        // The chunk as committed: this batch adds to it.
        auto stored = state_.get(key);
        if (!stored.ok()) {
          pending_.clear();  // the batch is abandoned (the runner stops): none of it may be written
          last_.offsets.clear();
          throw std::runtime_error("reading audit state failed: " + stored.error().message);
        }
        at = pending_.emplace(key, *stored ? std::move(**stored) : std::string()).first;
      }
      at->second.push_back(offset);
      last_.offsets.push_back(&at->second);
    }
  };
  index_in(kPlatform);
  if (!d->organization_id.empty()) index_in(d->organization_id);
  last_.actor = e.actor;
  last_.subject = d->subject;
  last_.organization_id = d->organization_id;
  last_.category = category;
  last_.chunk = chunk;
}

void AuditProjection::write_changes(store::StateBatch& batch) {
  std::lock_guard lock(mu_);
  for (auto& [key, offsets] : pending_) batch.puts.emplace_back(key, std::move(offsets));
  pending_.clear();
  last_.offsets.clear();
}

void AuditProjection::reset() {
  std::lock_guard lock(mu_);
  pending_.clear();
  last_.offsets.clear();
}

bool AuditFilter::matches(const nlohmann::json& entry) const {
  if (!categories.empty() && !categories.contains(entry.at("category").get<std::string>())) return false;
  if (!actor.empty() && entry.at("actor") != actor) return false;
  if (!subject.empty() && entry.at("subject") != subject) return false;
  // recorded_at is fixed-width UTC ISO 8601, so text order is time order.
  const auto& at = entry.at("recorded_at").get_ref<const std::string&>();
  if (!since.empty() && at < since) return false;
  if (!until.empty() && at >= until) return false;
  return true;
}

const std::vector<std::string>& audit_categories() {
  static const std::vector<std::string> all = {"athlete_access", "team_settings", "membership", "content",
                                               "consent",        "billing",       "roles"};
  return all;
}

namespace {

// The index a filter reads: its actor's, its subject's or its one category's when it names one,
// else the list's every entry.
std::string index_for(const std::string& organization_id, const AuditFilter& filter) {
  if (!filter.actor.empty()) return actor_index(organization_id, filter.actor);
  if (!filter.subject.empty()) return subject_index(organization_id, filter.subject);
  if (filter.categories.size() == 1) return category_index(organization_id, *filter.categories.begin());
  return every_index(organization_id);
}

// The chunk's number, from its key (the last 16 characters), or nullopt for a key of another
// shape (damage).
std::optional<std::uint64_t> chunk_of(std::string_view key) {
  if (key.size() < 16) return std::nullopt;
  std::uint64_t chunk = 0;
  for (char c : key.substr(key.size() - 16)) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    chunk = chunk * 16 + static_cast<std::uint64_t>(digit);
  }
  return chunk;
}

}  // namespace

Result<nlohmann::json> AuditProjection::entry_at(std::uint64_t position) const {
  auto read = log_.read_recorded(position - 1, 1);
  if (!read.ok()) return read.error();
  if (read->empty() || read->front().position != position) {
    return Error::make(ErrorCode::internal,
                       "the audit index names position " + std::to_string(position) + ", which the log does not hold");
  }
  nlohmann::json entry;
  try {
    entry = entry_for(read->front());
  } catch (const std::exception& ex) {  // an action without a category: a bug, kept off the HTTP thread
    return Error::make(ErrorCode::internal, "the audited event at position " + std::to_string(position) +
                                                " cannot be rendered: " + ex.what());
  }
  if (entry.is_null()) {
    return Error::make(ErrorCode::internal, "the audit index names position " + std::to_string(position) +
                                                ", whose event is not audited");
  }
  return entry;
}

Result<std::optional<std::array<bool, 256>>> AuditProjection::category_offsets(const std::string& organization_id,
                                                                                const AuditFilter& filter,
                                                                                std::uint64_t chunk) const {
  static_assert(kChunk == 256);
  if (!filter.actor.empty() || !filter.subject.empty() || filter.categories.size() < 2) {
    return std::optional<std::array<bool, 256>>();
  }
  std::array<bool, 256> in_one{};
  for (const auto& category : filter.categories) {
    auto offsets = state_.get(category_index(organization_id, category) + chunk_key(chunk));
    if (!offsets.ok()) return offsets.error();
    if (*offsets) {
      for (char offset : **offsets) in_one[static_cast<unsigned char>(offset)] = true;
    }
  }
  return std::optional(in_one);
}

Result<AuditPage> AuditProjection::page(const std::string& organization_id, std::uint64_t before,
                                        std::size_t limit, const AuditFilter& filter) const {
  AuditPage out;
  const std::string index = index_for(organization_id, filter);
  // From the chunk holding before - 1 down: keys strictly below the next chunk's.
  const std::string below = before == 0 ? std::string{} : index + chunk_key((before - 1) / kChunk + 1);
  std::uint64_t last_position = 0;
  bool more = false;
  Status failed = ok_status();
  auto st = state_.scan_reverse(index, below, [&](std::string_view key, std::string_view offsets) {
    const auto chunk = chunk_of(key);
    if (!chunk) {
      failed = Error::make(ErrorCode::internal, "an audit index key is damaged: " + std::string(key));
      return false;
    }
    auto wanted = category_offsets(organization_id, filter, *chunk);
    if (!wanted.ok()) {
      failed = wanted.error();
      return false;
    }
    for (auto offset = offsets.rbegin(); offset != offsets.rend(); ++offset) {
      const std::uint64_t position = *chunk * kChunk + static_cast<unsigned char>(*offset);
      if (before != 0 && position >= before) continue;
      if (out.entries.size() == limit) {
        more = true;
        return false;
      }
      if (*wanted && !(**wanted)[static_cast<unsigned char>(*offset)]) continue;
      auto entry = entry_at(position);
      if (!entry.ok()) {
        failed = entry.error();
        return false;
      }
      if (!filter.matches(*entry)) continue;
      last_position = position;
      out.entries.push_back(std::move(*entry));
    }
    return true;
  });
  if (!st.ok()) return st.error();
  if (!failed.ok()) return failed.error();
  out.next_before = more ? last_position : 0;
  return out;
}

Result<AuditPage> AuditProjection::after(const std::string& organization_id, std::uint64_t after,
                                         std::size_t limit, const AuditFilter& filter, std::uint64_t through) const {
  AuditPage out;
  if (after >= through || limit == 0) return out;
  const std::string index = every_index(organization_id);
  Status failed = ok_status();
  auto st = state_.scan_from(index, index + chunk_key((after + 1) / kChunk), [&](std::string_view key,
                                                                                  std::string_view offsets) {
    const auto chunk = chunk_of(key);
    if (!chunk) {
      failed = Error::make(ErrorCode::internal, "an audit index key is damaged: " + std::string(key));
      return false;
    }
    auto wanted = category_offsets(organization_id, filter, *chunk);
    if (!wanted.ok()) {
      failed = wanted.error();
      return false;
    }
    for (char offset : offsets) {
      const std::uint64_t position = *chunk * kChunk + static_cast<unsigned char>(offset);
      if (position <= after) continue;
      if (position > through) return false;
      if (*wanted && !(**wanted)[static_cast<unsigned char>(offset)]) continue;
      auto entry = entry_at(position);
      if (!entry.ok()) {
        failed = entry.error();
        return false;
      }
      if (filter.matches(*entry)) out.entries.push_back(std::move(*entry));
      if (out.entries.size() == limit) return false;
    }
    return true;
  });
  if (!st.ok()) return st.error();
  if (!failed.ok()) return failed.error();
  return out;
}

}  // namespace touchline::projections
