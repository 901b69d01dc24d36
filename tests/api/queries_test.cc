// The read side's queries (touchline/api/queries.h), called as plain functions on a view of a
// permission projection fed events directly: no store, no server, no socket.
#include <gtest/gtest.h>

#include <algorithm>

#include "touchline/api/queries.h"
#include "touchline/domain/role_model.h"
#include "touchline/events/domain_events.h"

namespace touchline::api::queries {
namespace {

using projections::PermissionProjection;

int latest(const char* model) { return domain::find_role_model(model)->version; }

class Queries : public ::testing::Test {
 protected:
  // Folds the events into the projection, each at the next position.
  void given(const std::vector<events::DomainEvent>& history) {
    for (const auto& e : history) {
      events::Envelope env;
      env.position = ++position_;
      env.stream = events::stream_of(e);
      env.type = std::string(events::event_type(e));
      env.schema_version = events::event_schema(e);
      env.payload = events::event_payload(e);
      projections::apply_event(projection_, env);
    }
  }

  // Athlete-coach (version 1): head (head_coach), asst (assistant_coach), gen (coach), ath1
  // assigned to asst, ath2 assigned to nobody.
  void athlete_coach_club() {
    given({events::OrganizationCreated{"org", "Harbour Runners", "athlete-coach", "head", "head_coach", 1},
           events::MemberAdded{"org", "asst", "assistant_coach"}, events::MemberAdded{"org", "gen", "coach"},
           events::MemberAdded{"org", "ath1", "athlete"}, events::MemberAdded{"org", "ath2", "athlete"},
           events::AthleteAssigned{"org", "ath1", "asst", ""}});
  }

  // Club (seed 003) on a tier where every role holds what its row says: owner, admin, coach,
  // viewer, safeguarding officer and an athlete.
  void club() {
    given({events::OrganizationCreated{"club", "Riverside", "club", "owner", "owner", latest("club")},
           events::OrganizationTierChanged{"club", "enterprise", "free"},
           events::MemberAdded{"club", "admin", "admin"}, events::MemberAdded{"club", "coach", "coach"},
           events::MemberAdded{"club", "viewer", "viewer"},
           events::MemberAdded{"club", "officer", "safeguarding_officer"},
           events::MemberAdded{"club", "kid", "athlete"}});
  }

  PermissionProjection projection_;
  std::uint64_t position_ = 0;
};

std::vector<std::string> ids(const SubjectsPage& p) {
  std::vector<std::string> out;
  for (const auto& s : p.subjects) out.push_back(s.account_id);
  return out;
}

std::vector<std::string> ids(const TargetsPage& p) {
  std::vector<std::string> out;
  for (const auto& t : p.targets) out.push_back(t.account_id);
  return out;
}

std::vector<std::string> ids(const MembersPage& p) {
  std::vector<std::string> out;
  for (const auto& m : p.members) out.push_back(m.account_id);
  return out;
}

TEST_F(Queries, AViewIsAtThePositionOfTheLastEventItSees) {
  athlete_coach_club();
  EXPECT_EQ(projection_.read().position(), 6u);
  given({events::AccountRegistered{"someone", "s@x.io", "S", "athlete"}});  // changes no organisation
  EXPECT_EQ(projection_.read().position(), 7u);
  projection_.reset();
  EXPECT_EQ(projection_.read().position(), 0u);
  EXPECT_EQ(projection_.read().organization("org"), nullptr);
}

TEST_F(Queries, ACallerChecksTheirOwnPermissionsAnywhereAndOthersOnlyWithMembersView) {
  athlete_coach_club();
  const auto view = projection_.read();
  auto own = check(view, "ath2", {"org", "ath2", "members.view", ""});
  ASSERT_TRUE(own.ok());
  EXPECT_FALSE(own->allowed);
  auto other = check(view, "ath2", {"org", "head", "audit_log.view", ""});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::permission_denied);
  auto by_head = check(view, "head", {"org", "asst", "athletes.view_activities", "ath1"});
  ASSERT_TRUE(by_head.ok());
  EXPECT_TRUE(by_head->allowed) << by_head->reason;
  auto unknown = check(view, "head", {"nowhere", "head", "members.view", ""});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
}

TEST_F(Queries, ABatchAnswersInOrderAndSaysWhichItemsTheCallerMayNotAsk) {
  athlete_coach_club();
  const auto view = projection_.read();
  const std::vector<CheckQuery> batch{{"org", "ath2", "members.view", ""},
                                      {"org", "head", "audit_log.view", ""},  // ath2 may not ask this
                                      {"nowhere", "ath2", "members.view", ""},
                                      {"org", "ath2", "athletes.view_activities", "ath2"}};
  const auto answers = check_many(view, "ath2", batch);
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0].not_asked, "");
  EXPECT_EQ(answers[1].not_asked, "denied_to_caller");
  EXPECT_FALSE(answers[1].decision.allowed);
  EXPECT_EQ(answers[2].not_asked, "organization_not_found");
  EXPECT_EQ(answers[3].not_asked, "");
  for (std::size_t i : {0u, 3u}) {
    auto alone = check(view, "ath2", batch[i]);
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ(answers[i].decision.allowed, alone->allowed);
    EXPECT_EQ(answers[i].decision.reason, alone->reason);
  }
}

TEST_F(Queries, LookupSubjectsListsExactlyWhomTheCheckAllows) {
  athlete_coach_club();
  const auto view = projection_.read();
  for (const char* target : {"", "ath1", "ath2", "head"}) {
    auto found = lookup_subjects(view, "head", "org", "athletes.view_activities", target, {});
    ASSERT_TRUE(found.ok()) << found.error().message;
    std::vector<std::string> allowed;
    for (const char* m : {"asst", "ath1", "ath2", "gen", "head"}) {
      if (view.check("org", m, "athletes.view_activities", target)->allowed) allowed.push_back(m);
    }
    EXPECT_EQ(ids(*found), allowed) << "target " << target;
  }
  // The assistant sees their assigned athlete's activities, the head coach everyone's.
  auto on_ath1 = lookup_subjects(view, "head", "org", "athletes.view_activities", "ath1", {});
  EXPECT_NE(std::find(ids(*on_ath1).begin(), ids(*on_ath1).end(), "asst"), ids(*on_ath1).end());
  auto on_ath2 = lookup_subjects(view, "head", "org", "athletes.view_activities", "ath2", {});
  const auto names = ids(*on_ath2);
  EXPECT_EQ(std::count(names.begin(), names.end(), "asst"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "head"), 1);
  for (const auto& s : on_ath2->subjects) {
    if (s.account_id == "head") {
      EXPECT_EQ(s.role, "head_coach");
    }
  }
}

TEST_F(Queries, LookupSubjectsNamesTheGrantThatGivesAPermission) {
  athlete_coach_club();
  given({events::BillingDelegationGranted{"org", "asst"}});
  const auto view = projection_.read();
  const domain::RoleModel& model = *domain::find_role_model("athlete-coach");
  ASSERT_FALSE(model.grants.empty());
  const auto& [grant_name, grant] = *model.grants.begin();
  auto found = lookup_subjects(view, "head", "org", grant.permission, "", {});
  ASSERT_TRUE(found.ok());
  bool saw_grant = false;
  for (const auto& s : found->subjects) {
    EXPECT_TRUE(view.check("org", s.account_id, grant.permission)->allowed);
    if (s.account_id == "asst") {
      EXPECT_EQ(s.grant, grant_name);
      saw_grant = true;
    }
  }
  EXPECT_TRUE(saw_grant) << "asst holds " << grant.permission << " through " << grant_name;
}

TEST_F(Queries, LookupSubjectsNeedsMembersViewAndPages) {
  athlete_coach_club();
  const auto view = projection_.read();
  auto denied = lookup_subjects(view, "ath2", "org", "members.view", "", {});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::permission_denied);

  auto all = lookup_subjects(view, "head", "org", "console.access", "", {"", 1000});
  ASSERT_TRUE(all.ok());
  ASSERT_GE(all->subjects.size(), 3u);
  EXPECT_EQ(all->next, "");
  std::vector<std::string> paged;
  PageRequest page{"", 2};
  for (int pages = 0; pages < 10; ++pages) {
    auto p = lookup_subjects(view, "head", "org", "console.access", "", page);
    ASSERT_TRUE(p.ok());
    for (const auto& id : ids(*p)) paged.push_back(id);
    if (p->next.empty()) break;
    EXPECT_EQ(p->subjects.size(), 2u);
    page.after = p->next;
  }
  EXPECT_EQ(paged, ids(*all));
}

TEST_F(Queries, ASubOrganisationsSubjectsIncludeTheParentsManagers) {
  given({events::OrganizationCreated{"parent", "Federation", "custom-roles", "boss", "owner", latest("custom-roles")},
         events::OrganizationTierChanged{"parent", "enterprise", "free"},
         events::SubOrganizationCreated{"sub", "parent", "Juniors", "custom-roles", latest("custom-roles"), "enterprise",
                                       "lead", "owner"},
         events::SubOrganizationAdded{"parent", "sub", "Juniors"}, events::MemberAdded{"sub", "kid", "athlete"}});
  const auto view = projection_.read();
  ASSERT_TRUE(view.check("sub", "boss", "members.view")->allowed) << view.check("sub", "boss", "members.view")->reason;
  auto found = lookup_subjects(view, "lead", "sub", "members.view", "", {});
  ASSERT_TRUE(found.ok()) << found.error().message;
  bool boss = false;
  for (const auto& s : found->subjects) {
    if (s.account_id != "boss") continue;
    boss = true;
    EXPECT_TRUE(s.from_parent);
    EXPECT_EQ(s.role, "owner");
  }
  EXPECT_TRUE(boss) << "the parent's owner manages the sub-organisation";
}

TEST_F(Queries, LookupTargetsListsExactlyTheMembersTheCheckAllowsItOn) {
  athlete_coach_club();
  const auto view = projection_.read();
  auto asst = lookup_targets(view, "asst", "org", "asst", "athletes.view_activities", {});
  ASSERT_TRUE(asst.ok());
  EXPECT_EQ(ids(*asst), (std::vector<std::string>{"asst", "ath1"}));  // themself, and their athlete
  EXPECT_FALSE(asst->all);
  EXPECT_TRUE(asst->without_target.allowed);
  for (const char* subject : {"head", "asst", "gen", "ath1"}) {
    auto found = lookup_targets(view, "head", "org", subject, "athletes.view_activities", {});
    ASSERT_TRUE(found.ok());
    std::vector<std::string> allowed;
    bool all = true;
    for (const char* m : {"asst", "ath1", "ath2", "gen", "head"}) {
      if (view.check("org", subject, "athletes.view_activities", m)->allowed) {
        allowed.push_back(m);
      } else {
        all = false;
      }
    }
    EXPECT_EQ(ids(*found), allowed) << subject;
    EXPECT_EQ(found->all, all) << subject;
  }
  auto denied = lookup_targets(view, "ath2", "org", "head", "athletes.view_activities", {});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::permission_denied);
}

TEST_F(Queries, MembersAreListedByFilterAndPage) {
  athlete_coach_club();
  given({events::MemberDeactivated{"org", "gen", "coach"}});
  const auto view = projection_.read();
  auto all = members(view, "head", "org", {}, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ids(*all), (std::vector<std::string>{"asst", "ath1", "ath2", "gen", "head"}));
  EXPECT_EQ(all->members[1].coach, "asst");
  EXPECT_TRUE(all->members[1].athlete);
  EXPECT_TRUE(all->members[3].deactivated);

  auto athletes = members(view, "head", "org", {"athlete", "", std::nullopt}, {});
  EXPECT_EQ(ids(*athletes), (std::vector<std::string>{"ath1", "ath2"}));
  auto active = members(view, "head", "org", {"", "", false}, {});
  EXPECT_EQ(ids(*active), (std::vector<std::string>{"asst", "ath1", "ath2", "head"}));
  auto page = members(view, "head", "org", {}, {"ath1", 2});
  EXPECT_EQ(ids(*page), (std::vector<std::string>{"ath2", "gen"}));
  EXPECT_EQ(page->next, "gen");
  auto last = members(view, "head", "org", {}, {"gen", 2});
  EXPECT_EQ(ids(*last), std::vector<std::string>{"head"});
  EXPECT_EQ(last->next, "");

  auto unknown_role = members(view, "head", "org", {"captain", "", std::nullopt}, {});
  ASSERT_FALSE(unknown_role.ok());
  EXPECT_EQ(unknown_role.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(unknown_role.error().field, "role");
}

TEST_F(Queries, AMemberWithoutMembersViewListsOnlyTheAthletesAssignedToThem) {
  athlete_coach_club();
  const auto view = projection_.read();
  ASSERT_FALSE(view.check("org", "ath2", "members.view")->allowed);
  auto everyone = members(view, "ath2", "org", {}, {});
  ASSERT_FALSE(everyone.ok());
  EXPECT_EQ(everyone.error().code, ErrorCode::permission_denied);
  auto someone_elses = members(view, "ath2", "org", {"", "asst", std::nullopt}, {});
  EXPECT_FALSE(someone_elses.ok());
  auto own = members(view, "ath2", "org", {"", "ath2", std::nullopt}, {});
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(own->members.empty());
  auto asst = members(view, "asst", "org", {"", "asst", std::nullopt}, {});
  ASSERT_TRUE(asst.ok());
  EXPECT_EQ(ids(*asst), std::vector<std::string>{"ath1"});
  auto outsider = members(view, "stranger", "org", {"", "stranger", std::nullopt}, {});
  EXPECT_FALSE(outsider.ok());
}

TEST_F(Queries, MemberPermissionsAreOwnForAnyoneAndOthersWithMembersView) {
  athlete_coach_club();
  const auto view = projection_.read();
  auto own = member_permissions(view, "ath2", "org", "ath2");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->role->name, "athlete");
  EXPECT_EQ(own->permissions, domain::effective_permissions(*view.organization("org"), "ath2"));
  EXPECT_FALSE(member_permissions(view, "ath2", "org", "head").ok());
  auto by_head = member_permissions(view, "head", "org", "asst");
  ASSERT_TRUE(by_head.ok());
  EXPECT_EQ(by_head->role->name, "assistant_coach");
  auto not_member = member_permissions(view, "head", "org", "stranger");
  ASSERT_FALSE(not_member.ok());
  EXPECT_EQ(not_member.error().code, ErrorCode::not_found);
}

TEST_F(Queries, TheOrganisationIsReadByItsMembersOnly) {
  athlete_coach_club();
  const auto view = projection_.read();
  EXPECT_TRUE(organization(view, "ath2", "org").ok());
  auto outsider = organization(view, "stranger", "org");
  ASSERT_FALSE(outsider.ok());
  EXPECT_EQ(outsider.error().code, ErrorCode::permission_denied);
  EXPECT_EQ(organization(view, "head", "nowhere").error().code, ErrorCode::not_found);
}

TEST_F(Queries, AnActivityLogReaderReadsAllButAthleteAccessAndConsent) {
  club();
  const auto view = projection_.read();
  // The owner reads the whole audit log, as asked.
  auto owner = audit_filter(view, "owner", "club", {});
  ASSERT_TRUE(owner.ok()) << owner.error().message;
  EXPECT_TRUE(owner->categories.empty());
  // A coach reads the activity log: every category but the restricted two.
  auto coach = audit_filter(view, "coach", "club", {});
  ASSERT_TRUE(coach.ok()) << coach.error().message;
  EXPECT_FALSE(coach->categories.contains("athlete_access"));
  EXPECT_FALSE(coach->categories.contains("consent"));
  EXPECT_TRUE(coach->categories.contains("membership"));
  projections::AuditFilter consent;
  consent.categories = {"consent"};
  auto asked = audit_filter(view, "coach", "club", consent);
  ASSERT_FALSE(asked.ok());
  EXPECT_EQ(asked.error().code, ErrorCode::permission_denied);
  // An admin reads the restricted categories too.
  auto admin = audit_filter(view, "admin", "club", consent);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->categories, std::set<std::string>{"consent"});
  auto athlete = audit_filter(view, "kid", "club", {});
  ASSERT_FALSE(athlete.ok());
  EXPECT_EQ(athlete.error().code, ErrorCode::permission_denied);
}

TEST_F(Queries, TheComplianceDashboardShowsDocumentsOnlyToTheirReaders) {
  club();
  given({events::CredentialRecorded{"club", "c1", "coach", "DBS check", "2030-01-01", "vault://scan-1"}});
  const auto view = projection_.read();
  auto officer = compliance(view, "officer", "club", 20'000);
  ASSERT_TRUE(officer.ok()) << officer.error().message;
  EXPECT_TRUE(officer->documents_shown);
  auto admin = compliance(view, "admin", "club", 20'000);
  ASSERT_TRUE(admin.ok());
  EXPECT_FALSE(admin->documents_shown) << "admins see documents only when the owner turns it on";
  auto coach = compliance(view, "coach", "club", 20'000);
  ASSERT_FALSE(coach.ok());
  EXPECT_EQ(coach.error().code, ErrorCode::permission_denied);
  bool listed = false;
  for (const auto& row : officer->staff) {
    for (const auto& c : row.credentials) listed |= c.credential_id == "c1";
  }
  EXPECT_TRUE(listed);
}

TEST_F(Queries, PrivacySettingsAreReadByTheirAccountAlone) {
  given({events::PrivacySettingsChanged{"ath", {{"share_pace_data", false}}}});
  const auto view = projection_.read();
  auto own = own_privacy(view, "ath", "ath");
  ASSERT_TRUE(own.ok());
  EXPECT_FALSE(own->value("share_pace_data"));
  auto other = own_privacy(view, "coach", "ath");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::permission_denied);
}

TEST(Readiness, WaitsForEveryProjectionToReachTheHeadSeenAtStart) {
  auto r = readiness(100, {{"permissions", 100, {}}, {"audit", 40, {}}});
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "projection audit is catching up: position 40 of 100");
  EXPECT_TRUE(readiness(100, {{"permissions", 100, {}}, {"audit", 100, {}}}).ready);
  EXPECT_TRUE(readiness(100, {{"permissions", 250, {}}, {"audit", 180, {}}}).ready) << "trailing a growing log is normal";
  EXPECT_TRUE(readiness(0, {{"permissions", 0, {}}, {"audit", 0, {}}}).ready) << "an empty log";
}

TEST(Readiness, IsNeverReadyWithAStoppedProjection) {
  auto r = readiness(10, {{"permissions", 10, {}}, {"audit", 500, std::string("a damaged checkpoint")}});
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "projection audit stopped: a damaged checkpoint");
  r = readiness(10, {{"permissions", 2, {}}, {"audit", 5, std::string("disk")}});
  EXPECT_EQ(r.reason, "projection audit stopped: disk") << "a failure is named before one catching up";
}

}  // namespace
}  // namespace touchline::api::queries
