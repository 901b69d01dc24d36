#include "touchline/events/domain_events.h"

#include "stored_text.h"

namespace touchline::events {
namespace {

// A payload member as decode_event reads it (nlohmann's from_json), read from simdjson's view of
// the stored text: false, leaving `out` as it may be, for a member that is absent or of another
// type, or an integer that does not fit (the caller then declines the whole event).
bool read_member(simdjson::dom::object payload, std::string_view name, std::string& out) {
  std::string_view v;
  if (payload.at_key(name).get_string().get(v) != simdjson::SUCCESS) return false;
  out.assign(v);
  return true;
}
bool read_member(simdjson::dom::object payload, std::string_view name, bool& out) {
  return payload.at_key(name).get_bool().get(out) == simdjson::SUCCESS;
}
template <typename Int>
  requires std::is_integral_v<Int> && std::is_signed_v<Int>
bool read_member(simdjson::dom::object payload, std::string_view name, Int& out) {
  std::int64_t v = 0;
  if (payload.at_key(name).get_int64().get(v) != simdjson::SUCCESS) return false;
  if (v < std::numeric_limits<Int>::min() || v > std::numeric_limits<Int>::max()) return false;
  out = static_cast<Int>(v);
  return true;
}
template <typename Value>
bool read_member(simdjson::dom::object payload, std::string_view name, std::map<std::string, Value>& out) {
  simdjson::dom::object entries;
  if (payload.at_key(name).get_object().get(entries) != simdjson::SUCCESS) return false;
  out.clear();
  for (auto [key, value] : entries) {
    Value v{};
    if constexpr (std::is_same_v<Value, bool>) {
      if (value.get_bool().get(v) != simdjson::SUCCESS) return false;
    } else {
      static_assert(std::is_same_v<Value, std::string>, "a map member holds booleans or strings");
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) return false;
      v.assign(text);
    }
    out.emplace_hint(out.end(), std::string(key), std::move(v));
  }
  return true;
}

}  // namespace

// Each payload's members are listed once: TOUCHLINE_PAYLOAD makes from the list both nlohmann's
// to_json/from_json and read_members, the stored-text reader (read_payload_object). The types
// whose from_json is written by hand (a member an older schema lacked) have read_members written
// by hand beside it, naming every member: the reader declines a payload without one, which
// from_json then decodes.
#define TOUCHLINE_READ_MEMBER(member) &&read_member(payload, #member, e.member)
#define TOUCHLINE_PAYLOAD(Type, ...)                                                     \
  NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Type, __VA_ARGS__)                  \
  [[maybe_unused]] static bool read_members(simdjson::dom::object payload, Type& e) {    \
    return true NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(TOUCHLINE_READ_MEMBER, __VA_ARGS__)); \
  }

TOUCHLINE_PAYLOAD(AccountRegistered, account_id, email, display_name,
                                   membership_role)
TOUCHLINE_PAYLOAD(EmailClaimed, email, account_id)
TOUCHLINE_PAYLOAD(AccountUpgradedToCoach, account_id)
TOUCHLINE_PAYLOAD(AccountDowngradedToAthlete, account_id)
void to_json(nlohmann::json& j, const OrganizationCreated& e) {
  j = nlohmann::json{{"organization_id", e.organization_id}, {"name", e.name},
                     {"role_model", e.role_model},           {"created_by", e.created_by},
                     {"founder_role", e.founder_role},       {"role_model_version", e.role_model_version}};
}
void from_json(const nlohmann::json& j, OrganizationCreated& e) {
  j.at("organization_id").get_to(e.organization_id);
  j.at("name").get_to(e.name);
  j.at("role_model").get_to(e.role_model);
  j.at("created_by").get_to(e.created_by);
  j.at("founder_role").get_to(e.founder_role);
  e.role_model_version = j.value("role_model_version", 1);  // schema 1 had no versions
}
static bool read_members(simdjson::dom::object payload, OrganizationCreated& e) {
  return read_member(payload, "organization_id", e.organization_id) && read_member(payload, "name", e.name) &&
         read_member(payload, "role_model", e.role_model) && read_member(payload, "created_by", e.created_by) &&
         read_member(payload, "founder_role", e.founder_role) &&
         read_member(payload, "role_model_version", e.role_model_version);
}
TOUCHLINE_PAYLOAD(MemberAdded, organization_id, account_id, role)
TOUCHLINE_PAYLOAD(AthleteJoinedOrganization, account_id, organization_id)
TOUCHLINE_PAYLOAD(AthleteAssigned, organization_id, athlete_id, coach_id,
                                   previous_coach_id)
TOUCHLINE_PAYLOAD(BillingDelegationGranted, organization_id, account_id)
TOUCHLINE_PAYLOAD(BillingDelegationRevoked, organization_id, account_id)
TOUCHLINE_PAYLOAD(OrganizationTierChanged, organization_id, tier, previous_tier)
TOUCHLINE_PAYLOAD(OrganizationSettingChanged, organization_id, setting, enabled)
TOUCHLINE_PAYLOAD(RoleModelVersionAdopted, organization_id, role_model, version,
                                   previous_version)
TOUCHLINE_PAYLOAD(MemberRemoved, organization_id, account_id, role)
TOUCHLINE_PAYLOAD(MemberLeft, organization_id, account_id, role)
TOUCHLINE_PAYLOAD(MembershipOffered, organization_id, account_id, role, offered_by)
TOUCHLINE_PAYLOAD(MembershipAccepted, organization_id, account_id)
TOUCHLINE_PAYLOAD(MembershipDeclined, organization_id, account_id)
TOUCHLINE_PAYLOAD(MemberRoleChanged, organization_id, account_id, role, previous_role)
TOUCHLINE_PAYLOAD(AthleteLeftOrganization, account_id, organization_id)
TOUCHLINE_PAYLOAD(AthleteUnassigned, organization_id, athlete_id, coach_id)
TOUCHLINE_PAYLOAD(MemberGranted, organization_id, account_id, grant)
TOUCHLINE_PAYLOAD(MemberGrantRevoked, organization_id, account_id, grant)
TOUCHLINE_PAYLOAD(RoleDefined, organization_id, role, label, permissions)
TOUCHLINE_PAYLOAD(RoleUpdated, organization_id, role, label, permissions)
TOUCHLINE_PAYLOAD(RoleDeleted, organization_id, role)
TOUCHLINE_PAYLOAD(PrivacySettingsChanged, account_id, settings)
TOUCHLINE_PAYLOAD(CreditsAdded, organization_id, amount, balance)
TOUCHLINE_PAYLOAD(CreditsSpent, organization_id, account_id, amount, balance)
void to_json(nlohmann::json& j, const InviteIssued& e) {
  j = nlohmann::json{{"organization_id", e.organization_id}, {"invite_id", e.invite_id},
                     {"role", e.role},                       {"email", e.email},
                     {"max_uses", e.max_uses},               {"expires_at_ms", e.expires_at_ms},
                     {"code_digest", e.code_digest},         {"issued_by", e.issued_by},
                     {"email_key", e.email_key}};
}
void from_json(const nlohmann::json& j, InviteIssued& e) {
  j.at("organization_id").get_to(e.organization_id);
  j.at("invite_id").get_to(e.invite_id);
  j.at("role").get_to(e.role);
  j.at("email").get_to(e.email);
  j.at("max_uses").get_to(e.max_uses);
  j.at("expires_at_ms").get_to(e.expires_at_ms);
  j.at("code_digest").get_to(e.code_digest);
  e.issued_by = j.value("issued_by", std::string());  // schema 1 did not record the issuer
  e.email_key = j.value("email_key", std::string());  // schemas 1 and 2 kept the address in plain text
}
static bool read_members(simdjson::dom::object payload, InviteIssued& e) {
  return read_member(payload, "organization_id", e.organization_id) &&
         read_member(payload, "invite_id", e.invite_id) && read_member(payload, "role", e.role) &&
         read_member(payload, "email", e.email) && read_member(payload, "max_uses", e.max_uses) &&
         read_member(payload, "expires_at_ms", e.expires_at_ms) &&
         read_member(payload, "code_digest", e.code_digest) && read_member(payload, "issued_by", e.issued_by) &&
         read_member(payload, "email_key", e.email_key);
}
TOUCHLINE_PAYLOAD(InviteRevoked, organization_id, invite_id)
TOUCHLINE_PAYLOAD(InviteAccepted, organization_id, invite_id, account_id)
TOUCHLINE_PAYLOAD(ConsentGiven, organization_id, athlete_id)
TOUCHLINE_PAYLOAD(ConsentWithdrawn, organization_id, athlete_id)
TOUCHLINE_PAYLOAD(CredentialDeclared, organization_id, credential_id, holder_id, name,
                                   expires_on, document)
TOUCHLINE_PAYLOAD(CredentialRecorded, organization_id, credential_id, holder_id, name,
                                   expires_on, document)
void to_json(nlohmann::json& j, const CredentialEdited& e) {
  j = nlohmann::json{{"organization_id", e.organization_id}, {"credential_id", e.credential_id},
                     {"holder_id", e.holder_id},             {"name", e.name},
                     {"expires_on", e.expires_on},           {"document", e.document},
                     {"verification_cleared", e.verification_cleared}};
}
void from_json(const nlohmann::json& j, CredentialEdited& e) {
  j.at("organization_id").get_to(e.organization_id);
  j.at("credential_id").get_to(e.credential_id);
  e.holder_id = j.value("holder_id", std::string());  // schema 1 had no holder
  j.at("name").get_to(e.name);
  j.at("expires_on").get_to(e.expires_on);
  j.at("document").get_to(e.document);
  j.at("verification_cleared").get_to(e.verification_cleared);
}
static bool read_members(simdjson::dom::object payload, CredentialEdited& e) {
  return read_member(payload, "organization_id", e.organization_id) &&
         read_member(payload, "credential_id", e.credential_id) && read_member(payload, "holder_id", e.holder_id) &&
         read_member(payload, "name", e.name) && read_member(payload, "expires_on", e.expires_on) &&
         read_member(payload, "document", e.document) &&
         read_member(payload, "verification_cleared", e.verification_cleared);
}
TOUCHLINE_PAYLOAD(CredentialVerified, organization_id, credential_id, holder_id)
TOUCHLINE_PAYLOAD(SubOrganizationCreated, organization_id, parent_id, name, role_model,
                                   role_model_version, tier, admin_id, admin_role)
TOUCHLINE_PAYLOAD(SubOrganizationAdded, organization_id, sub_organization_id, name)
TOUCHLINE_PAYLOAD(MemberDeactivated, organization_id, account_id, role)
TOUCHLINE_PAYLOAD(MemberReactivated, organization_id, account_id)
TOUCHLINE_PAYLOAD(AccountErased, account_id)
TOUCHLINE_PAYLOAD(EmailReleased, email, account_id)
TOUCHLINE_PAYLOAD(ActionRecorded, organization_id, action, permission, target, allowed, reason,
                                   client_ip, details)

std::string_view event_type(const DomainEvent& e) {
  return std::visit([](const auto& ev) { return std::decay_t<decltype(ev)>::kType; }, e);
}

std::uint32_t event_schema(const DomainEvent& e) {
  return std::visit([](const auto& ev) { return std::decay_t<decltype(ev)>::kSchema; }, e);
}

nlohmann::json event_payload(const DomainEvent& e) {
  return std::visit([](const auto& ev) { return nlohmann::json(ev); }, e);
}

namespace {

// The oldest payload schema a type still decodes.
template <typename Alt>
constexpr std::uint32_t oldest_schema() {
  if constexpr (requires { Alt::kOldestSchema; }) {
    return Alt::kOldestSchema;
  } else {
    return Alt::kSchema;
  }
}

// nlohmann converts a JSON scalar to an integer member without a word: a fraction is cut, a
// boolean becomes 0 or 1, a value beyond the member's range wraps, and a double beyond it is
// undefined behaviour. So a payload's numbers must be whole before decoding, and its numbers and
// booleans must read back unchanged after it.
bool converts_silently(const nlohmann::json& value) { return value.is_number() || value.is_boolean(); }

bool holds_a_convertible_member(const nlohmann::json& payload) {
  if (!payload.is_object()) return false;
  for (const auto& member : payload) {
    if (converts_silently(member)) return true;
  }
  return false;
}

Status whole_numbers_only(std::string_view type, const nlohmann::json& payload) {
  for (const auto& [name, value] : payload.items()) {
    if (value.is_number_float()) {
      return Error::make(ErrorCode::invalid_argument,
                         "payload of " + std::string(type) + ": '" + name + "' must be a whole number", name);
    }
  }
  return ok_status();
}

// By value, sign included: nlohmann's == calls 2^63 (unsigned) equal to -2^63 (signed).
bool same_scalar(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_boolean() || b.is_boolean()) return a.is_boolean() && b.is_boolean() && a == b;
  if (!a.is_number_integer() || !b.is_number_integer()) return false;
  const auto negative = [](const nlohmann::json& v) {
    return !v.is_number_unsigned() && v.get<std::int64_t>() < 0;
  };
  if (negative(a) || negative(b)) {
    return negative(a) && negative(b) && a.get<std::int64_t>() == b.get<std::int64_t>();
  }
  return a.get<std::uint64_t>() == b.get<std::uint64_t>();
}

Status read_back_unchanged(std::string_view type, const nlohmann::json& payload,
                           const nlohmann::json& decoded) {
  for (const auto& [name, value] : payload.items()) {
    if (!converts_silently(value)) continue;
    const auto member = decoded.find(name);
    if (member != decoded.end() && !same_scalar(*member, value)) {
      return Error::make(ErrorCode::invalid_argument,
                         "payload of " + std::string(type) + ": '" + name + "' is out of range or of another type",
                         name);
    }
  }
  return ok_status();
}

template <std::size_t I = 0>
Result<DomainEvent> decode_alternative(std::string_view type, std::uint32_t schema,
                                       const nlohmann::json& payload) {
  if constexpr (I == std::variant_size_v<DomainEvent>) {
    return Error::make(ErrorCode::invalid_argument,
                       "unknown event type '" + std::string(type) + "'");
  } else {
    using Alt = std::variant_alternative_t<I, DomainEvent>;
    if (type != Alt::kType) return decode_alternative<I + 1>(type, schema, payload);
    if (schema < oldest_schema<Alt>() || schema > Alt::kSchema) {
      return Error::make(ErrorCode::invalid_argument,
                         "unsupported schema version " + std::to_string(schema) + " for " +
                             std::string(type));
    }
    try {
      if (!holds_a_convertible_member(payload)) return DomainEvent{payload.get<Alt>()};
      if (auto whole = whole_numbers_only(type, payload); !whole.ok()) return whole.error();
      Alt event = payload.get<Alt>();
      if (auto unchanged = read_back_unchanged(type, payload, nlohmann::json(event)); !unchanged.ok()) {
        return unchanged.error();
      }
      return DomainEvent{std::move(event)};
    } catch (const nlohmann::json::exception& ex) {
      return Error::make(ErrorCode::invalid_argument,
                         "payload of " + std::string(type) + " is malformed: " + ex.what());
    }
  }
}

template <std::size_t I = 0>
bool read_alternative(std::string_view type, std::uint32_t schema, simdjson::dom::object payload,
                      DomainEvent& out) {
  if constexpr (I == std::variant_size_v<DomainEvent>) {
    return false;
  } else {
    using Alt = std::variant_alternative_t<I, DomainEvent>;
    if (type != Alt::kType) return read_alternative<I + 1>(type, schema, payload, out);
    if (schema < oldest_schema<Alt>() || schema > Alt::kSchema) return false;
    // read_members assigns every member, so an event of this type already in `out` is
    // overwritten in place, its strings keeping their memory.
    Alt* event = std::get_if<Alt>(&out);
    if (!event) event = &out.template emplace<Alt>();
    return read_members(payload, *event);
  }
}

}  // namespace

namespace detail {

bool read_payload_object(std::string_view type, std::uint32_t schema, simdjson::dom::object payload,
                         DomainEvent& out) {
  return read_alternative(type, schema, payload, out);
}

}  // namespace detail

Result<DomainEvent> decode_event(std::string_view type, std::uint32_t schema,
                                 const nlohmann::json& payload) {
  return decode_alternative(type, schema, payload);
}

std::string account_stream(std::string_view account_id) {
  return "account-" + std::string(account_id);
}
std::string email_stream(std::string_view claim_key) {
  return "email-" + std::string(claim_key);
}
std::string organization_stream(std::string_view organization_id) {
  return "organization-" + std::string(organization_id);
}

std::string stream_of(const DomainEvent& e) {
  return std::visit(
      [](const auto& ev) -> std::string {
        using E = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<E, EmailClaimed> || std::is_same_v<E, EmailReleased>) {
          return email_stream(ev.email);
        } else if constexpr (kOnOrganizationStream<E>) {
          return organization_stream(ev.organization_id);
        } else {
          return account_stream(ev.account_id);
        }
      },
      e);
}

}  // namespace touchline::events
