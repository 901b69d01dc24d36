// The commands sent by name, in documentation order (docs/API.md).
#include "touchline/api/commands/planners.h"

namespace touchline::api::commands {

const std::vector<std::pair<std::string, Planner>>& named_planners() {
  static const std::vector<std::pair<std::string, Planner>> all = {
      {"SignUp", plan_sign_up},
      {"UpgradeToCoach", plan_upgrade_to_coach},
      {"UpdatePrivacySettings", plan_update_privacy},
      {"DowngradeToAthlete", plan_downgrade_to_athlete},
      {"EraseAccount", plan_erase_account},
      {"CreateOrganization", plan_create_organization},
      {"AddMember", plan_add_member},
      {"RemoveMember", plan_remove_member},
      {"IssueInvite", plan_issue_invite},
      {"RevokeInvite", plan_revoke_invite},
      {"AcceptInvite", plan_accept_invite},
      {"AcceptMembership", plan_accept_membership},
      {"DeclineMembership", plan_decline_membership},
      {"LeaveOrganization", plan_leave_organization},
      {"GiveConsent", plan_give_consent},
      {"WithdrawConsent", plan_withdraw_consent},
      {"CreateSubOrganization", plan_create_sub_organization},
      {"MoveMember", plan_move_member},
      {"DeactivateMember", plan_deactivate_member},
      {"ReactivateMember", plan_reactivate_member},
      {"ChangeMemberRole", plan_change_member_role},
      {"AssignAthlete", plan_assign_athlete},
      {"UnassignAthlete", plan_unassign_athlete},
      {"GrantToMember", plan_grant_to_member},
      {"RevokeFromMember", plan_revoke_from_member},
      {"GrantBillingDelegation", plan_grant_billing_delegation},
      {"RevokeBillingDelegation", plan_revoke_billing_delegation},
      {"ChangeTier", plan_change_tier},
      {"ChangeOrganizationSetting", plan_change_organization_setting},
      {"DefineRole", plan_define_role},
      {"UpdateRole", plan_update_role},
      {"DeleteRole", plan_delete_role},
      {"AdoptRoleModelVersion", plan_adopt_role_model_version},
      {"DeclareCredential", plan_declare_credential},
      {"RecordCredential", plan_record_credential},
      {"EditCredential", plan_edit_credential},
      {"VerifyCredential", plan_verify_credential},
      {"AddCredits", plan_add_credits},
      {"SpendCredits", plan_spend_credits},
  };
  return all;
}

Planner find_planner(const std::string& name) {
  for (const auto& [n, p] : named_planners()) {
    if (n == name) return p;
  }
  return nullptr;
}

}  // namespace touchline::api::commands
