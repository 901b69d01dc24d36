// PermissionHistory: the permission projection as the log stood at any past position (its
// organisations, privacy settings and their sources) equals the projection folded up to that
// position, with the history rows and without them; and a time names the prefix of the log
// recorded by then.
#include "touchline/projections/permission_history.h"

#include <gtest/gtest.h>

#include <chrono>

#include "projection_fixture.h"
#include "touchline/projections/runner.h"

namespace touchline::projections {
namespace {

using namespace std::chrono_literals;
using testing::ProjectionTest;

class PermissionHistoryTest : public ProjectionTest {
 protected:
  // The club's history, then enough setting changes for the organisation's stream to pass
  // kHistoryEvery twice, with privacy changes and a sub-organisation between them.
  void write_long_history() {
    write_history();
    append({events::PrivacySettingsChanged{"ath3", {{"share_activity_in_profile", false}}}}, "ath3");
    append({events::SubOrganizationCreated{"sub", "org", "Juniors", "athlete-coach", 1, "", "head", "head_coach"},
            events::SubOrganizationAdded{"org", "sub", "Juniors"}});
    for (std::uint64_t i = 0; i < 2 * PermissionProjection::kHistoryEvery + 100; ++i) {
      append({events::OrganizationSettingChanged{"org", "billing_delegation", i % 2 == 0}});
      if (i == 700) append({events::PrivacySettingsChanged{"ath3", {{"share_activity_in_profile", true}}}}, "ath3");
      if (i == 1500) append({events::MemberAdded{"sub", "ath4", "athlete"}});
    }
  }

  // Everything a view says about the accounts and organisations of the club.
  static nlohmann::json seen(const PermissionView& view) {
    nlohmann::json out = nlohmann::json::object();
    for (const char* id : {"org", "sub", "nowhere"}) {
      const auto* org = view.organization(id);
      out["organizations"][id] = org ? organization_to_json(*org) : nlohmann::json(nullptr);
      const auto* sources = view.sources(id);
      out["sources"][id] = sources ? nlohmann::json(*sources) : nlohmann::json(nullptr);
    }
    for (int i = 0; i < 30; ++i) {
      const std::string id = "ath" + std::to_string(i);
      const auto* privacy = view.privacy(id);
      out["privacy"][id] = privacy ? nlohmann::json(privacy->changed) : nlohmann::json(nullptr);
      out["privacy_sources"][id] = view.privacy_source(id);
      const auto decision = view.check("org", "asst", "athletes.view_activities", id);
      out["checks"][id] = decision ? nlohmann::json{decision->allowed, decision->reason.view()} : nlohmann::json();
    }
    out["position"] = view.position();
    return out;
  }

  static PastRead everything() {
    PastRead read{.organizations = {"org", "sub", "nowhere"}, .accounts = {}, .members_privacy = false};
    for (int i = 0; i < 30; ++i) read.accounts.push_back("ath" + std::to_string(i));
    return read;
  }

  // Folds the log into a fresh projection one event at a time, calling `at` after each (and
  // before the first) with the projection's view.
  void fold_step_by_step(const std::function<void(std::uint64_t, const PermissionView&)>& at) {
    PermissionProjection folded;
    at(0, folded.read());
    auto all = log->read_recorded(0, SIZE_MAX);
    ASSERT_TRUE(all.ok());
    for (const auto& e : *all) {
      folded.apply(e);
      at(e.position, folded.read());
    }
  }
};

TEST_F(PermissionHistoryTest, EveryPastPositionEqualsTheProjectionFoldedUpToIt) {
  write_long_history();
  // The projection, live, so that its history rows are stored.
  PermissionProjection live;
  ProjectionRunner runner(*log, live);
  runner.start();
  ASSERT_TRUE(runner.wait_for(log->head_position(), 10s));
  runner.stop();
  store::StateStore state(*log, PermissionProjection::kName);
  std::size_t rows = 0;
  ASSERT_TRUE(state.scan(PermissionProjection::history_prefix("org"), [&](auto, auto) { return ++rows, true; }).ok());
  EXPECT_EQ(rows, 2u);

  PermissionHistory history(*log);
  std::uint64_t compared = 0;
  fold_step_by_step([&](std::uint64_t position, const PermissionView& expected) {
    // Every position near the rows and the privacy changes, and a sample of the rest.
    if (position > 200 && position % 37 != 0 && (position % PermissionProjection::kHistoryEvery) > 80) return;
    auto past = history.at(position, everything());
    ASSERT_TRUE(past.ok()) << past.error().message;
    ASSERT_EQ(seen(*past), seen(expected)) << "at position " << position;
    ++compared;
  });
  EXPECT_GT(compared, 300u);
}

TEST_F(PermissionHistoryTest, WithoutItsRowsTheAnswerIsTheSame) {
  write_long_history();
  // No projection ever ran: no rows, no format; and then rows of another format, which are not read.
  PermissionHistory history(*log);
  const std::uint64_t late = log->head_position() - 3;
  PermissionView without_rows = history.at(late, everything()).value();
  store::StateStore state(*log, PermissionProjection::kName);
  store::StateBatch junk;
  junk.puts.emplace_back(PermissionProjection::history_key("org", 5), "not json");
  ASSERT_TRUE(state.commit(junk, 0).ok());
  ASSERT_TRUE(state.set_format(PermissionProjection::kStateFormat - 1).ok());
  PermissionView other_format = history.at(late, everything()).value();

  fold_step_by_step([&](std::uint64_t position, const PermissionView& expected) {
    if (position != late) return;
    EXPECT_EQ(seen(without_rows), seen(expected));
    EXPECT_EQ(seen(other_format), seen(expected));
  });

  // A row of the current format that cannot be read is damage, named, never skipped.
  ASSERT_TRUE(state.set_format(PermissionProjection::kStateFormat).ok());
  auto damaged = history.at(late, everything());
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().code, ErrorCode::internal);
  EXPECT_NE(damaged.error().message.find("rebuild the permissions projection"), std::string::npos);
}

TEST_F(PermissionHistoryTest, MembersPrivacyLoadsEveryMembersSettings) {
  write_long_history();
  PermissionHistory history(*log);
  auto view = history.at(log->head_position(), {.organizations = {"sub"}, .accounts = {}, .members_privacy = true});
  ASSERT_TRUE(view.ok());
  // ath3 is a member of the parent, whose members' settings a sub-organisation's lookups consult.
  ASSERT_NE(view->privacy("ath3"), nullptr);
  EXPECT_TRUE(view->privacy("ath3")->value("share_activity_in_profile"));
  ASSERT_NE(view->organization("org"), nullptr);
  auto without = history.at(log->head_position(), {.organizations = {"sub"}, .accounts = {}, .members_privacy = false});
  EXPECT_EQ(without->privacy("ath3"), nullptr);
}

TEST_F(PermissionHistoryTest, APositionBeyondTheHeadIsInvalid) {
  write_history();
  PermissionHistory history(*log);
  auto beyond = history.at(log->head_position() + 1, everything());
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(beyond.error().message.find(std::to_string(log->head_position())), std::string::npos);
  auto before_all = history.at(0, everything());
  ASSERT_TRUE(before_all.ok());
  EXPECT_EQ(before_all->organization("org"), nullptr);
}

TEST(LastPositionAtOrBefore, FindsTheLastEventRecordedByThen) {
  const std::vector<std::int64_t> times{100, 100, 200, 300, 300, 300, 400};  // positions 1..7
  auto time_of = [&](std::uint64_t p) -> Result<std::int64_t> { return times.at(p - 1); };
  const std::vector<std::pair<std::int64_t, std::uint64_t>> expected{
      {99, 0}, {100, 2}, {150, 2}, {200, 3}, {299, 3}, {300, 6}, {399, 6}, {400, 7}, {10'000, 7}};
  for (auto [t, p] : expected) EXPECT_EQ(last_position_at_or_before(times.size(), t, time_of).value(), p) << t;
  EXPECT_EQ(last_position_at_or_before(0, 100, time_of).value(), 0u);
  auto failing = [](std::uint64_t) -> Result<std::int64_t> { return Error::make(ErrorCode::internal, "read failed"); };
  EXPECT_EQ(last_position_at_or_before(7, 100, failing).error().message, "read failed");
}

// The store stamps times that never decrease, whatever its clock does; a time then names the
// log's prefix recorded by then.
TEST(PositionAtTime, TheLogsTimesNeverDecreaseAndNameItsPrefix) {
  const std::string dir = testing::temp_dir();
  std::vector<std::int64_t> clock{1000, 2000, 1500, 3000, 2500};  // steps back twice
  std::size_t tick = 0;
  {
    store::StoreOptions o;
    o.path = dir;
    o.now_ms = [&] { return clock[std::min(tick, clock.size() - 1)]; };
    auto log = store::EventStore::open(o).value();
    for (tick = 0; tick < clock.size(); ++tick) {
      events::DomainEvent e = events::AccountRegistered{"a" + std::to_string(tick), "x@y.z", "X", "athlete"};
      store::AppendRequest r;
      r.streams.push_back({events::stream_of(e), store::ExpectedVersion::any(),
                           {{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)}}});
      r.metadata = {"a", "c" + std::to_string(tick), "corr", "cmd"};
      ASSERT_TRUE(log->append(std::move(r)).ok());
    }
    auto all = log->read_all(0, 10).value();
    std::vector<std::int64_t> stamped;
    for (const auto& e : all) stamped.push_back(e.recorded_at_ms);
    EXPECT_EQ(stamped, (std::vector<std::int64_t>{1000, 2000, 2000, 3000, 3000}));
    PermissionHistory history(*log);
    EXPECT_EQ(history.position_at_time(999).value(), 0u);
    EXPECT_EQ(history.position_at_time(1999).value(), 1u);
    EXPECT_EQ(history.position_at_time(2000).value(), 3u);
    EXPECT_EQ(history.position_at_time(3000).value(), 5u);
  }
  {
    // Reopened, the store goes on from the last time it stamped.
    store::StoreOptions o;
    o.path = dir;
    o.now_ms = [] { return std::int64_t{10}; };
    auto log = store::EventStore::open(o).value();
    events::DomainEvent e = events::AccountRegistered{"late", "l@y.z", "L", "athlete"};
    store::AppendRequest r;
    r.streams.push_back({events::stream_of(e), store::ExpectedVersion::any(),
                         {{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)}}});
    r.metadata = {"a", "late", "corr", "cmd"};
    ASSERT_TRUE(log->append(std::move(r)).ok());
    EXPECT_EQ(log->read_all(5, 1).value().front().recorded_at_ms, 3000);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace touchline::projections
