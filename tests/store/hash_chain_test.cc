#include "touchline/store/hash_chain.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/metadata.h>

#include "test_util.h"
#include "touchline/store/event_store.h"

namespace touchline::store {
namespace {

using testing::be64;
using testing::ev;
using testing::one;
using testing::open_store;
using testing::options_for;
using testing::RawDb;
using testing::TempDir;

TEST(HashChain, Sha256KnownAnswer) {
  EXPECT_EQ(sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashChain, GenesisIsSixtyFourZeros) { EXPECT_EQ(genesis_hash(), std::string(64, '0')); }

TEST(HashChain, HashCoversRawPrevBytesAndCanonicalBytes) {
  events::Envelope e;
  e.position = 1;
  e.stream = "s";
  e.stream_version = 1;
  e.type = "T";
  e.payload = {{"k", "v"}};
  const std::string expected = sha256_hex(std::string(32, '\0') + events::canonical_bytes(e));
  EXPECT_EQ(chain_hash(genesis_hash(), e), expected);

  // prev_hash and hash themselves are not covered; every other field is.
  auto copy = e;
  copy.prev_hash = "anything";
  copy.hash = "else";
  EXPECT_EQ(chain_hash(genesis_hash(), copy), expected);
  copy.actor = "someone";
  EXPECT_NE(chain_hash(genesis_hash(), copy), expected);
  EXPECT_NE(chain_hash(std::string(63, '0') + "1", e), expected);
}

// The worked example of docs/LOG_FORMAT.md, byte for byte: a sign-up, whose actor is the new
// account's id.
TEST(HashChain, LogFormatWorkedExampleHolds) {
  const std::string line =
      R"({"actor":"3f2a","causation_id":"","command_id":"cmd-1","correlation_id":"corr-1",)"
      R"("hash":"66ebbcaa5ab0d290a95bf119491a2c8a998eea0210a1f24094bc00ffe71ea5e3",)"
      R"("payload":{"account_id":"3f2a","display_name":"Ann","email":"Ann@example.com",)"
      R"("membership_role":"athlete"},"position":1,)"
      R"("prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",)"
      R"("recorded_at_ms":1700000000000,"schema_version":1,"stream":"account-3f2a",)"
      R"("stream_version":1,"type":"AccountRegistered"})";
  auto e = events::envelope_from_json(nlohmann::json::parse(line));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(events::to_json(*e).dump(), line);
  EXPECT_EQ(e->prev_hash, genesis_hash());
  EXPECT_EQ(chain_hash(genesis_hash(), *e), e->hash);
  EXPECT_EQ(events::canonical_bytes(*e),
            R"({"actor":"3f2a","causation_id":"","command_id":"cmd-1","correlation_id":"corr-1",)"
            R"("payload":{"account_id":"3f2a","display_name":"Ann","email":"Ann@example.com",)"
            R"("membership_role":"athlete"},"position":1,"recorded_at_ms":1700000000000,)"
            R"("schema_version":1,"stream":"account-3f2a","stream_version":1,)"
            R"("type":"AccountRegistered"})");

  // And the document shows this hash (it wraps the line, but not inside the hash).
  std::ifstream doc(std::string(TOUCHLINE_SOURCE_DIR) + "/docs/LOG_FORMAT.md");
  ASSERT_TRUE(doc) << "docs/LOG_FORMAT.md not found under " << TOUCHLINE_SOURCE_DIR;
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(R"("hash":")" + e->hash + R"(")"), std::string::npos);
  EXPECT_NE(text.find(R"({"actor":"3f2a",)"), std::string::npos);
}

// Fills a fresh log with `n` events across a few streams and closes it.
void fill(const std::string& path, int n) {
  auto store = open_store(options_for(path, /*sync=*/false));
  ASSERT_TRUE(store);
  for (int i = 0; i < n; ++i) {
    auto r = store->append(one("s-" + std::to_string(i % 3), ExpectedVersion::any(),
                               {ev("Happened", {{"i", i}, {"text", "hello world"}})}));
    ASSERT_TRUE(r.ok());
  }
}

VerifyReport verify_path(const std::string& path) {
  auto store = open_store(options_for(path));
  if (!store) return VerifyReport{false, 0, 0, "could not open"};
  return verify_log(*store);
}

TEST(VerifyLog, CleanLogIsOkAndReportsProgress) {
  TempDir dir;
  auto store = open_store(options_for(dir.path(), /*sync=*/false));
  ASSERT_TRUE(store);
  for (int batch = 0; batch < 25; ++batch) {
    std::vector<NewEvent> events(1000, ev("E", {{"b", batch}}));
    ASSERT_TRUE(store->append(one("bulk", ExpectedVersion::any(), std::move(events))).ok());
  }
  std::vector<std::uint64_t> calls;
  auto report = verify_log(*store, [&](std::uint64_t n) { calls.push_back(n); });
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events_checked, 25'000u);
  EXPECT_EQ(report.first_bad_position, 0u);
  EXPECT_EQ(calls, (std::vector<std::uint64_t>{10'000, 20'000}));
}

TEST(VerifyLog, EmptyLogIsOk) {
  TempDir dir;
  auto report = verify_path(dir.path());
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events_checked, 0u);
}

TEST(VerifyLog, CatchesAFlippedByte) {
  TempDir dir;
  fill(dir.path(), 6);
  {
    RawDb raw(dir.path());
    std::string v = raw.get("log", be64(4));
    const auto at = v.find("hello world");
    ASSERT_NE(at, std::string::npos);
    v[at] ^= 0x01;  // 'h' -> 'i': still valid JSON, different content
    raw.put("log", be64(4), v);
  }
  auto report = verify_path(dir.path());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 4u);
  EXPECT_EQ(report.events_checked, 3u);
  EXPECT_NE(report.problem.find("hash"), std::string::npos) << report.problem;
}

// verify_log checks events in batches of 4,096, each batch on every core: a problem anywhere,
// a batch's first or last event included, is still reported at the first bad position, with
// every event before it counted.
TEST(VerifyLog, FindsTheFirstProblemWhereverItFallsAmongTheBatches) {
  TempDir dir;
  fill(dir.path(), 9000);
  EXPECT_TRUE(verify_path(dir.path()).ok);
  for (const std::uint64_t bad : {4096u, 4097u, 8192u, 8999u}) {
    std::string original;
    {
      RawDb raw(dir.path());
      original = raw.get("log", be64(bad));
      std::string v = original;
      v[v.find("hello world")] ^= 0x01;
      raw.put("log", be64(bad), v);
    }
    auto report = verify_path(dir.path());
    EXPECT_FALSE(report.ok) << bad;
    EXPECT_EQ(report.first_bad_position, bad);
    EXPECT_EQ(report.events_checked, bad - 1);
    {
      RawDb raw(dir.path());
      raw.put("log", be64(bad), original);
    }
  }
  // A gap just after a full batch: the batch's events pass, then the missing position is named.
  {
    RawDb raw(dir.path());
    raw.del("log", be64(4097));
  }
  auto gap = verify_path(dir.path());
  EXPECT_FALSE(gap.ok);
  EXPECT_EQ(gap.first_bad_position, 4097u);
  EXPECT_EQ(gap.events_checked, 4096u);
  EXPECT_NE(gap.problem.find("missing"), std::string::npos) << gap.problem;
}

// The store writes each envelope in canonical form, which verify hashes as it lies; a value
// rewritten in any other form is decoded and re-encoded, as the rule says, so a rewrite that
// keeps the contents verifies and one that changes them does not.
TEST(VerifyLog, JudgesARewrittenValueByItsContentsNotItsSpelling) {
  TempDir dir;
  fill(dir.path(), 5);
  std::string original;
  {
    RawDb raw(dir.path());
    original = raw.get("log", be64(3));
    raw.put("log", be64(3), nlohmann::json::parse(original).dump(2));  // indented: same contents
    std::string respelled = raw.get("log", be64(4));
    respelled.replace(respelled.find("hello"), 5, "hell\\u006f");  // the same "o", spelled out
    raw.put("log", be64(4), respelled);
  }
  auto same = verify_path(dir.path());
  EXPECT_TRUE(same.ok) << same.problem;
  EXPECT_EQ(same.events_checked, 5u);
  {
    RawDb raw(dir.path());
    std::string v = nlohmann::json::parse(original).dump(2);
    v[v.find("hello world")] ^= 0x01;
    raw.put("log", be64(3), v);
  }
  auto changed = verify_path(dir.path());
  EXPECT_FALSE(changed.ok);
  EXPECT_EQ(changed.first_bad_position, 3u);
  EXPECT_NE(changed.problem.find("hash does not match"), std::string::npos) << changed.problem;
}

TEST(VerifyLog, CatchesABrokenValue) {
  TempDir dir;
  fill(dir.path(), 3);
  {
    RawDb raw(dir.path());
    std::string v = raw.get("log", be64(2));
    v[0] = 'x';  // no longer JSON
    raw.put("log", be64(2), v);
  }
  auto report = verify_path(dir.path());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 2u);
}

TEST(VerifyLog, CatchesADeletedEvent) {
  TempDir dir;
  fill(dir.path(), 6);
  {
    RawDb raw(dir.path());
    raw.del("log", be64(3));
  }
  auto report = verify_path(dir.path());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 3u);
  EXPECT_EQ(report.events_checked, 2u);
  EXPECT_NE(report.problem.find("missing"), std::string::npos) << report.problem;
}

TEST(VerifyLog, CatchesSwappedEvents) {
  TempDir dir;
  fill(dir.path(), 6);
  {
    RawDb raw(dir.path());
    const std::string a = raw.get("log", be64(2));
    const std::string b = raw.get("log", be64(3));
    raw.put("log", be64(2), b);
    raw.put("log", be64(3), a);
  }
  auto report = verify_path(dir.path());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 2u);
}

TEST(VerifyLog, CatchesAConsistentlyRewrittenEventByItsSuccessor) {
  // An attacker who re-hashes the changed event still breaks the next event's prev_hash.
  TempDir dir;
  fill(dir.path(), 4);
  {
    RawDb raw(dir.path());
    auto j = nlohmann::json::parse(raw.get("log", be64(2)));
    auto e = events::envelope_from_json(j).value();
    e.payload["i"] = 999;
    e.hash = chain_hash(e.prev_hash, e);
    raw.put("log", be64(2), events::to_json(e).dump());
  }
  auto report = verify_path(dir.path());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 3u);
  EXPECT_NE(report.problem.find("prev_hash"), std::string::npos) << report.problem;
}

TEST(VerifyLog, ReportsStorageCorruption) {
  TempDir dir;
  fill(dir.path(), 300);  // several data blocks, so the last one (read at open) stays intact
  std::string sst;
  {
    RawDb raw(dir.path());
    ASSERT_TRUE(raw.db()->Flush(rocksdb::FlushOptions(), raw.cf("log")).ok());
    std::vector<rocksdb::LiveFileMetaData> files;
    raw.db()->GetLiveFilesMetaData(&files);
    for (const auto& f : files) {
      if (f.column_family_name == "log") {
        ASSERT_TRUE(sst.empty()) << "expected one table file for the log";
        sst = f.db_path + f.name;
      }
    }
  }
  ASSERT_FALSE(sst.empty());
  {
    std::fstream file(sst, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(file);
    file.seekg(100);
    char c = 0;
    file.read(&c, 1);
    c = static_cast<char>(c ^ 0x40);
    file.seekp(100);
    file.write(&c, 1);
  }
  auto report = verify_path(dir.path());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 1u);
  EXPECT_NE(report.problem.find("Corruption"), std::string::npos) << report.problem;
}

}  // namespace
}  // namespace touchline::store
