// copy_data_directory (store/backup.h): what a copy holds, that it is one consistent view while the
// log keeps growing, and that it never leaves a partial directory under the name asked for.
#include "touchline/store/backup.h"

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "test_util.h"
#include "touchline/store/hash_chain.h"

namespace touchline::store {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

StoreOptions read_only(const std::string& path) {
  StoreOptions o = testing::options_for(path);
  o.read_only = true;
  return o;
}

void append_events(EventStore& log, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    auto r = log.append(testing::one("account-" + std::to_string(i), ExpectedVersion::any(),
                                     {testing::ev("Touched", {{"i", i}})}));
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
}

std::vector<std::string> envelopes(const EventStore& log) {
  std::vector<std::string> out;
  auto all = log.read_all(0, SIZE_MAX);
  EXPECT_TRUE(all.ok());
  for (const auto& e : *all) out.push_back(events::to_json(e).dump());
  return out;
}

TEST(CopyDataDirectory, HoldsEveryEventSecretIdempotencyRecordAndTheTreeButNoDerivedData) {
  TempDir dir;
  {
    auto log = testing::open_store(testing::options_for(dir.sub("data")));
    append_events(*log, 0, 40);
    auto with_secret = testing::one("account-x", ExpectedVersion::no_stream(), {testing::ev("SignedUp")});
    with_secret.secrets = {{"password/x", "hash-of-x"}, {"personal_key/account-gone", "key-of-gone"}};
    with_secret.idempotency = IdempotencyRecord{"actor/key-1", "request-hash", {{"account_id", "x"}}};
    ASSERT_TRUE(log->append(std::move(with_secret)).ok());
    auto erasure = testing::one("account-gone", ExpectedVersion::any(), {testing::ev("AccountErased")});
    // Destroyed for good: an empty key stays, so nothing is sealed under the account again.
    erasure.secrets = {{"personal_key/account-gone", "", /*erase=*/false}};
    ASSERT_TRUE(log->append(std::move(erasure)).ok());
    ASSERT_TRUE(log->write_snapshot("account-1", 1, Snapshot{1, "folded state"}).ok());

    auto copied = copy_data_directory(*log, dir.sub("copy"));
    ASSERT_TRUE(copied.ok()) << copied.error().message;
    EXPECT_EQ(copied->events, 42u);
    EXPECT_GT(copied->entries, 3 * 42u);  // the log, the stream index and the tree, and more
  }
  auto original = testing::open_store(read_only(dir.sub("data")));
  auto copy = testing::open_store(read_only(dir.sub("copy")));
  ASSERT_TRUE(original && copy);
  EXPECT_EQ(copy->head_position(), 42u);
  EXPECT_EQ(envelopes(*copy), envelopes(*original));
  EXPECT_EQ(copy->stream_version("account-x").value(), 1u);
  EXPECT_EQ(copy->read_secret("password/x").value(), std::optional<std::string>("hash-of-x"));
  EXPECT_EQ(copy->read_secret("personal_key/account-gone").value(), std::optional<std::string>(""))
      << "a key destroyed by erasure stays destroyed";
  auto record = copy->find_idempotency("actor/key-1");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->request_hash, "request-hash");
  EXPECT_EQ(copy->merkle_root(42).value(), original->merkle_root(42).value());
  EXPECT_TRUE(verify_log(*copy).ok);
  EXPECT_EQ(copy->read_snapshot("account-1", 1).value(), std::nullopt) << "snapshots are derived: left out";
  EXPECT_TRUE(original->read_snapshot("account-1", 1).value().has_value());
}

TEST(CopyDataDirectory, FromAReadOnlyOpenBesideAnAppendingPrimaryIsTheLogAsThatOpenSawIt) {
  TempDir dir;
  auto primary = testing::open_store(testing::options_for(dir.sub("data")));
  append_events(*primary, 0, 2000);
  auto beside = testing::open_store(read_only(dir.sub("data")));
  ASSERT_TRUE(beside);
  const std::uint64_t seen = beside->head_position();
  ASSERT_EQ(seen, 2000u);

  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 2000; !stop; ++i) append_events(*primary, i, 1);
  });
  auto copied = copy_data_directory(*beside, dir.sub("copy"));
  stop = true;
  writer.join();
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ(copied->events, seen);
  EXPECT_GT(primary->head_position(), seen) << "the primary appended while the copy was taken";

  auto copy = testing::open_store(read_only(dir.sub("copy")));
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->head_position(), seen);
  EXPECT_TRUE(verify_log(*copy).ok);
  EXPECT_EQ(copy->merkle_root(seen).value(), primary->merkle_root(seen).value());
  EXPECT_EQ(copy->stream_version("account-1999").value(), 1u);
  EXPECT_EQ(copy->stream_version("account-2000").value(), 0u);
}

TEST(CopyDataDirectory, APrimaryServerOpeningTheCopyAppendsAfterIt) {
  TempDir dir;
  {
    auto log = testing::open_store(testing::options_for(dir.sub("data")));
    append_events(*log, 0, 10);
    ASSERT_TRUE(copy_data_directory(*log, dir.sub("copy")).ok());
  }
  auto copy = testing::open_store(testing::options_for(dir.sub("copy")));
  ASSERT_TRUE(copy);
  auto next = copy->append(testing::one("account-3", ExpectedVersion::exact(1), {testing::ev("Touched")}));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->last_position, 11u);
  EXPECT_TRUE(verify_log(*copy).ok);
}

TEST(CopyDataDirectory, RefusesATargetThatExistsOrHasNoParentAndLeavesNothingWhenItFails) {
  TempDir dir;
  // Enough entries for several progress calls; unsynced, since the copy is what is tested here.
  auto log = testing::open_store(testing::options_for(dir.sub("data"), /*sync=*/false));
  append_events(*log, 0, 25'000);

  fs::create_directory(dir.sub("taken"));
  auto refused = copy_data_directory(*log, dir.sub("taken"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(refused.error().field, "to");
  EXPECT_TRUE(fs::is_empty(dir.sub("taken")));

  refused = copy_data_directory(*log, dir.sub("no-such-parent/copy"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "to");

  fs::create_directory(dir.sub("half.incomplete"));
  refused = copy_data_directory(*log, dir.sub("half"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("did not finish"), std::string::npos) << refused.error().message;
  fs::remove(dir.sub("half.incomplete"));

  // Stopped part way (here by its progress callback): neither the name asked for nor the
  // directory it was writing is left.
  std::uint64_t calls = 0;
  EXPECT_THROW(static_cast<void>(copy_data_directory(*log, dir.sub("cut"),
                                                     [&](const CopyProgress& p) {
                                                       ++calls;
                                                       if (p.part == "stream index") {
                                                         throw std::runtime_error("interrupted");
                                                       }
                                                     })),
               std::runtime_error);
  EXPECT_GE(calls, 2u);
  EXPECT_FALSE(fs::exists(dir.sub("cut")));
  EXPECT_FALSE(fs::exists(dir.sub("cut.incomplete")));
}

}  // namespace
}  // namespace touchline::store
