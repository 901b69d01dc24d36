#include "touchline/api/commands.h"

#include <atomic>
#include <map>
#include <memory>
#include <set>

#include "ids.h"
#include "touchline/api/auth.h"
#include "touchline/domain/account.h"
#include "touchline/domain/actions.h"
#include "touchline/domain/credentials.h"
#include "touchline/domain/joining.h"
#include "touchline/domain/organization.h"
#include "touchline/events/domain_events.h"

namespace touchline::api {

namespace {

using events::DomainEvent;
using nlohmann::json;

// Reads a command's fields strictly: a missing, mistyped or unknown field is an
// invalid_argument naming it.
class Fields {
 public:
  explicit Fields(const json& body) : body_(body) {}

  std::string required(const char* name) { return read(name, true); }
  std::string optional(const char* name) { return read(name, false); }

  // An id that will be part of a stream name: 1..64 of [A-Za-z0-9_-].
  std::string required_id(const char* name) {
    std::string v = read(name, true);
    if (!error_ && !is_valid_id(v)) {
      error_ = Error::make(ErrorCode::invalid_argument,
                           std::string(name) + " must be an id of 1 to 64 letters, digits, - or _",
                           name);
    }
    return v;
  }

  bool required_bool(const char* name) {
    seen_.insert(name);
    if (error_) return false;
    auto it = body_.find(name);
    if (it == body_.end() || !it->is_boolean()) {
      error_ = Error::make(ErrorCode::invalid_argument, std::string(name) + " is required: true or false", name);
      return false;
    }
    return it->get<bool>();
  }

  // A non-negative integer, or `fallback` when absent.
  int optional_count(const char* name, int fallback) {
    seen_.insert(name);
    if (error_) return fallback;
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) return fallback;
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > 1'000'000) {
      error_ = Error::make(ErrorCode::invalid_argument, std::string(name) + " must be a non-negative integer", name);
      return fallback;
    }
    return it->get<int>();
  }

  // An object of string values, e.g. {"athletes.view": "assigned"}.
  std::map<std::string, std::string> required_string_map(const char* name) {
    return required_map<std::string>(name, "strings", "a string", [](const json& v) { return v.is_string(); });
  }

  // An object of true/false values, e.g. {"share_pace_data": false}.
  std::map<std::string, bool> required_bool_map(const char* name) {
    return required_map<bool>(name, "true/false values", "true or false",
                              [](const json& v) { return v.is_boolean(); });
  }

  // The first problem, including fields the command does not know.
  std::optional<Error> finish() {
    if (error_) return error_;
    for (const auto& [key, value] : body_.items()) {
      if (!seen_.contains(key)) {
        return Error::make(ErrorCode::invalid_argument, "unknown field '" + key + "'", key);
      }
    }
    return std::nullopt;
  }

 private:
  template <typename Value, typename IsValue>
  std::map<std::string, Value> required_map(const char* name, const char* values, const char* one_value,
                                            IsValue is_value) {
    seen_.insert(name);
    std::map<std::string, Value> out;
    if (error_) return out;
    auto it = body_.find(name);
    if (it == body_.end() || !it->is_object()) {
      error_ = Error::make(ErrorCode::invalid_argument,
                           std::string(name) + " is required: an object of " + values, name);
      return out;
    }
    for (const auto& [key, value] : it->items()) {
      if (!is_value(value)) {
        error_ = Error::make(ErrorCode::invalid_argument,
                             std::string(name) + "." + key + " must be " + one_value, name);
        return {};
      }
      out[key] = value.template get<Value>();
    }
    return out;
  }

  std::string read(const char* name, bool required) {
    seen_.insert(name);
    if (error_) return {};
    auto it = body_.find(name);
    if (it == body_.end() || (!required && it->is_null())) {
      if (required) {
        error_ = Error::make(ErrorCode::invalid_argument, std::string(name) + " is required", name);
      }
      return {};
    }
    if (!it->is_string()) {
      error_ = Error::make(ErrorCode::invalid_argument, std::string(name) + " must be a string", name);
      return {};
    }
    return it->get<std::string>();
  }

  const json& body_;
  std::set<std::string> seen_;
  std::optional<Error> error_;
};

// What one attempt decided: the events, the stream versions the decision was based on, and
// what to answer.
struct Plan {
  std::vector<DomainEvent> events;
  std::map<std::string, std::uint64_t> versions;  // stream -> last version read (0: none)
  std::vector<store::SecretWrite> secrets;
  json result = json::object();
  std::string actor;  // overrides the request's actor (SignUp: the new account)
};

struct PlanContext {
  store::EventStore& log;
  const std::string& actor;
  const std::function<std::string()>& new_id;
  std::int64_t now_ms;
  const std::string& client_address;
  bool by_operator;
  const CommandServiceDeps& deps;
};

// Folds a stream into an aggregate's state and records the version it was read at.
template <typename State>
Result<State> load(const PlanContext& ctx, Plan& plan, const std::string& stream) {
  auto envelopes = ctx.log.read_stream(stream);
  if (!envelopes.ok()) return envelopes.error();
  State state;
  std::uint64_t version = 0;
  for (const auto& e : *envelopes) {
    auto decoded = events::decode_event(e.type, e.schema_version, e.payload);
    if (!decoded.ok()) {
      return Error::make(ErrorCode::internal, "stream " + stream + ": " + decoded.error().message);
    }
    state = domain::evolve(std::move(state), *decoded);
    version = e.stream_version;
  }
  plan.versions[stream] = version;
  return state;
}

// An organisation, with its parent attached when it is a sub-organisation (the parent's owners
// and admins hold their rights in it).
Result<domain::OrganizationState> load_organization(const PlanContext& ctx, Plan& plan, const std::string& id) {
  auto org = load<domain::OrganizationState>(ctx, plan, events::organization_stream(id));
  if (!org.ok() || org->parent_id.empty()) return org;
  auto parent = load<domain::OrganizationState>(ctx, plan, events::organization_stream(org->parent_id));
  if (!parent.ok()) return parent.error();
  org->parent = std::make_shared<const domain::OrganizationState>(std::move(*parent));
  return org;
}

#define TL_TRY_ASSIGN(var, expr)          \
  auto var##_result = (expr);             \
  if (!var##_result.ok()) return var##_result.error(); \
  auto& var = var##_result.value()

Result<Plan> plan_sign_up(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::SignUp cmd;
  cmd.email = f.required("email");
  cmd.password = f.required("password");
  cmd.display_name = f.required("display_name");
  cmd.membership_role = f.optional("membership_role");
  cmd.organization_name = f.optional("organization_name");
  cmd.role_model = f.optional("role_model");
  if (auto err = f.finish()) return *err;
  cmd.new_account_id = ctx.new_id();
  cmd.new_organization_id = ctx.new_id();

  Plan plan;
  TL_TRY_ASSIGN(claim, load<domain::EmailClaimState>(
                           ctx, plan, events::email_stream(domain::normalize_email(cmd.email))));
  TL_TRY_ASSIGN(decided, domain::decide(claim, cmd));
  plan.events = std::move(decided);
  plan.secrets.push_back({"password/" + cmd.new_account_id, hash_password(cmd.password)});
  plan.result["account_id"] = cmd.new_account_id;
  if (!cmd.organization_name.empty()) plan.result["organization_id"] = cmd.new_organization_id;
  plan.actor = cmd.new_account_id;
  return plan;
}

Result<Plan> plan_upgrade_to_coach(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::UpgradeToCoach cmd;
  cmd.organization_name = f.optional("organization_name");
  cmd.role_model = f.optional("role_model");
  if (auto err = f.finish()) return *err;
  cmd.new_organization_id = ctx.new_id();
  Plan plan;
  TL_TRY_ASSIGN(account, load<domain::AccountState>(ctx, plan, events::account_stream(ctx.actor)));
  TL_TRY_ASSIGN(decided, domain::decide(account, cmd));
  plan.events = std::move(decided);
  plan.result["account_id"] = ctx.actor;
  plan.result["upgraded"] = !plan.events.empty();
  if (plan.events.size() > 1) plan.result["organization_id"] = cmd.new_organization_id;
  return plan;
}

Result<Plan> plan_update_privacy(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::UpdatePrivacySettings cmd;
  cmd.account_id = f.optional("account_id");
  cmd.settings = f.required_bool_map("settings");
  if (auto err = f.finish()) return *err;
  if (cmd.account_id.empty()) cmd.account_id = ctx.actor;
  if (!is_valid_id(cmd.account_id)) {
    return Error::make(ErrorCode::invalid_argument, "account_id must be an id", "account_id");
  }
  Plan plan;
  TL_TRY_ASSIGN(account, load<domain::AccountState>(ctx, plan, events::account_stream(cmd.account_id)));
  TL_TRY_ASSIGN(decided, domain::decide(account, ctx.actor, cmd));
  plan.events = std::move(decided);
  plan.result["account_id"] = cmd.account_id;
  return plan;
}

Result<Plan> plan_create_organization(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::CreateOrganization cmd;
  cmd.name = f.required("name");
  cmd.role_model = f.optional("role_model");
  if (auto err = f.finish()) return *err;
  cmd.new_organization_id = ctx.new_id();
  Plan plan;
  TL_TRY_ASSIGN(actor, load<domain::AccountState>(ctx, plan, events::account_stream(ctx.actor)));
  TL_TRY_ASSIGN(decided, domain::decide(actor, cmd));
  plan.events = std::move(decided);
  plan.result["organization_id"] = cmd.new_organization_id;
  return plan;
}

// AddMember and RemoveMember change the member's account too (an athlete's one organisation),
// so they load it beside the organisation.
template <typename Command, void (*read_fields)(Fields&, Command&)>
Result<Plan> plan_on_membership(const PlanContext& ctx, const json& body) {
  Fields f(body);
  Command cmd;
  cmd.organization_id = f.required_id("organization_id");
  cmd.account_id = f.required_id("account_id");
  read_fields(f, cmd);
  if (auto err = f.finish()) return *err;
  Plan plan;
  TL_TRY_ASSIGN(org, load_organization(ctx, plan, cmd.organization_id));
  TL_TRY_ASSIGN(target, load<domain::AccountState>(ctx, plan, events::account_stream(cmd.account_id)));
  TL_TRY_ASSIGN(decided, domain::decide(org, target, ctx.actor, cmd));
  plan.events = std::move(decided);
  return plan;
}

void read_role(Fields& f, domain::AddMember& cmd) { cmd.role = f.required("role"); }

template <typename Command>
void read_nothing(Fields&, Command&) {}

// The commands that change only an organisation share their shape: read organization_id and
// the command's own fields, load the organisation, decide.
template <typename Command, void (*read_fields)(Fields&, Command&)>
Result<Plan> plan_on_organization(const PlanContext& ctx, const json& body) {
  Fields f(body);
  Command cmd;
  cmd.organization_id = f.required_id("organization_id");
  read_fields(f, cmd);
  if (auto err = f.finish()) return *err;
  if constexpr (requires { cmd.by_operator; }) cmd.by_operator = ctx.by_operator;
  Plan plan;
  TL_TRY_ASSIGN(org, load_organization(ctx, plan, cmd.organization_id));
  TL_TRY_ASSIGN(decided, domain::decide(org, ctx.actor, cmd));
  plan.events = std::move(decided);
  return plan;
}

void read_assign_athlete(Fields& f, domain::AssignAthlete& cmd) {
  cmd.athlete_id = f.required_id("athlete_id");
  cmd.coach_id = f.required_id("coach_id");
}

template <typename Command>
void read_account_id(Fields& f, Command& cmd) {
  cmd.account_id = f.required_id("account_id");
}

template <typename Command>
void read_account_and_grant(Fields& f, Command& cmd) {
  cmd.account_id = f.required_id("account_id");
  cmd.grant = f.required("grant");
}

void read_change_role(Fields& f, domain::ChangeMemberRole& cmd) {
  cmd.account_id = f.required_id("account_id");
  cmd.role = f.required("role");
}

void read_unassign(Fields& f, domain::UnassignAthlete& cmd) { cmd.athlete_id = f.required_id("athlete_id"); }

template <typename Command>
void read_role_definition(Fields& f, Command& cmd) {
  cmd.role = f.required("role");
  cmd.label = f.optional("label");
  cmd.permissions = f.required_string_map("permissions");
}

void read_role_name(Fields& f, domain::DeleteRole& cmd) { cmd.role = f.required("role"); }

template <typename Command>
void read_amount(Fields& f, Command& cmd) {
  cmd.amount = f.optional_count("amount", 0);
}

void read_version(Fields& f, domain::AdoptRoleModelVersion& cmd) {
  cmd.version = f.optional_count("version", 0);
}

// ChangeTier also writes the tier to every sub-organisation, so it reads their streams too.
Result<Plan> plan_change_tier(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::ChangeTier cmd;
  cmd.organization_id = f.required_id("organization_id");
  cmd.tier = f.required("tier");
  if (auto err = f.finish()) return *err;
  cmd.by_operator = ctx.by_operator;
  Plan plan;
  TL_TRY_ASSIGN(org, load_organization(ctx, plan, cmd.organization_id));
  for (const auto& child : org.children) {
    auto sub = load<domain::OrganizationState>(ctx, plan, events::organization_stream(child));
    if (!sub.ok()) return sub.error();
  }
  TL_TRY_ASSIGN(decided, domain::decide(org, ctx.actor, cmd));
  plan.events = std::move(decided);
  return plan;
}

void read_change_setting(Fields& f, domain::ChangeOrganizationSetting& cmd) {
  cmd.setting = f.required("setting");
  cmd.enabled = f.required_bool("enabled");
}

void read_invite_id(Fields& f, domain::RevokeInvite& cmd) { cmd.invite_id = f.required_id("invite_id"); }

// The code an invitee presents is "<invite id>.<secret>". Only the secret's SHA-256 is recorded,
// so the log can recognise a code but never hands one out.
Result<Plan> plan_issue_invite(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::IssueInvite cmd;
  cmd.organization_id = f.required_id("organization_id");
  cmd.role = f.optional("role");
  cmd.email = f.optional("email");
  cmd.max_uses = f.optional_count("max_uses", 0);
  cmd.valid_hours = f.optional_count("valid_hours", 0);
  if (auto err = f.finish()) return *err;
  cmd.new_invite_id = ctx.new_id();
  const std::string secret = random_id();
  cmd.code_digest = sha256_hex(secret);
  cmd.now_ms = ctx.now_ms;
  Plan plan;
  TL_TRY_ASSIGN(org, load_organization(ctx, plan, cmd.organization_id));
  TL_TRY_ASSIGN(decided, domain::decide(org, ctx.actor, cmd));
  const auto& issued = std::get<events::InviteIssued>(decided.at(0));
  plan.result = {{"invite_id", issued.invite_id},
                 {"code", issued.invite_id + "." + secret},
                 {"role", issued.role},
                 {"max_uses", issued.max_uses},
                 {"expires_at_ms", issued.expires_at_ms}};
  plan.events = std::move(decided);
  return plan;
}

Result<Plan> plan_accept_invite(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::AcceptInvite cmd;
  cmd.organization_id = f.required_id("organization_id");
  const std::string code = f.required("code");
  if (auto err = f.finish()) return *err;
  const auto dot = code.find('.');
  cmd.invite_id = code.substr(0, dot);
  if (dot == std::string::npos || !is_valid_id(cmd.invite_id) || dot + 1 == code.size()) {
    return Error::make(ErrorCode::invalid_argument, "code must be an invite code as IssueInvite returned it",
                       "code");
  }
  cmd.code_digest = sha256_hex(std::string_view(code).substr(dot + 1));
  cmd.now_ms = ctx.now_ms;
  Plan plan;
  TL_TRY_ASSIGN(org, load_organization(ctx, plan, cmd.organization_id));
  TL_TRY_ASSIGN(joiner, load<domain::AccountState>(ctx, plan, events::account_stream(ctx.actor)));
  TL_TRY_ASSIGN(decided, domain::decide(org, joiner, cmd));
  plan.events = std::move(decided);
  plan.result["role"] = std::get<events::MemberAdded>(plan.events.at(1)).role;
  return plan;
}

// DeclareCredential and RecordCredential get a new credential id, returned to the client.
template <typename Command, void (*read_fields)(Fields&, Command&)>
Result<Plan> plan_new_credential(const PlanContext& ctx, const json& body) {
  Fields f(body);
  Command cmd;
  cmd.organization_id = f.required_id("organization_id");
  read_fields(f, cmd);
  if (auto err = f.finish()) return *err;
  cmd.new_credential_id = ctx.new_id();
  Plan plan;
  TL_TRY_ASSIGN(org, load_organization(ctx, plan, cmd.organization_id));
  TL_TRY_ASSIGN(decided, domain::decide(org, ctx.actor, cmd));
  plan.events = std::move(decided);
  plan.result["credential_id"] = cmd.new_credential_id;
  return plan;
}

template <typename Command>
void read_credential(Fields& f, Command& cmd) {
  cmd.name = f.required("name");
  cmd.expires_on = f.required("expires_on");
  cmd.document = f.optional("document");
}

void read_credential_for(Fields& f, domain::RecordCredential& cmd) {
  cmd.account_id = f.required_id("account_id");
  read_credential(f, cmd);
}

void read_credential_edit(Fields& f, domain::EditCredential& cmd) {
  cmd.credential_id = f.required_id("credential_id");
  cmd.name = f.optional("name");
  cmd.expires_on = f.optional("expires_on");
  cmd.document = f.optional("document");
}

void read_credential_id(Fields& f, domain::VerifyCredential& cmd) { cmd.credential_id = f.required_id("credential_id"); }

// POST /v1/actions: always one ActionRecorded, allowed or denied; the target's account is read
// for its privacy settings.
Result<Plan> plan_record_action(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::RecordAction cmd;
  cmd.organization_id = f.required_id("organization_id");
  cmd.action = f.required("action");
  cmd.target = f.required_id("target");
  cmd.permission = f.optional("permission");
  if (body.contains("details")) cmd.details = f.required_string_map("details");
  if (auto err = f.finish()) return *err;
  cmd.client_ip = ctx.client_address;
  Plan plan;
  TL_TRY_ASSIGN(org, load_organization(ctx, plan, cmd.organization_id));
  TL_TRY_ASSIGN(target, load<domain::AccountState>(ctx, plan, events::account_stream(cmd.target)));
  TL_TRY_ASSIGN(decided, domain::decide(org, &target.privacy, ctx.actor, cmd));
  const auto& recorded = std::get<events::ActionRecorded>(decided.at(0));
  plan.result = {{"action", recorded.action}, {"allowed", recorded.allowed}, {"reason", recorded.reason}};
  plan.events = std::move(decided);
  return plan;
}

Result<Plan> plan_create_sub_organization(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::CreateSubOrganization cmd;
  cmd.organization_id = f.required_id("organization_id");
  cmd.name = f.required("name");
  cmd.admin_id = f.required_id("admin_id");
  if (auto err = f.finish()) return *err;
  cmd.new_organization_id = ctx.new_id();
  Plan plan;
  TL_TRY_ASSIGN(parent, load_organization(ctx, plan, cmd.organization_id));
  TL_TRY_ASSIGN(admin, load<domain::AccountState>(ctx, plan, events::account_stream(cmd.admin_id)));
  TL_TRY_ASSIGN(decided, domain::decide(parent, admin, ctx.actor, cmd));
  plan.events = std::move(decided);
  plan.result["organization_id"] = cmd.new_organization_id;
  return plan;
}

Result<Plan> plan_move_member(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::MoveMember cmd;
  cmd.organization_id = f.required_id("organization_id");
  cmd.to_organization_id = f.required_id("to_organization_id");
  cmd.account_id = f.required_id("account_id");
  if (auto err = f.finish()) return *err;
  Plan plan;
  TL_TRY_ASSIGN(from, load_organization(ctx, plan, cmd.organization_id));
  TL_TRY_ASSIGN(to, load_organization(ctx, plan, cmd.to_organization_id));
  TL_TRY_ASSIGN(member, load<domain::AccountState>(ctx, plan, events::account_stream(cmd.account_id)));
  TL_TRY_ASSIGN(decided, domain::decide(from, to, member, ctx.actor, cmd));
  plan.events = std::move(decided);
  return plan;
}

// Seed 000: coach -> athlete "requires contacting support": only the operator path sends it.
Result<Plan> plan_downgrade_to_athlete(const PlanContext& ctx, const json& body) {
  Fields f(body);
  domain::DowngradeToAthlete cmd;
  cmd.account_id = f.required_id("account_id");
  if (auto err = f.finish()) return *err;
  if (!ctx.by_operator) {
    return Error::make(ErrorCode::permission_denied,
                       "only an operator turns a coach account back into an athlete account (contact support)");
  }
  Plan plan;
  TL_TRY_ASSIGN(account, load<domain::AccountState>(ctx, plan, events::account_stream(cmd.account_id)));
  // Only a coach account can be on a staff: ask the read model (which may wait) only then.
  std::vector<std::string> staff_in;
  if (account.exists && account.membership_role == "coach") {
    TL_TRY_ASSIGN(found, ctx.deps.staff_organizations(cmd.account_id));
    staff_in = std::move(found);
  }
  TL_TRY_ASSIGN(decided, domain::decide(account, staff_in, cmd));
  plan.events = std::move(decided);
  plan.result["account_id"] = cmd.account_id;
  return plan;
}

using Planner = Result<Plan> (*)(const PlanContext&, const json&);

const std::vector<std::pair<std::string, Planner>>& planners() {
  static const std::vector<std::pair<std::string, Planner>> all = {
      {"SignUp", plan_sign_up},
      {"UpgradeToCoach", plan_upgrade_to_coach},
      {"UpdatePrivacySettings", plan_update_privacy},
      {"DowngradeToAthlete", plan_downgrade_to_athlete},
      {"CreateOrganization", plan_create_organization},
      {"AddMember", plan_on_membership<domain::AddMember, read_role>},
      {"RemoveMember", plan_on_membership<domain::RemoveMember, read_nothing<domain::RemoveMember>>},
      {"IssueInvite", plan_issue_invite},
      {"RevokeInvite", plan_on_organization<domain::RevokeInvite, read_invite_id>},
      {"AcceptInvite", plan_accept_invite},
      {"GiveConsent", plan_on_organization<domain::GiveConsent, read_nothing<domain::GiveConsent>>},
      {"WithdrawConsent", plan_on_organization<domain::WithdrawConsent, read_nothing<domain::WithdrawConsent>>},
      {"CreateSubOrganization", plan_create_sub_organization},
      {"MoveMember", plan_move_member},
      {"DeactivateMember",
       plan_on_organization<domain::DeactivateMember, read_account_id<domain::DeactivateMember>>},
      {"ReactivateMember",
       plan_on_organization<domain::ReactivateMember, read_account_id<domain::ReactivateMember>>},
      {"ChangeMemberRole", plan_on_organization<domain::ChangeMemberRole, read_change_role>},
      {"AssignAthlete", plan_on_organization<domain::AssignAthlete, read_assign_athlete>},
      {"UnassignAthlete", plan_on_organization<domain::UnassignAthlete, read_unassign>},
      {"GrantToMember",
       plan_on_organization<domain::GrantToMember, read_account_and_grant<domain::GrantToMember>>},
      {"RevokeFromMember",
       plan_on_organization<domain::RevokeFromMember, read_account_and_grant<domain::RevokeFromMember>>},
      {"GrantBillingDelegation",
       plan_on_organization<domain::GrantBillingDelegation, read_account_id<domain::GrantBillingDelegation>>},
      {"RevokeBillingDelegation",
       plan_on_organization<domain::RevokeBillingDelegation, read_account_id<domain::RevokeBillingDelegation>>},
      {"ChangeTier", plan_change_tier},
      {"ChangeOrganizationSetting",
       plan_on_organization<domain::ChangeOrganizationSetting, read_change_setting>},
      {"DefineRole", plan_on_organization<domain::DefineRole, read_role_definition<domain::DefineRole>>},
      {"UpdateRole", plan_on_organization<domain::UpdateRole, read_role_definition<domain::UpdateRole>>},
      {"DeleteRole", plan_on_organization<domain::DeleteRole, read_role_name>},
      {"AdoptRoleModelVersion", plan_on_organization<domain::AdoptRoleModelVersion, read_version>},
      {"DeclareCredential",
       plan_new_credential<domain::DeclareCredential, read_credential<domain::DeclareCredential>>},
      {"RecordCredential", plan_new_credential<domain::RecordCredential, read_credential_for>},
      {"EditCredential", plan_on_organization<domain::EditCredential, read_credential_edit>},
      {"VerifyCredential", plan_on_organization<domain::VerifyCredential, read_credential_id>},
      {"AddCredits", plan_on_organization<domain::AddCredits, read_amount<domain::AddCredits>>},
      {"SpendCredits", plan_on_organization<domain::SpendCredits, read_amount<domain::SpendCredits>>},
  };
  return all;
}

Planner find_planner(const std::string& name) {
  for (const auto& [n, p] : planners()) {
    if (n == name) return p;
  }
  return nullptr;
}

// The aggregate a command mostly works on: its lane (see commands.h).
std::string lane_of(const CommandRequest& r) {
  if (auto it = r.body.find("organization_id"); it != r.body.end() && it->is_string()) {
    return events::organization_stream(it->get<std::string>());
  }
  if (r.actor.empty()) {
    auto it = r.body.find("email");
    return events::email_stream(it != r.body.end() && it->is_string()
                                    ? domain::normalize_email(it->get<std::string>())
                                    : std::string{});
  }
  return events::account_stream(r.actor);
}

std::string scoped_idempotency_key(const CommandRequest& r) {
  return (r.actor.empty() ? std::string("anonymous") : r.actor) + "/" + r.idempotency_key;
}

}  // namespace

struct CommandService::Attempt {
  CommandRequest request;
  std::function<void(Result<CommandResponse>)> done;
  Planner planner = nullptr;
  std::string lane;
  std::string command_id;
  std::string request_hash;
  int attempts = 0;
};

CommandService::CommandService(CommandServiceDeps deps) : deps_(std::move(deps)) {}

const std::vector<std::string>& CommandService::command_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [n, p] : planners()) out.push_back(n);
    return out;
  }();
  return names;
}

bool CommandService::is_anonymous(const std::string& name) { return name == "SignUp"; }

const std::vector<std::string>& CommandService::operator_commands() {
  static const std::vector<std::string> names = {"DowngradeToAthlete", "ChangeTier", "AddCredits"};
  return names;
}

void CommandService::execute(CommandRequest request,
                             std::function<void(Result<CommandResponse>)> done) {
  Planner planner = find_planner(request.name);
  if (!planner) {
    std::string known;
    for (const auto& n : command_names()) known += (known.empty() ? "" : ", ") + n;
    return done(Error::make(ErrorCode::not_found,
                            "unknown command '" + request.name + "'; known commands: " + known));
  }
  auto a = std::make_shared<Attempt>();
  a->planner = planner;
  admit(std::move(a), std::move(request), std::move(done));
}

void CommandService::record_action(CommandRequest request, std::function<void(Result<CommandResponse>)> done) {
  request.name = "RecordAction";
  auto a = std::make_shared<Attempt>();
  a->planner = plan_record_action;
  admit(std::move(a), std::move(request), std::move(done));
}

void CommandService::admit(std::shared_ptr<Attempt> a, CommandRequest request,
                           std::function<void(Result<CommandResponse>)> done) {
  if (!request.body.is_object()) {
    return done(Error::make(ErrorCode::invalid_argument, "the request body must be a JSON object"));
  }
  if (request.actor.empty() && !is_anonymous(request.name)) {
    return done(Error::make(ErrorCode::unauthenticated, request.name + " needs a bearer token"));
  }
  a->command_id = deps_.new_id();
  if (!request.idempotency_key.empty()) {
    a->request_hash = deps_.fingerprint(request.name + "\n" + request.body.dump());
    if (auto rec = deps_.log.find_idempotency(scoped_idempotency_key(request))) {
      if (rec->request_hash != a->request_hash) {
        return done(Error::make(ErrorCode::idempotency_mismatch,
                                "this Idempotency-Key was already used with a different request"));
      }
      return done(CommandResponse{rec->result, true});
    }
  }
  a->lane = lane_of(request);
  a->request = std::move(request);
  a->done = [this, lane = a->lane, done = std::move(done),
             answered = std::make_shared<std::atomic<bool>>(false)](Result<CommandResponse> r) {
    if (answered->exchange(true)) return;  // exactly once, even if answering threw
    // The lane moves on even if answering throws: a stuck lane would silence every later
    // command on its aggregate.
    struct LeaveLane {
      CommandService* service;
      const std::string& lane;
      ~LeaveLane() { service->leave_lane(lane); }
    } leave{this, lane};
    done(std::move(r));
  };
  enter_lane(std::move(a));
}

void CommandService::enter_lane(std::shared_ptr<Attempt> a) {
  {
    std::lock_guard lock(lanes_mu_);
    auto& queue = lanes_[a->lane];
    queue.push_back(a);
    if (queue.size() > 1) return;  // runs when the one ahead of it is answered
  }
  attempt(std::move(a));
}

void CommandService::leave_lane(const std::string& lane) {
  std::shared_ptr<Attempt> next;
  {
    std::lock_guard lock(lanes_mu_);
    auto it = lanes_.find(lane);
    it->second.pop_front();
    if (it->second.empty()) {
      lanes_.erase(it);
      return;
    }
    next = it->second.front();
  }
  if (!deps_.post([this, next] { attempt(next); })) {
    next->done(Error::make(ErrorCode::unavailable, "the server is stopping; retry the command"));
  }
}

void CommandService::attempt(std::shared_ptr<Attempt> a) {
  // Planning may throw on what should not happen (out of memory while hashing, a stored event
  // this build cannot read): answer internal rather than leave the request, and its lane, hanging.
  try {
    attempt_once(a);
  } catch (const std::exception& ex) {
    a->done(Error::make(ErrorCode::internal, std::string("command failed: ") + ex.what()));
  }
}

void CommandService::attempt_once(const std::shared_ptr<Attempt>& a) {
  ++a->attempts;
  const CommandRequest& req = a->request;
  if (!req.idempotency_key.empty()) {
    // Again, now that the command holds its lane: a retry queued behind the original must
    // answer the original's result, not decide afresh against the state it created.
    if (auto rec = deps_.log.find_idempotency(scoped_idempotency_key(req))) {
      if (rec->request_hash != a->request_hash) {
        return a->done(Error::make(ErrorCode::idempotency_mismatch,
                                   "this Idempotency-Key was already used with a different request"));
      }
      return a->done(CommandResponse{rec->result, true});
    }
  }
  PlanContext ctx{deps_.log, req.actor, deps_.new_id, deps_.now_ms(), req.client_address, req.by_operator, deps_};
  auto plan = a->planner(ctx, req.body);
  if (!plan.ok()) return a->done(plan.error());

  store::AppendRequest append;
  std::map<std::string, std::size_t> index;  // stream -> position in append.streams
  for (const auto& e : plan->events) {
    std::string stream = events::stream_of(e);
    auto [it, inserted] = index.emplace(stream, append.streams.size());
    if (inserted) {
      // A stream the decision read must not have moved since; one it did not read is new.
      auto seen = plan->versions.find(stream);
      std::uint64_t version = seen == plan->versions.end() ? 0 : seen->second;
      append.streams.push_back(store::StreamAppend{
          stream,
          version == 0 ? store::ExpectedVersion::no_stream() : store::ExpectedVersion::exact(version),
          {}});
    }
    append.streams[it->second].events.push_back(
        store::NewEvent{std::string(events::event_type(e)), events::event_schema(e),
                        events::event_payload(e)});
  }
  append.secrets = std::move(plan->secrets);
  append.metadata = store::AppendMetadata{plan->actor.empty() ? req.actor : plan->actor,
                                          a->command_id,
                                          req.correlation_id.empty() ? a->command_id : req.correlation_id,
                                          a->command_id};
  json result = std::move(plan->result);
  if (!req.idempotency_key.empty()) {
    append.idempotency = store::IdempotencyRecord{scoped_idempotency_key(req), a->request_hash, result};
  } else if (append.streams.empty() && append.secrets.empty()) {
    // Nothing to record (the state already is what the command asks for).
    result["position"] = deps_.log.head_position();
    return a->done(CommandResponse{std::move(result), false});
  }

  deps_.log.append_async(std::move(append), [this, a, result = std::move(result)](
                                                Result<store::AppendResult> r) mutable {
    if (!r.ok()) {
      if (r.error().code == ErrorCode::conflict) {
        if (a->attempts < deps_.max_attempts) {
          if (deps_.post([this, a] { attempt(a); })) return;
          return a->done(Error::make(ErrorCode::unavailable, "the server is stopping; retry the command"));
        }
        return a->done(Error::make(ErrorCode::conflict,
                                   "the organisation or account changed concurrently " +
                                       std::to_string(a->attempts) + " times; retry the command"));
      }
      return a->done(r.error());
    }
    if (!r->result.is_null()) return a->done(CommandResponse{r->result, r->replayed});
    result["position"] = r->last_position;
    a->done(CommandResponse{std::move(result), false});
  });
}

}  // namespace touchline::api
