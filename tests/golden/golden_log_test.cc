// Logs stay readable. tests/golden/log_vN/ is a RocksDB directory written by an earlier build and
// log_vN.ndjson its dump. Every build must read every such directory and dump exactly those lines,
// with an intact hash chain and decodable events. The newest one holds one of every event type as
// this build writes it, and this build must write exactly the same bytes for the same history.
//
// log_v1: format 1, the first event set (written before role models had versions).
// log_v2: format 1, with OrganizationCreated schema 2, the membership and custom-role events, and
//         privacy settings and AI credits.
// log_v3: format 1, adding invites, consent and credentials (CredentialEdited schema 1).
// log_v4: format 1, adding recorded actions, deactivation and CredentialEdited schema 2.
// log_v5: format 1, adding sub-organisations.
// log_v6: format 1, adding an operator's downgrade of a coach account.
// log_v7: format 1, InviteIssued schema 2 (issued_by).
// log_v8: format 1, adding membership offers and their answers, and leaving.
// log_v9: format 1, EmailClaimed schema 2 and InviteIssued schema 3 (claim keys), personal data
//         sealed (store/personal_data.h), and an erasure.
//
// Regenerate the newest (only when what is written changes on purpose; add a log_vN+1 instead when
// an older build's log must stay covered):
//   TOUCHLINE_UPDATE_GOLDEN=1 build/tests/golden/golden_tests --gtest_filter='GoldenLog.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "touchline/events/domain_events.h"
#include "touchline/events/json_text.h"
#include "touchline/events/recorded_event.h"
#include "touchline/store/event_store.h"
#include "touchline/store/hash_chain.h"

namespace touchline {
namespace {

namespace fs = std::filesystem;

const fs::path kGolden = fs::path(TOUCHLINE_SOURCE_DIR) / "tests/golden";

struct GoldenLog {
  std::string name;  // directory under tests/golden; its dump is <name>.ndjson
  std::uint64_t events;
};
const std::vector<GoldenLog> kGoldenLogs = {{"log_v1", 14}, {"log_v2", 34}, {"log_v3", 47}, {"log_v4", 51}, {"log_v5", 53}, {"log_v6", 54}, {"log_v7", 54}, {"log_v8", 60}, {"log_v9", 65}};
const GoldenLog& kNewest = kGoldenLogs.back();

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
    store::NewEvent event{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)};
    if (!r.streams.empty() && r.streams.back().stream == stream) {
      r.streams.back().events.push_back(std::move(event));
      continue;
    }
    const auto v = log.stream_version(stream).value();
    r.streams.push_back({stream, v == 0 ? store::ExpectedVersion::no_stream() : store::ExpectedVersion::exact(v),
                         {std::move(event)}});
  }
  r.metadata = {actor, command, "corr-" + command, command};
  auto res = log.append(std::move(r));
  if (!res.ok()) throw std::runtime_error(res.error().message);
}

// One of every event type, in the order a real club would produce them.
void write_history(store::EventStore& log) {
  using namespace events;
  append(log, "acc-head", "cmd-1",
         {events::AccountRegistered{"acc-head", "Head@Example.com", "Hana Head", "coach"},
          events::EmailClaimed{"head@example.com", "acc-head"},
          events::OrganizationCreated{"org-1", "Harbour Runners", "athlete-coach", "acc-head", "head_coach", 1}});
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
  append(log, "acc-head", "cmd-10", {RoleModelVersionAdopted{"org-1", "athlete-coach", 2, 1}});
  append(log, "acc-head", "cmd-11", {MemberRoleChanged{"org-1", "acc-asst", "coach", "assistant_coach"}});
  append(log, "acc-head", "cmd-12", {OrganizationTierChanged{"org-1", "business", "free"}});
  append(log, "acc-c2", "cmd-13",
         {AccountRegistered{"acc-c2", "c2@example.com", "Cy Coach", "coach"}, EmailClaimed{"c2@example.com", "acc-c2"},
          OrganizationCreated{"org-2", "Valley Tri", "custom-roles", "acc-c2", "owner", 1}});
  append(log, "acc-c2", "cmd-14",
         {OrganizationCreated{"org-3", "Harbour FC", "club", "acc-c2", "owner", 1},
          OrganizationSettingChanged{"org-3", "admin_document_visibility", true}});
  append(log, "acc-c2", "cmd-15", {MemberAdded{"org-2", "acc-asst", "assistant"}});
  append(log, "acc-c2", "cmd-16", {MemberGranted{"org-2", "acc-asst", "adjust_setup"}});
  append(log, "acc-c2", "cmd-17", {MemberGrantRevoked{"org-2", "acc-asst", "adjust_setup"}});
  append(log, "acc-c2", "cmd-18",
         {RoleDefined{"org-2", "analyst", "Analyst", {{"athletes.view", "all"}, {"reports.view", "all"}}}});
  append(log, "acc-c2", "cmd-19", {RoleUpdated{"org-2", "analyst", "Analyst", {{"athletes.view", "assigned"}}}});
  append(log, "acc-c2", "cmd-20", {RoleDeleted{"org-2", "analyst"}});
  append(log, "acc-head", "cmd-21", {AthleteUnassigned{"org-1", "acc-ath", "acc-asst"}});
  append(log, "acc-head", "cmd-22",
         {MemberRemoved{"org-1", "acc-ath", "athlete"}, AthleteLeftOrganization{"acc-ath", "org-1"}});
  append(log, "acc-ath", "cmd-23", {PrivacySettingsChanged{"acc-ath", {{"share_pace_data", false}}}});
  append(log, "acc-c2", "cmd-24", {CreditsAdded{"org-3", 100, 100}});
  append(log, "acc-c2", "cmd-25", {CreditsSpent{"org-3", "acc-c2", 30, 70}});
  // log_v3 from here on.
  append(log, "acc-c2", "cmd-26",
         {InviteIssued{"org-2", "inv-1", "assistant", "", 5, 1767312000000, std::string(64, 'a'), "acc-c2", ""}});
  append(log, "acc-c2", "cmd-27",
         {InviteIssued{"org-2", "inv-2", "athlete", "ath@example.com", 1, 0, std::string(64, 'b'), "acc-c2", ""}});
  append(log, "acc-c2", "cmd-28", {InviteRevoked{"org-2", "inv-1"}});
  append(log, "acc-ath", "cmd-29",
         {InviteAccepted{"org-2", "inv-2", "acc-ath"}, MemberAdded{"org-2", "acc-ath", "athlete"},
          AthleteJoinedOrganization{"acc-ath", "org-2"}});
  append(log, "acc-ath", "cmd-30", {ConsentGiven{"org-2", "acc-ath"}});
  append(log, "acc-ath", "cmd-31", {ConsentWithdrawn{"org-2", "acc-ath"}});
  append(log, "acc-c2", "cmd-32", {MemberAdded{"org-3", "acc-head", "coach"}});
  append(log, "acc-head", "cmd-33",
         {CredentialDeclared{"org-3", "cred-1", "acc-head", "DBS check", "2027-06-30", "scans/dbs-head.pdf"}});
  append(log, "acc-c2", "cmd-34", {CredentialRecorded{"org-3", "cred-2", "acc-head", "First aid", "2026-02-01", ""}});
  append(log, "acc-c2", "cmd-35", {CredentialVerified{"org-3", "cred-1", "acc-head"}});
  append(log, "acc-head", "cmd-36",
         {CredentialEdited{"org-3", "cred-1", "acc-head", "DBS check", "2028-06-30", "scans/dbs-head-2.pdf", true}});
  // log_v4 from here on (and CredentialEdited above at schema 2).
  append(log, "acc-c2", "cmd-37",
         {ActionRecorded{"org-2", "refund.issued", "billing.refund", "acc-ath", true, "role owner holds billing.refund",
                         "", {{"amount", "30.00"}, {"currency", "GBP"}}}});
  append(log, "acc-asst", "cmd-38",
         {ActionRecorded{"org-2", "athlete_data.viewed", "athletes.view", "acc-ath", false,
                         "the athlete has not accepted coaching by this organisation", "203.0.113.7", {}}});
  append(log, "acc-c2", "cmd-39", {MemberDeactivated{"org-2", "acc-asst", "assistant"}});
  append(log, "acc-c2", "cmd-40", {MemberReactivated{"org-2", "acc-asst"}});
  // log_v5 from here on.
  append(log, "acc-c2", "cmd-41",
         {SubOrganizationCreated{"org-4", "org-2", "Valley Tri Juniors", "custom-roles", 1, "free", "acc-head", "owner"},
          SubOrganizationAdded{"org-2", "org-4", "Valley Tri Juniors"}});
  // log_v6 from here on.
  append(log, "operator", "cmd-42", {AccountDowngradedToAthlete{"acc-c2"}});
  // log_v8 from here on.
  append(log, "acc-c2", "cmd-43", {MembershipOffered{"org-3", "acc-asst", "coach", "acc-c2"}});
  append(log, "acc-asst", "cmd-44", {MembershipAccepted{"org-3", "acc-asst"}, MemberAdded{"org-3", "acc-asst", "coach"}});
  append(log, "acc-c2", "cmd-45", {MembershipOffered{"org-2", "acc-head", "assistant", "acc-c2"}});
  append(log, "acc-head", "cmd-46", {MembershipDeclined{"org-2", "acc-head"}});
  append(log, "acc-asst", "cmd-47", {MemberLeft{"org-3", "acc-asst", "coach"}});
  // log_v9 from here on: what a server writes since personal data is sealed (the sealed text is
  // fixed here; a server draws a random nonce).
  const std::string claim_key = "5c0b0a3d0e8f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9";
  append(log, "acc-eve", "cmd-48",
         {AccountRegistered{"acc-eve", "sealed:1:account-acc-eve:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
                            "sealed:1:account-acc-eve:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8", "athlete"},
          EmailClaimed{claim_key, "acc-eve"}});
  append(log, "acc-c2", "cmd-49",
         {InviteIssued{"org-2", "inv-3", "athlete", "sealed:1:email-" + claim_key + ":QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8",
                       1, 0, std::string(64, 'c'), "acc-c2", claim_key}});
  append(log, "operator", "cmd-50", {AccountErased{"acc-eve"}, EmailReleased{claim_key, "acc-eve"}});
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

// Copies a committed directory, since opening a RocksDB directory writes to it.
std::string copy_of(const GoldenLog& golden) {
  const std::string dir = temp_dir();
  fs::copy(kGolden / golden.name, dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  return dir;
}

TEST(GoldenLog, Regenerate) {
  if (!std::getenv("TOUCHLINE_UPDATE_GOLDEN")) GTEST_SKIP() << "set TOUCHLINE_UPDATE_GOLDEN=1 to rewrite";
  const std::string dir = temp_dir();
  const fs::path golden_dir = kGolden / kNewest.name;
  {
    auto log = open_store(dir);
    write_history(*log);
    std::ofstream(kGolden / (kNewest.name + ".ndjson")) << dump(*log);
  }
  fs::remove_all(golden_dir);
  fs::create_directories(golden_dir);
  for (const auto& f : fs::directory_iterator(dir)) {
    const std::string name = f.path().filename().string();
    if (name == "LOCK" || name.rfind("LOG", 0) == 0) continue;  // lock file and info logs
    fs::copy(f.path(), golden_dir / name);
  }
  fs::remove_all(dir);
}

TEST(GoldenLog, ThisVersionReadsEveryCommittedLog) {
  for (const auto& golden : kGoldenLogs) {
    SCOPED_TRACE(golden.name);
    ASSERT_TRUE(fs::exists(kGolden / golden.name));
    const std::string dir = copy_of(golden);
    {
      auto log = open_store(dir);
      EXPECT_EQ(dump(*log), read_file(kGolden / (golden.name + ".ndjson")));
      auto report = store::verify_log(*log);
      EXPECT_TRUE(report.ok) << report.problem << " at " << report.first_bad_position;
      EXPECT_EQ(report.events_checked, golden.events);
      auto all = log->read_all(0, 1000);
      ASSERT_TRUE(all.ok());
      for (const auto& e : *all) {
        EXPECT_TRUE(events::decode_event(e.type, e.schema_version, e.payload).ok()) << e.type;
      }
      // And appends continue its chain.
      append(*log, "acc-head", "cmd-next", {events::AthleteAssigned{"org-1", "acc-ath", "acc-head", "acc-asst"}});
      EXPECT_TRUE(store::verify_log(*log).ok);
    }
    fs::remove_all(dir);
  }
}

TEST(GoldenLog, NewestHoldsOneOfEveryEventType) {
  std::set<std::string> seen;
  std::istringstream lines(read_file(kGolden / (kNewest.name + ".ndjson")));
  for (std::string line; std::getline(lines, line);) {
    seen.insert(nlohmann::json::parse(line).at("type").get<std::string>());
  }
  std::set<std::string> all;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (all.insert(std::string(std::variant_alternative_t<I, events::DomainEvent>::kType)), ...);
  }(std::make_index_sequence<std::variant_size_v<events::DomainEvent>>{});
  EXPECT_EQ(seen, all) << "add the new event type to write_history and regenerate " << kNewest.name;
}

// A replay decodes stored text straight into events (read_recorded_text) and decodes the slow way
// only what that declines: on every golden log, what it reads must be what the slow way reads,
// and on the newest (what this build writes) it must decline nothing. A rebuild reads each event
// into one that held another (read_recorded_text_into): every event of every type, each read
// into the one before it, must read the same.
TEST(GoldenLog, EveryEventReadStraightFromItsTextIsTheOneDecodingGives) {
  for (const auto& golden : kGoldenLogs) {
    std::istringstream lines(read_file(kGolden / (golden.name + ".ndjson")));
    std::size_t read_straight = 0;
    events::RecordedEvent reused;
    for (std::string line; std::getline(lines, line);) {
      auto envelope = events::envelope_from_json(*parse_json(line));
      ASSERT_TRUE(envelope.ok()) << golden.name << ": " << line;
      auto slow = events::recorded_event(*envelope);
      ASSERT_TRUE(slow.ok()) << golden.name << ": " << line;
      const bool read_into = events::read_recorded_text_into(line, reused);
      if (auto fast = events::read_recorded_text(line)) {
        ++read_straight;
        EXPECT_EQ(*fast, *slow) << golden.name << ": " << line;
        EXPECT_TRUE(read_into) << golden.name << ": " << line;
        if (read_into) {
          EXPECT_EQ(reused, *slow) << golden.name << ": " << line;
        }
      } else {
        EXPECT_FALSE(read_into) << golden.name << ": " << line;
        EXPECT_NE(&golden, &kNewest) << "the newest log's event is declined: " << line;
      }
    }
    EXPECT_GT(read_straight, 0u) << golden.name;
  }
}

TEST(GoldenLog, ThisVersionWritesTheSameBytes) {
  const std::string dir = temp_dir();
  {
    auto log = open_store(dir);
    write_history(*log);
    EXPECT_EQ(dump(*log), read_file(kGolden / (kNewest.name + ".ndjson")));
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace touchline
