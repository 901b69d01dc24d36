// Joining and leaving an organisation: invites, answers to AddMember's offers, leaving, and
// athletes' consent to coaching.
#include "shapes.h"
#include "touchline/api/auth.h"
#include "touchline/api/ids.h"

namespace touchline::api::commands {

namespace {

void read_invite_id(Body& body, domain::RevokeInvite& cmd) { cmd.invite_id = body.required_id("invite_id"); }

}  // namespace

// The code an invitee presents is "<invite id>.<secret>". Only the secret's SHA-256 is recorded,
// so the log can recognise a code but never hands one out.
Result<Plan> plan_issue_invite(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::IssueInvite cmd;
  cmd.organization_id = body.required_id("organization_id");
  cmd.role = body.optional("role");
  cmd.email = body.optional("email");
  cmd.max_uses = body.optional_count("max_uses", 0);
  cmd.valid_hours = body.optional_count("valid_hours", 0);
  if (auto err = body.finish()) return *err;
  cmd.new_invite_id = ctx.new_id();
  const std::string secret = ctx.new_secret();
  cmd.code_digest = sha256_hex(secret);
  cmd.now_ms = ctx.now_ms;
  if (!cmd.email.empty()) cmd.email_key = ctx.claim_key(domain::normalize_email(cmd.email));
  TL_READ(org, ctx.state.organization(cmd.organization_id));
  TL_TRY_ASSIGN(plan, plan_of(domain::decide(org, ctx.actor, cmd)));
  const auto& issued = std::get<events::InviteIssued>(plan.events.at(0));
  plan.result = {{"invite_id", issued.invite_id},
                 {"code", issued.invite_id + "." + secret},
                 {"role", issued.role},
                 {"max_uses", issued.max_uses},
                 {"expires_at_ms", issued.expires_at_ms}};
  return std::move(plan);
}

Result<Plan> plan_revoke_invite(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::RevokeInvite, read_invite_id>(ctx, body);
}

Result<Plan> plan_accept_invite(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::AcceptInvite cmd;
  cmd.organization_id = body.required_id("organization_id");
  const std::string code = body.required("code");
  if (auto err = body.finish()) return *err;
  const auto dot = code.find('.');
  cmd.invite_id = code.substr(0, dot);
  if (dot == std::string::npos || !is_valid_id(cmd.invite_id) || dot + 1 == code.size()) {
    return Error::make(ErrorCode::invalid_argument, "code must be an invite code as IssueInvite returned it",
                       "code");
  }
  cmd.code_digest = sha256_hex(std::string_view(code).substr(dot + 1));
  cmd.now_ms = ctx.now_ms;
  TL_READ(org, ctx.state.organization(cmd.organization_id));
  TL_READ(joiner, ctx.state.account(ctx.actor));
  if (!joiner.email.empty()) {
    TL_TRY_ASSIGN(email, ctx.open_personal(joiner.email));
    if (email) {
      cmd.joiner_email = domain::normalize_email(*email);
      cmd.joiner_email_key = ctx.claim_key(cmd.joiner_email);
    }
  }
  TL_TRY_ASSIGN(plan, plan_of(domain::decide(org, joiner, cmd)));
  plan.result["role"] = std::get<events::MemberAdded>(plan.events.at(1)).role;
  return std::move(plan);
}

namespace {

// AcceptMembership and LeaveOrganization change the signed-in account too (an athlete's one
// organisation), so they read it beside the organisation.
template <typename Command>
Result<Plan> plan_on_own_membership(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  Command cmd;
  cmd.organization_id = body.required_id("organization_id");
  if (auto err = body.finish()) return *err;
  TL_READ(org, ctx.state.organization(cmd.organization_id));
  TL_READ(account, ctx.state.account(ctx.actor));
  return plan_of(domain::decide(org, account, cmd));
}

}  // namespace

Result<Plan> plan_accept_membership(PlanContext& ctx, const nlohmann::json& body) {
  TL_TRY_ASSIGN(plan, plan_on_own_membership<domain::AcceptMembership>(ctx, body));
  plan.result["role"] = std::get<events::MemberAdded>(plan.events.at(1)).role;
  return std::move(plan);
}

Result<Plan> plan_decline_membership(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::DeclineMembership, read_nothing<domain::DeclineMembership>>(ctx, body);
}

Result<Plan> plan_leave_organization(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_own_membership<domain::LeaveOrganization>(ctx, body);
}

Result<Plan> plan_give_consent(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::GiveConsent, read_nothing<domain::GiveConsent>>(ctx, body);
}

Result<Plan> plan_withdraw_consent(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::WithdrawConsent, read_nothing<domain::WithdrawConsent>>(ctx, body);
}

}  // namespace touchline::api::commands
