#include "touchline/store/event_store.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/iterator.h>

#include "support/fault_fs.h"
#include "test_util.h"
#include "touchline/store/hash_chain.h"

namespace touchline::store {
namespace {

using testing::be64;
using testing::ev;
using testing::kFixedNow;
using testing::one;
using testing::open_store;
using testing::options_for;
using testing::RawDb;
using testing::TempDir;

using namespace std::chrono_literals;

std::vector<events::Envelope> all_events(const EventStore& s) {
  auto r = s.read_all(0, SIZE_MAX);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : std::vector<events::Envelope>{};
}

TEST(EventStore, AppendsToNewStreamThenAtExactVersion) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  EXPECT_EQ(store->head_position(), 0u);
  EXPECT_EQ(store->stream_version("account-1").value(), 0u);

  auto r1 = store->append(one("account-1", ExpectedVersion::no_stream(),
                              {ev("AccountRegistered", {{"n", 1}})}));
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  EXPECT_EQ(r1->first_position, 1u);
  EXPECT_EQ(r1->last_position, 1u);
  EXPECT_TRUE(r1->result.is_null());
  EXPECT_FALSE(r1->replayed);

  auto r2 = store->append(one("account-1", ExpectedVersion::exact(1),
                              {ev("A", {{"n", 2}}), ev("B", {{"n", 3}})}));
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(r2->first_position, 2u);
  EXPECT_EQ(r2->last_position, 3u);
  EXPECT_EQ(store->head_position(), 3u);
  EXPECT_EQ(store->stream_version("account-1").value(), 3u);

  auto events = store->read_stream("account-1");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) {
    const auto& e = (*events)[i];
    EXPECT_EQ(e.stream_version, i + 1);
    EXPECT_EQ(e.position, i + 1);
    EXPECT_EQ(e.payload["n"], i + 1);
    EXPECT_EQ(e.recorded_at_ms, kFixedNow);
    EXPECT_EQ(e.actor, "tester");
    EXPECT_EQ(e.command_id, "cmd");
  }
  EXPECT_EQ((*events)[0].type, "AccountRegistered");

  auto any = store->append(one("account-1", ExpectedVersion::any(), {ev("C")}));
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->first_position, 4u);
}

// A primary closed cleanly flushes its memtables: the next open (a restart, an operator's verify)
// reads table files instead of replaying the WAL, and finds every event.
TEST(EventStore, ACleanCloseLeavesNoWalToReplay) {
  TempDir dir;
  auto wal_bytes = [&] {
    std::uintmax_t bytes = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      if (f.path().extension() == ".log") bytes += f.file_size();
    }
    return bytes;
  };
  {
    auto store = open_store(options_for(dir.path(), /*sync=*/false));
    ASSERT_TRUE(store);
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(store->append(one("s", ExpectedVersion::any(), std::vector<NewEvent>(100, ev("E", {{"i", i}})))).ok());
    }
    ASSERT_GT(wal_bytes(), 0u);
  }
  EXPECT_EQ(wal_bytes(), 0u);
  auto reopened = open_store(options_for(dir.path(), /*sync=*/false));
  ASSERT_TRUE(reopened);
  EXPECT_EQ(all_events(*reopened).size(), 2000u);
}

TEST(EventStore, EnvelopesCarryMetadataAndTheHashChain) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  auto req = one("s", ExpectedVersion::no_stream(), {ev("A", {{"x", "y"}}), ev("B")});
  req.metadata = AppendMetadata{"acct-9", "cmd-1", "corr-1", "cause-1"};
  req.streams[0].events[1].schema_version = 3;
  ASSERT_TRUE(store->append(req).ok());

  auto events = all_events(*store);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].actor, "acct-9");
  EXPECT_EQ(events[0].command_id, "cmd-1");
  EXPECT_EQ(events[0].correlation_id, "corr-1");
  EXPECT_EQ(events[0].causation_id, "cause-1");
  EXPECT_EQ(events[1].schema_version, 3u);
  EXPECT_EQ(events[0].prev_hash, genesis_hash());
  EXPECT_EQ(events[0].hash, chain_hash(genesis_hash(), events[0]));
  EXPECT_EQ(events[1].prev_hash, events[0].hash);
  EXPECT_EQ(events[1].hash, chain_hash(events[0].hash, events[1]));
  EXPECT_EQ(events[1].payload, nlohmann::json::object());
}

TEST(EventStore, WrongExpectationConflictsAndWritesNothing) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A"), ev("B")})).ok());
  const auto before = all_events(*store);

  auto wrong_exact = store->append(one("s", ExpectedVersion::exact(1), {ev("X")}));
  ASSERT_FALSE(wrong_exact.ok());
  EXPECT_EQ(wrong_exact.error().code, ErrorCode::conflict);

  auto exists = store->append(one("s", ExpectedVersion::no_stream(), {ev("X")}));
  ASSERT_FALSE(exists.ok());
  EXPECT_EQ(exists.error().code, ErrorCode::conflict);

  auto missing = store->append(one("t", ExpectedVersion::exact(1), {ev("X")}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::conflict);

  EXPECT_EQ(store->head_position(), 2u);
  EXPECT_EQ(store->stream_version("s").value(), 2u);
  EXPECT_EQ(store->stream_version("t").value(), 0u);
  EXPECT_EQ(all_events(*store), before);

  // The chain continues from the last accepted event, not from the rejected ones.
  auto next = store->append(one("s", ExpectedVersion::exact(2), {ev("C")}));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first_position, 3u);
  EXPECT_TRUE(verify_log(*store).ok);
}

TEST(EventStore, MultiStreamAppendIsAllOrNothing) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(one("email-a@x", ExpectedVersion::no_stream(), {ev("EmailClaimed")})).ok());

  AppendRequest req;
  req.streams.push_back({"account-2", ExpectedVersion::no_stream(), {ev("AccountRegistered")}});
  req.streams.push_back({"email-a@x", ExpectedVersion::no_stream(), {ev("EmailClaimed")}});
  auto r = store->append(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  EXPECT_EQ(store->stream_version("account-2").value(), 0u);
  EXPECT_EQ(store->stream_version("email-a@x").value(), 1u);
  EXPECT_EQ(store->head_position(), 1u);
  EXPECT_EQ(all_events(*store).size(), 1u);

  req.streams[1].stream = "email-b@x";
  auto ok = store->append(req);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->first_position, 2u);
  EXPECT_EQ(ok->last_position, 3u);
  EXPECT_EQ(store->stream_version("account-2").value(), 1u);
  EXPECT_EQ(store->stream_version("email-b@x").value(), 1u);
}

TEST(EventStore, SameStreamTwiceInOneRequestSeesItsOwnEvents) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  AppendRequest req;
  req.streams.push_back({"s", ExpectedVersion::no_stream(), {ev("A")}});
  req.streams.push_back({"s", ExpectedVersion::exact(1), {ev("B")}});
  ASSERT_TRUE(store->append(req).ok());
  EXPECT_EQ(store->stream_version("s").value(), 2u);
}

TEST(EventStore, PositionsAreGapFreeAcrossStreamsAndReadsPage) {
  TempDir dir;
  auto store = open_store(options_for(dir.path(), /*sync=*/false));
  ASSERT_TRUE(store);
  // Interleave three streams; "a" and "ab" also check that one name prefixing another is safe.
  const std::vector<std::string> streams{"a", "ab", "b"};
  std::map<std::string, std::uint64_t> versions;
  for (int i = 0; i < 30; ++i) {
    const auto& s = streams[static_cast<std::size_t>(i) % streams.size()];
    auto exp = versions[s] == 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exact(versions[s]);
    auto r = store->append(one(s, exp, {ev("E", {{"i", i}})}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->first_position, static_cast<std::uint64_t>(i + 1));
    ++versions[s];
  }
  EXPECT_EQ(store->head_position(), 30u);

  auto a = store->read_stream("a");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 10u);
  for (std::size_t k = 0; k < a->size(); ++k) {
    EXPECT_EQ((*a)[k].stream, "a");
    EXPECT_EQ((*a)[k].stream_version, k + 1);
    EXPECT_EQ((*a)[k].position, 3 * k + 1);
  }
  auto from = store->read_stream("ab", 4, 3);
  ASSERT_TRUE(from.ok());
  ASSERT_EQ(from->size(), 3u);
  EXPECT_EQ((*from)[0].stream_version, 4u);
  EXPECT_EQ((*from)[2].stream_version, 6u);
  auto past_end = store->read_stream("b", 11);
  ASSERT_TRUE(past_end.ok());
  EXPECT_TRUE(past_end->empty());
  auto unknown = store->read_stream("nope");
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->empty());

  std::vector<events::Envelope> paged;
  std::uint64_t after = 0;
  for (;;) {
    auto page = store->read_all(after, 7);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    EXPECT_LE(page->size(), 7u);
    after = page->back().position;
    paged.insert(paged.end(), page->begin(), page->end());
  }
  ASSERT_EQ(paged.size(), 30u);
  for (std::size_t k = 0; k < paged.size(); ++k) {
    EXPECT_EQ(paged[k].position, k + 1);
  }
  EXPECT_TRUE(store->read_all(30, 10)->empty());
  EXPECT_TRUE(store->read_all(0, 0)->empty());
}

TEST(EventStore, RejectsMalformedRequestsWithoutSideEffects) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A")})).ok());

  auto empty_name = store->append(one("", ExpectedVersion::any(), {ev("A")}));
  EXPECT_EQ(empty_name.error().code, ErrorCode::invalid_argument);
  auto nul_name = store->append(one(std::string("a\0b", 3), ExpectedVersion::any(), {ev("A")}));
  EXPECT_EQ(nul_name.error().code, ErrorCode::invalid_argument);
  auto exact_zero = store->append(one("s", ExpectedVersion::exact(0), {ev("A")}));
  EXPECT_EQ(exact_zero.error().code, ErrorCode::invalid_argument);
  auto array_payload = store->append(one("s", ExpectedVersion::any(), {ev("A", {1, 2})}));
  EXPECT_EQ(array_payload.error().code, ErrorCode::invalid_argument);
  auto bad_utf8 = store->append(
      one("s", ExpectedVersion::exact(1), {ev("A", {{"k", "ok"}}), ev("B", {{"k", "\xff\xfe"}})}));
  EXPECT_EQ(bad_utf8.error().code, ErrorCode::invalid_argument);

  EXPECT_EQ(store->head_position(), 1u);
  EXPECT_EQ(store->stream_version("s").value(), 1u);
  auto next = store->append(one("s", ExpectedVersion::exact(1), {ev("C")}));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first_position, 2u);
  EXPECT_TRUE(verify_log(*store).ok);
}

TEST(EventStore, RejectedRequestsInAGroupDoNotDisturbTheOthers) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A")})).ok());

  // Queued back to back, so the writer usually takes several in one group.
  std::mutex mu;
  std::vector<Result<AppendResult>> results;
  std::atomic<int> answered{0};
  constexpr int kRequests = 40;
  for (int i = 0; i < kRequests; ++i) {
    // Even requests extend "s" at the right version only if all earlier ones succeeded; odd
    // ones always conflict.
    auto exp = (i % 2 == 0) ? ExpectedVersion::exact(static_cast<std::uint64_t>(i / 2 + 1))
                            : ExpectedVersion::exact(999);
    store->append_async(one("s", exp, {ev("E", {{"i", i}})}), [&](Result<AppendResult> r) {
      std::lock_guard lk(mu);
      results.push_back(std::move(r));
      ++answered;
    });
  }
  ASSERT_TRUE(store->wait_for_position(1 + kRequests / 2, 30s));
  while (answered.load() < kRequests) std::this_thread::sleep_for(1ms);
  int ok = 0;
  int conflicts = 0;
  for (const auto& r : results) {
    if (r.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(r.error().code, ErrorCode::conflict);
      ++conflicts;
    }
  }
  EXPECT_EQ(ok, kRequests / 2);
  EXPECT_EQ(conflicts, kRequests / 2);
  EXPECT_EQ(store->head_position(), 1u + kRequests / 2);
  EXPECT_EQ(store->stream_version("s").value(), 1u + kRequests / 2);
  auto report = verify_log(*store);
  EXPECT_TRUE(report.ok) << report.problem;
}

AppendRequest idempotent(const std::string& stream, const std::string& key,
                         const std::string& request_hash) {
  auto r = one(stream, ExpectedVersion::no_stream(), {ev("A")});
  r.idempotency = IdempotencyRecord{key, request_hash, {{"account_id", stream}}};
  return r;
}

// A lookup the disk failed is an error, not "never used" or "no such stream".
TEST(EventStore, FailedLookupsAreErrorsNeverAbsence) {
  TempDir dir;
  touchline::testing::FaultFs faults;
  auto o = options_for(dir.path());
  o.env = faults.env();
  {
    auto store = open_store(o);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append(idempotent("s", "actor-1/key-1", "h1")).ok());
  }  // the append is in the WAL; table_files_of's open recovers it into table files
  auto failing = touchline::testing::table_files_of(dir.path(), "idempotency");
  const auto streams = touchline::testing::table_files_of(dir.path(), "streams");
  ASSERT_FALSE(failing.empty());
  ASSERT_FALSE(streams.empty());
  failing.insert(streams.begin(), streams.end());
  auto store = open_store(o);
  ASSERT_TRUE(store);
  faults.fail_reads_of(failing);

  auto record = store->find_idempotency("actor-1/key-1");
  ASSERT_FALSE(record.ok());
  EXPECT_EQ(record.error().code, ErrorCode::internal);
  auto version = store->stream_version("s");
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().code, ErrorCode::internal);

  faults.fail_reads_of({});
  EXPECT_EQ(store->find_idempotency("actor-1/key-1").value()->request_hash, "h1");
  EXPECT_EQ(store->stream_version("s").value(), 1u);
  store.reset();  // before faults (and its env) go
}

TEST(EventStore, IdempotentRetryReplaysTheStoredResult) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(one("other", ExpectedVersion::no_stream(), {ev("A")})).ok());

  auto first = store->append(idempotent("s", "actor-1/key-1", "h1"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->replayed);
  EXPECT_EQ(first->first_position, 2u);
  EXPECT_EQ(first->result["account_id"], "s");
  EXPECT_EQ(first->result["position"], 2u);

  ASSERT_TRUE(store->append(one("other", ExpectedVersion::exact(1), {ev("B")})).ok());

  auto again = store->append(idempotent("s", "actor-1/key-1", "h1"));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->result, first->result);
  EXPECT_EQ(again->last_position, 2u);
  EXPECT_EQ(again->first_position, 0u);
  EXPECT_EQ(store->head_position(), 3u);
  EXPECT_EQ(store->stream_version("s").value(), 1u);

  auto found = store->find_idempotency("actor-1/key-1");
  ASSERT_TRUE(found.ok()) << found.error().message;
  const auto& rec = *found;
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->request_hash, "h1");
  EXPECT_EQ(rec->result, first->result);
  EXPECT_FALSE(store->find_idempotency("actor-1/key-2").value().has_value());
}

TEST(EventStore, IdempotencyKeyWithAnotherRequestIsAMismatch) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(idempotent("s", "k", "h1")).ok());
  auto other = store->append(idempotent("t", "k", "h2"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::idempotency_mismatch);
  EXPECT_EQ(store->head_position(), 1u);
  EXPECT_EQ(store->stream_version("t").value(), 0u);
}

TEST(EventStore, IdempotencyRecordWithoutEvents) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A")})).ok());
  AppendRequest req;
  req.idempotency = IdempotencyRecord{"k", "h", nullptr};
  auto r = store->append(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first_position, 0u);
  EXPECT_EQ(r->last_position, 1u);
  EXPECT_EQ(r->result, (nlohmann::json{{"position", 1}}));
  EXPECT_EQ(store->head_position(), 1u);
  auto again = store->append(req);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
}

TEST(EventStore, ConcurrentAppendsWithOneKeyAppendOnce) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  constexpr int kThreads = 16;
  std::vector<std::thread> threads;
  std::vector<Result<AppendResult>> results(kThreads, Error::make(ErrorCode::internal, "unset"));
  std::atomic<bool> go{false};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      // Different streams, so only the key decides; every retry must replay the winner.
      auto req = one("s-" + std::to_string(i), ExpectedVersion::no_stream(), {ev("A")});
      req.idempotency = IdempotencyRecord{"shared", "same-hash", {{"from", i}}};
      results[static_cast<std::size_t>(i)] = store->append(req);
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  int fresh = 0;
  nlohmann::json winner;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    if (!r->replayed) {
      ++fresh;
      winner = r->result;
    }
  }
  EXPECT_EQ(fresh, 1);
  for (const auto& r : results) EXPECT_EQ(r->result, winner);
  EXPECT_EQ(store->head_position(), 1u);
}

TEST(EventStore, GroupCommitManyThreadsDistinctStreams) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  constexpr int kThreads = 64;
  constexpr int kPerThread = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string stream = "thread-" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        auto exp = i == 0 ? ExpectedVersion::no_stream()
                          : ExpectedVersion::exact(static_cast<std::uint64_t>(i));
        auto r = store->append(one(stream, exp, {ev("E", {{"t", t}, {"i", i}})}));
        if (!r.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const std::uint64_t n = kThreads * kPerThread;
  EXPECT_EQ(store->head_position(), n);
  auto events = all_events(*store);
  ASSERT_EQ(events.size(), n);
  std::map<std::string, std::uint64_t> last_version;
  for (std::uint64_t k = 0; k < n; ++k) {
    EXPECT_EQ(events[k].position, k + 1);
    auto& v = last_version[events[k].stream];
    EXPECT_EQ(events[k].stream_version, v + 1);
    EXPECT_EQ(events[k].payload["i"], v);
    v = events[k].stream_version;
  }
  EXPECT_EQ(last_version.size(), static_cast<std::size_t>(kThreads));
  auto report = verify_log(*store);
  EXPECT_TRUE(report.ok) << report.problem;
}

TEST(EventStore, ManyThreadsRacingOnOneStreamGetOneWinnerPerVersion) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  constexpr int kThreads = 64;
  constexpr std::uint64_t kVersions = 20;
  std::mutex mu;
  std::map<std::uint64_t, int> winners;  // version -> winning thread
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint64_t v = 1; v <= kVersions; ++v) {
        auto exp = v == 1 ? ExpectedVersion::no_stream() : ExpectedVersion::exact(v - 1);
        auto r = store->append(one("contended", exp, {ev("E", {{"t", t}, {"v", v}})}));
        if (r.ok()) {
          std::lock_guard lk(mu);
          if (!winners.emplace(v, t).second) ++unexpected;
        } else if (r.error().code != ErrorCode::conflict) {
          ++unexpected;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(unexpected.load(), 0);
  // Every version is taken by somebody: a thread that is behind still tries each version, and
  // the first attempt at a version whose predecessor exists succeeds.
  EXPECT_EQ(store->stream_version("contended").value(), kVersions);
  EXPECT_EQ(store->head_position(), kVersions);
  auto events = store->read_stream("contended");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), kVersions);
  for (std::uint64_t k = 0; k < kVersions; ++k) {
    const auto& e = (*events)[k];
    EXPECT_EQ(e.stream_version, k + 1);
    EXPECT_EQ(e.position, k + 1);
    ASSERT_TRUE(winners.count(k + 1));
    EXPECT_EQ(e.payload["t"], winners[k + 1]);
  }
}

TEST(EventStore, RestartKeepsEventsHeadAndChain) {
  TempDir dir;
  std::vector<events::Envelope> before;
  {
    auto store = open_store(options_for(dir.path()));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append(one("a", ExpectedVersion::no_stream(), {ev("A"), ev("B")})).ok());
    ASSERT_TRUE(store->append(one("b", ExpectedVersion::no_stream(), {ev("C")})).ok());
    before = all_events(*store);
  }
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  EXPECT_EQ(store->head_position(), 3u);
  EXPECT_EQ(all_events(*store), before);
  EXPECT_EQ(store->stream_version("a").value(), 2u);
  auto r = store->append(one("a", ExpectedVersion::exact(2), {ev("D")}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->first_position, 4u);
  auto after = all_events(*store);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[3].prev_hash, before.back().hash);
  auto report = verify_log(*store);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events_checked, 4u);
}

TEST(EventStore, NewerFormatIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(open_store(options_for(dir.path()))); }
  {
    RawDb raw(dir.path());
    EXPECT_EQ(raw.get("default", "format_version"), "1");
    raw.put("default", "format_version", "2");
  }
  auto r = EventStore::open(options_for(dir.path()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::failed_precondition);
}

TEST(EventStore, SecondPrimaryOnTheSameDirectoryFails) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  auto second = EventStore::open(options_for(dir.path()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::internal);
}

TEST(EventStore, SecretsNeverReachTheLog) {
  TempDir dir;
  const std::string secret = "argon2id$v=19$m=65536$c2VjcmV0LXNhbHQ$SECRETHASHBYTES";
  {
    auto store = open_store(options_for(dir.path()));
    ASSERT_TRUE(store);
    auto req = one("account-1", ExpectedVersion::no_stream(), {ev("AccountRegistered")});
    req.secrets.push_back({"password/account-1", secret});
    ASSERT_TRUE(store->append(req).ok());
    EXPECT_EQ(store->read_secret("password/account-1").value(), secret);
    EXPECT_FALSE(store->read_secret("password/account-2").value().has_value());

    // A rejected request's secret is not written either.
    auto rejected = one("account-1", ExpectedVersion::no_stream(), {ev("AccountRegistered")});
    rejected.secrets.push_back({"password/rejected", "x"});
    EXPECT_FALSE(store->append(rejected).ok());
    EXPECT_FALSE(store->read_secret("password/rejected").value().has_value());
  }
  RawDb raw(dir.path());
  std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), raw.cf("log")));
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    EXPECT_EQ(it->value().ToString().find(secret), std::string::npos);
    EXPECT_EQ(it->value().ToString().find("SECRETHASHBYTES"), std::string::npos);
  }
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(n, 1);
  EXPECT_EQ(raw.get("secrets", "password/account-1"), secret);
}

TEST(EventStore, ReadOnlySecondaryBesideARunningPrimary) {
  TempDir dir;
  auto primary = open_store(options_for(dir.path()));
  ASSERT_TRUE(primary);
  ASSERT_TRUE(primary->append(one("s", ExpectedVersion::no_stream(), {ev("A"), ev("B")})).ok());

  auto ro_options = options_for(dir.path());
  ro_options.read_only = true;
  ro_options.secondary_path = dir.sub("secondary");
  auto secondary = open_store(ro_options);
  ASSERT_TRUE(secondary);
  EXPECT_EQ(secondary->head_position(), 2u);

  ASSERT_TRUE(primary->append(one("s", ExpectedVersion::exact(2), {ev("C")})).ok());
  ASSERT_TRUE(primary->append(one("t", ExpectedVersion::no_stream(), {ev("D")})).ok());
  auto caught = secondary->catch_up();
  ASSERT_TRUE(caught.ok()) << caught.error().message;
  EXPECT_EQ(secondary->head_position(), 4u);
  EXPECT_EQ(all_events(*secondary), all_events(*primary));
  EXPECT_EQ(secondary->stream_version("s").value(), 3u);
  EXPECT_TRUE(verify_log(*secondary).ok);

  auto append = secondary->append(one("u", ExpectedVersion::any(), {ev("E")}));
  ASSERT_FALSE(append.ok());
  EXPECT_EQ(append.error().code, ErrorCode::unavailable);
  EXPECT_EQ(primary->head_position(), 4u);

  // The default secondary path is a temporary directory of the store's own.
  auto ro_default = options_for(dir.path());
  ro_default.read_only = true;
  auto other = open_store(ro_default);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->head_position(), 4u);
}

TEST(EventStore, ReadOnlyOpenOfAMissingLogFails) {
  TempDir dir;
  auto o = options_for(dir.sub("missing"));
  o.read_only = true;
  auto r = EventStore::open(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::internal);
}

TEST(EventStore, WaitForPositionWakesOnAppend) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  std::atomic<bool> reached{false};
  std::thread waiter([&] { reached = store->wait_for_position(2, 60s); });
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A"), ev("B")})).ok());
  waiter.join();
  EXPECT_TRUE(reached.load());
  EXPECT_TRUE(store->wait_for_position(1, 0ms));
}

TEST(EventStore, HeadCallbacksRunOnceTheHeadReachesTheirPosition) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  std::mutex mu;
  std::vector<std::string> ran;
  auto note = [&](std::string what) {
    return [&, what] {
      std::lock_guard lock(mu);
      ran.push_back(what);
    };
  };
  EXPECT_EQ(store->when_head_reaches(0, note("at once")), 0u);  // already there: called now
  const auto at_two = store->when_head_reaches(2, note("two"));
  const auto at_three = store->when_head_reaches(3, note("three"));
  const auto cancelled = store->when_head_reaches(1, note("cancelled"));
  EXPECT_NE(at_two, 0u);
  EXPECT_NE(at_three, 0u);
  EXPECT_TRUE(store->cancel_head_wait(cancelled));
  EXPECT_FALSE(store->cancel_head_wait(cancelled));
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A")})).ok());
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(ran, std::vector<std::string>{"at once"});  // the head is at 1
  }
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::exact(1), {ev("B")})).ok());
  // The writer runs them after answering: wait for the head's waiters to have been woken.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(mu);
      if (ran.size() == 2) break;
    }
    std::this_thread::sleep_for(5ms);
  }
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(ran, (std::vector<std::string>{"at once", "two"}));
  }
  EXPECT_FALSE(store->cancel_head_wait(at_two));  // already ran
  store->stop();
  EXPECT_FALSE(store->cancel_head_wait(at_three));  // dropped at stop, never called
  EXPECT_EQ(store->when_head_reaches(5, note("after stop")), 0u);
  std::lock_guard lock(mu);
  EXPECT_EQ(ran.size(), 2u);
}

TEST(EventStore, WaitForPositionTimesOut) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->wait_for_position(1, 50ms));
  EXPECT_TRUE(store->wait_for_position(0, 0ms));
}

TEST(EventStore, StopWakesWaiters) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  std::atomic<bool> returned{false};
  std::atomic<bool> reached{true};
  std::thread waiter([&] {
    reached = store->wait_for_position(100, std::chrono::milliseconds::max());
    returned = true;
  });
  std::this_thread::sleep_for(20ms);
  store->stop();
  waiter.join();
  EXPECT_TRUE(returned.load());
  EXPECT_FALSE(reached.load());
}

TEST(EventStore, StopAnswersQueuedAppendsAndRefusesLaterOnes) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  constexpr int kQueued = 200;
  std::atomic<int> ok{0};
  std::atomic<int> answered{0};
  for (int i = 0; i < kQueued; ++i) {
    store->append_async(one("s-" + std::to_string(i), ExpectedVersion::no_stream(), {ev("A")}),
                        [&](Result<AppendResult> r) {
                          if (r.ok()) ++ok;
                          ++answered;
                        });
  }
  store->stop();
  EXPECT_EQ(answered.load(), kQueued);
  EXPECT_EQ(ok.load(), kQueued);
  EXPECT_EQ(store->head_position(), static_cast<std::uint64_t>(kQueued));

  auto late = store->append(one("late", ExpectedVersion::any(), {ev("A")}));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::unavailable);
  store->stop();  // idempotent
  EXPECT_EQ(store->head_position(), static_cast<std::uint64_t>(kQueued));
  EXPECT_EQ(store->read_stream("s-0")->size(), 1u);  // reads still work after stop
}


// Writes three events to a fresh log at `path`, then rewrites the last envelope with `tamper`.
void three_events_then_tamper_last(const std::string& path,
                                   const std::function<void(nlohmann::json&)>& tamper) {
  {
    auto store = open_store(options_for(path));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A"), ev("B")})).ok());
    ASSERT_TRUE(store->append(one("t", ExpectedVersion::no_stream(), {ev("C")})).ok());
  }
  RawDb raw(path);
  auto j = nlohmann::json::parse(raw.get("log", be64(3)));
  tamper(j);
  raw.put("log", be64(3), j.dump());
}

// The store opens a log whose last event fails its hash check, serves reads and verify_log, and
// refuses every kind of append with internal without taking the process down.
// (When the last event does not even decode, reads that reach it fail; the others work.)
void expect_opens_but_refuses_appends(const std::string& path, bool last_decodes = true) {
  auto store = open_store(options_for(path));
  ASSERT_TRUE(store);
  EXPECT_EQ(store->head_position(), 3u);
  auto events = store->read_all(0, SIZE_MAX);
  if (last_decodes) {
    ASSERT_TRUE(events.ok()) << events.error().message;
    EXPECT_EQ(events->size(), 3u);
  } else {
    ASSERT_FALSE(events.ok());
    EXPECT_EQ(events.error().code, ErrorCode::internal);
    auto first_two = store->read_all(0, 2);
    ASSERT_TRUE(first_two.ok()) << first_two.error().message;
    EXPECT_EQ(first_two->size(), 2u);
  }
  EXPECT_EQ(store->read_stream("s")->size(), 2u);
  EXPECT_EQ(store->stream_version("t").value(), 1u);

  auto report = verify_log(*store);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 3u);
  EXPECT_EQ(report.events_checked, 2u);

  auto r = store->append(one("u", ExpectedVersion::no_stream(), {ev("D")}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::internal);
  EXPECT_NE(r.error().message.find("last event"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("fails its hash check"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("touchline verify"), std::string::npos) << r.error().message;

  AppendRequest idem_only;  // no events: would not even touch the chain, but is refused too
  idem_only.idempotency = IdempotencyRecord{"k", "h", nullptr};
  idem_only.secrets.push_back({"some-secret", "x"});
  auto r2 = store->append(idem_only);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, ErrorCode::internal);
  EXPECT_FALSE(store->read_secret("some-secret").value().has_value());
  EXPECT_EQ(store->head_position(), 3u);
  EXPECT_EQ(store->stream_version("u").value(), 0u);

  // The read-only instance the operator tools use opens it as well.
  auto ro = options_for(path);
  ro.read_only = true;
  auto secondary = open_store(ro);
  ASSERT_TRUE(secondary);
  EXPECT_EQ(verify_log(*secondary).first_bad_position, 3u);
}

TEST(EventStore, LastEventWithAnEmptyHashOpensButRefusesAppends) {
  TempDir dir;
  three_events_then_tamper_last(dir.path(), [](nlohmann::json& j) { j["hash"] = ""; });
  expect_opens_but_refuses_appends(dir.path());
}

TEST(EventStore, LastEventWithAWrongWellFormedHashOpensButRefusesAppends) {
  TempDir dir;
  three_events_then_tamper_last(dir.path(), [](nlohmann::json& j) {
    std::string h = j["hash"];
    h[10] = h[10] == '0' ? '1' : '0';  // still 64 lowercase hex digits
    j["hash"] = h;
  });
  expect_opens_but_refuses_appends(dir.path());
}

TEST(EventStore, LastEventWithAMalformedPrevHashOpensButRefusesAppends) {
  // chain_hash throws on such a prev_hash; open must not let that escape.
  TempDir dir;
  three_events_then_tamper_last(dir.path(), [](nlohmann::json& j) { j["prev_hash"] = "not hex"; });
  expect_opens_but_refuses_appends(dir.path());
}

TEST(EventStore, LastEventThatDoesNotDecodeOpensButRefusesAppends) {
  TempDir dir;
  three_events_then_tamper_last(dir.path(), [](nlohmann::json& j) { j.erase("stream"); });
  expect_opens_but_refuses_appends(dir.path(), /*last_decodes=*/false);
}

TEST(EventStore, ARequestThatThrowsFailsAloneAndTheWriterCarriesOn) {
  TempDir dir;
  auto o = options_for(dir.path());
  auto throw_next = std::make_shared<std::atomic<bool>>(false);
  o.now_ms = [throw_next] {
    if (throw_next->exchange(false)) throw std::runtime_error("clock exploded");
    return kFixedNow;
  };
  auto store = open_store(o);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A")})).ok());

  *throw_next = true;
  auto r = store->append(one("s", ExpectedVersion::exact(1), {ev("B")}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::internal);
  EXPECT_NE(r.error().message.find("clock exploded"), std::string::npos) << r.error().message;
  EXPECT_EQ(store->head_position(), 1u);
  EXPECT_EQ(store->stream_version("s").value(), 1u);

  // Nothing of the failed request was applied, not even to the cached stream head.
  auto next = store->append(one("s", ExpectedVersion::exact(1), {ev("C")}));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->first_position, 2u);
  auto report = verify_log(*store);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events_checked, 2u);
}

TEST(EventStore, ADoneCallbackThatThrowsDoesNotStopTheWriter) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  std::atomic<bool> called{false};
  store->append_async(one("s", ExpectedVersion::no_stream(), {ev("A")}),
                      [&](Result<AppendResult>) {
                        called = true;
                        throw std::runtime_error("careless callback");
                      });
  ASSERT_TRUE(store->wait_for_position(1, 30s));
  auto r = store->append(one("s", ExpectedVersion::exact(1), {ev("B")}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(called.load());
  EXPECT_EQ(store->head_position(), 2u);
}

TEST(EventStore, AMalformedStreamKeyFailsTheAppendInsteadOfReadingAsANewStream) {
  TempDir dir;
  {
    auto store = open_store(options_for(dir.path()));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A")})).ok());
  }
  {
    // Sorts after the stream's real key and before "s\0" FF*8, where the head lookup lands.
    RawDb raw(dir.path());
    raw.put("streams", std::string("s\0", 2) + be64(1) + "x", be64(1));
  }
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  auto r = store->append(one("s", ExpectedVersion::no_stream(), {ev("B")}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::internal);
  EXPECT_NE(r.error().message.find("malformed"), std::string::npos) << r.error().message;
  EXPECT_EQ(store->head_position(), 1u);
  // Other streams are unaffected.
  EXPECT_TRUE(store->append(one("t", ExpectedVersion::no_stream(), {ev("C")})).ok());
}

StoreOptions no_create(const std::string& path) {
  auto o = options_for(path);
  o.create_if_missing = false;
  return o;
}

TEST(EventStore, CreateIfMissingFalseRefusesAMissingDirectory) {
  TempDir dir;
  const std::string path = dir.sub("typo");
  auto r = EventStore::open(no_create(path));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::not_found);
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(EventStore, CreateIfMissingFalseRefusesAnEmptyDirectory) {
  TempDir dir;
  auto r = EventStore::open(no_create(dir.path()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::not_found);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(EventStore, CreateIfMissingFalseRefusesARocksDbThatIsNotATouchlineLog) {
  TempDir dir;
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir.path(), &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "unrelated", "data").ok());
    ASSERT_TRUE(db->Close().ok());
    delete db;
  }
  auto r = EventStore::open(no_create(dir.path()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::not_found);
  // Nothing was initialised: no format version, no column families of ours.
  std::vector<std::string> cfs;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.path(), &cfs).ok());
  EXPECT_EQ(cfs, std::vector<std::string>{rocksdb::kDefaultColumnFamilyName});
}

TEST(EventStore, CreateIfMissingFalseOpensAnExistingLog) {
  TempDir dir;
  {
    auto created = open_store(options_for(dir.path()));  // the default creates
    ASSERT_TRUE(created);
    ASSERT_TRUE(created->append(one("s", ExpectedVersion::no_stream(), {ev("A")})).ok());
  }
  auto store = open_store(no_create(dir.path()));
  ASSERT_TRUE(store);
  EXPECT_EQ(store->head_position(), 1u);
  auto r = store->append(one("s", ExpectedVersion::exact(1), {ev("B")}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->first_position, 2u);
}

TEST(EventStore, CreateIfMissingDefaultsToTrue) { EXPECT_TRUE(StoreOptions{}.create_if_missing); }

}  // namespace
}  // namespace touchline::store
