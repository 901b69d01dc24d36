// The operator's tool, run as operators run it: dump, verify (and what it says about a flipped
// byte), rebuild, drop-snapshots, and its refusals.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "../store/test_util.h"
#include "touchline/events/domain_events.h"
#include "touchline/store/export.h"
#include "touchline/store/tree_head.h"
#include "support/run_tool.h"

namespace touchline {
namespace {

using store::testing::RawDb;
using store::testing::TempDir;

testing::ToolRun touchline_cli(const std::string& args) { return testing::run_tool(TOUCHLINE_CLI_PATH, args); }

void write_log(const std::string& dir, int organizations) {
  auto log = store::testing::open_store(store::testing::options_for(dir));
  for (int i = 0; i < organizations; ++i) {
    events::DomainEvent e = events::OrganizationCreated{"org-" + std::to_string(i), "Club", "athlete-coach",
                                                        "head", "head_coach"};
    store::AppendRequest r;
    r.streams.push_back({events::stream_of(e), store::ExpectedVersion::no_stream(),
                         {{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)}}});
    r.metadata = {"head", "c", "c", "c"};
    ASSERT_TRUE(log->append(std::move(r)).ok());
  }
}

TEST(TouchlineCli, DumpWritesOneEnvelopePerLine) {
  TempDir dir;
  write_log(dir.path(), 5);
  auto run = touchline_cli("dump --data " + dir.path() + " --after 2");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("\"position\":3"), std::string::npos);
  EXPECT_EQ(run.output.find("\"position\":2,"), std::string::npos);
  EXPECT_NE(run.output.find("dumped 3 events"), std::string::npos);
}

TEST(TouchlineCli, VerifyPassesAnIntactLogAndNamesTheFirstBadPosition) {
  TempDir dir;
  write_log(dir.path(), 5);
  auto good = touchline_cli("verify --data " + dir.path());
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("ok: 5 events"), std::string::npos);
  {
    RawDb raw(dir.path());
    const std::string key = store::testing::be64(3);
    std::string value = raw.get("log", key);
    value[value.find("Club") + 1] ^= 0x01;  // "Club" -> "Cmub": one flipped bit in the payload
    raw.put("log", key, value);
  }
  auto bad = touchline_cli("verify --data " + dir.path());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("BAD at position 3"), std::string::npos) << bad.output;
}

TEST(TouchlineCli, RebuildReplaysEachProjection) {
  TempDir dir;
  write_log(dir.path(), 3);
  auto run = touchline_cli("rebuild --data " + dir.path() + " --projection all");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("rebuilt permissions to position 3"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("rebuilt audit to position 3"), std::string::npos);
}

TEST(TouchlineCli, DropSnapshotsLeavesTheLogAlone) {
  TempDir dir;
  write_log(dir.path(), 2);
  {
    auto log = store::testing::open_store(store::testing::options_for(dir.path()));
    ASSERT_TRUE(log->write_snapshot("organization-org-0", 1, store::Snapshot{1, "{}"}).ok());
  }
  auto run = touchline_cli("drop-snapshots --data " + dir.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  auto log = store::testing::open_store(store::testing::options_for(dir.path()));
  auto snapshot = log->read_snapshot("organization-org-0", 1);
  ASSERT_TRUE(snapshot.ok());
  EXPECT_FALSE(snapshot->has_value());
  EXPECT_EQ(log->head_position(), 2u);
}

// check and organization on an exported file: answers as the log stood at a position or a time,
// offline. The log: at 1000 ms the club is founded (positions 1-2), at 2000 ms the athlete joins
// (3-4), at 3000 ms the athlete is assigned to the assistant, who is given billing delegation (5-6).
TEST(TouchlineCli, AnswersFromAnExportAsTheLogStoodThen) {
  TempDir dir;
  const std::string file = dir.sub("club.export");
  {
    std::int64_t now = 1000;
    auto o = store::testing::options_for(dir.sub("data"));
    o.now_ms = [&now] { return now; };
    auto log = store::testing::open_store(o);
    auto append = [&](std::vector<events::DomainEvent> evs) {
      store::AppendRequest r;
      for (const auto& e : evs) {
        r.streams.push_back({events::stream_of(e), store::ExpectedVersion::any(),
                             {{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)}}});
      }
      r.metadata = {"head", "c" + std::to_string(now), "c", "c"};
      ASSERT_TRUE(log->append(std::move(r)).ok());
    };
    append({events::OrganizationCreated{"club", "Club", "athlete-coach", "head", "head_coach"},
            events::MemberAdded{"club", "asst", "assistant_coach"}});
    now = 2000;
    append({events::MemberAdded{"club", "ath", "athlete"}, events::AthleteJoinedOrganization{"ath", "club"}});
    now = 3000;
    append({events::AthleteAssigned{"club", "ath", "asst", ""}, events::BillingDelegationGranted{"club", "asst"}});
    std::ofstream out(file);
    ASSERT_TRUE(store::export_log(*log, store::TreeHeadSigner(std::string(32, 'k')), 4000, out).ok());
  }
  const std::string ask = "check --file " + file + " --organization club --subject asst --permission billing.end_org_coverage --target ath";
  auto now = touchline_cli(ask);
  EXPECT_EQ(now.exit_code, 0) << now.output;
  EXPECT_NE(now.output.find("\"position\":6"), std::string::npos) << now.output;
  const bool allowed_now = now.output.find("\"allowed\":true") != std::string::npos;
  auto before = touchline_cli(ask + " --at-position 5");
  EXPECT_EQ(before.exit_code, 0) << before.output;
  EXPECT_NE(before.output.find("\"position\":5"), std::string::npos) << before.output;
  EXPECT_NE(before.output.find("\"allowed\":false"), std::string::npos) << before.output;
  EXPECT_TRUE(allowed_now) << now.output << "\n(billing delegation should give billing.end_org_coverage)";

  auto by_time = touchline_cli("organization --file " + file + " --organization club --at-time 2999");
  EXPECT_EQ(by_time.exit_code, 0) << by_time.output;
  EXPECT_NE(by_time.output.find("\"position\":4"), std::string::npos) << by_time.output;
  EXPECT_NE(by_time.output.find("\"ath\""), std::string::npos) << by_time.output;
  auto by_rfc3339 = touchline_cli("organization --file " + file + " --organization club --at-time 1970-01-01T00:00:01Z");
  EXPECT_NE(by_rfc3339.output.find("\"position\":2"), std::string::npos) << by_rfc3339.output;
  EXPECT_EQ(by_rfc3339.output.find("\"ath\""), std::string::npos) << by_rfc3339.output;

  auto too_early = touchline_cli("organization --file " + file + " --organization club --at-time 999");
  EXPECT_EQ(too_early.exit_code, 1) << too_early.output;
  EXPECT_NE(too_early.output.find("not found at position 0"), std::string::npos) << too_early.output;
  auto beyond = touchline_cli(ask + " --at-position 7");
  EXPECT_EQ(beyond.exit_code, 2) << beyond.output;
  EXPECT_NE(beyond.output.find("beyond the export's last event, 6"), std::string::npos) << beyond.output;
  EXPECT_EQ(touchline_cli(ask + " --at-position 2 --at-time 5").exit_code, 2);
  EXPECT_EQ(touchline_cli(ask + " --at-time yesterday").exit_code, 2);
  EXPECT_EQ(touchline_cli("check --file " + file + " --organization club --subject asst --permission nope").exit_code, 2);
  auto not_export = touchline_cli("check --file " + dir.sub("data/CURRENT") + " --organization club --subject asst --permission billing.manage");
  EXPECT_EQ(not_export.exit_code, 2) << not_export.output;
  EXPECT_NE(not_export.output.find("line 1 of the export"), std::string::npos) << not_export.output;
}

TEST(TouchlineCli, RefusesWhatItCannotDo) {
  TempDir dir;
  write_log(dir.path(), 1);
  EXPECT_EQ(touchline_cli("dump --data " + dir.path() + " --limit abc").exit_code, 2);
  EXPECT_EQ(touchline_cli("rebuild --data " + dir.path() + " --projection nope").exit_code, 2);
  EXPECT_EQ(touchline_cli("frobnicate --data " + dir.path()).exit_code, 2);
  auto typo = touchline_cli("rebuild --data " + dir.sub("no-such-dir") + " --projection all");
  EXPECT_EQ(typo.exit_code, 1) << typo.output;
  EXPECT_FALSE(std::filesystem::exists(dir.sub("no-such-dir")));
  {
    // A running server holds the directory: rebuild must not touch it.
    auto holder = store::testing::open_store(store::testing::options_for(dir.path()));
    auto locked = touchline_cli("rebuild --data " + dir.path() + " --projection all");
    EXPECT_EQ(locked.exit_code, 1);
    EXPECT_NE(locked.output.find("stop the server"), std::string::npos);
    EXPECT_EQ(touchline_cli("drop-snapshots --data " + dir.path()).exit_code, 1);
    EXPECT_EQ(touchline_cli("verify --data " + dir.path()).exit_code, 0);  // read-only is fine
  }
}

}  // namespace
}  // namespace touchline
