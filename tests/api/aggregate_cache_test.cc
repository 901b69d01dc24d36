// The write side's aggregates held in memory: a command reads no event already folded, a restart
// reads a stream from its snapshot rather than from version 1, deleting the snapshots changes no
// answer, a state behind the log is read again after the conflict it causes, and memory stays
// within its budget. Counted with the store's stream_events_read().
#include <gtest/gtest.h>

#include "support/command_harness.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

// Organisations whose head coach records actions on an athlete who consented to coaching.
std::vector<events::DomainEvent> clubs(int count) {
  std::vector<events::DomainEvent> out{events::AccountRegistered{"coach", "c@x.io", "Coach", "coach"},
                                       events::AccountRegistered{"ada", "ada@x.io", "Ada", "athlete"}};
  for (int i = 0; i < count; ++i) {
    const std::string org = "org" + std::to_string(i);
    out.push_back(events::OrganizationCreated{org, "Club", "athlete-coach", "coach", "head_coach", 3});
    out.push_back(events::MemberAdded{org, "ada", "athlete"});
    out.push_back(events::ConsentGiven{org, "ada"});
  }
  return out;
}

json viewed(const std::string& org) {
  return {{"organization_id", org}, {"action", "athlete_data.viewed"}, {"permission", "athletes.view_activities"},
          {"target", "ada"}};
}

// The answer without its position, which moves with every append.
json answer_of(const Result<api::CommandResponse>& r) {
  EXPECT_TRUE(r.ok()) << r.error().message;
  if (!r.ok()) return json();
  json body = r->body;
  body.erase("position");
  return body;
}

TEST(AggregateCache, ACommandReadsNoEventTheServiceHasAlreadyFolded) {
  CommandHarness h;
  h.append(clubs(1));
  ASSERT_TRUE(h.run("RecordAction", viewed("org0"), "coach").ok());
  const auto after_first = h.log().stream_events_read();
  EXPECT_GT(after_first, 0u);
  for (int i = 0; i < 50; ++i) {
    auto r = h.run("RecordAction", viewed("org0"), "coach");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->body["allowed"].get<bool>());
  }
  EXPECT_EQ(h.log().stream_events_read(), after_first);
  EXPECT_EQ(h.log().stream_version("organization-org0").value(), 3u + 51u);
}

TEST(AggregateCache, ARestartReadsLongStreamsFromTheirSnapshotsAndNeedsNone) {
  api::commands::AggregateCacheOptions options;
  options.snapshot_every = 100;
  CommandHarness h(options);
  h.append(clubs(3));
  const int per_org = 350;
  for (int i = 0; i < per_org; ++i) {
    for (int o = 0; o < 3; ++o) ASSERT_TRUE(h.run("RecordAction", viewed("org" + std::to_string(o)), "coach").ok());
  }
  EXPECT_GE(h.service().cache_stats().snapshots_written, 9u);

  // Killed: only the snapshots taken every 100 events survive. The first command on each
  // organisation reads its snapshot and the events after it (under 100), plus Ada's short
  // account stream: nowhere near the 353 events of its stream.
  auto first_commands = [&] {
    std::vector<json> answers;
    std::vector<std::uint64_t> reads;
    for (int o = 0; o < 3; ++o) {
      const auto before = h.log().stream_events_read();
      answers.push_back(answer_of(h.run("RecordAction", viewed("org" + std::to_string(o)), "coach")));
      reads.push_back(h.log().stream_events_read() - before);
    }
    return std::pair{answers, reads};
  };
  h.reopen();
  auto [from_snapshots, snapshot_reads] = first_commands();
  for (auto n : snapshot_reads) EXPECT_LT(n, 100u + 10u);
  EXPECT_EQ(h.service().cache_stats().snapshots_loaded, 3u);

  // Stopped cleanly: every changed aggregate was snapshotted at shutdown.
  h.close_cleanly();
  h.reopen();
  auto [after_clean_stop, clean_reads] = first_commands();
  for (auto n : clean_reads) EXPECT_LT(n, 10u);

  // Without snapshots, the same commands give the same answers, only after reading everything.
  h.close();
  {
    store::StoreOptions o;
    o.path = h.dir();
    auto s = store::EventStore::open(o);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->drop_snapshots().ok());
  }
  h.reopen();
  auto [from_events, full_reads] = first_commands();
  for (auto n : full_reads) EXPECT_GT(n, static_cast<std::uint64_t>(per_org));
  EXPECT_EQ(h.service().cache_stats().snapshots_loaded, 0u);
  EXPECT_EQ(from_events, from_snapshots);
  EXPECT_EQ(from_events, after_clean_stop);
}

TEST(AggregateCache, AStateBehindTheLogIsReadAgainAfterTheConflictItCauses) {
  CommandHarness h;
  h.append(clubs(1));
  ASSERT_TRUE(h.run("RecordAction", viewed("org0"), "coach").ok());  // org0 is now cached
  // Another writer (only a test can be one) moves the stream on.
  h.append({events::MemberAdded{"org0", "bo", "athlete"}});
  const auto version = h.log().stream_version("organization-org0").value();
  auto r = h.run("RecordAction", viewed("org0"), "coach");
  ASSERT_TRUE(r.ok()) << r.error().message;  // refused once with conflict, re-read, decided again
  EXPECT_EQ(h.log().stream_version("organization-org0").value(), version + 1);
  // Read again means: it now decides knowing about bo.
  auto on_bo = h.run("AssignAthlete", {{"organization_id", "org0"}, {"athlete_id", "bo"}, {"coach_id", "coach"}},
                     "coach");
  EXPECT_TRUE(on_bo.ok()) << on_bo.error().message;
}

// Two commands on one club are decided one on the other while the store's writer is held up; the
// first fails (another writer moved the stream under the cache), and the second, whose expected
// version that other writer happens to make true, must fail with it and be decided again, on
// what the log holds, rather than spend credits the pool no longer has.
TEST(AggregateCache, AFailedAppendTakesTheDecisionsMadeOnItWithIt) {
  CommandHarness h;
  h.append({events::AccountRegistered{"owner", "o@x.io", "Owner", "coach"},
            events::AccountRegistered{"coach", "c@x.io", "Coach", "coach"},
            events::OrganizationCreated{"t", "Harbour FC", "club", "owner", "owner", 2},
            events::OrganizationTierChanged{"t", "club", "free"},
            events::MemberAdded{"t", "coach", "coach"},
            events::CreditsAdded{"t", 10, 10}});
  const json spend4{{"organization_id", "t"}, {"amount", 4}};
  const json spend6{{"organization_id", "t"}, {"amount", 6}};
  // Cached with a pool of 10 (a no-op reads the organisation and appends nothing).
  ASSERT_TRUE(h.run("ChangeOrganizationSetting",
                    {{"organization_id", "t"}, {"setting", "admin_document_visibility"}, {"enabled", false}}, "owner")
                  .ok());
  h.append({events::CreditsSpent{"t", "coach", 10, 0}});  // behind the cache's back: the pool is empty

  // Hold the writer thread in a callback while both decisions queue behind it. The commands
  // start only once it is held: a command finding the writer idle would take its turn and run
  // the blocking callback on this thread.
  std::promise<void> release, holding;
  auto released = release.get_future().share();
  store::AppendRequest blocker;
  blocker.streams.push_back({"blocker", store::ExpectedVersion::any(), {{"Blocker", 1, json::object()}}});
  blocker.metadata = {"test", "b", "b", "b"};
  h.log().append_async(std::move(blocker), [released, &holding](Result<store::AppendResult>) {
    holding.set_value();
    released.wait();
  });
  holding.get_future().wait();
  std::promise<Result<api::CommandResponse>> first, second;
  h.service().execute({"SpendCredits", spend6, "coach", "", "", ""},
                      [&](Result<api::CommandResponse> r) { first.set_value(std::move(r)); });
  h.service().execute({"SpendCredits", spend4, "coach", "", "", ""},
                      [&](Result<api::CommandResponse> r) { second.set_value(std::move(r)); });
  release.set_value();

  for (auto* answer : {&first, &second}) {
    auto r = answer->get_future().get();
    ASSERT_FALSE(r.ok()) << "spent credits the pool did not have";
    EXPECT_EQ(r.error().code, ErrorCode::failed_precondition) << r.error().message;
  }
  auto stream = h.log().read_stream("organization-t");
  ASSERT_TRUE(stream.ok());
  domain::OrganizationState org;
  for (const auto& e : *stream) org = domain::evolve(std::move(org), *events::decode_event(e.type, e.schema_version, e.payload));
  EXPECT_EQ(org.credits, 0);
}

TEST(AggregateCache, MemoryStaysWithinItsBudget) {
  api::commands::AggregateCacheOptions options;
  options.budget_bytes = 4096;
  CommandHarness h(options);
  h.append(clubs(8));
  for (int round = 0; round < 5; ++round) {
    for (int o = 0; o < 8; ++o) {
      auto r = h.run("RecordAction", viewed("org" + std::to_string(o)), "coach");
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_TRUE(r->body["allowed"].get<bool>());
    }
  }
  const auto stats = h.service().cache_stats();
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_LT(stats.entries, 9u);
}

}  // namespace
}  // namespace touchline::testing
