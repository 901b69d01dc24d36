// The Merkle tree as the store keeps it: always the tree of exactly the committed log (checked
// against a tree computed here from the events read back), built at open for a log from before
// it, and its proofs verifying against its roots. And the signed tree heads over it.
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/iterator.h>

#include "test_util.h"
#include "touchline/store/event_store.h"
#include "touchline/store/merkle.h"
#include "touchline/store/tree_head.h"

namespace touchline::store {
namespace {

using testing::ev;
using testing::one;
using testing::open_store;
using testing::options_for;
using testing::RawDb;
using testing::TempDir;

// The root of the first `size` events, from their canonical bytes, through a MerkleFrontier of
// its own (merkle_test.cc holds MerkleFrontier to RFC 9162's definition).
Digest root_of_events(const EventStore& log, std::uint64_t size) {
  auto all = log.read_all(0, size);
  EXPECT_TRUE(all.ok());
  MerkleFrontier f;
  std::vector<MerkleNode> ignored;
  for (const auto& e : *all) f.append(merkle_leaf_hash(events::canonical_bytes(e)), ignored);
  EXPECT_EQ(f.size(), size);
  return f.root();
}

void append_some(EventStore& log, int appends, const std::string& prefix) {
  for (int i = 0; i < appends; ++i) {
    std::vector<NewEvent> evs;
    for (int j = 0; j <= i % 3; ++j) evs.push_back(ev("Happened", {{"i", i}, {"j", j}}));
    auto r = log.append(one(prefix + std::to_string(i % 4), ExpectedVersion::any(), std::move(evs)));
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
}

void drop_tree(const std::string& path) {
  RawDb raw(path);
  std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), raw.cf("merkle")));
  std::vector<std::string> keys;
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
  ASSERT_TRUE(it->status().ok());
  ASSERT_FALSE(keys.empty());
  for (const auto& k : keys) raw.del("merkle", k);
}

TEST(MerkleTree, CoversExactlyTheCommittedLogAfterEveryAppend) {
  TempDir dir;
  auto log = open_store(options_for(dir.path()));
  ASSERT_TRUE(log);
  EXPECT_EQ(*log->merkle_root(0), merkle_empty_root());
  for (int i = 0; i < 20; ++i) {
    append_some(*log, 1, "s");
    const std::uint64_t head = log->head_position();
    auto root = log->merkle_root(head);
    ASSERT_TRUE(root.ok()) << root.error().message;
    EXPECT_EQ(*root, root_of_events(*log, head)) << head;
  }
}

TEST(MerkleTree, GroupCommitsKeepTheTreeWhole) {
  TempDir dir;
  auto log = open_store(options_for(dir.path(), /*sync=*/false));
  ASSERT_TRUE(log);
  std::vector<std::future<Result<AppendResult>>> answers;
  for (int i = 0; i < 200; ++i) {
    auto done = std::make_shared<std::promise<Result<AppendResult>>>();
    answers.push_back(done->get_future());
    log->append_async(one("g" + std::to_string(i % 7), ExpectedVersion::any(), {ev("A"), ev("B")}),
                      [done](Result<AppendResult> r) { done->set_value(std::move(r)); });
  }
  for (auto& a : answers) ASSERT_TRUE(a.get().ok());
  EXPECT_EQ(log->head_position(), 400u);
  EXPECT_EQ(*log->merkle_root(400), root_of_events(*log, 400));
  EXPECT_EQ(*log->merkle_root(137), root_of_events(*log, 137));
}

TEST(MerkleTree, ProofsFromTheStoreVerify) {
  TempDir dir;
  auto log = open_store(options_for(dir.path()));
  ASSERT_TRUE(log);
  append_some(*log, 15, "p");
  const std::uint64_t head = log->head_position();
  auto all = log->read_all(0, head);
  ASSERT_TRUE(all.ok());
  for (std::uint64_t size = 1; size <= head; ++size) {
    const Digest root = *log->merkle_root(size);
    for (std::uint64_t position = 1; position <= size; ++position) {
      auto proof = log->merkle_inclusion_proof(position, size);
      ASSERT_TRUE(proof.ok()) << proof.error().message;
      const Digest leaf = merkle_leaf_hash(events::canonical_bytes((*all)[position - 1]));
      EXPECT_TRUE(verify_merkle_inclusion(position - 1, size, leaf, *proof, root)) << position << " in " << size;
    }
    for (std::uint64_t from = 1; from <= size; ++from) {
      auto proof = log->merkle_consistency_proof(from, size);
      ASSERT_TRUE(proof.ok()) << proof.error().message;
      EXPECT_TRUE(verify_merkle_consistency(from, size, *log->merkle_root(from), root, *proof)) << from << " to " << size;
    }
  }
}

// docs/LOG_FORMAT.md: one entry per event, BE64(position - 1), holding the hashes of the complete
// subtrees the event completes, lowest first.
TEST(MerkleTree, TheStoredEntriesAreTheDocumentedLayout) {
  TempDir dir;
  std::vector<Digest> leaves;
  {
    auto log = open_store(options_for(dir.path()));
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->append(one("x", ExpectedVersion::any(), {ev("A"), ev("B"), ev("C"), ev("D"), ev("E")})).ok());
    auto all = log->read_all(0, 10);
    ASSERT_TRUE(all.ok());
    for (const auto& e : *all) leaves.push_back(merkle_leaf_hash(events::canonical_bytes(e)));
  }
  auto bytes = [](std::initializer_list<Digest> ds) {
    std::string out;
    for (const auto& d : ds) out.append(reinterpret_cast<const char*>(d.data()), d.size());
    return out;
  };
  const Digest n01 = merkle_node_hash(leaves[0], leaves[1]);
  const Digest n23 = merkle_node_hash(leaves[2], leaves[3]);
  RawDb raw(dir.path());
  EXPECT_EQ(raw.get("merkle", testing::be64(0)), bytes({leaves[0]}));
  EXPECT_EQ(raw.get("merkle", testing::be64(1)), bytes({leaves[1], n01}));
  EXPECT_EQ(raw.get("merkle", testing::be64(2)), bytes({leaves[2]}));
  EXPECT_EQ(raw.get("merkle", testing::be64(3)), bytes({leaves[3], n23, merkle_node_hash(n01, n23)}));
  EXPECT_EQ(raw.get("merkle", testing::be64(4)), bytes({leaves[4]}));
}

TEST(MerkleTree, SizesAndPositionsOutsideTheLogAreRefused) {
  TempDir dir;
  auto log = open_store(options_for(dir.path()));
  ASSERT_TRUE(log);
  append_some(*log, 3, "o");
  const std::uint64_t head = log->head_position();
  EXPECT_EQ(log->merkle_root(head + 1).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(log->merkle_inclusion_proof(0, head).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(log->merkle_inclusion_proof(head, head - 1).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(log->merkle_inclusion_proof(1, head + 1).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(log->merkle_consistency_proof(0, head).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(log->merkle_consistency_proof(2, 1).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(log->merkle_consistency_proof(1, head + 1).error().code, ErrorCode::invalid_argument);
}

TEST(MerkleTree, ALogWithoutItsTreeGetsItBackAtOpenAndGoesOn) {
  TempDir dir;
  Digest before{};
  {
    auto log = open_store(options_for(dir.path()));
    ASSERT_TRUE(log);
    append_some(*log, 12, "b");
    before = *log->merkle_root(log->head_position());
  }
  drop_tree(dir.path());
  {
    // Read-only, nothing has built it yet: the tree is missing, not wrong.
    auto options = options_for(dir.path());
    options.read_only = true;
    auto reader = open_store(options);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->merkle_root(reader->head_position()).error().code, ErrorCode::failed_precondition);
  }
  std::vector<std::string> notices;
  auto rebuilding = options_for(dir.path());
  rebuilding.notice = [&notices](const std::string& line) { notices.push_back(line); };
  auto log = open_store(rebuilding);
  ASSERT_TRUE(log);
  EXPECT_EQ(*log->merkle_root(log->head_position()), before);
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_NE(notices[0].find("building the log's Merkle tree over events 1 to " + std::to_string(log->head_position())),
            std::string::npos)
      << notices[0];
  EXPECT_EQ(notices[1], "Merkle tree: covers " + std::to_string(log->head_position()) + " events");
  append_some(*log, 5, "after");
  EXPECT_EQ(*log->merkle_root(log->head_position()), root_of_events(*log, log->head_position()));
  auto options = options_for(dir.path());
  options.read_only = true;
  auto reader = open_store(options);
  ASSERT_TRUE(reader);
  EXPECT_EQ(*reader->merkle_root(reader->head_position()), *log->merkle_root(log->head_position()));
}

TEST(MerkleTree, ATreeShortOfTheLogIsExtendedFromWhereItStops) {
  TempDir dir;
  Digest before{};
  std::uint64_t head = 0;
  {
    auto log = open_store(options_for(dir.path()));
    ASSERT_TRUE(log);
    append_some(*log, 14, "p");
    head = log->head_position();
    before = *log->merkle_root(head);
  }
  {
    // As if an older build had appended the last five events.
    RawDb raw(dir.path());
    for (std::uint64_t leaf = head - 5; leaf < head; ++leaf) raw.del("merkle", testing::be64(leaf));
  }
  std::vector<std::string> notices;
  auto options = options_for(dir.path());
  options.notice = [&notices](const std::string& line) { notices.push_back(line); };
  auto log = open_store(options);
  ASSERT_TRUE(log);
  EXPECT_EQ(*log->merkle_root(head), before);
  ASSERT_FALSE(notices.empty());
  EXPECT_NE(notices[0].find("over events " + std::to_string(head - 4) + " to " + std::to_string(head)),
            std::string::npos)
      << notices[0];
  append_some(*log, 3, "q");
  EXPECT_EQ(*log->merkle_root(log->head_position()), root_of_events(*log, log->head_position()));
}

TEST(MerkleTree, ConflictsAndFailedRequestsInAGroupLeaveNoMark) {
  TempDir dir;
  auto options = options_for(dir.path(), /*sync=*/false);
  // A request on stream "boom" throws while it is added to its group's batch: the whole group is
  // discarded, and nothing of it may reach the tree.
  options.while_adding_for_testing = [](const AppendRequest& r) {
    if (r.streams.front().stream == "boom") throw std::runtime_error("injected");
  };
  auto log = open_store(options);
  ASSERT_TRUE(log);
  int ok = 0;
  int failed = 0;
  for (int wave = 0; wave < 20; ++wave) {
    std::vector<std::future<Result<AppendResult>>> answers;
    for (int i = 0; i < 6; ++i) {
      auto done = std::make_shared<std::promise<Result<AppendResult>>>();
      answers.push_back(done->get_future());
      // The first of each wave expects a version its stream never has: a conflict in a group;
      // every fourth wave carries a request that throws.
      const auto expected = i == 0 ? ExpectedVersion::exact(100000) : ExpectedVersion::any();
      const std::string stream = wave % 4 == 3 && i == 3 ? "boom" : "c" + std::to_string(i);
      log->append_async(one(stream, expected, {ev("A"), ev("B")}),
                        [done](Result<AppendResult> r) { done->set_value(std::move(r)); });
    }
    for (auto& a : answers) (a.get().ok() ? ok : failed)++;
  }
  EXPECT_GT(ok, 50);
  EXPECT_GT(failed, 20);
  const std::uint64_t head = log->head_position();
  EXPECT_EQ(head, 2u * static_cast<std::uint64_t>(ok));
  EXPECT_EQ(*log->merkle_root(head), root_of_events(*log, head));
  log.reset();
  auto reopened = open_store(options_for(dir.path()));
  ASSERT_TRUE(reopened);
  EXPECT_EQ(*reopened->merkle_root(head), root_of_events(*reopened, head));
}

TEST(MerkleTree, ATreeLargerThanTheLogStopsAppendsButNotReads) {
  TempDir dir;
  std::uint64_t head = 0;
  {
    auto log = open_store(options_for(dir.path()));
    ASSERT_TRUE(log);
    append_some(*log, 4, "l");
    head = log->head_position();
  }
  {
    RawDb raw(dir.path());
    raw.put("merkle", testing::be64(head), std::string(32, 'x'));
  }
  auto log = open_store(options_for(dir.path()));
  ASSERT_TRUE(log);
  auto refused = log->append(one("l0", ExpectedVersion::any(), {ev("More")}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::internal);
  EXPECT_NE(refused.error().message.find("Merkle tree"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(log->read_all(0, 100).ok());
  EXPECT_TRUE(log->merkle_root(head).ok());
  EXPECT_NE(refused.error().message.find("touchline rebuild-merkle"), std::string::npos) << refused.error().message;
  log.reset();

  // The remedy: an open that builds the tree again.
  auto rebuild = options_for(dir.path());
  rebuild.rebuild_merkle_tree = true;
  auto mended = open_store(rebuild);
  ASSERT_TRUE(mended);
  EXPECT_TRUE(mended->append(one("l0", ExpectedVersion::any(), {ev("More")})).ok());
  EXPECT_EQ(*mended->merkle_root(head + 1), root_of_events(*mended, head + 1));
}

TEST(MerkleTree, ADamagedEntryStopsAppendsUntilTheTreeIsRebuilt) {
  TempDir dir;
  std::uint64_t head = 0;
  {
    auto log = open_store(options_for(dir.path()));
    ASSERT_TRUE(log);
    append_some(*log, 6, "d");
    head = log->head_position();
    ASSERT_GE(head, 8u);
  }
  {
    RawDb raw(dir.path());
    raw.put("merkle", testing::be64(7), std::string(40, 'x'));  // leaf 7 holds 4 levels: 128 bytes
  }
  auto log = open_store(options_for(dir.path()));
  ASSERT_TRUE(log);
  auto refused = log->append(one("d0", ExpectedVersion::any(), {ev("More")}));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("too short"), std::string::npos) << refused.error().message;
  auto proof = log->merkle_inclusion_proof(1, 8);
  ASSERT_FALSE(proof.ok());
  EXPECT_EQ(proof.error().code, ErrorCode::internal);
  log.reset();
  auto rebuild = options_for(dir.path());
  rebuild.rebuild_merkle_tree = true;
  auto mended = open_store(rebuild);
  ASSERT_TRUE(mended);
  EXPECT_TRUE(mended->append(one("d0", ExpectedVersion::any(), {ev("More")})).ok());
  EXPECT_EQ(*mended->merkle_root(head + 1), root_of_events(*mended, head + 1));
}

TEST(TreeHead, SignaturesVerifyWithThePublicKeyOnly) {
  const TreeHeadSigner signer(std::string(32, '\x07'));
  const TreeHead head{42, merkle_leaf_hash("root"), 1'700'000'000'000};
  const SignedTreeHead s = signer.sign(head);
  EXPECT_TRUE(verify_tree_head(signer.public_key(), s));

  for (auto change : std::vector<std::function<void(SignedTreeHead&)>>{
           [](SignedTreeHead& h) { h.head.size += 1; },
           [](SignedTreeHead& h) { h.head.timestamp_ms += 1; },
           [](SignedTreeHead& h) { h.head.root[5] ^= 1; },
           [](SignedTreeHead& h) { h.signature[0] ^= 1; }}) {
    SignedTreeHead bent = s;
    change(bent);
    EXPECT_FALSE(verify_tree_head(signer.public_key(), bent));
  }
  const TreeHeadSigner other(std::string(32, '\x08'));
  EXPECT_FALSE(verify_tree_head(other.public_key(), s));
  EXPECT_THROW(TreeHeadSigner(std::string(31, 'x')), std::invalid_argument);
}

TEST(TreeHead, TheLogsHeadIsSignedAsItStands) {
  TempDir dir;
  auto log = open_store(options_for(dir.path()));
  ASSERT_TRUE(log);
  append_some(*log, 6, "h");
  const TreeHeadSigner signer(std::string(32, '\x05'));
  auto s = sign_log_head(*log, signer, 99);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->head.size, log->head_position());
  EXPECT_EQ(s->head.root, root_of_events(*log, log->head_position()));
  EXPECT_EQ(s->head.timestamp_ms, 99);
  EXPECT_TRUE(verify_tree_head(signer.public_key(), *s));
}

TEST(TreeHead, TheSignedBytesAreTheDocumentedLayout) {
  TreeHead head{258, {}, -1};
  head.root.fill(0xab);
  const std::string bytes = tree_head_signed_bytes(head);
  ASSERT_EQ(bytes.size(), 71u);
  EXPECT_EQ(bytes.substr(0, 23), std::string("touchline tree head v1") + '\0');
  EXPECT_EQ(bytes.substr(23, 8), std::string("\0\0\0\0\0\0\x01\x02", 8));
  EXPECT_EQ(bytes.substr(31, 8), std::string(8, '\xff'));
  EXPECT_EQ(bytes.substr(39), std::string(32, '\xab'));
}

TEST(TreeHead, JsonRoundTripsAndNamesWhatIsWrong) {
  const TreeHeadSigner signer(std::string(32, '\x01'));
  const SignedTreeHead s = signer.sign(TreeHead{7, merkle_leaf_hash("r"), 123});
  const auto j = to_json(s);
  EXPECT_EQ(j["size"], 7);
  EXPECT_EQ(j["timestamp"], 123);
  EXPECT_EQ(j["root"], digest_hex(s.head.root));
  EXPECT_EQ(j["signature"].get<std::string>().size(), 128u);
  auto back = signed_tree_head_from_json(j);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(verify_tree_head(signer.public_key(), *back));
  for (const char* member : {"size", "root", "timestamp", "signature"}) {
    auto broken = j;
    broken[member] = "nonsense";
    auto r = signed_tree_head_from_json(broken);
    ASSERT_FALSE(r.ok()) << member;
    EXPECT_EQ(r.error().field, member);
  }
  Ed25519PublicKey key{};
  ASSERT_TRUE(parse_public_key_hex(public_key_hex(signer.public_key()), key));
  EXPECT_EQ(key, signer.public_key());
}

}  // namespace
}  // namespace touchline::store
