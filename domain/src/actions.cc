#include "touchline/domain/actions.h"

#include "organization_rules.h"
#include "text.h"
#include "touchline/domain/authorizer.h"

namespace touchline::domain {

using events::DomainEvent;
using Events = std::vector<DomainEvent>;
using namespace rules;

const std::vector<RecordableAction>& recordable_actions() {
  // Seed 002's audit log: "who covered whom, who changed a Setup, who issued a refund"; seed 003's
  // activity log: athlete access and credential documents.
  static const std::vector<RecordableAction> all = {
      {"athlete.covered", "billing.cover", "billing", "Put an athlete on org-paid coverage"},
      {"athlete.uncovered", "billing.cover", "billing", "Take an athlete off org-paid coverage"},
      {"org_coverage.ended", "billing.end_org_coverage", "billing", "End an org-paid coverage arrangement"},
      {"refund.issued", "billing.refund", "billing", "Issue a refund"},
      {"setup.changed", "athletes.adjust_setup", "athlete_access", "Change an athlete's Setup"},
      {"athlete_data.viewed", "", "athlete_access", "View an athlete's data (the request names the permission)"},
      {"credential_document.opened", "credentials.view_documents", "content", "Open a credential document"},
  };
  return all;
}

const RecordableAction* find_recordable_action(std::string_view name) {
  for (const auto& a : recordable_actions()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

namespace {

Error bad_action(std::string message, const char* field) {
  return Error::make(ErrorCode::invalid_argument, std::move(message), field);
}

}  // namespace

Result<Events> decide(const OrganizationState& org, const Privacy* target_privacy, const std::string& actor,
                      const RecordAction& cmd) {
  if (!org.exists) return org_not_found(cmd.organization_id);
  // Outsiders' attempts are refused, not recorded: the organisation's log is its members' history.
  if (!acts_in(org, actor)) {
    return Error::make(ErrorCode::permission_denied, "only members record actions in an organisation");
  }
  const RecordableAction* action = find_recordable_action(cmd.action);
  if (!action) {
    return bad_action("action must be one of " +
                          join_names(recordable_actions(), [](const auto& a) { return std::string(a.name); }),
                      "action");
  }
  std::string permission(action->permission);
  if (permission.empty()) {
    const PermissionInfo* info = find_permission(cmd.permission);
    if (!info || !info->athlete_data) {
      return bad_action(std::string(action->name) + " needs permission: one of the athlete-data permissions "
                        "(GET /v1/permissions marks them)",
                        "permission");
    }
    permission = cmd.permission;
  } else if (!cmd.permission.empty() && cmd.permission != permission) {
    return bad_action(std::string(action->name) + " is always checked as " + permission, "permission");
  }
  if (cmd.target.empty() || !org.role_of(cmd.target)) {
    return bad_action("target must be a member of this organisation", "target");
  }
  if (cmd.details.size() > kMaxActionDetails) return bad_action("at most 10 details", "details");
  for (const auto& [key, value] : cmd.details) {
    if (key.empty() || utf8_length(key) > kMaxActionDetailChars || utf8_length(value) > kMaxActionDetailChars) {
      return bad_action("details are names and values of at most 200 characters", "details");
    }
  }
  const Decision d = check(org, actor, permission, cmd.target, {.target = target_privacy}, org.parent.get());
  // The address is kept where the activity log shows it (athlete access) and nowhere else.
  const std::string client_ip = action->category == "athlete_access" ? cmd.client_ip : std::string{};
  return Events{events::ActionRecorded{org.id, cmd.action, permission, cmd.target, d.allowed, d.reason.str(), client_ip,
                                       cmd.details}};
}

}  // namespace touchline::domain
