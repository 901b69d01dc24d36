// The log format stays readable. tests/golden/log_v1/ is a RocksDB directory written by format 1
// and tests/golden/log_v1.ndjson is its dump. This version must (1) read that directory and dump
// exactly those lines with an intact hash chain and decodable events, and (2) write exactly the
// same bytes when it appends the same history with the same clock.
//
// Regenerate (only when the format changes on purpose, with a format version bump):
//   TOUCHLINE_UPDATE_GOLDEN=1 build/tests/golden/golden_log_test
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "touchline/events/domain_events.h"
#include "touchline/store/event_store.h"
#include "touchline/store/hash_chain.h"

namespace touchline {
namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(TOUCHLINE_SOURCE_DIR) / "tests/golden/log_v1";
const fs::path kGoldenDump = fs::path(TOUCHLINE_SOURCE_DIR) / "tests/golden/log_v1.ndjson";

std::string temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "touchline-golden-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  return tmpl;
}

std::unique_ptr<store::EventStore> open_store(const std::string& dir) {
  store::StoreOptions o;
  o.path = dir;
  auto clock = std::make_shared<std::int64_t>(1767225600000);  // 2026-01-01T00:00:00Z
  o.now_ms = [clock] { return *clock += 1000; };
  auto s = store::EventStore::open(o);
  if (!s.ok()) throw std::runtime_error(s.error().message);
  return std::move(*s);
}

void append(store::EventStore& log, const std::string& actor, const std::string& command,
            std::vector<events::DomainEvent> evs) {
  store::AppendRequest r;
  for (const auto& e : evs) {
    const std::string stream = events::stream_of(e);
    const auto v = log.stream_version(stream);
    r.streams.push_back({stream, v == 0 ? store::ExpectedVersion::no_stream() : store::ExpectedVersion::exact(v),
                         {{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)}}});
  }
  r.metadata = {actor, command, "corr-" + command, command};
  auto res = log.append(std::move(r));
  if (!res.ok()) throw std::runtime_error(res.error().message);
}

// One of every event type, in the order a real club would produce them.
void write_history(store::EventStore& log) {
  append(log, "acc-head", "cmd-1",
         {events::AccountRegistered{"acc-head", "Head@Example.com", "Hana Head", "coach"},
          events::EmailClaimed{"head@example.com", "acc-head"},
          events::OrganizationCreated{"org-1", "Harbour Runners", "athlete-coach", "acc-head", "head_coach"}});
  append(log, "acc-asst", "cmd-2",
         {events::AccountRegistered{"acc-asst", "asst@example.com", "Ari Assistant", "athlete"},
          events::EmailClaimed{"asst@example.com", "acc-asst"}});
  append(log, "acc-asst", "cmd-3", {events::AccountUpgradedToCoach{"acc-asst"}});
  append(log, "acc-ath", "cmd-4",
         {events::AccountRegistered{"acc-ath", "ath@example.com", "Ada Athlete", "athlete"},
          events::EmailClaimed{"ath@example.com", "acc-ath"}});
  append(log, "acc-head", "cmd-5", {events::MemberAdded{"org-1", "acc-asst", "assistant_coach"}});
  append(log, "acc-head", "cmd-6",
         {events::MemberAdded{"org-1", "acc-ath", "athlete"}, events::AthleteJoinedOrganization{"acc-ath", "org-1"}});
  append(log, "acc-head", "cmd-7", {events::AthleteAssigned{"org-1", "acc-ath", "acc-asst", ""}});
  append(log, "acc-head", "cmd-8", {events::BillingDelegationGranted{"org-1", "acc-asst"}});
  append(log, "acc-head", "cmd-9", {events::BillingDelegationRevoked{"org-1", "acc-asst"}});
}

std::string dump(const store::EventStore& log) {
  std::ostringstream out;
  auto all = log.read_all(0, 100000);
  if (!all.ok()) throw std::runtime_error(all.error().message);
  for (const auto& e : *all) out << events::to_json(e).dump() << "\n";
  return out.str();
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Copies the committed directory, since opening a RocksDB directory writes to it.
std::string copy_of_golden_dir() {
  const std::string dir = temp_dir();
  fs::copy(kGoldenDir, dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  return dir;
}

TEST(GoldenLog, Regenerate) {
  if (!std::getenv("TOUCHLINE_UPDATE_GOLDEN")) GTEST_SKIP() << "set TOUCHLINE_UPDATE_GOLDEN=1 to rewrite";
  const std::string dir = temp_dir();
  {
    auto log = open_store(dir);
    write_history(*log);
    std::ofstream(kGoldenDump) << dump(*log);
  }
  fs::remove_all(kGoldenDir);
  fs::create_directories(kGoldenDir);
  for (const auto& f : fs::directory_iterator(dir)) {
    const std::string name = f.path().filename().string();
    if (name == "LOCK" || name.rfind("LOG", 0) == 0) continue;  // lock file and info logs
    fs::copy(f.path(), kGoldenDir / name);
  }
  fs::remove_all(dir);
}

TEST(GoldenLog, ThisVersionReadsTheCommittedLog) {
  ASSERT_TRUE(fs::exists(kGoldenDir)) << kGoldenDir;
  const std::string dir = copy_of_golden_dir();
  {
    auto log = open_store(dir);
    EXPECT_EQ(dump(*log), read_file(kGoldenDump));
    auto report = store::verify_log(*log);
    EXPECT_TRUE(report.ok) << report.problem << " at " << report.first_bad_position;
    EXPECT_EQ(report.events_checked, 14u);
    auto all = log->read_all(0, 1000);
    ASSERT_TRUE(all.ok());
    for (const auto& e : *all) {
      EXPECT_TRUE(events::decode_event(e.type, e.schema_version, e.payload).ok()) << e.type;
    }
    // And appends continue its chain.
    append(*log, "acc-head", "cmd-10", {events::AthleteAssigned{"org-1", "acc-ath", "acc-head", "acc-asst"}});
    EXPECT_TRUE(store::verify_log(*log).ok);
  }
  fs::remove_all(dir);
}

TEST(GoldenLog, ThisVersionWritesTheSameBytes) {
  const std::string dir = temp_dir();
  {
    auto log = open_store(dir);
    write_history(*log);
    EXPECT_EQ(dump(*log), read_file(kGoldenDump));
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace touchline
