// Athlete privacy: the athlete alone changes it, and it overrides every role.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "touchline/domain/authorizer.h"

namespace touchline::domain {
namespace {

using namespace testing;

AccountState with_privacy(const std::string& id, std::map<std::string, bool> settings) {
  auto account = athlete_account(id, "org");
  return evolve(account, events::PrivacySettingsChanged{id, std::move(settings)});
}

TEST(UpdatePrivacySettings, TheAthleteChangesTheirOwnAndOnlyWhatChanged) {
  auto r = decide(athlete_account("ath1", "org"), "ath1",
                  UpdatePrivacySettings{"ath1", {{"share_pace_data", false}, {"share_race_goals", true}}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(std::get<events::PrivacySettingsChanged>(r->at(0)),
            (events::PrivacySettingsChanged{"ath1", {{"share_pace_data", false}}}));  // goals were on
  auto account = evolve(athlete_account("ath1", "org"), r->at(0));
  EXPECT_FALSE(account.privacy.shares("share_pace_data"));
  auto again = decide(account, "ath1", UpdatePrivacySettings{"ath1", {{"share_pace_data", false}}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  // Back to the default: nothing is kept as changed.
  auto back = decide(account, "ath1", UpdatePrivacySettings{"ath1", {{"share_pace_data", true}}});
  EXPECT_TRUE(evolve(account, back->at(0)).privacy.changed.empty());
}

TEST(UpdatePrivacySettings, NobodyElseChangesThem) {
  for (const char* actor : {"head", "asst", "ath2"}) {
    auto r = decide(athlete_account("ath1", "org"), actor, UpdatePrivacySettings{"ath1", {{"share_pace_data", true}}});
    ASSERT_FALSE(r.ok()) << actor;
    EXPECT_EQ(r.error().code, ErrorCode::permission_denied) << actor;
  }
}

TEST(UpdatePrivacySettings, UnknownOrNoSettingsAreNamed) {
  auto unknown = decide(athlete_account("ath1"), "ath1", UpdatePrivacySettings{"ath1", {{"share_shoe_size", false}}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(unknown.error().message.find("share_pace_data"), std::string::npos);
  EXPECT_EQ(decide(athlete_account("ath1"), "ath1", UpdatePrivacySettings{"ath1", {}}).error().field, "settings");
}

TEST(Privacy, OverridesEveryRoleOnTheDataItGates) {
  const auto org = club();  // ath1 assigned to asst; head sees all
  const Privacy pace_off = with_privacy("ath1", {{"share_pace_data", false}}).privacy;
  for (const char* coach : {"head", "asst"}) {
    EXPECT_TRUE(check(org, coach, "athletes.view_pace", "ath1").allowed) << coach;
    const Decision d = check(org, coach, "athletes.view_pace", "ath1", {.target = &pace_off});
    EXPECT_FALSE(d.allowed) << coach;
    EXPECT_NE(d.reason.view().find("share_pace_data is off"), std::string::npos) << d.reason;
    // Other data stays visible, and the permission itself is still held.
    EXPECT_TRUE(check(org, coach, "athletes.view_race_goals", "ath1", {.target = &pace_off}).allowed) << coach;
    EXPECT_TRUE(check(org, coach, "athletes.view_pace", "", {.target = &pace_off}).allowed) << coach;
  }
}

TEST(Privacy, TheMasterSwitchHidesEverything) {
  const Privacy hidden = with_privacy("ath1", {{"share_activity_in_profile", false}}).privacy;
  for (const char* permission :
       {"athletes.view_activities", "athletes.view_pace", "athletes.view_race_goals", "athletes.view_profile"}) {
    const Decision d = check(club(), "head", permission, "ath1", {.target = &hidden});
    EXPECT_FALSE(d.allowed) << permission;
    EXPECT_NE(d.reason.view().find("share_activity_in_profile is off"), std::string::npos) << d.reason;
  }
  // Permissions privacy does not gate are unaffected.
  EXPECT_TRUE(check(club(), "head", "members.manage", "ath1", {.target = &hidden}).allowed);
}

TEST(Privacy, NoCustomRoleOverridesIt) {
  // A custom role holding athletes.view_pace for everyone (as recorded; whoever defined it held it).
  auto org = given<OrganizationState>({
      events::OrganizationCreated{"p", "Valley Tri", "custom-roles", "owner", "owner", 1},
      events::OrganizationTierChanged{"p", "business", "free"},
      events::MemberAdded{"p", "ath1", "athlete"},
      events::RoleDefined{"p", "pacer", "Pacer", {{"athletes.view_pace", "all"}}},
      events::MemberAdded{"p", "snoop", "pacer"},
  });
  EXPECT_TRUE(check(org, "snoop", "athletes.view_pace", "ath1").allowed);
  const Privacy off = with_privacy("ath1", {{"share_pace_data", false}}).privacy;
  EXPECT_FALSE(check(org, "snoop", "athletes.view_pace", "ath1", {.target = &off}).allowed);
}

TEST(Privacy, AMemberWhoOptsOutOfTheLeaderboardNoLongerTakesPart) {
  const auto org = club();
  const Privacy opted_out = with_privacy("ath1", {{"participate_in_leaderboard", false}}).privacy;
  const Privacy hidden = with_privacy("ath1", {{"share_activity_in_profile", false}}).privacy;
  EXPECT_TRUE(check(org, "ath1", "leaderboard.participate").allowed);
  const Decision d = check(org, "ath1", "leaderboard.participate", "", {.subject = &opted_out});
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.view().find("participate_in_leaderboard off"), std::string::npos) << d.reason;
  EXPECT_FALSE(check(org, "ath1", "leaderboard.participate", "ath1", {.subject = &opted_out}).allowed);
  EXPECT_FALSE(check(org, "ath1", "leaderboard.participate", "", {.subject = &hidden}).allowed);
  // A coach holds it as an athlete does, and opts out the same way; another member's settings are not theirs.
  EXPECT_FALSE(check(org, "head", "leaderboard.participate", "", {.subject = &opted_out}).allowed);
  EXPECT_TRUE(check(org, "head", "leaderboard.participate", "", {.target = &opted_out}).allowed);
  // The setting gates nothing else the athlete holds.
  EXPECT_TRUE(check(org, "ath1", "feed.participate", "", {.subject = &opted_out}).allowed);
}

// athlete-coach version 4: the settings that guarded nothing before guard a permission each.
TEST(Privacy, EachFieldFlagGuardsTheDataItNames) {
  auto org = given<OrganizationState>({
      events::OrganizationCreated{"org", "Harbour Runners", "athlete-coach", "head", "head_coach", 4},
      events::MemberAdded{"org", "ath1", "athlete"},
      events::MemberAdded{"org", "ath2", "athlete"},
      events::ConsentGiven{"org", "ath1"},
  });
  const std::pair<const char*, const char*> guarded[] = {
      {"athletes.view_maps", "share_map_data"},
      {"athletes.view_race_history", "share_race_history"},
      {"athletes.view_personal_bests", "share_personal_bests"},
      {"athletes.view_training_data", "share_training_data"},
  };
  for (const auto& [permission, setting] : guarded) {
    EXPECT_TRUE(check(org, "head", permission, "ath1").allowed) << permission;
    const Privacy off = with_privacy("ath1", {{setting, false}}).privacy;
    const Decision d = check(org, "head", permission, "ath1", {.target = &off});
    EXPECT_FALSE(d.allowed) << permission;
    EXPECT_NE(d.reason.view().find(std::string(setting) + " is off"), std::string::npos) << d.reason;
    EXPECT_FALSE(check(org, "ath2", permission, "ath1").allowed) << "athletes do not hold " << permission;
  }
  // Teammates see each other's activities in the group feed while the group is shared with.
  const Privacy no_group = with_privacy("ath1", {{"share_activity_with_group", false}}).privacy;
  EXPECT_TRUE(check(org, "ath2", "teammates.view_activities", "ath1").allowed);
  EXPECT_FALSE(check(org, "ath2", "teammates.view_activities", "ath1", {.target = &no_group}).allowed);
  EXPECT_FALSE(check(org, "ath1", "teammates.view_activities", "ath2").allowed) << "ath2 has not consented";
  // Sharing publicly is off until the athlete turns it on.
  const Privacy shares_publicly = with_privacy("ath1", {{"share_activity_with_public", true}}).privacy;
  EXPECT_FALSE(check(org, "ath1", "activities.share_public").allowed);
  EXPECT_TRUE(check(org, "ath1", "activities.share_public", "", {.subject = &shares_publicly}).allowed);
}

TEST(Privacy, EverySettingGuardsAPermission) {
  for (const auto& setting : privacy_settings()) {
    if (setting.name == kPrivacyMasterSwitch) continue;
    bool read = false;
    for (const auto& [name, info] : permission_catalogue()) {
      read = read || info.privacy == setting.name || info.own_privacy == setting.name;
    }
    EXPECT_TRUE(read) << setting.name << " is kept but no permission reads it";
  }
}

}  // namespace
}  // namespace touchline::domain
