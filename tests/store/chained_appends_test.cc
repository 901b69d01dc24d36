// Appends decided on top of appends that are not yet durable (AppendRequest::after), and the
// snapshots kept beside the log for the write side's cache.
#include <gtest/gtest.h>

#include <future>

#include "test_util.h"

namespace touchline::store::testing {
namespace {

using State = AppendTicket::State;

AppendRequest ticketed(const std::string& stream, ExpectedVersion expected, std::vector<NewEvent> events,
                       std::shared_ptr<AppendTicket> ticket,
                       std::vector<std::shared_ptr<const AppendTicket>> after = {}) {
  AppendRequest r = one(stream, expected, std::move(events));
  r.ticket = std::move(ticket);
  r.after = std::move(after);
  return r;
}

TEST(ChainedAppends, AnAppendDecidedOnAnAppliedOneIsWritten) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  auto first = std::make_shared<AppendTicket>();
  auto second = std::make_shared<AppendTicket>();
  std::promise<Result<AppendResult>> a, b;
  // Queued back to back: the second is decided on the first's outcome, before it is durable.
  store->append_async(ticketed("s", ExpectedVersion::no_stream(), {ev("A")}, first),
                      [&](Result<AppendResult> r) { a.set_value(std::move(r)); });
  store->append_async(ticketed("s", ExpectedVersion::exact(1), {ev("B")}, second, {first}),
                      [&](Result<AppendResult> r) { b.set_value(std::move(r)); });
  ASSERT_TRUE(a.get_future().get().ok());
  ASSERT_TRUE(b.get_future().get().ok());
  EXPECT_EQ(first->state(), State::applied);
  EXPECT_EQ(second->state(), State::applied);
  EXPECT_EQ(store->stream_version("s").value(), 2u);
}

// The case expected versions alone would miss: the first append fails, and another writer has
// meanwhile moved the stream to exactly the version the second expects.
TEST(ChainedAppends, AFailedAppendTakesTheOnesDecidedOnItWithIt) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("X")})).ok());  // version 1
  auto stale = std::make_shared<AppendTicket>();
  auto dependant = std::make_shared<AppendTicket>();
  auto later = std::make_shared<AppendTicket>();
  // Decided on version 0 (stale): conflicts. The dependant expects version 2, which the
  // interloper below makes true, and must still be refused.
  auto r1 = store->append(ticketed("s", ExpectedVersion::no_stream(), {ev("A")}, stale));
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, ErrorCode::conflict);
  EXPECT_EQ(stale->state(), State::failed);
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::exact(1), {ev("Interloper")})).ok());  // version 2
  auto r2 = store->append(ticketed("s", ExpectedVersion::exact(2), {ev("B")}, dependant, {stale}));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, ErrorCode::conflict);
  EXPECT_EQ(dependant->state(), State::failed);
  // And transitively.
  auto r3 = store->append(ticketed("s", ExpectedVersion::exact(3), {ev("C")}, later, {dependant}));
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(later->state(), State::failed);
  EXPECT_EQ(store->stream_version("s").value(), 2u);
}

TEST(ChainedAppends, AnIdempotentReplayIsNotAnApplicationOfItsEvents) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  auto with_key = [](std::shared_ptr<AppendTicket> t) {
    AppendRequest r = ticketed("s", ExpectedVersion::any(), {ev("A")}, std::move(t));
    r.idempotency = IdempotencyRecord{"k", "h", nlohmann::json::object()};
    return r;
  };
  auto original = std::make_shared<AppendTicket>();
  auto retry = std::make_shared<AppendTicket>();
  ASSERT_TRUE(store->append(with_key(original)).ok());
  auto replay = store->append(with_key(retry));
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(original->state(), State::applied);
  EXPECT_EQ(retry->state(), State::failed);
}

TEST(ChainedAppends, EveryRefusalSettlesTheTicketFailed) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  auto bad = std::make_shared<AppendTicket>();
  EXPECT_FALSE(store->append(ticketed("", ExpectedVersion::any(), {ev("A")}, bad)).ok());
  EXPECT_EQ(bad->state(), State::failed);
}

TEST(Snapshots, RoundTripInTheirFormatAndReadAsAbsentInAnother) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A"), ev("B")})).ok());
  ASSERT_TRUE(store->write_snapshot("s", 7, Snapshot{2, "state at 2"}).ok());
  auto got = store->read_snapshot("s", 7);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->version, 2u);
  EXPECT_EQ((*got)->state, "state at 2");
  auto other_format = store->read_snapshot("s", 8);
  ASSERT_TRUE(other_format.ok());
  EXPECT_FALSE(other_format->has_value());
  auto none = store->read_snapshot("t", 7);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(Snapshots, HoldOnlyCommittedVersions) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A")})).ok());
  auto ahead = store->write_snapshot("s", 1, Snapshot{2, "x"});
  ASSERT_FALSE(ahead.ok());
  EXPECT_EQ(ahead.error().code, ErrorCode::invalid_argument);
  EXPECT_FALSE(store->write_snapshot("unknown", 1, Snapshot{1, "x"}).ok());
}

TEST(Snapshots, AreDroppedWholesaleAndSurviveReopening) {
  TempDir dir;
  {
    auto store = open_store(options_for(dir.path()));
    ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A")})).ok());
    ASSERT_TRUE(store->append(one("t", ExpectedVersion::no_stream(), {ev("A")})).ok());
    ASSERT_TRUE(store->write_snapshot("s", 1, Snapshot{1, "s1"}).ok());
    ASSERT_TRUE(store->write_snapshot("t", 1, Snapshot{1, "t1"}).ok());
  }
  auto store = open_store(options_for(dir.path()));
  auto kept = store->read_snapshot("s", 1);
  ASSERT_TRUE(kept.ok() && kept->has_value());
  ASSERT_TRUE(store->drop_snapshots().ok());
  for (const char* stream : {"s", "t"}) {
    auto gone = store->read_snapshot(stream, 1);
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value()) << stream;
  }
  EXPECT_EQ(store->stream_version("s").value(), 1u);  // the log is untouched
}

TEST(Snapshots, ATruncatedRecordIsAnErrorNotAbsent) {
  TempDir dir;
  {
    auto store = open_store(options_for(dir.path()));
    ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A")})).ok());
  }
  {
    RawDb raw(dir.path());
    raw.put("snapshots", "s", "short");
  }
  auto store = open_store(options_for(dir.path()));
  auto r = store->read_snapshot("s", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::internal);
}

TEST(StreamEventsRead, CountsWhatReadStreamReturned) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store->append(one("s", ExpectedVersion::no_stream(), {ev("A"), ev("B"), ev("C")})).ok());
  EXPECT_EQ(store->stream_events_read(), 0u);
  ASSERT_TRUE(store->read_stream("s", 2).ok());
  EXPECT_EQ(store->stream_events_read(), 2u);
}

}  // namespace
}  // namespace touchline::store::testing
