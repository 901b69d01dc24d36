// Projections follow the log, survive restarts from their checkpoint, and rebuilt from
// position 0 equal the live ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "touchline/domain/account.h"
#include "touchline/domain/organization.h"
#include "touchline/events/domain_events.h"
#include "touchline/projections/audit_projection.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/projections/runner.h"
#include "touchline/store/event_store.h"
#include "touchline/store/state_store.h"
#include "projection_fixture.h"
#include "support/raw_db.h"

namespace touchline::projections {
namespace {

using namespace std::chrono_literals;
using testing::ProjectionTest;

// Runs both projections' runners live while `append_history` appends to the log, until they
// have folded all of it.
void follow_live(store::EventStore& log, PermissionProjection& permissions, AuditProjection& audit,
                 const std::function<void()>& append_history) {
  ProjectionRunner p(log, permissions);
  ProjectionRunner a(log, audit);
  p.start();
  a.start();
  append_history();
  ASSERT_TRUE(p.wait_for(log.head_position(), 10s));
  ASSERT_TRUE(a.wait_for(log.head_position(), 10s));
}

TEST_F(ProjectionTest, RebuiltFromZeroEqualsLive) {
  PermissionProjection live_permissions;
  store::StateStore audit_state(*log, AuditProjection::kName);
  AuditProjection live_audit(audit_state, *log);
  follow_live(*log, live_permissions, live_audit, [&] { write_history(); });
  const auto live_snapshot = live_permissions.snapshot();
  const auto live_permission_state = stored(PermissionProjection::kName);
  const auto live_audit_state = stored(AuditProjection::kName);
  const auto live_page = live_audit.page("org", 0, 1000).value().entries;
  ASSERT_FALSE(live_page.empty());

  PermissionProjection rebuilt_permissions;
  AuditProjection rebuilt_audit(audit_state, *log);
  ASSERT_TRUE(ProjectionRunner(*log, rebuilt_permissions).rebuild().ok());
  ASSERT_TRUE(ProjectionRunner(*log, rebuilt_audit).rebuild().ok());

  EXPECT_EQ(rebuilt_permissions.snapshot(), live_snapshot);
  EXPECT_EQ(stored(PermissionProjection::kName), live_permission_state);
  EXPECT_EQ(stored(AuditProjection::kName), live_audit_state);
  EXPECT_EQ(rebuilt_audit.page("org", 0, 1000).value().entries, live_page);
}

// An operator's `touchline rebuild --projection all`: one pass over the log, each batch read and
// decoded once for both projections (the next read while this one folds); whatever the batch
// size, against the log's length, each event is folded once and in order. The last 700 events
// are one actor's on one athlete: the audit projection adds them to the chunks it remembers from
// the event before, across chunk and batch boundaries.
TEST_F(ProjectionTest, RebuiltTogetherInOnePassEqualsLive) {
  write_history();
  for (int i = 0; i < 1200; ++i) append({events::AthleteAssigned{"org", "ath" + std::to_string(i % 30), i % 2 ? "asst" : "head", ""}});
  for (int i = 0; i < 700; ++i) append({events::AthleteAssigned{"org", "ath7", i % 2 ? "asst" : "head", ""}});
  PermissionProjection live_permissions;
  store::StateStore audit_state(*log, AuditProjection::kName);
  AuditProjection live_audit(audit_state, *log);
  follow_live(*log, live_permissions, live_audit, [] {});
  const auto live_permission_state = stored(PermissionProjection::kName);
  const auto live_audit_state = stored(AuditProjection::kName);
  const std::uint64_t head = log->head_position();
  for (const std::size_t batch : {std::size_t{1}, std::size_t{7}, std::size_t{512}, std::size_t{head / 2},
                                  std::size_t{head}, std::size_t{head + 1}}) {
    PermissionProjection rebuilt_permissions;
    AuditProjection rebuilt_audit(audit_state, *log);
    RunnerOptions options;
    options.batch_size = batch;
    ProjectionRunner p(*log, rebuilt_permissions, options);
    ProjectionRunner a(*log, rebuilt_audit, options);
    std::vector<ProjectionRunner*> both{&p, &a};
    std::vector<std::uint64_t> progress;
    ASSERT_TRUE(ProjectionRunner::rebuild_together(both, [&](std::uint64_t done, std::uint64_t) {
                  progress.push_back(done);
                }).ok());
    EXPECT_EQ(progress.size(), (head + batch - 1) / batch) << "a call per batch of " << batch;
    EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
    EXPECT_EQ(p.position(), head);
    EXPECT_EQ(a.position(), head);
    EXPECT_EQ(rebuilt_permissions.snapshot(), live_permissions.snapshot()) << "batches of " << batch;
    EXPECT_EQ(stored(PermissionProjection::kName), live_permission_state) << "batches of " << batch;
    EXPECT_EQ(stored(AuditProjection::kName), live_audit_state) << "batches of " << batch;
  }
}

// A log key: the position, big-endian (docs/LOG_FORMAT.md).
std::string be64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  return s;
}

// Each read starts after the last event read, not at a position counted ahead: a log damaged to
// have gaps still has each event folded once, whatever the batch size.
TEST_F(ProjectionTest, ARebuildFoldsEachEventOnceAcrossAGapInTheLog) {
  write_history();
  for (int i = 0; i < 60; ++i) append({events::AthleteAssigned{"org", "ath" + std::to_string(i % 7), i % 2 ? "asst" : "head", ""}});
  log.reset();
  {
    touchline::testing::RawDb raw(dir);
    for (std::uint64_t position : {10, 11, 40}) raw.del("log", be64(position));
  }
  open();
  auto rebuilt_in_batches_of = [&](std::size_t batch) {
    PermissionProjection permissions;
    store::StateStore audit_state(*log, AuditProjection::kName);
    AuditProjection audit(audit_state, *log);
    RunnerOptions options;
    options.batch_size = batch;
    ProjectionRunner p(*log, permissions, options);
    ProjectionRunner a(*log, audit, options);
    std::vector<ProjectionRunner*> both{&p, &a};
    EXPECT_TRUE(ProjectionRunner::rebuild_together(both).ok());
    return std::make_pair(stored(PermissionProjection::kName), stored(AuditProjection::kName));
  };
  const auto in_one_read = rebuilt_in_batches_of(100000);
  for (const std::size_t batch : {1, 3, 7, 8}) EXPECT_EQ(rebuilt_in_batches_of(batch), in_one_read) << "batches of " << batch;
}

TEST_F(ProjectionTest, RebuildingTogetherNamesTheFirstEventThatDoesNotDecode) {
  write_history();
  const std::uint64_t first_bad = log->head_position() + 300;
  for (int i = 0; i < 600; ++i) {
    if (log->head_position() + 1 == first_bad || log->head_position() + 1 == first_bad + 100) {
      store::AppendRequest r;
      r.streams.push_back({"organization-org", store::ExpectedVersion::any(), {{"FromTheFuture", 1, {{"a", 1}}}}});
      r.metadata = {"someone", "c" + std::to_string(i), "c", "c"};
      ASSERT_TRUE(log->append(std::move(r)).ok());
    } else {
      append({events::AthleteAssigned{"org", "ath1", "asst", ""}});
    }
  }
  PermissionProjection permissions;
  ProjectionRunner runner(*log, permissions);
  std::vector<ProjectionRunner*> one{&runner};
  auto st = ProjectionRunner::rebuild_together(one);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::internal);
  EXPECT_NE(st.error().message.find("event at position " + std::to_string(first_bad) + " cannot be decoded"),
            std::string::npos)
      << st.error().message;
  ASSERT_TRUE(runner.failure().has_value());
  EXPECT_EQ(*runner.failure(), st.error().message);
}

TEST_F(ProjectionTest, RebuildingTogetherTakesEachRunnerOnceAndOneLog) {
  const std::string other_dir = testing::temp_dir();
  {
    store::StoreOptions o;
    o.path = other_dir;
    auto other = store::EventStore::open(o);
    ASSERT_TRUE(other.ok());
    PermissionProjection mine;
    PermissionProjection theirs;
    ProjectionRunner a(*log, mine);
    ProjectionRunner b(**other, theirs);
    std::vector<ProjectionRunner*> both{&a, &b};
    auto st = ProjectionRunner::rebuild_together(both);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::invalid_argument);
    std::vector<ProjectionRunner*> twice{&a, &a};  // would fold every event twice
    auto again = ProjectionRunner::rebuild_together(twice);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::invalid_argument);
  }
  std::filesystem::remove_all(other_dir);
}

TEST_F(ProjectionTest, CatchesUpFromItsCheckpointAfterARestart) {
  write_history();
  const auto first_head = log->head_position();
  {
    PermissionProjection permissions;
    ProjectionRunner runner(*log, permissions);
    runner.start();
    ASSERT_TRUE(runner.wait_for(first_head, 10s));
  }
  append({events::AthleteAssigned{"org", "ath1", "asst", ""}});
  log.reset();
  open();

  PermissionProjection permissions;
  ProjectionRunner runner(*log, permissions);
  runner.start();
  EXPECT_GE(runner.position(), first_head);  // loaded from its checkpoint, not from 0
  ASSERT_TRUE(runner.wait_for(log->head_position(), 10s));
  auto d = permissions.check("org", "asst", "athletes.view_activities", "ath1");
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->allowed) << d->reason;
}

TEST_F(ProjectionTest, WhenReachedFiresOnceThePositionIsCommitted) {
  PermissionProjection permissions;
  ProjectionRunner runner(*log, permissions);
  runner.start();
  std::atomic<bool> fired{false};
  runner.when_reached(3, [&] { fired = true; });
  EXPECT_FALSE(fired.load());
  write_history();
  ASSERT_TRUE(runner.wait_for(3, 10s));
  for (int i = 0; i < 100 && !fired; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(fired.load());
}

TEST_F(ProjectionTest, AuditPagesNewestFirst) {
  write_history();
  store::StateStore audit_state(*log, AuditProjection::kName);
  AuditProjection audit(audit_state, *log);
  ASSERT_TRUE(ProjectionRunner(*log, audit).rebuild().ok());
  auto all = audit.page("org", 0, 1000).value().entries;
  auto first = audit.page("org", 0, 10).value();
  ASSERT_EQ(first.entries.size(), 10u);
  EXPECT_NE(first.next_before, 0u);
  auto second = audit.page("org", first.next_before, 10).value();
  EXPECT_EQ(second.entries.front(), all[10]);
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_GT(all[i - 1]["position"].get<std::uint64_t>(), all[i]["position"].get<std::uint64_t>());
  }
  EXPECT_EQ(all.back()["action"], "organization.created");
  // Account events are platform-wide, not in the organisation's list.
  auto platform = audit.page("", 0, 1000).value().entries;
  EXPECT_GT(platform.size(), all.size());
}

// The lists are kept in chunks of 256 positions: pages and follow-ups that start or end inside a
// chunk, or on either side of a boundary, give what rendering every event of the log would.
TEST_F(ProjectionTest, AuditListsAcrossChunksAreWhatTheLogSays) {
  write_history();
  for (int i = 0; i < 700; ++i) append({events::AthleteAssigned{"org", "ath" + std::to_string(i % 30), i % 2 ? "asst" : "head", ""}});
  store::StateStore audit_state(*log, AuditProjection::kName);
  AuditProjection audit(audit_state, *log);
  ASSERT_TRUE(ProjectionRunner(*log, audit).rebuild().ok());
  // The oracle: every event of the log rendered, the organisation's kept, newest first.
  std::vector<nlohmann::json> expected;
  const auto whole_log = log->read_all(0, SIZE_MAX).value();
  for (const auto& e : whole_log) {
    auto entry = AuditProjection::entry_for(events::recorded_event(e).value());
    if (!entry.is_null() && entry["organization_id"] == "org") expected.insert(expected.begin(), entry);
  }
  ASSERT_GT(expected.front()["position"].get<std::uint64_t>(), 512u);
  EXPECT_EQ(audit.page("org", 0, 100000).value().entries, expected);
  for (const std::uint64_t before : {1u, 255u, 256u, 257u, 300u, 512u, 513u}) {
    std::vector<nlohmann::json> want;
    for (const auto& e : expected) {
      if (e["position"].get<std::uint64_t>() < before && want.size() < 5) want.push_back(e);
    }
    EXPECT_EQ(audit.page("org", before, 5).value().entries, want) << "before " << before;
  }
  AuditFilter two_categories{{"membership", "billing"}, "", "", "", ""};
  std::vector<nlohmann::json> in_two;
  for (const auto& e : expected) {
    if (two_categories.matches(e)) in_two.push_back(e);
  }
  EXPECT_EQ(audit.page("org", 0, 100000, two_categories).value().entries, in_two);
  EXPECT_EQ(audit.after("org", 0, 100000, two_categories).value().entries,
            std::vector<nlohmann::json>(in_two.rbegin(), in_two.rend()));
  for (const std::uint64_t after : {0u, 255u, 256u, 300u, 511u}) {
    const std::uint64_t through = after + 260;
    std::vector<nlohmann::json> want;
    for (auto e = expected.rbegin(); e != expected.rend(); ++e) {
      const auto position = (*e)["position"].get<std::uint64_t>();
      if (position > after && position <= through && want.size() < 200) want.push_back(*e);
    }
    EXPECT_EQ(audit.after("org", after, 200, {}, through).value().entries, want) << "after " << after;
  }
}

// A filter on an actor, a subject or one category reads its index; every page it answers, page
// after page, is what filtering the whole list would give.
TEST_F(ProjectionTest, AuditFiltersReadFromTheirIndexesWhatAScanWouldFind) {
  write_history();
  store::StateStore audit_state(*log, AuditProjection::kName);
  AuditProjection audit(audit_state, *log);
  ASSERT_TRUE(ProjectionRunner(*log, audit).rebuild().ok());
  for (const std::string list : {"org", ""}) {
    const auto all = audit.page(list, 0, 100000).value().entries;
    std::vector<AuditFilter> filters;
    for (const char* actor : {"head", "ath3", "nobody"}) filters.push_back(AuditFilter{{}, actor, "", "", ""});
    for (const char* subject : {"asst", "ath0", "org"}) filters.push_back(AuditFilter{{}, "", subject, "", ""});
    for (const char* category : {"membership", "billing", "consent"}) filters.push_back(AuditFilter{{category}, "", "", "", ""});
    filters.push_back(AuditFilter{{"membership"}, "head", "", "", ""});  // two filters: the actor's index
    // Several categories: the list, rendering only what their indexes name.
    filters.push_back(AuditFilter{{"billing", "team_settings"}, "", "", "", ""});
    filters.push_back(AuditFilter{{"billing", "membership", "roles"}, "", "", "", ""});
    for (const auto& filter : filters) {
      std::vector<nlohmann::json> expected;
      for (const auto& e : all) {
        if (filter.matches(e)) expected.push_back(e);
      }
      std::vector<nlohmann::json> paged;
      std::uint64_t before = 0;
      for (int pages = 0; pages < 100; ++pages) {
        auto page = audit.page(list, before, 7, filter);
        ASSERT_TRUE(page.ok()) << page.error().message;
        for (auto& e : page->entries) paged.push_back(std::move(e));
        if (page->next_before == 0) break;
        before = page->next_before;
      }
      EXPECT_EQ(paged, expected) << "list '" << list << "', actor " << filter.actor << ", subject " << filter.subject
                                 << ", " << filter.categories.size() << " categories";
    }
  }
}

TEST_F(ProjectionTest, AnUndecodableEventStopsTheRunnerWithAReason) {
  store::AppendRequest r;
  r.streams.push_back({"organization-x", store::ExpectedVersion::any(), {{"FromTheFuture", 1, {{"a", 1}}}}});
  r.metadata = {"someone", "c", "c", "c"};
  ASSERT_TRUE(log->append(std::move(r)).ok());
  PermissionProjection permissions;
  ProjectionRunner runner(*log, permissions);
  runner.start();
  for (int i = 0; i < 200 && !runner.failure(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(runner.failure().has_value());
  EXPECT_NE(runner.failure()->find("FromTheFuture"), std::string::npos);
  EXPECT_EQ(runner.position(), 0u);
}

}  // namespace
}  // namespace touchline::projections
