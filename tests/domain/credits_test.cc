// The AI credit pool (seed 003): the owner adds, spending roles spend, never below zero.
#include <gtest/gtest.h>

#include "fixtures.h"

namespace touchline::domain {
namespace credits_test {

using namespace testing;

OrganizationState team(std::int64_t credits) {
  auto org = given<OrganizationState>({
      events::OrganizationCreated{"t", "Harbour FC", "club", "owner", "owner", 1},
      events::OrganizationTierChanged{"t", "club", "free"},
      events::MemberAdded{"t", "coach", "coach"},
      events::MemberAdded{"t", "assistant", "assistant"},
      events::MemberAdded{"t", "viewer", "viewer"},
  });
  if (credits > 0) org = evolve(org, events::CreditsAdded{"t", credits, credits});
  return org;
}

TEST(AddCredits, TheOwnerFillsThePool) {
  auto r = decide(team(0), "owner", AddCredits{"t", 500});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<events::CreditsAdded>(r->at(0)), (events::CreditsAdded{"t", 500, 500}));
  EXPECT_EQ(evolve(team(0), r->at(0)).credits, 500);
  auto by_coach = decide(team(0), "coach", AddCredits{"t", 500});
  ASSERT_FALSE(by_coach.ok());
  EXPECT_EQ(by_coach.error().code, ErrorCode::permission_denied);
}

TEST(SpendCredits, CoachesSpendAssistantsAndViewersCannot) {
  auto r = decide(team(10), "coach", SpendCredits{"t", 4});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<events::CreditsSpent>(r->at(0)), (events::CreditsSpent{"t", "coach", 4, 6}));
  for (const char* who : {"assistant", "viewer"}) {
    auto denied = decide(team(10), who, SpendCredits{"t", 1});
    ASSERT_FALSE(denied.ok()) << who;
    EXPECT_EQ(denied.error().code, ErrorCode::permission_denied) << who;
  }
}

TEST(SpendCredits, NeverBeyondTheBalance) {
  auto r = decide(team(3), "owner", SpendCredits{"t", 4});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::failed_precondition);
  EXPECT_NE(r.error().message.find("holds 3 credits"), std::string::npos) << r.error().message;
  EXPECT_TRUE(decide(team(3), "owner", SpendCredits{"t", 3}).ok());
}

TEST(Credits, AmountsAreWholeAndBounded) {
  for (std::int64_t bad : {std::int64_t{0}, std::int64_t{-5}, kMaxCreditsPerCommand + 1}) {
    auto add = decide(team(0), "owner", AddCredits{"t", bad});
    ASSERT_FALSE(add.ok()) << bad;
    EXPECT_EQ(add.error().field, "amount");
    EXPECT_EQ(decide(team(10), "owner", SpendCredits{"t", bad}).error().code, ErrorCode::invalid_argument);
  }
}

}  // namespace credits_test
}  // namespace touchline::domain
