#include "touchline/domain/impact.h"

#include <set>

#include "touchline/domain/authorizer.h"
#include "touchline/domain/role_model.h"

namespace touchline::domain {

std::vector<PermissionChange> permission_changes(const OrganizationState& before, const OrganizationState& after,
                                                 const PrivacyLookup& privacy_before,
                                                 const PrivacyLookup& privacy_after,
                                                 const OrganizationState* parent) {
  std::set<std::string> members;
  for (const auto* org : {&before, &after}) {
    for (const auto& [account, role] : org->members) members.insert(account);
  }
  std::set<std::string> subjects = members;
  if (parent) {
    for (const auto& [account, role] : parent->members) subjects.insert(account);
  }
  std::vector<std::string> targets{""};
  targets.insert(targets.end(), members.begin(), members.end());

  std::vector<PermissionChange> out;
  for (const auto& subject : subjects) {
    // A permission the subject holds in neither state (nor, for a sub-organisation, in its
    // parent) is denied on every target in both: only the others can change.
    std::set<std::string> held;
    for (const auto* org : {&before, &after, parent}) {
      if (!org) continue;
      for (auto& [permission, scope] : effective_permissions(*org, subject)) held.insert(permission);
    }
    for (const auto& permission : held) {
      for (const auto& target : targets) {
        auto privacy = [&](const PrivacyLookup& lookup) {
          return PrivacyOf{.subject = lookup(subject), .target = target.empty() ? nullptr : lookup(target)};
        };
        const bool was = check(before, subject, permission, target, privacy(privacy_before), parent).allowed;
        const bool is = check(after, subject, permission, target, privacy(privacy_after), parent).allowed;
        if (was != is) out.push_back({subject, permission, target, was, is});
      }
    }
  }
  return out;
}

}  // namespace touchline::domain
