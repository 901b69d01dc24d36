// Organisations and their members: founding one, adding, removing, (de)activating, roles,
// athlete assignments, settings and role-model versions.
#include "shapes.h"

namespace touchline::api::commands {

namespace {

// AddMember and RemoveMember change the member's account too (an athlete's one organisation),
// so they read it beside the organisation.
template <typename Command, void (*read_fields)(Body&, Command&)>
Result<Plan> plan_on_membership(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  Command cmd;
  cmd.organization_id = body.required_id("organization_id");
  cmd.account_id = body.required_id("account_id");
  read_fields(body, cmd);
  if (auto err = body.finish()) return *err;
  TL_READ(org, ctx.state.organization(cmd.organization_id));
  TL_READ(member, ctx.state.account(cmd.account_id));
  return plan_of(domain::decide(org, member, ctx.actor, cmd));
}

void read_role(Body& body, domain::AddMember& cmd) { cmd.role = body.required("role"); }

void read_change_role(Body& body, domain::ChangeMemberRole& cmd) {
  cmd.account_id = body.required_id("account_id");
  cmd.role = body.required("role");
}

void read_assign_athlete(Body& body, domain::AssignAthlete& cmd) {
  cmd.athlete_id = body.required_id("athlete_id");
  cmd.coach_id = body.required_id("coach_id");
}

void read_unassign(Body& body, domain::UnassignAthlete& cmd) { cmd.athlete_id = body.required_id("athlete_id"); }

void read_change_setting(Body& body, domain::ChangeOrganizationSetting& cmd) {
  cmd.setting = body.required("setting");
  cmd.enabled = body.required_bool("enabled");
}

void read_version(Body& body, domain::AdoptRoleModelVersion& cmd) { cmd.version = body.optional_count("version", 0); }

}  // namespace

Result<Plan> plan_create_organization(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::CreateOrganization cmd;
  cmd.name = body.required("name");
  cmd.role_model = body.optional("role_model");
  if (auto err = body.finish()) return *err;
  cmd.new_organization_id = ctx.new_id();
  TL_READ(creator, ctx.state.account(ctx.actor));
  TL_TRY_ASSIGN(plan, plan_of(domain::decide(creator, cmd)));
  plan.result["organization_id"] = cmd.new_organization_id;
  return std::move(plan);
}

// The account becomes a member only when it accepts (AcceptMembership): the answer says so.
Result<Plan> plan_add_member(PlanContext& ctx, const nlohmann::json& body) {
  TL_TRY_ASSIGN(plan, (plan_on_membership<domain::AddMember, read_role>(ctx, body)));
  plan.result["pending"] = true;
  return std::move(plan);
}

Result<Plan> plan_remove_member(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_membership<domain::RemoveMember, read_nothing<domain::RemoveMember>>(ctx, body);
}

Result<Plan> plan_deactivate_member(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::DeactivateMember, read_account_id<domain::DeactivateMember>>(ctx, body);
}

Result<Plan> plan_reactivate_member(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::ReactivateMember, read_account_id<domain::ReactivateMember>>(ctx, body);
}

Result<Plan> plan_change_member_role(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::ChangeMemberRole, read_change_role>(ctx, body);
}

Result<Plan> plan_assign_athlete(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::AssignAthlete, read_assign_athlete>(ctx, body);
}

Result<Plan> plan_unassign_athlete(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::UnassignAthlete, read_unassign>(ctx, body);
}

Result<Plan> plan_change_organization_setting(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::ChangeOrganizationSetting, read_change_setting>(ctx, body);
}

Result<Plan> plan_adopt_role_model_version(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::AdoptRoleModelVersion, read_version>(ctx, body);
}

}  // namespace touchline::api::commands
