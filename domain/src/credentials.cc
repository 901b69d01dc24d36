#include "touchline/domain/credentials.h"

#include <algorithm>

#include "dates.h"
#include "organization_rules.h"
#include "text.h"

namespace touchline::domain {

using events::DomainEvent;
using Events = std::vector<DomainEvent>;
using namespace rules;

namespace {

constexpr std::size_t kMaxDocumentChars = 500;

std::optional<Error> check_keeps_credentials(const OrganizationState& org, const std::string& organization_id) {
  if (!org.exists) return org_not_found(organization_id);
  if (!keeps_credentials(org)) {
    return Error::make(ErrorCode::failed_precondition,
                       "the " + org.role_model + " role model keeps no credentials");
  }
  return std::nullopt;
}

std::optional<Error> check_fields(const std::string& name, const std::string& expires_on, const std::string& document) {
  if (name.empty() || utf8_length(name) > kMaxNameChars) {
    return Error::make(ErrorCode::invalid_argument, "name is required and at most 100 characters", "name");
  }
  if (has_control_characters(name)) {
    return Error::make(ErrorCode::invalid_argument, "name must not contain control characters", "name");
  }
  if (!dates::parse_date(expires_on)) {
    return Error::make(ErrorCode::invalid_argument, "expires_on must be a date, YYYY-MM-DD", "expires_on");
  }
  if (utf8_length(document) > kMaxDocumentChars) {
    return Error::make(ErrorCode::invalid_argument, "document is at most 500 characters", "document");
  }
  return std::nullopt;
}

std::optional<Error> check_staff(const OrganizationState& org, const std::string& account_id, const char* field) {
  const Role* role = org.role_of(account_id);
  if (!role) return not_a_member(account_id, field);
  if (role->athlete) {
    return Error::make(ErrorCode::failed_precondition, "credentials are for staff members, not athletes", field);
  }
  return std::nullopt;
}

// Declaring, or editing one's own: a staff member, while the organisation has its model's tier.
std::optional<Error> check_declarer(const OrganizationState& org, const std::string& actor) {
  if (auto err = check_staff(org, actor, "organization_id")) {
    if (err->code == ErrorCode::not_found) {
      return Error::make(ErrorCode::permission_denied, "only staff members declare credentials");
    }
    return err;
  }
  if (org.deactivated.contains(actor)) {
    return Error::make(ErrorCode::permission_denied, "a deactivated member holds nothing until reactivated");
  }
  if (auto tier = org.missing_model_tier(); !tier.empty()) {
    return Error::make(ErrorCode::permission_denied, "the " + org.role_model + " role model needs the " +
                                                         std::string(tier) + " tier or above; this organisation is on " +
                                                         org.tier);
  }
  return std::nullopt;
}

Result<const Credential*> find_credential(const OrganizationState& org, const std::string& organization_id,
                                          const std::string& credential_id) {
  if (auto err = check_keeps_credentials(org, organization_id)) return *err;
  auto it = org.credentials.find(credential_id);
  if (it == org.credentials.end()) {
    return Error::make(ErrorCode::not_found, "this organisation has no credential " + credential_id,
                       "credential_id");
  }
  return &it->second;
}

int severity(CredentialStatus s) {
  switch (s) {
    case CredentialStatus::expired: return 0;
    case CredentialStatus::lapsing: return 1;
    case CredentialStatus::current: return 2;
    case CredentialStatus::none: return 3;
  }
  return 3;
}

}  // namespace

bool keeps_credentials(const OrganizationState& org) {
  const auto& roles = org.model().roles;
  return std::any_of(roles.begin(), roles.end(),
                     [](const Role& r) { return r.permissions.contains("credentials.verify"); });
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const DeclareCredential& cmd) {
  if (auto err = check_keeps_credentials(org, cmd.organization_id)) return *err;
  if (auto err = check_declarer(org, actor)) return *err;
  if (auto err = check_fields(cmd.name, cmd.expires_on, cmd.document)) return *err;
  return Events{events::CredentialDeclared{org.id, cmd.new_credential_id, actor, cmd.name, cmd.expires_on,
                                           cmd.document}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const RecordCredential& cmd) {
  if (auto err = check_keeps_credentials(org, cmd.organization_id)) return *err;
  // A caller who records no credentials hears that, not whether the account is a member.
  if (auto denied = require(org, actor, "credentials.record")) return *denied;
  if (auto err = check_staff(org, cmd.account_id, "account_id")) return *err;
  if (auto denied = require(org, actor, "credentials.record", cmd.account_id)) return *denied;
  if (auto err = check_fields(cmd.name, cmd.expires_on, cmd.document)) return *err;
  return Events{events::CredentialRecorded{org.id, cmd.new_credential_id, cmd.account_id, cmd.name,
                                           cmd.expires_on, cmd.document}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const EditCredential& cmd) {
  auto found = find_credential(org, cmd.organization_id, cmd.credential_id);
  if (!found.ok()) return found.error();
  const Credential& now = **found;
  if (actor == now.holder) {
    if (auto err = check_declarer(org, actor)) return *err;
  } else if (auto denied = require(org, actor, "credentials.record", now.holder)) {
    return *denied;
  }
  Credential next = now;
  if (!cmd.name.empty()) next.name = cmd.name;
  if (!cmd.expires_on.empty()) next.expires_on = cmd.expires_on;
  if (!cmd.document.empty()) next.document = cmd.document;
  if (auto err = check_fields(next.name, next.expires_on, next.document)) return *err;
  if (next == now) return Events{};
  return Events{events::CredentialEdited{org.id, cmd.credential_id, now.holder, next.name, next.expires_on,
                                         next.document, now.verified}};
}

Result<Events> decide(const OrganizationState& org, const std::string& actor, const VerifyCredential& cmd) {
  auto found = find_credential(org, cmd.organization_id, cmd.credential_id);
  if (!found.ok()) return found.error();
  const Credential& credential = **found;
  // credentials.verify is never used on oneself (the catalogue's not_on_self).
  if (auto denied = require(org, actor, "credentials.verify", credential.holder)) return *denied;
  if (credential.verified) return Events{};
  return Events{events::CredentialVerified{org.id, cmd.credential_id, credential.holder}};
}

std::string_view credential_status_name(CredentialStatus status) {
  switch (status) {
    case CredentialStatus::none: return "none";
    case CredentialStatus::expired: return "expired";
    case CredentialStatus::lapsing: return "lapsing";
    case CredentialStatus::current: return "current";
  }
  return "none";
}

CredentialStatus credential_status(const Credential& credential, std::int64_t today) {
  // Recorded expiry dates were validated when decided.
  const std::int64_t expires = dates::parse_date(credential.expires_on).value_or(0);
  if (expires < today) return CredentialStatus::expired;
  if (expires - today <= kLapsingWithinDays) return CredentialStatus::lapsing;
  return CredentialStatus::current;
}

std::string format_day(std::int64_t days) { return dates::format_date(days); }

std::int64_t day_of(std::int64_t unix_ms) { return unix_ms / dates::kMsPerDay; }

std::vector<ComplianceRow> compliance_dashboard(const OrganizationState& org, std::int64_t today) {
  std::map<std::string, ComplianceRow> rows;
  for (const auto& [member, role_name] : org.members) {
    const Role* role = org.find_role(role_name);
    if (role && !role->athlete) rows[member] = ComplianceRow{member, role_name, CredentialStatus::none, {}};
  }
  for (const auto& [id, credential] : org.credentials) {
    auto row = rows.find(credential.holder);
    if (row == rows.end()) continue;  // no longer a staff member
    row->second.credential_ids.push_back(id);
    const CredentialStatus status = credential_status(credential, today);
    if (severity(status) < severity(row->second.status)) row->second.status = status;
  }
  std::vector<ComplianceRow> out;
  for (auto& [member, row] : rows) {
    std::sort(row.credential_ids.begin(), row.credential_ids.end(), [&](const auto& a, const auto& b) {
      return std::pair{org.credentials.at(a).expires_on, a} < std::pair{org.credentials.at(b).expires_on, b};
    });
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace touchline::domain
