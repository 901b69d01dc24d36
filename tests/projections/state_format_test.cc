// A projection's stored state carries the format it was written in. At start a runner rebuilds
// from position 0 a projection whose stored format is not the one this build uses, without ever
// loading the stale state; a matching format is loaded and followed from its checkpoint.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "touchline/events/domain_events.h"
#include "touchline/projections/audit_projection.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/projections/runner.h"
#include "touchline/store/event_store.h"
#include "touchline/store/state_store.h"
#include "projection_fixture.h"
#include "support/fault_fs.h"

namespace touchline::projections {
namespace {

using namespace std::chrono_literals;
using testing::ProjectionTest;

// Passes everything through to a real projection and counts what the runner asks of it. Its
// state_format() is the inner projection's unless the test gives another one.
class Counting final : public Projection {
 public:
  explicit Counting(Projection& inner) : inner_(inner), format_(inner.state_format()) {}
  Counting(Projection& inner, std::uint32_t format) : inner_(inner), format_(format) {}

  const std::string& name() const override { return inner_.name(); }
  std::uint32_t state_format() const override { return format_; }
  Status load(const store::StateStore& state) override {
    ++loads;
    return inner_.load(state);
  }
  void apply(const events::RecordedEvent& e) override {
    ++applies;
    inner_.apply(e);
  }
  void write_changes(store::StateBatch& batch) override { inner_.write_changes(batch); }
  void reset() override {
    ++resets;
    inner_.reset();
  }

  std::atomic<int> loads{0};
  std::atomic<std::uint64_t> applies{0};
  std::atomic<int> resets{0};

 private:
  Projection& inner_;
  std::uint32_t format_;
};

// The runner's log lines, collected (the worker thread may log too).
class Lines {
 public:
  RunnerOptions options() {
    RunnerOptions o;
    o.log = [this](const std::string& line) {
      std::lock_guard lock(mu_);
      lines_.push_back(line);
    };
    return o;
  }
  std::vector<std::string> get() const {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

class StateFormatTest : public ProjectionTest {
 protected:
  // Replaces the projection's stored state with `state` (as stored() reads it: keys, plus
  // "<checkpoint>" and "<format>"), the way an earlier build would have left it.
  void put_back(const std::string& name, std::map<std::string, std::string> state) {
    store::StateStore s(*log, name);
    ASSERT_TRUE(s.clear().ok());
    const std::uint64_t checkpoint = std::stoull(state.at("<checkpoint>"));
    const auto format = static_cast<std::uint32_t>(std::stoul(state.at("<format>")));
    state.erase("<checkpoint>");
    state.erase("<format>");
    store::StateBatch b;
    for (auto& [k, v] : state) b.puts.emplace_back(k, v);
    ASSERT_TRUE(s.commit(b, checkpoint).ok());
    if (format != 0) {
      ASSERT_TRUE(s.set_format(format).ok());
    }
  }

  // The permission projection replayed from position 0 into fresh memory: its snapshot and
  // stored state.
  std::pair<nlohmann::json, std::map<std::string, std::string>> fresh_permissions() {
    PermissionProjection fresh;
    EXPECT_TRUE(ProjectionRunner(*log, fresh).rebuild().ok());
    return {fresh.snapshot(), stored(PermissionProjection::kName)};
  }
};

TEST_F(StateFormatTest, AnOlderStoredFormatIsRebuiltAtStartAndEqualsAFreshReplay) {
  write_history();
  const std::uint64_t head = log->head_position();
  const auto [fresh_snapshot, fresh_state] = fresh_permissions();
  ASSERT_EQ(fresh_state.at("<format>"), std::to_string(PermissionProjection().state_format()));
  ASSERT_EQ(fresh_state.at("<checkpoint>"), std::to_string(head));

  // What the previous build left: format 1, complete up to the head, with a value this build
  // cannot parse (load() would throw on it) and that a rebuild does not write.
  auto old_state = fresh_state;
  old_state["<format>"] = "1";
  old_state["org/old"] = "{\"shape\": \"of format 1\"";
  put_back(PermissionProjection::kName, old_state);

  PermissionProjection permissions;
  Counting counting(permissions);
  Lines lines;
  ProjectionRunner runner(*log, counting, lines.options());
  runner.start();
  ASSERT_TRUE(runner.wait_for(head, 10s)) << runner.failure().value_or("");

  EXPECT_EQ(counting.resets.load(), 1);
  EXPECT_EQ(counting.applies.load(), head);  // every event, from position 1
  EXPECT_EQ(lines.get(), std::vector<std::string>{"projection permissions: stored state format 1, this build uses " +
                                                  std::to_string(permissions.state_format()) +
                                                  "; rebuilding from position 0"});
  EXPECT_EQ(permissions.snapshot(), fresh_snapshot);
  EXPECT_EQ(stored(PermissionProjection::kName), fresh_state);
}

TEST_F(StateFormatTest, StateStoredBeforeFormatsWereRecordedIsRebuiltAtStart) {
  write_history();
  const std::uint64_t head = log->head_position();
  store::StateStore audit_state(*log, AuditProjection::kName);
  AuditProjection fresh(audit_state, *log);
  ASSERT_TRUE(ProjectionRunner(*log, fresh).rebuild().ok());
  const auto fresh_state = stored(AuditProjection::kName);
  const auto fresh_page = fresh.page("org", 0, 1000).value().entries;
  ASSERT_FALSE(fresh_page.empty());

  auto old_state = fresh_state;
  old_state["<format>"] = "0";  // none recorded
  old_state["org/stale-entry"] = "{}";
  put_back(AuditProjection::kName, old_state);
  ASSERT_EQ(audit_state.format().value(), 0u);
  ASSERT_EQ(audit_state.checkpoint().value(), head);

  AuditProjection audit(audit_state, *log);
  Counting counting(audit);
  Lines lines;
  ProjectionRunner runner(*log, counting, lines.options());
  runner.start();
  ASSERT_TRUE(runner.wait_for(head, 10s)) << runner.failure().value_or("");

  EXPECT_EQ(counting.applies.load(), head);
  EXPECT_EQ(lines.get(), std::vector<std::string>{"projection audit: stored state format 0, this build uses " +
                                                  std::to_string(audit.state_format()) +
                                                  "; rebuilding from position 0"});
  EXPECT_EQ(stored(AuditProjection::kName), fresh_state);
  EXPECT_EQ(audit.page("org", 0, 1000).value().entries, fresh_page);
}

TEST_F(StateFormatTest, ANewerStoredFormatIsRebuiltToo) {
  write_history();
  const std::uint64_t head = log->head_position();
  {
    PermissionProjection newer;
    Counting counting(newer, newer.state_format() + 1);  // a later build, since rolled back
    ProjectionRunner runner(*log, counting);
    runner.start();
    ASSERT_TRUE(runner.wait_for(head, 10s));
  }
  const std::uint32_t current = PermissionProjection().state_format();
  ASSERT_EQ(store::StateStore(*log, PermissionProjection::kName).format().value(), current + 1);

  PermissionProjection permissions;
  Counting counting(permissions);
  Lines lines;
  ProjectionRunner runner(*log, counting, lines.options());
  runner.start();
  ASSERT_TRUE(runner.wait_for(head, 10s));
  EXPECT_EQ(counting.applies.load(), head);
  ASSERT_EQ(lines.get().size(), 1u);
  EXPECT_NE(lines.get()[0].find("stored state format " + std::to_string(current + 1) + ", this build uses " +
                                std::to_string(current)),
            std::string::npos);
  EXPECT_EQ(store::StateStore(*log, PermissionProjection::kName).format().value(), PermissionProjection().state_format());
}

TEST_F(StateFormatTest, AMatchingFormatIsLoadedNotReplayed) {
  write_history();
  const std::uint64_t head = log->head_position();
  {
    PermissionProjection first;
    Counting counting(first);
    ProjectionRunner runner(*log, counting);
    runner.start();
    ASSERT_TRUE(runner.wait_for(head, 10s));
    EXPECT_EQ(counting.applies.load(), head);
  }
  ASSERT_EQ(store::StateStore(*log, PermissionProjection::kName).format().value(), PermissionProjection().state_format());

  PermissionProjection permissions;
  Counting counting(permissions);
  Lines lines;
  ProjectionRunner runner(*log, counting, lines.options());
  runner.start();
  EXPECT_EQ(runner.position(), head);  // from its checkpoint
  EXPECT_EQ(counting.loads.load(), 1);
  EXPECT_EQ(counting.resets.load(), 0);
  // One more event: a runner that replayed from 0 would apply the whole log to reach it.
  append({events::AthleteAssigned{"org", "ath1", "asst", ""}});
  ASSERT_TRUE(runner.wait_for(log->head_position(), 10s));
  EXPECT_EQ(counting.applies.load(), 1u);
  EXPECT_TRUE(lines.get().empty());
  auto d = permissions.check("org", "asst", "athletes.view_activities", "ath1");
  ASSERT_TRUE(d.has_value());  // the organisation came from the loaded state
  EXPECT_TRUE(d->allowed) << d->reason;
  runner.stop();
  EXPECT_EQ(permissions.snapshot(), fresh_permissions().first);
}

TEST_F(StateFormatTest, ANewProjectionRecordsItsFormatWithoutARebuild) {
  write_history();
  PermissionProjection permissions;
  Counting counting(permissions);
  Lines lines;
  ProjectionRunner runner(*log, counting, lines.options());
  runner.start();
  EXPECT_EQ(store::StateStore(*log, PermissionProjection::kName).format().value(), PermissionProjection().state_format());
  ASSERT_TRUE(runner.wait_for(log->head_position(), 10s));
  EXPECT_EQ(counting.resets.load(), 0);
  EXPECT_TRUE(lines.get().empty());
}

TEST_F(StateFormatTest, RebuildRecordsTheFormat) {
  write_history();
  store::StateStore permission_state(*log, PermissionProjection::kName);
  store::StateStore audit_state(*log, AuditProjection::kName);
  ASSERT_TRUE(permission_state.commit({{{"org/x", "{}"}}, {}}, 5).ok());
  ASSERT_TRUE(permission_state.set_format(1).ok());
  ASSERT_TRUE(audit_state.commit({{{"org/x", "{}"}}, {}}, 5).ok());  // no format recorded

  PermissionProjection permissions;
  AuditProjection audit(audit_state, *log);
  ASSERT_TRUE(ProjectionRunner(*log, permissions).rebuild().ok());
  ASSERT_TRUE(ProjectionRunner(*log, audit).rebuild().ok());
  EXPECT_EQ(permission_state.format().value(), permissions.state_format());
  EXPECT_EQ(audit_state.format().value(), audit.state_format());
  EXPECT_EQ(permission_state.checkpoint().value(), log->head_position());

  // So the next start loads the rebuilt state instead of rebuilding it again.
  PermissionProjection next;
  Counting counting(next);
  Lines lines;
  ProjectionRunner runner(*log, counting, lines.options());
  runner.start();
  EXPECT_EQ(runner.position(), log->head_position());
  EXPECT_EQ(counting.resets.load(), 0);
  EXPECT_TRUE(lines.get().empty());
}

TEST_F(StateFormatTest, AnEmptyLogRebuildRecordsTheFormat) {
  PermissionProjection permissions;
  ASSERT_TRUE(ProjectionRunner(*log, permissions).rebuild().ok());
  EXPECT_EQ(store::StateStore(*log, PermissionProjection::kName).format().value(), PermissionProjection().state_format());
}

TEST_F(StateFormatTest, AStoreThatCannotBeClearedStopsTheRunnerBeforeLoading) {
  write_history();
  {
    store::StateStore state(*log, PermissionProjection::kName);
    ASSERT_TRUE(state.commit({{{"org/old", "not json"}}, {}}, 3).ok());
    ASSERT_TRUE(state.set_format(1).ok());
  }
  log.reset();  // projection state bypasses the WAL: closing flushes it where a secondary reads
  store::StoreOptions o;
  o.path = dir;
  o.read_only = true;
  auto secondary = store::EventStore::open(o);
  ASSERT_TRUE(secondary.ok()) << secondary.error().message;
  ASSERT_EQ(store::StateStore(**secondary, PermissionProjection::kName).format().value(), 1u);

  PermissionProjection permissions;
  Counting counting(permissions);
  Lines lines;
  ProjectionRunner runner(**secondary, counting, lines.options());
  runner.start();  // would throw if load() parsed the stale value
  ASSERT_TRUE(runner.failure().has_value());
  EXPECT_NE(runner.failure()->find("read-only"), std::string::npos) << *runner.failure();
  EXPECT_EQ(counting.loads.load(), 0);
  EXPECT_EQ(runner.position(), 0u);
  ASSERT_EQ(lines.get().size(), 1u);
  EXPECT_EQ(lines.get()[0].rfind("projection permissions stopped: ", 0), 0u) << lines.get()[0];
}

// A runner that cannot read its stored state (its format, its checkpoint, the state itself) stops
// with the read's error, which /healthz reports, rather than take the failed read for "no state"
// and replay the log over the state it has.
TEST_F(StateFormatTest, ARunnerThatCannotReadItsStateStopsAndFoldsNothing) {
  write_history();
  {
    PermissionProjection permissions;
    ProjectionRunner runner(*log, permissions);
    store::StateStore audit_state(*log, AuditProjection::kName);
    AuditProjection audit(audit_state, *log);
    ProjectionRunner audit_runner(*log, audit);
    runner.start();
    audit_runner.start();
    ASSERT_TRUE(runner.wait_for(log->head_position(), 5s));
    ASSERT_TRUE(audit_runner.wait_for(log->head_position(), 5s));
  }
  const std::uint64_t head = log->head_position();
  log.reset();  // flushes the projections' state into table files, where reads can fail
  const auto files = touchline::testing::table_files_of(dir, "projections");
  ASSERT_FALSE(files.empty());
  static touchline::testing::FaultFs faults;  // static: the store, closed in TearDown, must not outlive it
  faults.fail_reads_of({});
  env = faults.env();
  open();
  faults.fail_reads_of(files);

  PermissionProjection permissions;
  Counting counting(permissions);
  Lines lines;
  ProjectionRunner runner(*log, counting, lines.options());
  runner.start();
  ASSERT_TRUE(runner.failure().has_value());
  EXPECT_NE(runner.failure()->find("cannot read the state of projection permissions"), std::string::npos)
      << *runner.failure();
  EXPECT_EQ(counting.applies.load(), 0);
  EXPECT_EQ(runner.position(), 0u);
  ASSERT_EQ(lines.get().size(), 1u);
  EXPECT_EQ(lines.get()[0].rfind("projection permissions stopped: ", 0), 0u) << lines.get()[0];

  // An audit page read over the failing disk is an error, not a short last page.
  store::StateStore audit_state(*log, AuditProjection::kName);
  AuditProjection audit(audit_state, *log);
  EXPECT_FALSE(audit.page("org", 0, 1000).ok());

  // Once reads work again, a runner resumes from the checkpoint it could not read before.
  faults.fail_reads_of({});
  PermissionProjection again;
  Counting counting_again(again);
  ProjectionRunner resumed(*log, counting_again);
  resumed.start();
  EXPECT_FALSE(resumed.failure().has_value());
  EXPECT_EQ(resumed.position(), head);
  EXPECT_EQ(counting_again.applies.load(), 0);
  EXPECT_FALSE(audit.page("org", 0, 1000).value().entries.empty());
}

}  // namespace
}  // namespace touchline::projections
