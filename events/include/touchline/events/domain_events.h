// Touchline's domain events: what the role aggregates decide and the log records. Each struct
// names its type string and payload schema version; the payload is the struct's JSON object.
// Adding an event: add the struct, list it in DomainEvent, describe it in docs/EVENTS.md.
// Changing a payload: bump its kSchema and keep decoding the old one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "touchline/events/result.h"

namespace touchline::events {

// An account came into being (stream "account-<account_id>").
struct AccountRegistered {
  static constexpr std::string_view kType = "AccountRegistered";
  static constexpr std::uint32_t kSchema = 1;
  std::string account_id;
  std::string email;  // as typed by the user; uniqueness is on the lower-cased form
  std::string display_name;
  std::string membership_role;  // "athlete" or "coach"
  bool operator==(const AccountRegistered&) const = default;
};

// An email address was claimed by an account (stream "email-<lower-cased email>"). The claim
// stream's existence is what makes emails unique: a second claim fails the no_stream check.
struct EmailClaimed {
  static constexpr std::string_view kType = "EmailClaimed";
  static constexpr std::uint32_t kSchema = 1;
  std::string email;  // lower-cased
  std::string account_id;
  bool operator==(const EmailClaimed&) const = default;
};

struct AccountUpgradedToCoach {
  static constexpr std::string_view kType = "AccountUpgradedToCoach";
  static constexpr std::uint32_t kSchema = 1;
  std::string account_id;
  bool operator==(const AccountUpgradedToCoach&) const = default;
};

// Stream "organization-<organization_id>". The creator is its first member, with the role
// model's founding role (head_coach in athlete-coach).
struct OrganizationCreated {
  static constexpr std::string_view kType = "OrganizationCreated";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string name;
  std::string role_model;
  std::string created_by;
  std::string founder_role;
  bool operator==(const OrganizationCreated&) const = default;
};

struct MemberAdded {
  static constexpr std::string_view kType = "MemberAdded";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  std::string role;
  bool operator==(const MemberAdded&) const = default;
};

// On the athlete's account stream, beside MemberAdded on the organisation's: an athlete belongs
// to one organisation at a time, and this is the account's record of which.
struct AthleteJoinedOrganization {
  static constexpr std::string_view kType = "AthleteJoinedOrganization";
  static constexpr std::uint32_t kSchema = 1;
  std::string account_id;
  std::string organization_id;
  bool operator==(const AthleteJoinedOrganization&) const = default;
};

struct AthleteAssigned {
  static constexpr std::string_view kType = "AthleteAssigned";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string athlete_id;
  std::string coach_id;
  std::string previous_coach_id;  // empty when the athlete had no coach
  bool operator==(const AthleteAssigned&) const = default;
};

struct BillingDelegationGranted {
  static constexpr std::string_view kType = "BillingDelegationGranted";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  bool operator==(const BillingDelegationGranted&) const = default;
};

struct BillingDelegationRevoked {
  static constexpr std::string_view kType = "BillingDelegationRevoked";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  bool operator==(const BillingDelegationRevoked&) const = default;
};

// An organisation moved to another tier (free, pro, club, business, enterprise). Organisations
// start on free.
struct OrganizationTierChanged {
  static constexpr std::string_view kType = "OrganizationTierChanged";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string tier;
  std::string previous_tier;
  bool operator==(const OrganizationTierChanged&) const = default;
};

// An organisation setting its role model declares was switched on or off.
struct OrganizationSettingChanged {
  static constexpr std::string_view kType = "OrganizationSettingChanged";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string setting;
  bool enabled = false;
  bool operator==(const OrganizationSettingChanged&) const = default;
};

using DomainEvent =
    std::variant<AccountRegistered, EmailClaimed, AccountUpgradedToCoach, OrganizationCreated,
                 MemberAdded, AthleteJoinedOrganization, AthleteAssigned,
                 BillingDelegationGranted, BillingDelegationRevoked, OrganizationTierChanged,
                 OrganizationSettingChanged>;

std::string_view event_type(const DomainEvent& e);
std::uint32_t event_schema(const DomainEvent& e);
nlohmann::json event_payload(const DomainEvent& e);

// Decodes a payload read from the log. Returns invalid_argument for an unknown type, an
// unsupported schema version, or a payload missing a field.
Result<DomainEvent> decode_event(std::string_view type, std::uint32_t schema,
                                 const nlohmann::json& payload);

// Stream names, in one place so that every layer spells them alike.
std::string account_stream(std::string_view account_id);
std::string email_stream(std::string_view lower_cased_email);
std::string organization_stream(std::string_view organization_id);

// The stream an event belongs to: the aggregate instance it changes.
std::string stream_of(const DomainEvent& e);

}  // namespace touchline::events
