// Touchline's domain events: what the role aggregates decide and the log records. Each struct
// names its type string and payload schema version; the payload is the struct's JSON object.
// Adding an event: add the struct, list it in DomainEvent, list its members with
// TOUCHLINE_PAYLOAD in domain_events.cc (its JSON encoders and its stored-text reader), describe
// it in docs/EVENTS.md. Changing a payload: bump its kSchema and keep decoding the old one (a
// hand-written from_json, with read_members beside it naming every member of the new schema).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "touchline/events/result.h"

namespace touchline::events {

// An account came into being (stream "account-<account_id>"). email and display_name are
// personal data: sealed under the account's key (store/personal_data.h) in logs written since
// erasure support, plain text in older logs.
struct AccountRegistered {
  static constexpr std::string_view kType = "AccountRegistered";
  static constexpr std::uint32_t kSchema = 1;
  std::string account_id;
  std::string email;  // as typed by the user; uniqueness is on the lower-cased form
  std::string display_name;
  std::string membership_role;  // "athlete" or "coach"
  bool operator==(const AccountRegistered&) const = default;
};

// An email address was claimed by an account (stream "email-<email>"). The claim stream is what
// makes emails unique: a claim is appended only while the stream holds no claim that stands (none,
// or the last one released). Schema 2: `email` is the address's claim key, a keyed digest of the
// lower-cased address (store/personal_data.h), never the address; schema 1 (older logs): the
// lower-cased address itself.
struct EmailClaimed {
  static constexpr std::string_view kType = "EmailClaimed";
  static constexpr std::uint32_t kSchema = 2;
  static constexpr std::uint32_t kOldestSchema = 1;
  std::string email;  // the claim key (schema 2) or the lower-cased address (schema 1)
  std::string account_id;
  bool operator==(const EmailClaimed&) const = default;
};

// The account changed its own privacy settings (domain/privacy.h); `settings` holds the values
// that changed, by setting name.
struct PrivacySettingsChanged {
  static constexpr std::string_view kType = "PrivacySettingsChanged";
  static constexpr std::uint32_t kSchema = 1;
  std::string account_id;
  std::map<std::string, bool> settings;
  bool operator==(const PrivacySettingsChanged&) const = default;
};

struct AccountUpgradedToCoach {
  static constexpr std::string_view kType = "AccountUpgradedToCoach";
  static constexpr std::uint32_t kSchema = 1;
  std::string account_id;
  bool operator==(const AccountUpgradedToCoach&) const = default;
};

// Stream "organization-<organization_id>". The creator is its first member, with the role
// model's founding role (head_coach in athlete-coach). Schema 2 added role_model_version; a
// schema 1 payload decodes with version 1, the only version there was.
struct OrganizationCreated {
  static constexpr std::string_view kType = "OrganizationCreated";
  static constexpr std::uint32_t kSchema = 2;
  static constexpr std::uint32_t kOldestSchema = 1;
  std::string organization_id;
  std::string name;
  std::string role_model;
  std::string created_by;
  std::string founder_role;
  int role_model_version = 1;
  bool operator==(const OrganizationCreated&) const = default;
};

// The organisation moved to another version of its role model (its answers follow the new
// version from this event on).
struct RoleModelVersionAdopted {
  static constexpr std::string_view kType = "RoleModelVersionAdopted";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string role_model;
  int version = 1;
  int previous_version = 1;
  bool operator==(const RoleModelVersionAdopted&) const = default;
};

struct MemberAdded {
  static constexpr std::string_view kType = "MemberAdded";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  std::string role;
  bool operator==(const MemberAdded&) const = default;
};

// The member left the organisation (removed by someone allowed to). Whatever they held there
// ended with it: the events before it in the same batch unassign their athletes and revoke their
// grants, so the log states each consequence.
struct MemberRemoved {
  static constexpr std::string_view kType = "MemberRemoved";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  std::string role;  // the role they held
  bool operator==(const MemberRemoved&) const = default;
};

// A member left by their own LeaveOrganization. As with MemberRemoved, whatever they held there
// ended with it, and the events before it in the batch state each consequence (their athletes
// handed back, their grants revoked; an athlete's consent withdrawn and assignment ended).
struct MemberLeft {
  static constexpr std::string_view kType = "MemberLeft";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  std::string role;  // the role they held
  bool operator==(const MemberLeft&) const = default;
};

// AddMember of an existing account: the organisation offers it `role`, and nothing more happens
// until the account accepts (MembershipAccepted, then MemberAdded) or declines. A later offer to
// the same account replaces this one.
struct MembershipOffered {
  static constexpr std::string_view kType = "MembershipOffered";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  std::string role;
  std::string offered_by;
  bool operator==(const MembershipOffered&) const = default;
};

// The account accepted the organisation's offer; MemberAdded follows in the same batch.
struct MembershipAccepted {
  static constexpr std::string_view kType = "MembershipAccepted";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  bool operator==(const MembershipAccepted&) const = default;
};

// The account declined the organisation's offer; it is gone.
struct MembershipDeclined {
  static constexpr std::string_view kType = "MembershipDeclined";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  bool operator==(const MembershipDeclined&) const = default;
};

struct MemberRoleChanged {
  static constexpr std::string_view kType = "MemberRoleChanged";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  std::string role;
  std::string previous_role;
  bool operator==(const MemberRoleChanged&) const = default;
};

// On the athlete's account stream, beside MemberRemoved on the organisation's: the athlete is
// free to join another organisation.
struct AthleteLeftOrganization {
  static constexpr std::string_view kType = "AthleteLeftOrganization";
  static constexpr std::uint32_t kSchema = 1;
  std::string account_id;
  std::string organization_id;
  bool operator==(const AthleteLeftOrganization&) const = default;
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

struct AthleteUnassigned {
  static constexpr std::string_view kType = "AthleteUnassigned";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string athlete_id;
  std::string coach_id;  // the coach they were assigned to
  bool operator==(const AthleteUnassigned&) const = default;
};

// The role model's billing-delegation grant (see MemberGranted for the model's other grants;
// this one keeps its own events, which predate them).
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

// A member was given one of the model's member grants on top of their role (e.g. seed 002's
// "adjust Setup if granted").
struct MemberGranted {
  static constexpr std::string_view kType = "MemberGranted";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  std::string grant;
  bool operator==(const MemberGranted&) const = default;
};

struct MemberGrantRevoked {
  static constexpr std::string_view kType = "MemberGrantRevoked";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  std::string grant;
  bool operator==(const MemberGrantRevoked&) const = default;
};

// A custom role, as defined or redefined (RoleUpdated carries the whole new definition).
// permissions: permission -> scope ("own", "assigned", "all").
struct RoleDefined {
  static constexpr std::string_view kType = "RoleDefined";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string role;
  std::string label;
  std::map<std::string, std::string> permissions;
  bool operator==(const RoleDefined&) const = default;
};

struct RoleUpdated {
  static constexpr std::string_view kType = "RoleUpdated";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string role;
  std::string label;
  std::map<std::string, std::string> permissions;
  bool operator==(const RoleUpdated&) const = default;
};

struct RoleDeleted {
  static constexpr std::string_view kType = "RoleDeleted";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string role;
  bool operator==(const RoleDeleted&) const = default;
};

// The owner's AI credit pool (seed 003: "credits come from the owner's pool"). Both carry the
// balance after the event, so an auditor reads the pool's history without summing.
struct CreditsAdded {
  static constexpr std::string_view kType = "CreditsAdded";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::int64_t amount = 0;
  std::int64_t balance = 0;
  bool operator==(const CreditsAdded&) const = default;
};

struct CreditsSpent {
  static constexpr std::string_view kType = "CreditsSpent";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;  // who spent them
  std::int64_t amount = 0;
  std::int64_t balance = 0;
  bool operator==(const CreditsSpent&) const = default;
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

// An invite to join the organisation in a fixed role: bound to one email address, or a code for
// anyone who has it. The code never enters the log: code_digest is its SHA-256 (hex), enough to
// recognise the code and no use for joining. Schema 2 added issued_by (an invite holds only while
// its issuer may still give its role); a schema 1 payload decodes with it empty. Schema 3 added
// email_key, the address's claim key (as EmailClaimed's), which the joiner's must equal; `email`
// is then sealed under the key of the address (personal data, store/personal_data.h). Older
// payloads decode with email_key empty and `email` the lower-cased address in plain text.
struct InviteIssued {
  static constexpr std::string_view kType = "InviteIssued";
  static constexpr std::uint32_t kSchema = 3;
  static constexpr std::uint32_t kOldestSchema = 1;
  std::string organization_id;
  std::string invite_id;
  std::string role;
  std::string email;  // empty: anyone with the code
  int max_uses = 1;   // 0: no limit
  std::int64_t expires_at_ms = 0;  // Unix milliseconds; 0: never
  std::string code_digest;
  std::string issued_by;
  std::string email_key;  // the claim key of `email`; empty for a code anyone may use
  bool operator==(const InviteIssued&) const = default;
};

struct InviteRevoked {
  static constexpr std::string_view kType = "InviteRevoked";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string invite_id;
  bool operator==(const InviteRevoked&) const = default;
};

// One use of an invite; the MemberAdded that follows in the same batch makes the member.
struct InviteAccepted {
  static constexpr std::string_view kType = "InviteAccepted";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string invite_id;
  std::string account_id;
  bool operator==(const InviteAccepted&) const = default;
};

// An athlete member accepted being coached by the organisation: from here on its staff may see
// their data, as their roles and the athlete's privacy settings allow.
struct ConsentGiven {
  static constexpr std::string_view kType = "ConsentGiven";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string athlete_id;
  bool operator==(const ConsentGiven&) const = default;
};

// The athlete withdrew that consent: no staff member sees their data from this event on.
struct ConsentWithdrawn {
  static constexpr std::string_view kType = "ConsentWithdrawn";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string athlete_id;
  bool operator==(const ConsentWithdrawn&) const = default;
};

// A staff member's credential (seed 003: a safeguarding check, a first-aid certificate), declared
// by the member themself. `expires_on` is a date, "YYYY-MM-DD"; `document` where its scan is kept
// (a reference the client gives; Touchline stores no files).
struct CredentialDeclared {
  static constexpr std::string_view kType = "CredentialDeclared";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string credential_id;
  std::string holder_id;
  std::string name;
  std::string expires_on;
  std::string document;
  bool operator==(const CredentialDeclared&) const = default;
};

// The same, recorded on the member's behalf by someone allowed to (owner, admin, safeguarding
// officer); the envelope's actor says who.
struct CredentialRecorded {
  static constexpr std::string_view kType = "CredentialRecorded";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string credential_id;
  std::string holder_id;
  std::string name;
  std::string expires_on;
  std::string document;
  bool operator==(const CredentialRecorded&) const = default;
};

// A credential's new name, expiry and document. Editing a verified credential clears its
// verification (verification_cleared says it did). Schema 2 added holder_id; a schema 1 payload
// decodes with it empty.
struct CredentialEdited {
  static constexpr std::string_view kType = "CredentialEdited";
  static constexpr std::uint32_t kSchema = 2;
  static constexpr std::uint32_t kOldestSchema = 1;
  std::string organization_id;
  std::string credential_id;
  std::string holder_id;
  std::string name;
  std::string expires_on;
  std::string document;
  bool verification_cleared = false;
  bool operator==(const CredentialEdited&) const = default;
};

// Someone other than its holder checked the credential; the envelope's actor says who.
struct CredentialVerified {
  static constexpr std::string_view kType = "CredentialVerified";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string credential_id;
  std::string holder_id;
  bool operator==(const CredentialVerified&) const = default;
};

// A consequential action in a client's product, checked and recorded in one step (POST
// /v1/actions): who (the envelope's actor) did `action` to `target` under `permission`, and
// whether the check allowed it. `client_ip` is kept for athlete-access actions only.
struct ActionRecorded {
  static constexpr std::string_view kType = "ActionRecorded";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string action;    // e.g. "refund.issued" (domain/actions.h lists them)
  std::string permission;
  std::string target;
  bool allowed = false;
  std::string reason;    // the check's reason
  std::string client_ip;
  std::map<std::string, std::string> details;
  bool operator==(const ActionRecorded&) const = default;
};

// The member stays listed and their history stays theirs, but they hold nothing until
// reactivated (seed 001: "Deactivating an assistant keeps their history"). Like MemberRemoved,
// the events before it in the batch hand back their athletes and revoke their grants.
struct MemberDeactivated {
  static constexpr std::string_view kType = "MemberDeactivated";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  std::string role;
  bool operator==(const MemberDeactivated&) const = default;
};

struct MemberReactivated {
  static constexpr std::string_view kType = "MemberReactivated";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string account_id;
  bool operator==(const MemberReactivated&) const = default;
};

// A sub-organisation (seed 002, business and up), on its own stream: the parent's role model and
// version and tier, and its admin in the model's founding role. SubOrganizationAdded records it
// on the parent's stream in the same batch.
struct SubOrganizationCreated {
  static constexpr std::string_view kType = "SubOrganizationCreated";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;
  std::string parent_id;
  std::string name;
  std::string role_model;
  int role_model_version = 1;
  std::string tier;
  std::string admin_id;
  std::string admin_role;
  bool operator==(const SubOrganizationCreated&) const = default;
};

struct SubOrganizationAdded {
  static constexpr std::string_view kType = "SubOrganizationAdded";
  static constexpr std::uint32_t kSchema = 1;
  std::string organization_id;  // the parent
  std::string sub_organization_id;
  std::string name;
  bool operator==(const SubOrganizationAdded&) const = default;
};

// An operator turned a coach account back into an athlete account (seed 000: only support does
// this, never the user).
struct AccountDowngradedToAthlete {
  static constexpr std::string_view kType = "AccountDowngradedToAthlete";
  static constexpr std::uint32_t kSchema = 1;
  std::string account_id;
  bool operator==(const AccountDowngradedToAthlete&) const = default;
};

// The account asked to be forgotten, or an operator erased it (EraseAccount). Its key was
// destroyed in the same batch, so the personal data sealed under it can never be read again; its
// id, memberships and permission history stay. It cannot sign in or send commands again.
struct AccountErased {
  static constexpr std::string_view kType = "AccountErased";
  static constexpr std::uint32_t kSchema = 1;
  std::string account_id;
  bool operator==(const AccountErased&) const = default;
};

// Beside AccountErased, on the email's claim stream: the address is free to sign up again.
// `email` is the claim key, as in EmailClaimed schema 2.
struct EmailReleased {
  static constexpr std::string_view kType = "EmailReleased";
  static constexpr std::uint32_t kSchema = 1;
  std::string email;
  std::string account_id;
  bool operator==(const EmailReleased&) const = default;
};

using DomainEvent =
    std::variant<AccountRegistered, EmailClaimed, AccountUpgradedToCoach, OrganizationCreated,
                 MemberAdded, AthleteJoinedOrganization, AthleteAssigned,
                 BillingDelegationGranted, BillingDelegationRevoked, OrganizationTierChanged,
                 OrganizationSettingChanged, RoleModelVersionAdopted, MemberRemoved,
                 MemberRoleChanged, AthleteLeftOrganization, AthleteUnassigned, MemberGranted,
                 MemberGrantRevoked, RoleDefined, RoleUpdated, RoleDeleted, PrivacySettingsChanged, CreditsAdded,
                 CreditsSpent, InviteIssued, InviteRevoked, InviteAccepted, ConsentGiven,
                 ConsentWithdrawn, CredentialDeclared, CredentialRecorded, CredentialEdited,
                 CredentialVerified, ActionRecorded, MemberDeactivated, MemberReactivated,
                 SubOrganizationCreated, SubOrganizationAdded, AccountDowngradedToAthlete, MemberLeft,
                 MembershipOffered, MembershipAccepted, MembershipDeclined, AccountErased, EmailReleased>;

std::string_view event_type(const DomainEvent& e);
std::uint32_t event_schema(const DomainEvent& e);
nlohmann::json event_payload(const DomainEvent& e);

// Decodes a payload read from the log. Returns invalid_argument for an unknown type, an
// unsupported schema version, or a payload missing a field.
Result<DomainEvent> decode_event(std::string_view type, std::uint32_t schema,
                                 const nlohmann::json& payload);

// Stream names, in one place so that every layer spells them alike.
std::string account_stream(std::string_view account_id);
std::string email_stream(std::string_view claim_key);  // or, in older logs, the lower-cased address
std::string organization_stream(std::string_view organization_id);

// Whether events of type E belong to an organisation's stream: those naming an organisation,
// except the athlete's own record of joining and leaving one.
template <typename E>
inline constexpr bool kOnOrganizationStream =
    requires(const E& e) { e.organization_id; } && !std::is_same_v<E, AthleteJoinedOrganization> &&
    !std::is_same_v<E, AthleteLeftOrganization>;

// The stream an event belongs to: the aggregate instance it changes.
std::string stream_of(const DomainEvent& e);

}  // namespace touchline::events
