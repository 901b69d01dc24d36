// Sub-organisations (seed 002): founding one under a parent, moving members between them.
#include "shapes.h"

namespace touchline::api::commands {

Result<Plan> plan_create_sub_organization(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::CreateSubOrganization cmd;
  cmd.organization_id = body.required_id("organization_id");
  cmd.name = body.required("name");
  cmd.admin_id = body.required_id("admin_id");
  if (auto err = body.finish()) return *err;
  cmd.new_organization_id = ctx.new_id();
  TL_READ(parent, ctx.state.organization(cmd.organization_id));
  TL_READ(admin, ctx.state.account(cmd.admin_id));
  TL_TRY_ASSIGN(plan, plan_of(domain::decide(parent, admin, ctx.actor, cmd)));
  plan.result["organization_id"] = cmd.new_organization_id;
  return std::move(plan);
}

Result<Plan> plan_move_member(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::MoveMember cmd;
  cmd.organization_id = body.required_id("organization_id");
  cmd.to_organization_id = body.required_id("to_organization_id");
  cmd.account_id = body.required_id("account_id");
  if (auto err = body.finish()) return *err;
  TL_READ(from, ctx.state.organization(cmd.organization_id));
  TL_READ(to, ctx.state.organization(cmd.to_organization_id));
  TL_READ(member, ctx.state.account(cmd.account_id));
  return plan_of(domain::decide(from, to, member, ctx.actor, cmd));
}

}  // namespace touchline::api::commands
