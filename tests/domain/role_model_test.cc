#include <gtest/gtest.h>

#include "touchline/domain/role_model.h"

namespace touchline::domain {
namespace {

TEST(RoleModel, AthleteCoachModelIsBuiltIn) {
  const RoleModel* m = find_role_model("athlete-coach");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->founder_role, "head_coach");
  ASSERT_NE(m->find_role("head_coach"), nullptr);
  EXPECT_TRUE(m->find_role("head_coach")->unique);
  EXPECT_FALSE(m->find_role("head_coach")->addable);
  EXPECT_EQ(find_role_model("nope"), nullptr);
}

TEST(RoleModel, EveryPermissionAModelNamesIsInTheCatalogue) {
  for (const auto& id : role_model_ids()) {
    const RoleModel* m = find_role_model(id);
    for (const auto& role : m->roles) {
      for (const auto& [perm, scope] : role.permissions) {
        EXPECT_NE(find_permission(perm), nullptr) << id << "/" << role.name << "/" << perm;
      }
    }
  }
}

TEST(RoleModel, InheritedPermissionsAreMergedAndOverridable) {
  const RoleModel* m = find_role_model("athlete-coach");
  const Role* head = m->find_role("head_coach");
  EXPECT_EQ(head->permissions.at("activities.log_own"), Scope::own);    // from athlete
  EXPECT_EQ(head->permissions.at("plans.create_template"), Scope::own);  // from assistant
  EXPECT_EQ(head->permissions.at("plans.assign"), Scope::all);           // widened
}

}  // namespace
}  // namespace touchline::domain
