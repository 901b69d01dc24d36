// The writer under a failing disk (tests/support/fault_fs.h injects the faults below RocksDB):
// nothing is acknowledged that was not synced, and a store that failed a write refuses the next
// ones until it is reopened. And a request that cannot be encoded fails alone in its group.
#include <gtest/gtest.h>

#include <chrono>
#include <atomic>
#include <future>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/fault_fs.h"
#include "test_util.h"
#include "touchline/store/hash_chain.h"

namespace touchline::store {
namespace {

using namespace std::chrono_literals;
using testing::ev;
using testing::one;
using testing::open_store;
using testing::options_for;
using testing::TempDir;

// Every event the log holds, as "<stream>:<type>", in order.
std::vector<std::string> log_contents(const EventStore& store) {
  std::vector<std::string> out;
  auto all = store.read_all(0, 1000);
  EXPECT_TRUE(all.ok()) << all.error().message;
  if (all.ok()) {
    for (const auto& e : *all) out.push_back(e.stream + ":" + e.type);
  }
  return out;
}

void expect_failed_append(const Result<AppendResult>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::internal) << r.error().message;
}

TEST(WriteFaults, AFailedWalSyncIsNotAcknowledgedAndTheStoreRefusesAppendsUntilReopened) {
  TempDir dir;
  touchline::testing::FaultFs faults;
  auto o = options_for(dir.path());
  o.env = faults.env();
  {
    auto store = open_store(o);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append(one("s", ExpectedVersion::any(), {ev("Acknowledged")})).ok());

    faults.fail_wal_syncs(true);
    expect_failed_append(store->append(one("s", ExpectedVersion::any(), {ev("SyncFailed")})));
    faults.fail_wal_syncs(false);
    // The disk works again, but whether the failed write reached it is unknown: the store keeps
    // refusing rather than build on a head it cannot trust.
    auto after = store->append(one("s", ExpectedVersion::any(), {ev("AfterTheFailure")}));
    expect_failed_append(after);
    EXPECT_NE(after.error().message.find("refuses"), std::string::npos) << after.error().message;
  }
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  auto contents = log_contents(*store);
  ASSERT_FALSE(contents.empty());
  EXPECT_EQ(contents.front(), "s:Acknowledged");
  // The unacknowledged append may or may not have reached the disk; what came after it did not.
  EXPECT_LE(contents.size(), 2u);
  for (const auto& c : contents) EXPECT_NE(c, "s:AfterTheFailure");
  auto report = verify_log(*store);
  EXPECT_TRUE(report.ok) << report.problem;
  // Reopened, it appends again, on the chain as it stands.
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::any(), {ev("AfterReopening")})).ok());
  EXPECT_TRUE(verify_log(*store).ok);
}

TEST(WriteFaults, AFailedWalWriteIsNotAcknowledged) {
  TempDir dir;
  touchline::testing::FaultFs faults;
  auto o = options_for(dir.path());
  o.env = faults.env();
  {
    auto store = open_store(o);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append(one("s", ExpectedVersion::any(), {ev("Acknowledged")})).ok());
    faults.fail_wal_writes(true);
    expect_failed_append(store->append(one("s", ExpectedVersion::any(), {ev("WriteFailed")})));
    faults.fail_wal_writes(false);
    expect_failed_append(store->append(one("s", ExpectedVersion::any(), {ev("AfterTheFailure")})));
  }
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  EXPECT_EQ(log_contents(*store), (std::vector<std::string>{"s:Acknowledged"}));
  EXPECT_TRUE(verify_log(*store).ok);
}

// A request that cannot be encoded (a payload with invalid UTF-8, which nlohmann refuses to
// serialise) fails alone: the requests committed in the same group are written and answered.
TEST(WriteFaults, AnUnencodableRequestFailsAloneAndItsGroupIsWritten) {
  TempDir dir;
  touchline::testing::FaultFs faults;
  auto o = options_for(dir.path());
  o.env = faults.env();
  auto store = open_store(o);
  ASSERT_TRUE(store);

  // The first append holds the writer in a slow sync while the next two queue up behind it, so
  // that they are committed as one group.
  faults.delay_wal_syncs(300ms);
  std::promise<Result<AppendResult>> first, valid, poisoned;
  store->append_async(one("a", ExpectedVersion::any(), {ev("First")}),
                      [&](Result<AppendResult> r) { first.set_value(std::move(r)); });
  std::this_thread::sleep_for(100ms);  // the writer is now in the first group's sync
  store->append_async(one("b", ExpectedVersion::any(), {ev("Valid")}),
                      [&](Result<AppendResult> r) { valid.set_value(std::move(r)); });
  store->append_async(one("c", ExpectedVersion::any(), {ev("Poisoned", {{"name", std::string("\xff\xfe")}})}),
                      [&](Result<AppendResult> r) { poisoned.set_value(std::move(r)); });
  ASSERT_TRUE(first.get_future().get().ok());
  faults.delay_wal_syncs(0ms);

  auto v = valid.get_future().get();
  auto p = poisoned.get_future().get();
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::invalid_argument) << p.error().message;
  EXPECT_EQ(log_contents(*store), (std::vector<std::string>{"a:First", "b:Valid"}));
  EXPECT_TRUE(verify_log(*store).ok);
  store.reset();  // before faults (and its env) go
}

// An exception while a request is half added to its group's batch (here thrown by the test hook,
// in production a failed allocation) throws the whole group away: nothing of it is written, every
// request in it fails, and the store carries on with the stream versions it had.
TEST(WriteFaults, AnExceptionWhileAddingDiscardsTheWholeGroupAndTheStoreCarriesOn) {
  TempDir dir;
  touchline::testing::FaultFs faults;
  auto o = options_for(dir.path());
  o.env = faults.env();
  o.while_adding_for_testing = [](const AppendRequest& r) {
    if (r.streams.at(0).stream == "c") throw std::bad_alloc();
  };
  auto store = open_store(o);
  ASSERT_TRUE(store);

  faults.delay_wal_syncs(300ms);  // as above: "b" and "c" queue up behind "a" and form one group
  std::promise<Result<AppendResult>> first, valid, poisoned;
  store->append_async(one("a", ExpectedVersion::any(), {ev("First")}),
                      [&](Result<AppendResult> r) { first.set_value(std::move(r)); });
  std::this_thread::sleep_for(100ms);
  store->append_async(one("b", ExpectedVersion::no_stream(), {ev("InTheGroup")}),
                      [&](Result<AppendResult> r) { valid.set_value(std::move(r)); });
  store->append_async(one("c", ExpectedVersion::any(), {ev("Throws")}),
                      [&](Result<AppendResult> r) { poisoned.set_value(std::move(r)); });
  ASSERT_TRUE(first.get_future().get().ok());
  faults.delay_wal_syncs(0ms);

  for (auto* answer : {&valid, &poisoned}) {
    auto r = answer->get_future().get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::internal);
    EXPECT_NE(r.error().message.find("abandoned with its group"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(log_contents(*store), (std::vector<std::string>{"a:First"}));
  // "b" was never written: its cached head went with the group, so it is still a new stream.
  auto again = store->append(one("b", ExpectedVersion::no_stream(), {ev("Again")}));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->first_position, 2u);
  EXPECT_EQ(log_contents(*store), (std::vector<std::string>{"a:First", "b:Again"}));
  EXPECT_TRUE(verify_log(*store).ok);
  store.reset();
}

// What a power loss in the middle of appends from several threads leaves: the appends that were
// acknowledged, and the events in the log once the power is back and the store reopened.
struct AfterPowerLoss {
  std::set<std::string> acknowledged, in_log;  // "<stream>:<type>"
  bool chain_verifies = false;
};

AfterPowerLoss power_loss_during_appends(const std::string& path, bool sync) {
  AfterPowerLoss out;
  touchline::testing::FaultFs faults;
  auto o = options_for(path, sync);
  o.env = faults.env();
  auto store = open_store(o);
  EXPECT_TRUE(store);
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop; ++i) {
        const std::string stream = "s" + std::to_string(w), type = "E" + std::to_string(i);
        if (!store->append(one(stream, ExpectedVersion::any(), {ev(type)})).ok()) continue;
        std::lock_guard lock(mu);
        out.acknowledged.insert(stream + ":" + type);
      }
    });
  }
  while (true) {
    std::this_thread::sleep_for(10ms);
    std::lock_guard lock(mu);
    if (out.acknowledged.size() >= 300) break;
  }
  faults.lose_power();  // appends in flight now fail: never acknowledged
  stop = true;
  for (auto& t : writers) t.join();
  store.reset();
  faults.drop_unsynced_data();

  auto reopened = open_store(options_for(path));
  EXPECT_TRUE(reopened);
  auto all = reopened->read_all(0, 1'000'000);
  EXPECT_TRUE(all.ok());
  if (all.ok()) {
    for (const auto& e : *all) out.in_log.insert(e.stream + ":" + e.type);
  }
  out.chain_verifies = verify_log(*reopened).ok;
  EXPECT_TRUE(reopened->append(one("after", ExpectedVersion::any(), {ev("PowerBack")})).ok());
  return out;
}

TEST(WriteFaults, APowerLossLosesNoAcknowledgedAppend) {
  TempDir dir;
  const auto after = power_loss_during_appends(dir.path(), /*sync=*/true);
  for (const auto& a : after.acknowledged) EXPECT_TRUE(after.in_log.contains(a)) << "lost " << a;
  EXPECT_TRUE(after.chain_verifies);
}

// The same power loss with appends acknowledged before their sync (relaxed durability) loses
// acknowledged appends: the simulation drops what a real power loss would.
TEST(WriteFaults, APowerLossLosesWhatWasAcknowledgedBeforeItsSync) {
  TempDir dir;
  const auto after = power_loss_during_appends(dir.path(), /*sync=*/false);
  EXPECT_LT(after.in_log.size(), after.acknowledged.size());
  EXPECT_TRUE(after.chain_verifies);  // what is left is a prefix of the log, still a chain
}

}  // namespace
}  // namespace touchline::store
