// Member grants: a model's named permissions given to one member on top of their role, billing
// delegation among them.
#include "shapes.h"

namespace touchline::api::commands {

namespace {

template <typename Command>
void read_account_and_grant(Body& body, Command& cmd) {
  cmd.account_id = body.required_id("account_id");
  cmd.grant = body.required("grant");
}

}  // namespace

Result<Plan> plan_grant_to_member(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::GrantToMember, read_account_and_grant<domain::GrantToMember>>(ctx, body);
}

Result<Plan> plan_revoke_from_member(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::RevokeFromMember, read_account_and_grant<domain::RevokeFromMember>>(ctx,
                                                                                                          body);
}

Result<Plan> plan_grant_billing_delegation(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::GrantBillingDelegation, read_account_id<domain::GrantBillingDelegation>>(
      ctx, body);
}

Result<Plan> plan_revoke_billing_delegation(PlanContext& ctx, const nlohmann::json& body) {
  return plan_on_organization<domain::RevokeBillingDelegation, read_account_id<domain::RevokeBillingDelegation>>(
      ctx, body);
}

}  // namespace touchline::api::commands
