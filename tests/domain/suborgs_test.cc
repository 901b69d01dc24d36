// Sub-organisations (seed 002: "create sub-orgs, move coaches and athletes between them, and scope
// admins per sub-org"): who creates them, whose rights reach into them, moving members, tiers.
// Given past events, when a command, then events or a typed error.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "touchline/domain/authorizer.h"

namespace touchline::domain {
namespace {

using namespace testing;
using Events = std::vector<events::DomainEvent>;

// Seed 002 at business: owner, asst (an assistant) and ath (an athlete who consents).
std::vector<events::DomainEvent> parent_history(const std::string& tier = "business") {
  return {
      events::OrganizationCreated{"p", "Valley Tri", "custom-roles", "owner", "owner", 3},
      events::OrganizationTierChanged{"p", tier, "free"},
      events::MemberAdded{"p", "asst", "assistant"},
      events::MemberAdded{"p", "ath", "athlete"},
      events::ConsentGiven{"p", "ath"},
  };
}

// The sub-organisation "s" of "p" with `admin` as its admin, and its parent attached as a loader
// attaches it.
struct Family {
  OrganizationState parent;
  OrganizationState sub;
};

Family family() {
  Family f;
  f.parent = given<OrganizationState>(concat(parent_history(), {events::SubOrganizationAdded{"p", "s", "Juniors"}}));
  f.sub = given<OrganizationState>({
      events::SubOrganizationCreated{"s", "p", "Juniors", "custom-roles", 3, "business", "admin", "owner"},
      events::MemberAdded{"s", "kid", "athlete"},
      events::ConsentGiven{"s", "kid"},
  });
  f.sub.parent = std::make_shared<const OrganizationState>(f.parent);
  return f;
}

TEST(CreateSubOrganization, TheOwnerCreatesOneOnBusinessWithItsAdmin) {
  auto parent = given<OrganizationState>(parent_history());
  EXPECT_EQ(decide(parent, coach_account("admin"), "owner", CreateSubOrganization{"p", "Jun\x07iors", "admin", "s"})
                .error()
                .field,
            "name");
  auto r = decide(parent, coach_account("admin"), "owner", CreateSubOrganization{"p", "Juniors", "admin", "s"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Events{events::SubOrganizationCreated{"s", "p", "Juniors", "custom-roles", 3, "business", "admin", "owner"},
                        events::SubOrganizationAdded{"p", "s", "Juniors"}}));
  auto sub = given<OrganizationState>({r->at(0)});
  EXPECT_EQ(sub.parent_id, "p");
  EXPECT_EQ(sub.members.at("admin"), "owner");

  EXPECT_EQ(decide(parent, coach_account("admin"), "asst", CreateSubOrganization{"p", "J", "admin", "s"}).error().code,
            ErrorCode::permission_denied);
  auto pro = given<OrganizationState>(parent_history("pro"));
  auto below = decide(pro, coach_account("admin"), "owner", CreateSubOrganization{"p", "J", "admin", "s"});
  ASSERT_FALSE(below.ok());
  EXPECT_NE(below.error().message.find("business"), std::string::npos) << below.error().message;
  EXPECT_EQ(decide(parent, athlete_account("kid"), "owner", CreateSubOrganization{"p", "J", "kid", "s"}).error().code,
            ErrorCode::failed_precondition);
  // One level: a sub-organisation has none of its own, even for its admin.
  const Family f = family();
  EXPECT_EQ(decide(f.sub, coach_account("x"), "admin", CreateSubOrganization{"s", "Tiny", "x", "t"}).error().code,
            ErrorCode::failed_precondition);
}

TEST(SubOrganizations, TheParentsOwnerHoldsTheirRightsInThemAndTheSubAdminNoneInTheParent) {
  const Family f = family();
  const OrganizationState* parent = &f.parent;
  // "An owner or admin of a parent holds their rights in its sub-organisations."
  EXPECT_TRUE(check(f.sub, "owner", "athletes.view", "kid", {}, parent).allowed);
  EXPECT_TRUE(check(f.sub, "owner", "members.manage", "", {}, parent).allowed);
  // The parent's assistant does not manage sub-organisations, so holds nothing there.
  EXPECT_FALSE(check(f.sub, "asst", "athletes.view", "kid", {}, parent).allowed);
  // Without the parent loaded, a sub-organisation knows only its own members.
  EXPECT_FALSE(check(f.sub, "owner", "athletes.view", "kid").allowed);
  // Consent is to the organisation that coaches: the sub-organisation's own.
  auto withdrawn = evolve(f.sub, events::ConsentWithdrawn{"s", "kid"});
  EXPECT_FALSE(check(withdrawn, "owner", "athletes.view", "kid", {}, parent).allowed);

  // The sub-organisation's admin runs it, and holds nothing in the parent.
  EXPECT_TRUE(check(f.sub, "admin", "members.manage", "kid").allowed);
  EXPECT_FALSE(check(f.parent, "admin", "members.manage").allowed);
  auto in_parent = decide(f.parent, athlete_account("new"), "admin", AddMember{"p", "new", "athlete"});
  ASSERT_FALSE(in_parent.ok());
  EXPECT_EQ(in_parent.error().code, ErrorCode::permission_denied);
  // Commands on the sub-organisation take the parent's rights too (the loader attached it).
  EXPECT_TRUE(decide(f.sub, athlete_account("new"), "owner", AddMember{"s", "new", "athlete"}).ok());
}

TEST(MoveMember, CoachesAndAthletesMoveBetweenParentAndSubOrganisation) {
  const Family f = family();
  auto moved = decide(f.parent, f.sub, coach_account("asst"), "owner", MoveMember{"p", "s", "asst"});
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(*moved, (Events{events::MemberRemoved{"p", "asst", "assistant"}, events::MemberAdded{"s", "asst", "assistant"}}));

  auto athlete = decide(f.parent, f.sub, athlete_account("ath", "p"), "owner", MoveMember{"p", "s", "ath"});
  ASSERT_TRUE(athlete.ok()) << athlete.error().message;
  EXPECT_EQ(*athlete, (Events{events::MemberRemoved{"p", "ath", "athlete"}, events::MemberAdded{"s", "ath", "athlete"},
                              events::AthleteLeftOrganization{"ath", "p"},
                              events::AthleteJoinedOrganization{"ath", "s"}}));

  // The sub-organisation's admin moves nobody out of the parent; the owner role stays.
  EXPECT_EQ(decide(f.parent, f.sub, coach_account("asst"), "admin", MoveMember{"p", "s", "asst"}).error().code,
            ErrorCode::permission_denied);
  EXPECT_EQ(decide(f.parent, f.sub, coach_account("owner"), "owner", MoveMember{"p", "s", "owner"}).error().code,
            ErrorCode::failed_precondition);
  // Only within one family.
  auto stranger = given<OrganizationState>({events::OrganizationCreated{"x", "X", "custom-roles", "owner", "owner", 3}});
  EXPECT_EQ(decide(f.parent, stranger, coach_account("asst"), "owner", MoveMember{"p", "x", "asst"}).error().code,
            ErrorCode::invalid_argument);
}

TEST(SubOrganizations, HaveTheirParentsTier) {
  const Family f = family();
  auto r = decide(f.parent, "owner", ChangeTier{"p", "enterprise"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Events{events::OrganizationTierChanged{"p", "enterprise", "business"},
                        events::OrganizationTierChanged{"s", "enterprise", "business"}}));
  auto own = decide(f.sub, "admin", ChangeTier{"s", "pro"});
  ASSERT_FALSE(own.ok());
  EXPECT_EQ(own.error().code, ErrorCode::failed_precondition);
  // Someone outside hears no more than that it is not theirs to change.
  EXPECT_EQ(decide(f.sub, "stranger", ChangeTier{"s", "pro"}).error().code, ErrorCode::permission_denied);
}

}  // namespace
}  // namespace touchline::domain
