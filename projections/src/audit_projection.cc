#include "touchline/projections/audit_projection.h"

#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "touchline/domain/actions.h"
#include "touchline/events/domain_events.h"

namespace touchline::projections {

const std::string AuditProjection::kName = "audit";

namespace {

const std::string kPlatform;  // the platform-wide list's organisation id: none
constexpr std::size_t kPositionKeyLength = 20;

// Zero-padded so that key order is position order.
std::string position_key(std::uint64_t position) {
  char buf[21];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(position));
  return buf;
}

std::string org_prefix(const std::string& organization_id) {
  return organization_id.empty() ? std::string("all/") : "org/" + organization_id + "/";
}

// The indexes of a list (an organisation's, or the platform's): one key per entry under each of
// its actor, its subject and its category, ending in the entry's position key, so that a filter
// that matches rarely reads only what it matches. Actors and subjects are hex-encoded: any byte
// may be in them, and a '/' must not make one a prefix of another.
std::string hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}
std::string actor_index(const std::string& organization_id, std::string_view actor) {
  return "ix/" + org_prefix(organization_id) + "a/" + hex(actor) + "/";
}
std::string subject_index(const std::string& organization_id, std::string_view subject) {
  return "ix/" + org_prefix(organization_id) + "s/" + hex(subject) + "/";
}
std::string category_index(const std::string& organization_id, std::string_view category) {
  return "ix/" + org_prefix(organization_id) + "c/" + std::string(category) + "/";
}

struct Described {
  std::string action;
  std::string subject;
  std::string organization_id;
  nlohmann::json details = nlohmann::json::object();
};

std::optional<Described> describe(const events::DomainEvent& event) {
  using namespace events;
  return std::visit(
      [](const auto& e) -> std::optional<Described> {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, AccountRegistered>) {
          return Described{"account.signed_up", e.account_id, "",
                           {{"membership_role", e.membership_role}, {"display_name", e.display_name}}};
        } else if constexpr (std::is_same_v<E, PrivacySettingsChanged>) {
          return Described{"account.privacy_changed", e.account_id, "", {{"settings", e.settings}}};
        } else if constexpr (std::is_same_v<E, AccountDowngradedToAthlete>) {
          return Described{"account.downgraded_to_athlete", e.account_id, "", nlohmann::json::object()};
        } else if constexpr (std::is_same_v<E, AccountUpgradedToCoach>) {
          return Described{"account.upgraded_to_coach", e.account_id, "", nlohmann::json::object()};
        } else if constexpr (std::is_same_v<E, OrganizationCreated>) {
          return Described{"organization.created", e.created_by, e.organization_id,
                           {{"name", e.name},
                            {"role_model", e.role_model},
                            {"role_model_version", e.role_model_version},
                            {"founder_role", e.founder_role}}};
        } else if constexpr (std::is_same_v<E, SubOrganizationCreated>) {
          return Described{"sub_organization.created", e.admin_id, e.organization_id,
                           {{"name", e.name}, {"parent_id", e.parent_id}, {"admin_role", e.admin_role}}};
        } else if constexpr (std::is_same_v<E, SubOrganizationAdded>) {
          return Described{"sub_organization.added", e.sub_organization_id, e.organization_id, {{"name", e.name}}};
        } else if constexpr (std::is_same_v<E, RoleModelVersionAdopted>) {
          return Described{"organization.role_model_version_adopted", e.organization_id, e.organization_id,
                           {{"role_model", e.role_model},
                            {"version", e.version},
                            {"previous_version", e.previous_version}}};
        } else if constexpr (std::is_same_v<E, MemberAdded>) {
          return Described{"member.added", e.account_id, e.organization_id, {{"role", e.role}}};
        } else if constexpr (std::is_same_v<E, MemberRemoved>) {
          return Described{"member.removed", e.account_id, e.organization_id, {{"role", e.role}}};
        } else if constexpr (std::is_same_v<E, MemberLeft>) {
          return Described{"member.left", e.account_id, e.organization_id, {{"role", e.role}}};
        } else if constexpr (std::is_same_v<E, MembershipOffered>) {
          return Described{"membership.offered", e.account_id, e.organization_id,
                           {{"role", e.role}, {"offered_by", e.offered_by}}};
        } else if constexpr (std::is_same_v<E, MembershipAccepted>) {
          return Described{"membership.accepted", e.account_id, e.organization_id, nlohmann::json::object()};
        } else if constexpr (std::is_same_v<E, MembershipDeclined>) {
          return Described{"membership.declined", e.account_id, e.organization_id, nlohmann::json::object()};
        } else if constexpr (std::is_same_v<E, MemberDeactivated>) {
          return Described{"member.deactivated", e.account_id, e.organization_id, {{"role", e.role}}};
        } else if constexpr (std::is_same_v<E, MemberReactivated>) {
          return Described{"member.reactivated", e.account_id, e.organization_id, nlohmann::json::object()};
        } else if constexpr (std::is_same_v<E, MemberRoleChanged>) {
          return Described{"member.role_changed", e.account_id, e.organization_id,
                           {{"role", e.role}, {"previous_role", e.previous_role}}};
        } else if constexpr (std::is_same_v<E, AthleteUnassigned>) {
          return Described{"athlete.unassigned", e.athlete_id, e.organization_id, {{"coach_id", e.coach_id}}};
        } else if constexpr (std::is_same_v<E, MemberGranted>) {
          return Described{"member.granted", e.account_id, e.organization_id, {{"grant", e.grant}}};
        } else if constexpr (std::is_same_v<E, MemberGrantRevoked>) {
          return Described{"member.grant_revoked", e.account_id, e.organization_id, {{"grant", e.grant}}};
        } else if constexpr (std::is_same_v<E, RoleDefined>) {
          return Described{"role.defined", e.role, e.organization_id,
                           {{"label", e.label}, {"permissions", e.permissions}}};
        } else if constexpr (std::is_same_v<E, RoleUpdated>) {
          return Described{"role.updated", e.role, e.organization_id,
                           {{"label", e.label}, {"permissions", e.permissions}}};
        } else if constexpr (std::is_same_v<E, CreditsAdded>) {
          return Described{"credits.added", e.organization_id, e.organization_id,
                           {{"amount", e.amount}, {"balance", e.balance}}};
        } else if constexpr (std::is_same_v<E, CreditsSpent>) {
          return Described{"credits.spent", e.account_id, e.organization_id,
                           {{"amount", e.amount}, {"balance", e.balance}}};
        } else if constexpr (std::is_same_v<E, RoleDeleted>) {
          return Described{"role.deleted", e.role, e.organization_id, nlohmann::json::object()};
        } else if constexpr (std::is_same_v<E, AthleteAssigned>) {
          return Described{"athlete.assigned", e.athlete_id, e.organization_id,
                           {{"coach_id", e.coach_id}, {"previous_coach_id", e.previous_coach_id}}};
        } else if constexpr (std::is_same_v<E, BillingDelegationGranted>) {
          return Described{"billing_delegation.granted", e.account_id, e.organization_id,
                           {{"permission", "billing.end_org_coverage"}}};
        } else if constexpr (std::is_same_v<E, BillingDelegationRevoked>) {
          return Described{"billing_delegation.revoked", e.account_id, e.organization_id,
                           {{"permission", "billing.end_org_coverage"}}};
        } else if constexpr (std::is_same_v<E, OrganizationTierChanged>) {
          return Described{"organization.tier_changed", e.organization_id, e.organization_id,
                           {{"tier", e.tier}, {"previous_tier", e.previous_tier}}};
        } else if constexpr (std::is_same_v<E, OrganizationSettingChanged>) {
          return Described{"organization.setting_changed", e.organization_id, e.organization_id,
                           {{"setting", e.setting}, {"enabled", e.enabled}}};
        } else if constexpr (std::is_same_v<E, InviteIssued>) {
          return Described{"invite.issued", e.invite_id, e.organization_id,
                           {{"role", e.role},
                            {"email", e.email},
                            {"max_uses", e.max_uses},
                            {"expires_at_ms", e.expires_at_ms}}};
        } else if constexpr (std::is_same_v<E, InviteRevoked>) {
          return Described{"invite.revoked", e.invite_id, e.organization_id, nlohmann::json::object()};
        } else if constexpr (std::is_same_v<E, InviteAccepted>) {
          return Described{"invite.accepted", e.account_id, e.organization_id, {{"invite_id", e.invite_id}}};
        } else if constexpr (std::is_same_v<E, ConsentGiven>) {
          return Described{"consent.given", e.athlete_id, e.organization_id, nlohmann::json::object()};
        } else if constexpr (std::is_same_v<E, ConsentWithdrawn>) {
          return Described{"consent.withdrawn", e.athlete_id, e.organization_id, nlohmann::json::object()};
        } else if constexpr (std::is_same_v<E, CredentialDeclared> || std::is_same_v<E, CredentialRecorded>) {
          // Who and when, not what: a credential's name, expiry and document are for the readers
          // of the compliance dashboard, and the activity log has other readers (club coaches).
          return Described{std::is_same_v<E, CredentialDeclared> ? "credential.declared" : "credential.recorded",
                           e.holder_id, e.organization_id,
                           {{"credential_id", e.credential_id}, {"has_document", !e.document.empty()}}};
        } else if constexpr (std::is_same_v<E, CredentialEdited>) {
          // Schema 1 edits name no holder; their subject is the credential.
          return Described{"credential.edited", e.holder_id.empty() ? e.credential_id : e.holder_id, e.organization_id,
                           {{"credential_id", e.credential_id},
                            {"has_document", !e.document.empty()},
                            {"verification_cleared", e.verification_cleared}}};
        } else if constexpr (std::is_same_v<E, CredentialVerified>) {
          return Described{"credential.verified", e.holder_id, e.organization_id,
                           {{"credential_id", e.credential_id}}};
        } else if constexpr (std::is_same_v<E, ActionRecorded>) {
          nlohmann::json details{{"permission", e.permission},
                                 {"allowed", e.allowed},
                                 {"reason", e.reason},
                                 {"details", e.details}};
          if (!e.client_ip.empty()) details["client_ip"] = e.client_ip;
          return Described{e.action, e.target, e.organization_id, std::move(details)};
        } else {
          // EmailClaimed, AthleteJoinedOrganization and AthleteLeftOrganization restate facts
          // audited above.
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
  for (const auto& [a, category] : kCategories) {
    if (a == action) return category;
  }
  if (const auto* recorded = domain::find_recordable_action(action)) return recorded->category;
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

nlohmann::json AuditProjection::entry_for(const events::Envelope& e, const events::DomainEvent& event) {
  auto d = describe(event);
  if (!d) return nullptr;
  return nlohmann::json{{"position", e.position},
                        {"recorded_at", iso8601_utc(e.recorded_at_ms)},
                        {"actor", e.actor},
                        {"action", d->action},
                        {"category", category_of(d->action)},
                        {"subject", d->subject},
                        {"organization_id", d->organization_id},
                        {"details", d->details},
                        {"command_id", e.command_id},
                        {"correlation_id", e.correlation_id}};
}

void AuditProjection::apply(const events::Envelope& e, const events::DomainEvent& event) {
  nlohmann::json entry = entry_for(e, event);
  if (entry.is_null()) return;
  const std::string value = entry.dump();
  const std::string key = position_key(e.position);
  const auto& org = entry["organization_id"].get_ref<const std::string&>();
  const auto& actor = entry["actor"].get_ref<const std::string&>();
  const auto& subject = entry["subject"].get_ref<const std::string&>();
  const auto& category = entry["category"].get_ref<const std::string&>();
  std::lock_guard lock(mu_);
  for (const std::string* list : {&kPlatform, &org}) {
    if (list == &org && org.empty()) continue;
    pending_.puts.emplace_back(org_prefix(*list) + key, value);
    pending_.puts.emplace_back(actor_index(*list, actor) + key, "");
    pending_.puts.emplace_back(subject_index(*list, subject) + key, "");
    pending_.puts.emplace_back(category_index(*list, category) + key, "");
  }
}

void AuditProjection::write_changes(store::StateBatch& batch) {
  std::lock_guard lock(mu_);
  for (auto& p : pending_.puts) batch.puts.push_back(std::move(p));
  pending_.puts.clear();
}

void AuditProjection::reset() {
  std::lock_guard lock(mu_);
  pending_ = {};
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

Result<AuditPage> AuditProjection::page(const std::string& organization_id, std::uint64_t before,
                                        std::size_t limit, const AuditFilter& filter) const {
  AuditPage out;
  const std::string prefix = org_prefix(organization_id);
  // A filter on an actor, a subject or one category reads that index: only the entries it names.
  std::string index;
  if (!filter.actor.empty()) {
    index = actor_index(organization_id, filter.actor);
  } else if (!filter.subject.empty()) {
    index = subject_index(organization_id, filter.subject);
  } else if (filter.categories.size() == 1) {
    index = category_index(organization_id, *filter.categories.begin());
  }
  const std::string& scanned = index.empty() ? prefix : index;
  const std::string before_key = before == 0 ? std::string{} : scanned + position_key(before);
  std::uint64_t last_position = 0;
  bool more = false;
  Status read_error = ok_status();
  auto st = state_.scan_reverse(scanned, before_key, [&](std::string_view key, std::string_view value) {
    if (out.entries.size() == limit) {
      more = true;
      return false;
    }
    std::optional<std::string> indexed;
    if (!index.empty()) {
      auto got = state_.get(prefix + std::string(key.substr(key.size() - kPositionKeyLength)));
      if (!got.ok() || !*got) {
        read_error = got.ok() ? Error::make(ErrorCode::internal, "the audit index names an entry that is not there: " +
                                                                     std::string(key))
                              : got.error();
        return false;
      }
      indexed = std::move(**got);
    }
    auto entry = nlohmann::json::parse(indexed ? std::string_view(*indexed) : value);
    if (!filter.matches(entry)) return true;
    last_position = entry["position"].get<std::uint64_t>();
    out.entries.push_back(std::move(entry));
    return true;
  });
  if (!st.ok()) return st.error();
  if (!read_error.ok()) return read_error.error();
  out.next_before = more ? last_position : 0;
  return out;
}

Result<AuditPage> AuditProjection::after(const std::string& organization_id, std::uint64_t after,
                                         std::size_t limit, const AuditFilter& filter, std::uint64_t through) const {
  AuditPage out;
  if (after >= through || limit == 0) return out;
  const std::string prefix = org_prefix(organization_id);
  auto st = state_.scan_from(prefix, prefix + position_key(after + 1), [&](std::string_view, std::string_view value) {
    auto entry = nlohmann::json::parse(value);
    if (entry["position"].get<std::uint64_t>() > through) return false;
    if (filter.matches(entry)) out.entries.push_back(std::move(entry));
    return out.entries.size() < limit;
  });
  if (!st.ok()) return st.error();
  return out;
}

}  // namespace touchline::projections
