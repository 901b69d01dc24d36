#include "touchline/events/domain_events.h"

namespace touchline::events {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AccountRegistered, account_id, email, display_name,
                                   membership_role)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EmailClaimed, email, account_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AccountUpgradedToCoach, account_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AccountDowngradedToAthlete, account_id)
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
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemberAdded, organization_id, account_id, role)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AthleteJoinedOrganization, account_id, organization_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AthleteAssigned, organization_id, athlete_id, coach_id,
                                   previous_coach_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BillingDelegationGranted, organization_id, account_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BillingDelegationRevoked, organization_id, account_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrganizationTierChanged, organization_id, tier, previous_tier)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrganizationSettingChanged, organization_id, setting, enabled)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoleModelVersionAdopted, organization_id, role_model, version,
                                   previous_version)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemberRemoved, organization_id, account_id, role)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemberLeft, organization_id, account_id, role)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MembershipOffered, organization_id, account_id, role, offered_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MembershipAccepted, organization_id, account_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MembershipDeclined, organization_id, account_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemberRoleChanged, organization_id, account_id, role, previous_role)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AthleteLeftOrganization, account_id, organization_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AthleteUnassigned, organization_id, athlete_id, coach_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemberGranted, organization_id, account_id, grant)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemberGrantRevoked, organization_id, account_id, grant)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoleDefined, organization_id, role, label, permissions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoleUpdated, organization_id, role, label, permissions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoleDeleted, organization_id, role)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PrivacySettingsChanged, account_id, settings)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CreditsAdded, organization_id, amount, balance)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CreditsSpent, organization_id, account_id, amount, balance)
void to_json(nlohmann::json& j, const InviteIssued& e) {
  j = nlohmann::json{{"organization_id", e.organization_id}, {"invite_id", e.invite_id},
                     {"role", e.role},                       {"email", e.email},
                     {"max_uses", e.max_uses},               {"expires_at_ms", e.expires_at_ms},
                     {"code_digest", e.code_digest},         {"issued_by", e.issued_by}};
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
}
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(InviteRevoked, organization_id, invite_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(InviteAccepted, organization_id, invite_id, account_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ConsentGiven, organization_id, athlete_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ConsentWithdrawn, organization_id, athlete_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CredentialDeclared, organization_id, credential_id, holder_id, name,
                                   expires_on, document)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CredentialRecorded, organization_id, credential_id, holder_id, name,
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
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CredentialVerified, organization_id, credential_id, holder_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SubOrganizationCreated, organization_id, parent_id, name, role_model,
                                   role_model_version, tier, admin_id, admin_role)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SubOrganizationAdded, organization_id, sub_organization_id, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemberDeactivated, organization_id, account_id, role)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemberReactivated, organization_id, account_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ActionRecorded, organization_id, action, permission, target, allowed, reason,
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

template <std::size_t I = 0>
Result<DomainEvent> decode_alternative(std::string_view type, std::uint32_t schema,
                                       const nlohmann::json& payload) {
  if constexpr (I == std::variant_size_v<DomainEvent>) {
    return Error::make(ErrorCode::invalid_argument,
                       "unknown event type '" + std::string(type) + "'");
  } else {
    using Alt = std::variant_alternative_t<I, DomainEvent>;
    if (type != Alt::kType) return decode_alternative<I + 1>(type, schema, payload);
    constexpr std::uint32_t oldest = [] {
      if constexpr (requires { Alt::kOldestSchema; }) {
        return Alt::kOldestSchema;
      } else {
        return Alt::kSchema;
      }
    }();
    if (schema < oldest || schema > Alt::kSchema) {
      return Error::make(ErrorCode::invalid_argument,
                         "unsupported schema version " + std::to_string(schema) + " for " +
                             std::string(type));
    }
    try {
      return DomainEvent{payload.get<Alt>()};
    } catch (const nlohmann::json::exception& ex) {
      return Error::make(ErrorCode::invalid_argument,
                         "payload of " + std::string(type) + " is malformed: " + ex.what());
    }
  }
}

}  // namespace

Result<DomainEvent> decode_event(std::string_view type, std::uint32_t schema,
                                 const nlohmann::json& payload) {
  return decode_alternative(type, schema, payload);
}

std::string account_stream(std::string_view account_id) {
  return "account-" + std::string(account_id);
}
std::string email_stream(std::string_view lower_cased_email) {
  return "email-" + std::string(lower_cased_email);
}
std::string organization_stream(std::string_view organization_id) {
  return "organization-" + std::string(organization_id);
}

std::string stream_of(const DomainEvent& e) {
  return std::visit(
      [](const auto& ev) -> std::string {
        using E = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<E, EmailClaimed>) {
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
