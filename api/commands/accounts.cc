// Accounts: signing up, becoming a coach and back, privacy settings.
#include "shapes.h"

namespace touchline::api::commands {

Result<Plan> plan_sign_up(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::SignUp cmd;
  cmd.email = body.required("email");
  cmd.password = body.required("password");
  cmd.display_name = body.required("display_name");
  cmd.membership_role = body.optional("membership_role");
  cmd.organization_name = body.optional("organization_name");
  cmd.role_model = body.optional("role_model");
  if (auto err = body.finish()) return *err;
  cmd.new_account_id = ctx.new_id();
  cmd.new_organization_id = ctx.new_id();
  if (ctx.password_hash.empty()) {
    return Error::make(ErrorCode::internal, "SignUp was planned without its password's hash");
  }

  TL_READ(claim, ctx.state.email_claim(domain::normalize_email(cmd.email)));
  auto decided = domain::decide(claim, cmd);
  Plan plan;
  plan.result["account_id"] = cmd.new_account_id;
  if (!cmd.organization_name.empty()) plan.result["organization_id"] = cmd.new_organization_id;
  if (!decided.ok() && decided.error().code == ErrorCode::already_exists) {
    // A taken email is answered as a new one would be, ids and all, with nothing recorded: so
    // that signing up does not tell anyone which emails have accounts. The owner of the email
    // learns at sign-in, which answers their account's id.
    return plan;
  }
  if (!decided.ok()) return decided.error();
  plan.events = std::move(*decided);
  plan.secrets.push_back({"password/" + cmd.new_account_id, ctx.password_hash});
  plan.actor = cmd.new_account_id;
  return plan;
}

Result<Plan> plan_upgrade_to_coach(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::UpgradeToCoach cmd;
  cmd.organization_name = body.optional("organization_name");
  cmd.role_model = body.optional("role_model");
  if (auto err = body.finish()) return *err;
  cmd.new_organization_id = ctx.new_id();
  TL_READ(account, ctx.state.account(ctx.actor));
  TL_TRY_ASSIGN(plan, plan_of(domain::decide(account, cmd)));
  plan.result["account_id"] = ctx.actor;
  plan.result["upgraded"] = !plan.events.empty();
  if (plan.events.size() > 1) plan.result["organization_id"] = cmd.new_organization_id;
  return std::move(plan);
}

Result<Plan> plan_upgrade_at_console(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  if (auto err = body.finish()) return *err;
  TL_READ(account, ctx.state.account(ctx.actor));
  nlohmann::json upgrade = nlohmann::json::object();
  if (account.exists) upgrade["organization_name"] = account.display_name + "'s organisation";
  return plan_upgrade_to_coach(ctx, upgrade);
}

Result<Plan> plan_update_privacy(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::UpdatePrivacySettings cmd;
  cmd.account_id = body.optional_id("account_id");
  cmd.settings = body.required_bool_map("settings");
  if (auto err = body.finish()) return *err;
  if (cmd.account_id.empty()) cmd.account_id = ctx.actor;
  TL_READ(account, ctx.state.account(cmd.account_id));
  TL_TRY_ASSIGN(plan, plan_of(domain::decide(account, ctx.actor, cmd)));
  plan.result["account_id"] = cmd.account_id;
  return std::move(plan);
}

// Seed 000: coach -> athlete "requires contacting support": only the operator path sends it.
Result<Plan> plan_downgrade_to_athlete(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::DowngradeToAthlete cmd;
  cmd.account_id = body.required_id("account_id");
  if (auto err = body.finish()) return *err;
  if (!ctx.by_operator) {
    return Error::make(ErrorCode::permission_denied,
                       "only an operator turns a coach account back into an athlete account (contact support)");
  }
  // Asking the read model may wait for it, so it comes before the first read (planners.h).
  TL_TRY_ASSIGN(staff_in, ctx.staff_organizations(cmd.account_id));
  TL_READ(account, ctx.state.account(cmd.account_id));
  TL_TRY_ASSIGN(plan, plan_of(domain::decide(account, staff_in, cmd)));
  plan.result["account_id"] = cmd.account_id;
  return std::move(plan);
}

}  // namespace touchline::api::commands
