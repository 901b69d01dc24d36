// Recorded actions (POST /v1/actions): a consequential action checked and recorded in one step.
#include "shapes.h"

namespace touchline::api::commands {

// Always one ActionRecorded, allowed or denied; the target's account is read for its privacy
// settings.
Result<Plan> plan_record_action(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::RecordAction cmd;
  cmd.organization_id = body.required_id("organization_id");
  cmd.action = body.required("action");
  cmd.target = body.required_id("target");
  cmd.permission = body.optional("permission");
  cmd.details = body.optional_string_map("details");
  if (auto err = body.finish()) return *err;
  cmd.client_ip = ctx.client_address;
  TL_READ(org, ctx.state.organization(cmd.organization_id));
  TL_READ(target, ctx.state.account(cmd.target));
  TL_TRY_ASSIGN(plan, plan_of(domain::decide(org, &target.privacy, ctx.actor, cmd)));
  const auto& recorded = std::get<events::ActionRecorded>(plan.events.at(0));
  plan.result = {{"action", recorded.action}, {"allowed", recorded.allowed}, {"reason", recorded.reason}};
  return std::move(plan);
}

}  // namespace touchline::api::commands
