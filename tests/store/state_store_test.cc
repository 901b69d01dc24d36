#include "touchline/store/state_store.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/fault_fs.h"
#include "test_util.h"

namespace touchline::store {
namespace {

using testing::open_store;
using testing::options_for;
using testing::RawDb;
using testing::TempDir;

using KV = std::vector<std::pair<std::string, std::string>>;

KV scan_all(const StateStore& s, std::string_view prefix) {
  KV out;
  EXPECT_TRUE(s.scan(prefix, [&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return true;
  }).ok());
  return out;
}

KV scan_back(const StateStore& s, std::string_view prefix, std::string_view before) {
  KV out;
  EXPECT_TRUE(s.scan_reverse(prefix, before, [&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return true;
  }).ok());
  return out;
}

TEST(StateStore, CommitWritesStateAndCheckpointTogether) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  StateStore state(*store, "members");
  EXPECT_EQ(state.checkpoint().value(), 0u);
  EXPECT_FALSE(state.get("a").value().has_value());

  ASSERT_TRUE(state.commit({{{"a", "1"}, {"b", "2"}}, {}}, 5).ok());
  EXPECT_EQ(state.get("a").value(), "1");
  EXPECT_EQ(state.get("b").value(), "2");
  EXPECT_EQ(state.checkpoint().value(), 5u);

  ASSERT_TRUE(state.commit({{{"c", "3"}, {"a", "1b"}}, {"b"}}, 9).ok());
  EXPECT_EQ(state.get("a").value(), "1b");
  EXPECT_FALSE(state.get("b").value().has_value());
  EXPECT_EQ(state.checkpoint().value(), 9u);

  // A batch that cannot be applied changes nothing, checkpoint included.
  auto bad = state.commit({{{"d", "4"}, {std::string("\0x", 2), "no"}}, {}}, 12);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
  EXPECT_FALSE(state.get("d").value().has_value());
  EXPECT_EQ(state.checkpoint().value(), 9u);

  // Both the state and the checkpoint sit in the projections column family under the prefix.
  store.reset();
  RawDb raw(dir.path());
  EXPECT_EQ(raw.get("projections", "members/a"), "1b");
  EXPECT_EQ(raw.get("projections", std::string("members/\0checkpoint", 19)), testing::be64(9));
}

TEST(StateStore, OfTwoPutsOfOneKeyInABatchTheLaterWinsWhateverTheOrderOfTheOthers) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  StateStore state(*store, "audit");
  // Out of key order, as a projection's puts come, with one key put many times among others.
  StateBatch batch;
  for (int i = 0; i < 64; ++i) {
    batch.puts.emplace_back("m", std::to_string(i));
    batch.puts.emplace_back(std::string(1, static_cast<char>('z' - i % 26)), "other");
  }
  batch.puts.emplace_back("a", "4");
  batch.puts.emplace_back("b", "2");
  ASSERT_TRUE(state.commit(batch, 3).ok());
  EXPECT_EQ(state.get("m").value(), "63");
  EXPECT_EQ(state.get("a").value(), "4");
  ASSERT_TRUE(state.commit({{{"z", "5"}}, {}}, 3).ok());
  EXPECT_EQ(scan_all(state, "").size(), 26u);
  // A put of a key this batch also deletes stays: deletes go first, as before.
  ASSERT_TRUE(state.commit({{{"a", "7"}}, {"a", "z"}}, 4).ok());
  EXPECT_EQ(state.get("a").value(), "7");
  EXPECT_FALSE(state.get("z").value().has_value());
}

TEST(StateStore, SurvivesRestart) {
  TempDir dir;
  {
    auto store = open_store(options_for(dir.path()));
    ASSERT_TRUE(store);
    StateStore state(*store, "p");
    ASSERT_TRUE(state.commit({{{"k", "v"}}, {}}, 42).ok());
  }
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  StateStore state(*store, "p");
  EXPECT_EQ(state.get("k").value(), "v");
  EXPECT_EQ(state.checkpoint().value(), 42u);
}

TEST(StateStore, ClearRemovesOnlyThisProjection) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  StateStore roles(*store, "roles");
  StateStore roles2(*store, "roles2");
  StateStore role(*store, "role");
  ASSERT_TRUE(roles.commit({{{"x", "1"}, {"y", "2"}, {"", "empty-key"}}, {}}, 3).ok());
  ASSERT_TRUE(roles2.commit({{{"x", "a"}}, {}}, 7).ok());
  ASSERT_TRUE(role.commit({{{"x", "b"}}, {}}, 8).ok());

  ASSERT_TRUE(roles.clear().ok());
  EXPECT_EQ(roles.checkpoint().value(), 0u);
  EXPECT_FALSE(roles.get("x").value().has_value());
  EXPECT_FALSE(roles.get("").value().has_value());
  EXPECT_TRUE(scan_all(roles, "").empty());
  EXPECT_EQ(roles2.get("x").value(), "a");
  EXPECT_EQ(roles2.checkpoint().value(), 7u);
  EXPECT_EQ(role.get("x").value(), "b");
  EXPECT_EQ(role.checkpoint().value(), 8u);

  ASSERT_TRUE(roles.commit({{{"z", "3"}}, {}}, 1).ok());
  EXPECT_EQ(scan_all(roles, ""), (KV{{"z", "3"}}));
  EXPECT_EQ(roles.checkpoint().value(), 1u);
}

TEST(StateStore, FormatIsKeptBesideTheStateAndClearedWithIt) {
  TempDir dir;
  {
    auto store = open_store(options_for(dir.path()));
    ASSERT_TRUE(store);
    StateStore state(*store, "members");
    StateStore other(*store, "members2");
    EXPECT_EQ(state.format().value(), 0u);  // none stored
    ASSERT_TRUE(state.commit({{{"a", "1"}}, {}}, 5).ok());
    EXPECT_EQ(state.format().value(), 0u);  // commit does not record one

    ASSERT_TRUE(state.set_format(3).ok());
    ASSERT_TRUE(other.set_format(7).ok());
    EXPECT_EQ(state.format().value(), 3u);
    // The state and the checkpoint are left as they are; the format is not state.
    EXPECT_EQ(state.checkpoint().value(), 5u);
    EXPECT_EQ(scan_all(state, ""), (KV{{"a", "1"}}));
    EXPECT_FALSE(state.get(std::string("\0format", 7)).value().has_value());
    EXPECT_EQ(scan_back(state, "", ""), (KV{{"a", "1"}}));

    ASSERT_TRUE(state.set_format(0xfffffffeu).ok());
    EXPECT_EQ(state.format().value(), 0xfffffffeu);
    ASSERT_TRUE(state.set_format(4).ok());
  }
  {
    // It survives a restart, stored big-endian under the reserved key.
    auto store = open_store(options_for(dir.path()));
    ASSERT_TRUE(store);
    StateStore state(*store, "members");
    EXPECT_EQ(state.format().value(), 4u);
    EXPECT_EQ(StateStore(*store, "members2").format().value(), 7u);

    ASSERT_TRUE(state.clear().ok());
    EXPECT_EQ(state.format().value(), 0u);
    EXPECT_EQ(state.checkpoint().value(), 0u);
    EXPECT_EQ(StateStore(*store, "members2").format().value(), 7u);  // only this projection's
    ASSERT_TRUE(state.set_format(4).ok());
  }
  {
    RawDb raw(dir.path());
    EXPECT_EQ(raw.get("projections", std::string("members/\0format", 15)),
              std::string("\0\0\0\x04", 4));
    raw.put("projections", std::string("members/\0format", 15), "4");  // malformed
  }
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  EXPECT_EQ(StateStore(*store, "members").format().value(), 0u);
}

TEST(StateStore, ScanByPrefixInKeyOrder) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  StateStore s(*store, "p");
  StateStore other(*store, "p2");
  ASSERT_TRUE(s.commit({{{"org/1/b", "B"}, {"org/1/a", "A"}, {"org/2/a", "C"}, {"acct/1", "D"},
                         {std::string("org/1/\xff", 7), "E"}},
                        {}},
                       1)
                  .ok());
  ASSERT_TRUE(other.commit({{{"org/1/c", "X"}}, {}}, 1).ok());

  EXPECT_EQ(scan_all(s, "org/1/"),
            (KV{{"org/1/a", "A"}, {"org/1/b", "B"}, {std::string("org/1/\xff", 7), "E"}}));
  // The checkpoint is not state and never shows up.
  EXPECT_EQ(scan_all(s, "").size(), 5u);
  EXPECT_EQ(scan_all(s, "nothing"), KV{});

  KV first_two;
  ASSERT_TRUE(s.scan("org/", [&](std::string_view k, std::string_view v) {
    first_two.emplace_back(k, v);
    return first_two.size() < 2;
  }).ok());
  EXPECT_EQ(first_two, (KV{{"org/1/a", "A"}, {"org/1/b", "B"}}));
}

TEST(StateStore, ScanReverseWithPrefixAndBefore) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  StateStore s(*store, "feed");
  StateStore next(*store, "feee");  // its keys sort right after all of "feed"'s
  ASSERT_TRUE(s.commit({{{"a/01", "1"}, {"a/02", "2"}, {"a/03", "3"}, {"a/04", "4"}, {"b/01", "x"},
                         {"", "root"}},
                        {}},
                       1)
                  .ok());
  ASSERT_TRUE(next.commit({{{"a/99", "other"}}, {}}, 1).ok());

  EXPECT_EQ(scan_back(s, "a/", ""),
            (KV{{"a/04", "4"}, {"a/03", "3"}, {"a/02", "2"}, {"a/01", "1"}}));
  EXPECT_EQ(scan_back(s, "a/", "a/03"), (KV{{"a/02", "2"}, {"a/01", "1"}}));
  EXPECT_EQ(scan_back(s, "a/", "a/025"), (KV{{"a/02", "2"}, {"a/01", "1"}}));
  EXPECT_EQ(scan_back(s, "a/", "z"),
            (KV{{"a/04", "4"}, {"a/03", "3"}, {"a/02", "2"}, {"a/01", "1"}}));
  EXPECT_EQ(scan_back(s, "a/", "a/01"), KV{});
  EXPECT_EQ(scan_back(s, "a/", "a"), KV{});
  EXPECT_EQ(scan_back(s, "", ""),
            (KV{{"b/01", "x"}, {"a/04", "4"}, {"a/03", "3"}, {"a/02", "2"}, {"a/01", "1"},
                {"", "root"}}));

  KV one;
  ASSERT_TRUE(s.scan_reverse("a/", "", [&](std::string_view k, std::string_view v) {
    one.emplace_back(k, v);
    return false;
  }).ok());
  EXPECT_EQ(one, (KV{{"a/04", "4"}}));
}

TEST(StateStore, ReadOnlyStoreRefusesCommits) {
  TempDir dir;
  {
    // Projection state bypasses the WAL, so a secondary sees it once it is flushed: here, when
    // the primary closes.
    auto primary = open_store(options_for(dir.path()));
    ASSERT_TRUE(primary);
    ASSERT_TRUE(StateStore(*primary, "p").commit({{{"k", "v"}}, {}}, 3).ok());
  }

  auto o = options_for(dir.path());
  o.read_only = true;
  auto secondary = open_store(o);
  ASSERT_TRUE(secondary);
  StateStore s(*secondary, "p");
  EXPECT_EQ(s.get("k").value(), "v");
  EXPECT_EQ(s.checkpoint().value(), 3u);
  auto r = s.commit({{{"k", "w"}}, {}}, 4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::unavailable);
  EXPECT_EQ(s.clear().error().code, ErrorCode::unavailable);
  auto primary = open_store(options_for(dir.path()));
  ASSERT_TRUE(primary);
  StateStore p(*primary, "p");
  ASSERT_TRUE(p.set_format(2).ok());
  EXPECT_EQ(s.set_format(5).error().code, ErrorCode::unavailable);
  EXPECT_EQ(p.format().value(), 2u);
}

TEST(StateStore, AFailedReadIsAnErrorNeverAbsence) {
  TempDir dir;
  touchline::testing::FaultFs faults;
  auto o = options_for(dir.path());
  o.env = faults.env();
  {
    auto store = open_store(o);
    ASSERT_TRUE(store);
    StateStore s(*store, "p");
    ASSERT_TRUE(s.commit({{{"a/1", "x"}, {"a/2", "y"}}, {}}, 7).ok());
    ASSERT_TRUE(s.set_format(3).ok());
  }  // closing flushes the state into table files, where reads can fail
  const auto files = touchline::testing::table_files_of(dir.path(), "projections");
  ASSERT_FALSE(files.empty());
  auto store = open_store(o);
  ASSERT_TRUE(store);
  StateStore s(*store, "p");
  faults.fail_reads_of(files);

  auto got = s.get("a/1");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::internal);
  EXPECT_NE(got.error().message.find("injected read error"), std::string::npos) << got.error().message;
  EXPECT_FALSE(s.get("a/15").ok());  // not "absent": the read that would say so failed
  EXPECT_FALSE(s.checkpoint().ok());
  EXPECT_FALSE(s.format().ok());
  KV seen;
  auto collect = [&](std::string_view k, std::string_view v) {
    seen.emplace_back(k, v);
    return true;
  };
  EXPECT_FALSE(s.scan("a/", collect).ok());
  EXPECT_FALSE(s.scan_reverse("a/", "", collect).ok());
  EXPECT_TRUE(seen.empty());
  EXPECT_GT(faults.failed_reads(), 0);

  faults.fail_reads_of({});
  EXPECT_EQ(s.get("a/1").value(), "x");
  EXPECT_FALSE(s.get("a/15").value().has_value());
  EXPECT_EQ(s.checkpoint().value(), 7u);
  EXPECT_EQ(s.format().value(), 3u);
  EXPECT_EQ(scan_all(s, "a/"), (KV{{"a/1", "x"}, {"a/2", "y"}}));
}

TEST(StateStore, ADamagedCheckpointIsAnError) {
  TempDir dir;
  {
    auto store = open_store(options_for(dir.path()));
    ASSERT_TRUE(store);
    ASSERT_TRUE(StateStore(*store, "p").commit({{{"k", "v"}}, {}}, 3).ok());
  }
  {
    RawDb raw(dir.path());
    raw.put("projections", std::string("p/\0checkpoint", 13), "abc");
  }
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  auto checkpoint = StateStore(*store, "p").checkpoint();
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_EQ(checkpoint.error().code, ErrorCode::internal);
  EXPECT_NE(checkpoint.error().message.find("not 8"), std::string::npos) << checkpoint.error().message;
}

TEST(StateStore, RejectsNamesThatCouldOverlap) {
  TempDir dir;
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  EXPECT_THROW(StateStore(*store, "a/b"), std::invalid_argument);
  EXPECT_THROW(StateStore(*store, ""), std::invalid_argument);
}

}  // namespace
}  // namespace touchline::store
