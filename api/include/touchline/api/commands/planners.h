// The write side's planners: each turns one command's JSON body into a decision of the role
// aggregates (domain/), as the events to append, the secrets to keep beside them and what to
// answer. A planner reads the aggregates' current states through a StateReader and does no other
// I/O, so it is tested as a plain function: given these states, when this body, then this plan or
// this typed error. One source file per area under api/commands/.
//
// Every planner returns invalid_argument naming the field for a body the command does not accept
// (touchline/api/commands/body.h), else what the domain's decide function returns.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "touchline/domain/account.h"
#include "touchline/domain/organization.h"
#include "touchline/events/domain_events.h"
#include "touchline/events/result.h"
#include "touchline/store/event_store.h"
#include "touchline/store/personal_data.h"

namespace touchline::api::commands {

// The aggregates' states a planner decides on, each at its stream's current version. A stream
// with no events reads as the default state (exists/claimed false). A pointer stays valid until
// the planner returns. A read that failed is an error (internal), never a missing aggregate.
//
// The server's reader is the write side's aggregate cache, which serialises decisions from a
// planner's first read on: a planner does its slow work (hashing a password, waiting for a read
// model) before its first read.
class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual Result<const domain::AccountState*> account(const std::string& account_id) = 0;
  // A sub-organisation comes with its parent attached (OrganizationState::parent).
  virtual Result<const domain::OrganizationState*> organization(const std::string& organization_id) = 0;
  virtual Result<const domain::EmailClaimState*> email_claim(const std::string& normalized_email) = 0;
};

struct Plan {
  std::vector<events::DomainEvent> events;  // empty: nothing to record (an explicit no-op)
  std::vector<store::SecretWrite> secrets;  // kept outside the log, in the same batch
  nlohmann::json result = nlohmann::json::object();  // the answer, without "position"
  std::string actor;  // overrides the request's actor in the envelopes (SignUp: the new account)
  // The organisation it founds is named after its founder (seed 000's console upgrade): the name
  // is the founder's personal data, sealed under their key (seal_personal_data).
  bool organization_named_after_founder = false;
  // The personal data subjects whose keys the plan's secrets destroy (EraseAccount): once the
  // append is durable, the server forgets them.
  std::vector<std::string> erased_subjects;
  // EraseAccount: the answer waits for EventStore::purge_erased_secrets (after the append, if any).
  bool purge_erased_secrets = false;
};

struct PlanContext {
  StateReader& state;
  std::string actor;           // the authenticated account id; empty only for SignUp
  std::int64_t now_ms = 0;     // the server clock, for expiry
  std::string client_address;  // the peer's IP address (recorded actions keep it)
  bool by_operator = false;    // sent with the operator token
  std::function<std::string()> new_id;      // ids of what a command creates
  std::function<std::string()> new_secret;  // the secret half of an invite code
  // The organisations where an account holds a staff role, for DowngradeToAthlete; unavailable
  // while the read model that knows them is behind the log. May wait: call it before any read.
  std::function<Result<std::vector<std::string>>(const std::string& account_id)> staff_organizations;
  // SignUp: the Argon2id hash of the body's password, made before planning off the deciding
  // threads (touchline/api/password_hasher.h); the planner keeps it as the account's secret.
  std::string password_hash;
  // Personal data (store/personal_data.h): the claim key of a lower-cased address, and the plain
  // text of what a state holds sealed (nullopt: its owner was erased; text never sealed comes
  // back as it is; internal when a key cannot be read).
  std::function<std::string(std::string_view normalized_email)> claim_key;
  std::function<Result<std::optional<std::string>>(std::string_view text)> open_personal;
};

// Seals, in place, the personal data in `plan`'s events under the keys of the people it belongs
// to (store::PersonalData::seal_fields), adding to plan.secrets the keys made for it. `actor` is
// the envelopes' actor. Errors: internal when a key cannot be read.
Status seal_personal_data(Plan& plan, const std::string& actor, store::PersonalData& personal);

using Planner = Result<Plan> (*)(PlanContext& ctx, const nlohmann::json& body);

// accounts.cc
Result<Plan> plan_sign_up(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_upgrade_to_coach(PlanContext& ctx, const nlohmann::json& body);
// Seed 000: an athlete account signing in at the coach console becomes a coach account and founds
// "<display name>'s organisation" (UpgradeToCoach); a coach account is a no-op. Takes no fields.
Result<Plan> plan_upgrade_at_console(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_update_privacy(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_downgrade_to_athlete(PlanContext& ctx, const nlohmann::json& body);  // operator only
// The account itself, or an operator: destroys the account's key (and its email's), releases its
// email and deletes its password.
Result<Plan> plan_erase_account(PlanContext& ctx, const nlohmann::json& body);

// membership.cc
Result<Plan> plan_create_organization(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_add_member(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_remove_member(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_deactivate_member(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_reactivate_member(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_change_member_role(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_assign_athlete(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_unassign_athlete(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_change_organization_setting(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_adopt_role_model_version(PlanContext& ctx, const nlohmann::json& body);

// joining.cc
Result<Plan> plan_issue_invite(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_revoke_invite(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_accept_invite(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_accept_membership(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_decline_membership(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_leave_organization(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_give_consent(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_withdraw_consent(PlanContext& ctx, const nlohmann::json& body);

// grants.cc
Result<Plan> plan_grant_to_member(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_revoke_from_member(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_grant_billing_delegation(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_revoke_billing_delegation(PlanContext& ctx, const nlohmann::json& body);

// custom_roles.cc
Result<Plan> plan_define_role(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_update_role(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_delete_role(PlanContext& ctx, const nlohmann::json& body);

// billing.cc
Result<Plan> plan_change_tier(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_add_credits(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_spend_credits(PlanContext& ctx, const nlohmann::json& body);

// credentials.cc
Result<Plan> plan_declare_credential(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_record_credential(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_edit_credential(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_verify_credential(PlanContext& ctx, const nlohmann::json& body);

// actions.cc: POST /v1/actions, always one ActionRecorded, allowed or denied.
Result<Plan> plan_record_action(PlanContext& ctx, const nlohmann::json& body);

// suborgs.cc
Result<Plan> plan_create_sub_organization(PlanContext& ctx, const nlohmann::json& body);
Result<Plan> plan_move_member(PlanContext& ctx, const nlohmann::json& body);

// catalogue.cc: every command sent by name (POST /v1/commands/{name}), in documentation order.
const std::vector<std::pair<std::string, Planner>>& named_planners();
Planner find_planner(const std::string& name);  // nullptr for an unknown name

}  // namespace touchline::api::commands
