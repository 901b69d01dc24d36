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

  const std::string address = domain::normalize_email(cmd.email);
  cmd.email_key = ctx.claim_key(address);
  TL_READ(claim, ctx.state.email_claim(cmd.email_key));
  // A log from before claim keys claimed addresses by name: such a claim stands too.
  TL_READ(claim_by_name, ctx.state.email_claim(address));
  auto decided = domain::decide(claim.claimed ? claim : claim_by_name, cmd);
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
  if (account.exists) {
    TL_TRY_ASSIGN(name, ctx.open_personal(account.display_name));
    if (!name) return Error::make(ErrorCode::failed_precondition, "the account was erased");
    upgrade["organization_name"] = *name + "'s organisation";
  }
  TL_TRY_ASSIGN(plan, plan_upgrade_to_coach(ctx, upgrade));
  plan.organization_named_after_founder = true;
  return std::move(plan);
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

Result<Plan> plan_erase_account(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::EraseAccount cmd;
  cmd.account_id = ctx.by_operator ? body.required_id("account_id") : body.optional_id("account_id");
  if (auto err = body.finish()) return *err;
  if (cmd.account_id.empty()) cmd.account_id = ctx.actor;
  TL_READ(account, ctx.state.account(cmd.account_id));
  // Data recorded before sealing cannot be destroyed with a key: refused, not answered erased.
  if (account.exists && !account.erased && !store::PersonalData::is_sealed(account.email)) {
    return Error::make(ErrorCode::failed_precondition,
                       "this account was recorded before personal data was sealed: an operator migrates the log "
                       "first (touchline migrate, docs/OPERATIONS.md)",
                       "account_id")
        .because("recorded_before_sealing");
  }
  if (store::PersonalData::is_sealed(account.email)) {
    TL_TRY_ASSIGN(email, ctx.open_personal(account.email));
    if (email) cmd.email_key = ctx.claim_key(domain::normalize_email(*email));
  }
  domain::EmailClaimState no_claim;
  const domain::EmailClaimState* claim = &no_claim;
  if (!cmd.email_key.empty()) {
    auto read = ctx.state.email_claim(cmd.email_key);
    if (!read.ok()) return read.error();
    claim = *read;
  }
  TL_TRY_ASSIGN(plan, plan_of(domain::decide(account, *claim, ctx.actor, ctx.by_operator, cmd)));
  plan.result["account_id"] = cmd.account_id;
  plan.result["erased"] = !plan.events.empty();
  // Purged again when already erased: a retry after an answer lost, or a purge that failed.
  plan.purge_erased_secrets = true;
  if (plan.events.empty()) return std::move(plan);
  const std::string subject = events::account_stream(cmd.account_id);
  plan.erased_subjects.push_back(subject);
  plan.secrets.push_back(store::PersonalData::destroy(subject, /*for_good=*/true));
  if (!cmd.email_key.empty()) {  // invites to the address; released, it may be invited again
    plan.erased_subjects.push_back(events::email_stream(cmd.email_key));
    plan.secrets.push_back(store::PersonalData::destroy(plan.erased_subjects.back(), /*for_good=*/false));
  }
  plan.secrets.push_back({"password/" + cmd.account_id, "", true});
  return std::move(plan);
}

}  // namespace touchline::api::commands
