// What a change to an organisation does to its permissions: every check whose answer differs
// between the organisation before and after (a dry run's answer, before a command is sent).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "touchline/domain/organization.h"
#include "touchline/domain/privacy.h"

namespace touchline::domain {

struct PermissionChange {
  std::string account_id;  // the subject
  std::string permission;
  std::string target;  // empty: the permission itself, on no one in particular
  bool before = false;
  bool after = false;
  bool operator==(const PermissionChange&) const = default;
};

// An account's privacy settings (nullptr: its defaults), before or after the change.
using PrivacyLookup = std::function<const Privacy*(const std::string& account_id)>;

// Every (subject, permission, target) whose check() differs between `before` and `after`: the
// subjects are the members of either, and (for a sub-organisation) the parent's members, who may
// manage it; the targets are no one and each member of either; the permissions are the
// catalogue's. Ordered by subject, permission, target. `parent` is the sub-organisation's parent
// (unchanged by the change), or nullptr. The work grows with members squared times the catalogue:
// callers bound the organisation's size (kMaxImpactMembers).
std::vector<PermissionChange> permission_changes(const OrganizationState& before, const OrganizationState& after,
                                                 const PrivacyLookup& privacy_before,
                                                 const PrivacyLookup& privacy_after,
                                                 const OrganizationState* parent = nullptr);

// The most members (before and after together) an organisation may have for permission_changes
// to be asked of it in a request: about 200 × 200 × the catalogue's permissions checks.
inline constexpr std::size_t kMaxImpactMembers = 200;

}  // namespace touchline::domain
