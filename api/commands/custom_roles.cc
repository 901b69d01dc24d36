// Custom roles: an organisation's own roles (models with custom_roles, business and up).
#include "shapes.h"

namespace touchline::api::commands {

namespace {

template <typename Command>
void read_role_definition(Body& body, Command& cmd) {
  cmd.role = body.required("role");
  cmd.label = body.optional("label");
  cmd.permissions = body.required_string_map("permissions");
}

void read_role_name(Body& body, domain::DeleteRole& cmd) { cmd.role = body.required("role"); }

}  // namespace

Result<Plan> plan_define_role(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::DefineRole, read_role_definition<domain::DefineRole>>(ctx, body);
}

Result<Plan> plan_update_role(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::UpdateRole, read_role_definition<domain::UpdateRole>>(ctx, body);
}

Result<Plan> plan_delete_role(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::DeleteRole, read_role_name>(ctx, body);
}

}  // namespace touchline::api::commands
