// Staff credentials (seed 003): declared by their holder or recorded for them, edited, verified.
#include "shapes.h"

namespace touchline::api::commands {

namespace {

// DeclareCredential and RecordCredential get a new credential id, returned to the client.
template <typename Command, void (*read_fields)(Body&, Command&)>
Result<Plan> plan_new_credential(PlanContext& ctx, const nlohmann::json& json_body) {
  Body body(json_body);
  Command cmd;
  cmd.organization_id = body.required_id("organization_id");
  read_fields(body, cmd);
  if (auto err = body.finish()) return *err;
  cmd.new_credential_id = ctx.new_id();
  TL_READ(org, ctx.state.organization(cmd.organization_id));
  TL_TRY_ASSIGN(plan, plan_of(domain::decide(org, ctx.actor, cmd)));
  plan.result["credential_id"] = cmd.new_credential_id;
  return std::move(plan);
}

template <typename Command>
void read_credential(Body& body, Command& cmd) {
  cmd.name = body.required("name");
  cmd.expires_on = body.required("expires_on");
  cmd.document = body.optional("document");
}

void read_credential_for(Body& body, domain::RecordCredential& cmd) {
  cmd.account_id = body.required_id("account_id");
  read_credential(body, cmd);
}

void read_credential_edit(Body& body, domain::EditCredential& cmd) {
  cmd.credential_id = body.required_id("credential_id");
  cmd.name = body.optional("name");
  cmd.expires_on = body.optional("expires_on");
  cmd.document = body.optional("document");
}

void read_credential_id(Body& body, domain::VerifyCredential& cmd) {
  cmd.credential_id = body.required_id("credential_id");
}

}  // namespace

Result<Plan> plan_declare_credential(PlanContext& ctx, const nlohmann::json& body) {
  return plan_new_credential<domain::DeclareCredential, read_credential<domain::DeclareCredential>>(ctx, body);
}

Result<Plan> plan_record_credential(PlanContext& ctx, const nlohmann::json& body) {
  return plan_new_credential<domain::RecordCredential, read_credential_for>(ctx, body);
}

Result<Plan> plan_edit_credential(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::EditCredential, read_credential_edit>(ctx, body);
}

Result<Plan> plan_verify_credential(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::VerifyCredential, read_credential_id>(ctx, body);
}

}  // namespace touchline::api::commands
