// Billing: the organisation's tier and its AI credit pool.
#include "shapes.h"

namespace touchline::api::commands {

namespace {

template <typename Command>
void read_amount(Body& body, Command& cmd) {
  cmd.amount = body.optional_count("amount", 0);
}

}  // namespace

// ChangeTier also writes the tier to every sub-organisation, so it reads them too: the append
// then expects each at the version read.
Result<Plan> plan_change_tier(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  domain::ChangeTier cmd;
  cmd.organization_id = body.required_id("organization_id");
  cmd.tier = body.required("tier");
  if (auto err = body.finish()) return *err;
  cmd.by_operator = ctx.by_operator;
  TL_READ(org, ctx.state.organization(cmd.organization_id));
  for (const auto& child : org.children) {
    if (auto sub = ctx.state.organization(child); !sub.ok()) return sub.error();
  }
  return plan_of(domain::decide(org, ctx.actor, cmd));
}

Result<Plan> plan_add_credits(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::AddCredits, read_amount<domain::AddCredits>>(ctx, body);
}

Result<Plan> plan_spend_credits(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::SpendCredits, read_amount<domain::SpendCredits>>(ctx, body);
}

}  // namespace touchline::api::commands
