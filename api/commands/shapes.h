// Internal to the planners: the shapes most commands share.
#pragma once

#include <utility>

#include "touchline/api/commands/body.h"
#include "touchline/api/commands/planners.h"
// Every decide function the shapes below may call, visible where the templates are defined.
#include "touchline/domain/account.h"
#include "touchline/domain/actions.h"
#include "touchline/domain/credentials.h"
#include "touchline/domain/joining.h"
#include "touchline/domain/organization.h"

namespace touchline::api::commands {

// `const auto& var` = the state a StateReader read, or return its error.
#define TL_READ(var, expr)                         \
  auto var##_read = (expr);                        \
  if (!var##_read.ok()) return var##_read.error(); \
  const auto& var = **var##_read

// `auto& var` = the value of a Result, or return its error.
#define TL_TRY_ASSIGN(var, expr)                       \
  auto var##_result = (expr);                          \
  if (!var##_result.ok()) return var##_result.error(); \
  auto& var = var##_result.value()

// A plan of the events a decide function returned, or its error.
inline Result<Plan> plan_of(Result<std::vector<events::DomainEvent>> decided) {
  if (!decided.ok()) return decided.error();
  Plan plan;
  plan.events = std::move(decided).value();
  return plan;
}

// Commands that change only an organisation: read organization_id and the command's own fields,
// read the organisation, decide.
template <typename Command, void (*read_fields)(Body&, Command&)>
Result<Plan> plan_on_organization(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  Command cmd;
  cmd.organization_id = body.required_id("organization_id");
  read_fields(body, cmd);
  if (auto err = body.finish()) return *err;
  if constexpr (requires { cmd.by_operator; }) cmd.by_operator = ctx.by_operator;
  TL_READ(org, ctx.state.organization(cmd.organization_id));
  return plan_of(domain::decide(org, ctx.actor, cmd));
}

template <typename Command>
void read_nothing(Body&, Command&) {}

template <typename Command>
void read_account_id(Body& body, Command& cmd) {
  cmd.account_id = body.required_id("account_id");
}

}  // namespace touchline::api::commands
