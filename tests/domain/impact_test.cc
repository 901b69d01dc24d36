// permission_changes: exactly the checks whose answers a change turns, compared against every
// check asked before and after.
#include "touchline/domain/impact.h"

#include <gtest/gtest.h>

#include "fixtures.h"
#include "touchline/domain/authorizer.h"
#include "touchline/domain/role_model.h"

namespace touchline::domain {
namespace {

using namespace testing;

const PrivacyLookup kDefaults = [](const std::string&) -> const Privacy* { return nullptr; };

// Every check of every member (and a stranger) on every permission and target, both ways: the
// changes permission_changes must find.
std::vector<PermissionChange> by_every_check(const OrganizationState& before, const OrganizationState& after) {
  std::vector<PermissionChange> out;
  const std::vector<std::string> people{"asst", "ath1", "ath2", "gen", "head", "new", "stranger"};
  std::vector<std::string> targets{""};
  targets.insert(targets.end(), people.begin(), people.end());
  for (const auto& subject : people) {
    for (const auto& [permission, info] : permission_catalogue()) {
      for (const auto& target : targets) {
        const bool was = check(before, subject, permission, target).allowed;
        const bool is = check(after, subject, permission, target).allowed;
        // Strangers are neither members nor targets anyone can be checked on: only members count.
        const bool member_target = target.empty() || before.members.contains(target) || after.members.contains(target);
        if (was != is && member_target) out.push_back({subject, permission, target, was, is});
      }
    }
  }
  return out;
}

void expect_exact(const std::vector<events::DomainEvent>& change) {
  const auto before = club();
  const auto after = given<OrganizationState>(concat(club_history(), change));
  const auto found = permission_changes(before, after, kDefaults, kDefaults);
  EXPECT_EQ(found, by_every_check(before, after));
  EXPECT_FALSE(found.empty());
}

TEST(PermissionChanges, AnAssignment) {
  expect_exact({events::AthleteAssigned{"org", "ath2", "asst", ""}});
  const auto after = given<OrganizationState>(concat(club_history(), {events::AthleteAssigned{"org", "ath2", "asst", ""}}));
  const auto found = permission_changes(club(), after, kDefaults, kDefaults);
  EXPECT_NE(std::find(found.begin(), found.end(), PermissionChange{"asst", "plans.assign", "ath2", false, true}), found.end());
}

TEST(PermissionChanges, ARoleChangeAMemberAddedAndOneRemoved) {
  expect_exact({events::MemberRoleChanged{"org", "asst", "athlete", "assistant_coach"}});
  expect_exact({events::MemberAdded{"org", "new", "assistant_coach"}});
  expect_exact({events::MemberRemoved{"org", "ath1", "athlete"}});
  expect_exact({events::MemberDeactivated{"org", "gen", "coach"}});
  expect_exact({events::BillingDelegationGranted{"org", "asst"}});
}

TEST(PermissionChanges, NothingForAChangeNoCheckReads) {
  const auto after = given<OrganizationState>(concat(club_history(), {events::CreditsAdded{"org", 5, 5}}));
  EXPECT_TRUE(permission_changes(club(), after, kDefaults, kDefaults).empty());
}

}  // namespace
}  // namespace touchline::domain
