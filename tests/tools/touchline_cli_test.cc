// The operator's tool, run as operators run it: dump, verify (and what it says about a flipped
// byte), rebuild, drop-snapshots, and its refusals.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "../store/test_util.h"
#include "touchline/events/domain_events.h"

namespace touchline {
namespace {

using store::testing::RawDb;
using store::testing::TempDir;

struct Run {
  int exit_code;
  std::string output;  // stdout and stderr
};

Run touchline_cli(const std::string& args) {
  const std::string cmd = std::string(TOUCHLINE_CLI_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

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
