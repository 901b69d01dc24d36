// A caller taking the writer's turn (EventStore::append_taking_turn): written on its own thread
// when the writer is idle, queued behind the write in progress otherwise, and never lost when the
// turn is dropped or the store stops.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include "test_util.h"
#include "touchline/store/hash_chain.h"

namespace touchline::store::testing {
namespace {

using namespace std::chrono_literals;

struct Answer {
  std::promise<Result<AppendResult>> result;
  std::thread::id thread;

  std::function<void(Result<AppendResult>)> callback() {
    return [this](Result<AppendResult> r) {
      thread = std::this_thread::get_id();
      result.set_value(std::move(r));
    };
  }
};

TEST(WriteTurn, TakenWhenTheWriterIsIdleAndWrittenOnTheCallingThread) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  Answer answer;
  auto future = answer.result.get_future();
  EventStore::WriteTurn turn =
      store->append_taking_turn(one("s", ExpectedVersion::no_stream(), {ev("A")}), answer.callback());
  ASSERT_TRUE(turn);
  // Nobody else writes while the turn is held: the writer thread was not woken for it.
  EXPECT_EQ(future.wait_for(50ms), std::future_status::timeout);
  EXPECT_EQ(store->head_position(), 0u);
  turn.write();
  EXPECT_FALSE(turn);
  ASSERT_EQ(future.wait_for(0s), std::future_status::ready);  // answered before write() returned
  auto r = future.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->last_position, 1u);
  EXPECT_EQ(answer.thread, std::this_thread::get_id());
  EXPECT_EQ(store->stream_version("s").value(), 1u);
}

TEST(WriteTurn, OnlyOneCallerHoldsItAndItsWriteTakesWhatWasQueuedMeanwhile) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  Answer first, second, third;
  auto f1 = first.result.get_future();
  auto f2 = second.result.get_future();
  auto f3 = third.result.get_future();
  auto turn = store->append_taking_turn(one("s", ExpectedVersion::no_stream(), {ev("A")}), first.callback());
  ASSERT_TRUE(turn);
  auto none = store->append_taking_turn(one("s", ExpectedVersion::exact(1), {ev("B")}), second.callback());
  EXPECT_FALSE(none);
  none.write();  // an empty turn writes nothing
  store->append_async(one("t", ExpectedVersion::no_stream(), {ev("C")}), third.callback());
  EXPECT_EQ(f3.wait_for(50ms), std::future_status::timeout);
  turn.write();
  // One group, in the order queued, answered on this thread.
  for (auto* f : {&f1, &f2, &f3}) {
    ASSERT_EQ(f->wait_for(0s), std::future_status::ready);
  }
  auto r1 = f1.get(), r2 = f2.get(), r3 = f3.get();
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());
  EXPECT_EQ(r1->last_position, 1u);
  EXPECT_EQ(r2->last_position, 2u);
  EXPECT_EQ(r3->last_position, 3u);
  EXPECT_EQ(second.thread, std::this_thread::get_id());
  EXPECT_EQ(third.thread, std::this_thread::get_id());
  EXPECT_EQ(store->write_stats().groups, 1u);
}

TEST(WriteTurn, ATurnDroppedUnwrittenGoesToTheWriterThread) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  Answer answer;
  auto future = answer.result.get_future();
  {
    auto turn = store->append_taking_turn(one("s", ExpectedVersion::no_stream(), {ev("A")}), answer.callback());
    ASSERT_TRUE(turn);
  }
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(future.get().ok());
  EXPECT_NE(answer.thread, std::this_thread::get_id());
  // And the writer thread carries on as before.
  EXPECT_TRUE(store->append(one("s", ExpectedVersion::exact(1), {ev("B")})).ok());
}

TEST(WriteTurn, StopWaitsForAHeldTurnAndAnswersWhatWasQueued) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  Answer answer;
  auto future = answer.result.get_future();
  auto turn = store->append_taking_turn(one("s", ExpectedVersion::no_stream(), {ev("A")}), answer.callback());
  ASSERT_TRUE(turn);
  auto stopped = std::async(std::launch::async, [&] { store->stop(); });
  EXPECT_EQ(stopped.wait_for(50ms), std::future_status::timeout);
  turn.write();
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
  auto r = future.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(store->head_position(), 1u);
  auto late = store->append_taking_turn(one("t", ExpectedVersion::any(), {ev("B")}), [](Result<AppendResult> r) {
    EXPECT_EQ(r.error().code, ErrorCode::unavailable);
  });
  EXPECT_FALSE(late);
}

TEST(WriteTurn, ADoneCallbackMayStopTheStoreItsTurnIsWriting) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  std::atomic<bool> answered{false};
  auto turn = store->append_taking_turn(one("s", ExpectedVersion::no_stream(), {ev("A")}), [&](Result<AppendResult> r) {
    EXPECT_TRUE(r.ok());
    store->stop();
    answered = true;
  });
  ASSERT_TRUE(turn);
  turn.write();  // returns: the stop above did not wait for the turn it was called in
  EXPECT_TRUE(answered);
  auto late = store->append(one("t", ExpectedVersion::any(), {ev("B")}));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::unavailable);
}

// A caller takes the turn only after a quiet write (one request, nobody arriving meanwhile): under
// concurrent load the writer thread keeps the log.
TEST(WriteTurn, NotTakenAfterAWriteOthersWaitedOn) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  std::atomic<int> failures{0};
  auto count = [&](Result<AppendResult> r) {
    if (!r.ok()) ++failures;
  };
  auto turn = store->append_taking_turn(one("s", ExpectedVersion::any(), {ev("A")}), count);
  ASSERT_TRUE(turn);
  store->append_async(one("s", ExpectedVersion::any(), {ev("B")}), count);  // arrives while it is held
  turn.write();
  Answer answer;
  auto future = answer.result.get_future();
  auto after_contended = store->append_taking_turn(one("s", ExpectedVersion::any(), {ev("C")}), answer.callback());
  EXPECT_FALSE(after_contended);
  ASSERT_TRUE(future.get().ok());
  EXPECT_NE(answer.thread, std::this_thread::get_id());
  // The writer thread's write of C was quiet: a later caller takes the turn again (once that
  // thread has given it back, which follows C's answer by a moment).
  bool taken = false;
  for (int attempt = 0; attempt < 50 && !taken; ++attempt) {
    std::this_thread::sleep_for(10ms);
    Answer d;
    auto d_answered = d.result.get_future();
    auto again = store->append_taking_turn(one("s", ExpectedVersion::any(), {ev("D")}), d.callback());
    taken = static_cast<bool>(again);
    again.write();  // or, not taken, the writer thread writes D: quietly, since nothing follows it
    if (!d_answered.get().ok()) ++failures;
  }
  EXPECT_TRUE(taken);
  EXPECT_EQ(failures.load(), 0);
}

// Callers taking turns and the writer thread handing the log between them: every append lands
// once, in a gap-free, chained log.
TEST(WriteTurn, ManyCallersTakingTurnsBesideTheWriterThread) {
  TempDir dir;
  auto store = open_store(options_for(dir.path(), /*sync=*/false));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::atomic<int> failures{0};
  std::atomic<int> turns{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string stream = "thread-" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        auto expected = i == 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exact(static_cast<std::uint64_t>(i));
        std::promise<Result<AppendResult>> done;
        auto future = done.get_future();
        auto request = one(stream, expected, {ev("E", {{"t", t}, {"i", i}})});
        // Every other one through the writer thread.
        if (i % 2 == 0) {
          auto turn = store->append_taking_turn(std::move(request),
                                                [&](Result<AppendResult> r) { done.set_value(std::move(r)); });
          if (turn) ++turns;
          turn.write();
        } else {
          store->append_async(std::move(request), [&](Result<AppendResult> r) { done.set_value(std::move(r)); });
        }
        if (!future.get().ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(turns.load(), 0);
  constexpr std::uint64_t n = kThreads * kPerThread;
  EXPECT_EQ(store->head_position(), n);
  auto events = store->read_all(0, SIZE_MAX);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), n);
  std::map<std::string, std::uint64_t> last_version;
  for (std::uint64_t k = 0; k < n; ++k) {
    EXPECT_EQ((*events)[k].position, k + 1);
    auto& v = last_version[(*events)[k].stream];
    EXPECT_EQ((*events)[k].stream_version, v + 1);
    v = (*events)[k].stream_version;
  }
  auto report = verify_log(*store);
  EXPECT_TRUE(report.ok) << report.problem;
}

}  // namespace
}  // namespace touchline::store::testing
