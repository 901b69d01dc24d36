// Staff credentials and the compliance dashboard (seed 003): a coach declares a credential with its
// expiry date, or an owner, admin or safeguarding officer records one on their behalf; someone
// else verifies it; editing a verified credential clears the verification. The dashboard gives
// each staff member's status. Pure: "today" is the caller's, in days since 1970-01-01 (UTC).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "touchline/domain/organization.h"
#include "touchline/events/domain_events.h"
#include "touchline/events/result.h"

namespace touchline::domain {

// A credential expiring within this many days is lapsing.
inline constexpr std::int64_t kLapsingWithinDays = 30;

struct DeclareCredential {
  std::string organization_id;
  std::string name;        // e.g. "DBS check"
  std::string expires_on;  // "YYYY-MM-DD"
  std::string document;    // optional: where the scan is kept
  std::string new_credential_id;  // injected by the caller
};

struct RecordCredential {
  std::string organization_id;
  std::string account_id;  // the staff member it belongs to
  std::string name;
  std::string expires_on;
  std::string document;
  std::string new_credential_id;  // injected by the caller
};

// Fields left empty keep their value.
struct EditCredential {
  std::string organization_id;
  std::string credential_id;
  std::string name;
  std::string expires_on;
  std::string document;
};

struct VerifyCredential {
  std::string organization_id;
  std::string credential_id;
};

// Whether the organisation's model keeps credentials (one of its roles verifies them: club).
bool keeps_credentials(const OrganizationState& org);

// Declare: any active staff member, for themself, while the organisation has its model's tier. Record: whoever holds credentials.record on the staff
// member. Errors: not_found (organisation; Record: not a member), failed_precondition (the model
// keeps no credentials; an athlete member), permission_denied, invalid_argument (name 1 to 100
// characters, expires_on a date "YYYY-MM-DD", document at most 500 characters).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const DeclareCredential& cmd);
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const RecordCredential& cmd);

// The holder (while an active staff member, on the model's tier), or whoever holds credentials.record on
// them. The same values again succeed with no events. Errors: not_found (organisation,
// credential), failed_precondition (the model keeps no credentials), permission_denied,
// invalid_argument.
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const EditCredential& cmd);

// Whoever holds credentials.verify on the holder, never the holder (the permission is never used
// on oneself). A verified credential succeeds with no events. Errors: not_found,
// failed_precondition (the model keeps no credentials), permission_denied.
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const std::string& actor,
                                                const VerifyCredential& cmd);

enum class CredentialStatus { none, expired, lapsing, current };
std::string_view credential_status_name(CredentialStatus status);

// expired after its expiry date, lapsing within kLapsingWithinDays of it (the day itself included),
// else current. `today`: days since 1970-01-01.
CredentialStatus credential_status(const Credential& credential, std::int64_t today);

struct ComplianceRow {
  std::string account_id;
  std::string role;
  CredentialStatus status = CredentialStatus::none;  // the worst of their credentials'
  std::vector<std::string> credential_ids;            // soonest expiry first, then by id
};

// "YYYY-MM-DD" for a day count (days since 1970-01-01), as the dashboard reports dates.
std::string format_day(std::int64_t days);

// The UTC day (days since 1970-01-01) a Unix time in milliseconds falls on.
std::int64_t day_of(std::int64_t unix_ms);

// One row per staff member, in account order: their status is none without credentials, else the
// worst of their credentials' statuses (one expired credential makes them expired).
std::vector<ComplianceRow> compliance_dashboard(const OrganizationState& org, std::int64_t today);

}  // namespace touchline::domain
