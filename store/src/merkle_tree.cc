// The log's Merkle tree as the store keeps it: every complete subtree's hash in the `merkle`
// column family (docs/LOG_FORMAT.md), written in the batch of the events it covers, so that the
// tree always covers exactly the committed log; and the proofs read from it.
#include <memory>

#include <rocksdb/iterator.h>

#include "event_store_impl.h"
#include "log_reads.h"
#include "touchline/events/envelope.h"
#include "touchline/store/event_store.h"
#include "touchline/store/merkle.h"

namespace touchline::store {
namespace {

// Events hashed per write while an older log's tree is built at open.
constexpr std::size_t kBuildBatch = 4096;
constexpr std::uint64_t kNoticeEvery = 100'000;

// The leaf hash of a stored event: its canonical bytes as they lie when the text is the store's
// own, else decoded and re-encoded (the same bytes, as for the hash chain).
Result<Digest> leaf_of_stored(std::uint64_t position, std::string_view value) {
  if (auto text = events::read_canonical_text(value)) {
    const auto& p = text->canonical_pieces;
    return sha256_digest({std::string_view("\x00", 1), p[0], p[1], p[2]});
  }
  auto envelope = detail::decode_log_value(position, value);
  if (!envelope.ok()) return envelope.error();
  try {
    return merkle_leaf_hash(events::canonical_bytes(*envelope));
  } catch (const std::exception& ex) {
    return Error::make(ErrorCode::internal, "the event at position " + std::to_string(position) +
                                                " cannot be re-encoded: " + ex.what());
  }
}

}  // namespace

Result<std::uint64_t> EventStore::Impl::merkle_tree_size() const {
  if (cf_merkle == nullptr) return std::uint64_t{0};
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf_merkle));
  it->SeekToLast();
  if (!it->status().ok()) {
    return Error::make(ErrorCode::internal, "cannot read the Merkle tree: " + it->status().ToString());
  }
  if (!it->Valid()) return std::uint64_t{0};
  const auto key = to_sv(it->key());
  if (key.size() != 8 || decode_be64(key) == UINT64_MAX) {
    return Error::make(ErrorCode::internal, "the Merkle tree's last key is damaged (" + std::to_string(key.size()) +
                                                " bytes, the leaf index " +
                                                (key.size() == 8 ? std::string("2^64 - 1") : std::string("unreadable")) + ")");
  }
  return decode_be64(key) + 1;
}

Result<Digest> EventStore::Impl::read_merkle_node(unsigned level, std::uint64_t index) const {
  const std::string where = "the Merkle tree's node at level " + std::to_string(level) + ", index " + std::to_string(index);
  if (cf_merkle == nullptr || level > 63 || index >= (UINT64_MAX >> level)) {
    return Error::make(ErrorCode::not_found, where + " is not stored");
  }
  const std::uint64_t last_leaf = ((index + 1) << level) - 1;
  std::string value;
  auto s = db->Get(rocksdb::ReadOptions(), cf_merkle, encode_be64(last_leaf), &value);
  if (s.IsNotFound()) return Error::make(ErrorCode::not_found, where + " is not stored");
  if (!s.ok()) return Error::make(ErrorCode::internal, "cannot read " + where + ": " + s.ToString());
  Digest d{};
  const std::size_t at = std::size_t{level} * d.size();
  if (value.size() < at + d.size() || value.size() % d.size() != 0) {
    return Error::make(ErrorCode::failed_precondition, "the Merkle tree's entry for leaf " + std::to_string(last_leaf) +
                                                           " is " + std::to_string(value.size()) +
                                                           " bytes, too short for " + where);
  }
  std::copy_n(value.begin() + static_cast<std::ptrdiff_t>(at), d.size(), d.begin());
  return d;
}

Status EventStore::Impl::open_merkle_tree() {
  // Appends are refused already (the last event fails its hash check): keep that reason, and
  // leave the tree to be extended once the log is mended.
  if (failure_) return ok_status();
  try {
    return extend_merkle_tree();
  } catch (const std::exception& ex) {  // what SHA-256 or the machine throws
    failure_ = std::string("building the Merkle tree failed: ") + ex.what();
    return ok_status();
  }
}

Status EventStore::Impl::extend_merkle_tree() {
  if (options.rebuild_merkle_tree) {
    // Every key is 8 bytes: this range holds the whole tree.
    auto s = db->DeleteRange(rocksdb::WriteOptions(), cf_merkle, "", std::string(9, '\xff'));
    if (!s.ok()) return Error::make(ErrorCode::internal, "cannot delete the Merkle tree: " + s.ToString());
  }
  const std::string remedy = "; `touchline rebuild-merkle --data DIR` (server stopped) builds it again from the log";
  auto size = merkle_tree_size();
  if (!size.ok()) {
    failure_ = size.error().message + remedy;
    return ok_status();
  }
  const std::uint64_t log_head = head.load();
  if (*size > log_head) {
    failure_ = "the Merkle tree covers " + std::to_string(*size) + " events but the log holds " +
               std::to_string(log_head) + remedy;
    return ok_status();
  }
  const NodeReader read = [this](unsigned level, std::uint64_t index) { return read_merkle_node(level, index); };
  auto frontier = MerkleFrontier::load(*size, read);
  if (!frontier.ok()) {
    if (frontier.error().code == ErrorCode::internal) return frontier.error();  // a failed read
    failure_ = "the Merkle tree of " + std::to_string(*size) + " events is incomplete: " + frontier.error().message +
               remedy;
    return ok_status();
  }
  // Events the tree does not cover yet: a log from before the tree (or appended to by an older
  // binary). Unsynced writes: a tree lost in a crash is built again at the next open.
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 1 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf_log));
  rocksdb::WriteBatch batch;
  std::vector<MerkleNode> completed;
  std::size_t in_batch = 0;
  auto write = [&]() -> Status {
    auto s = db->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return Error::make(ErrorCode::internal, "cannot write the Merkle tree: " + s.ToString());
    batch.Clear();
    in_batch = 0;
    return ok_status();
  };
  auto notice = [this](const std::string& line) {
    if (options.notice) options.notice(line);
  };
  const std::uint64_t missing = log_head - *size;
  if (missing > 0) {
    notice("building the log's Merkle tree over events " + std::to_string(*size + 1) + " to " +
           std::to_string(log_head) + " (a log from before the tree, or appended to by an older build)");
  }
  std::uint64_t position = *size + 1;
  for (it->Seek(encode_be64(position)); it->Valid() && position <= log_head; it->Next(), ++position) {
    const auto key = to_sv(it->key());
    if (key.size() != 8 || decode_be64(key) != position) {
      failure_ = "the log has no event at position " + std::to_string(position) +
                 ", so the Merkle tree cannot cover it; run `touchline verify` on the data directory";
      break;
    }
    auto leaf = leaf_of_stored(position, to_sv(it->value()));
    if (!leaf.ok()) {
      failure_ = "the Merkle tree cannot cover the event at position " + std::to_string(position) + " (" +
                 leaf.error().message + "); run `touchline verify` on the data directory";
      break;
    }
    completed.clear();
    frontier->append(*leaf, completed);
    if (auto s = batch.Put(cf_merkle, encode_be64(position - 1), merkle_value(completed)); !s.ok()) {
      return Error::make(ErrorCode::internal, "cannot build the Merkle tree: " + s.ToString());
    }
    if (++in_batch == kBuildBatch) {
      if (auto st = write(); !st.ok()) return st;
    }
    if (const std::uint64_t done = position - *size; done % kNoticeEvery == 0) {
      notice("Merkle tree: " + std::to_string(done) + " of " + std::to_string(missing) + " events");
    }
  }
  if (!it->status().ok()) return Error::make(ErrorCode::internal, "cannot read the log: " + it->status().ToString());
  if (in_batch > 0) {
    if (auto st = write(); !st.ok()) return st;
  }
  if (!failure_ && frontier->size() != log_head) {
    failure_ = "the Merkle tree covers " + std::to_string(frontier->size()) + " of the log's " +
               std::to_string(log_head) + " events; run `touchline verify` on the data directory";
  }
  if (missing > 0) notice("Merkle tree: covers " + std::to_string(frontier->size()) + " events");
  tree_ = std::move(*frontier);
  return ok_status();
}

namespace {

// The tree of `size` events must exist: within the log, and within the stored tree.
Status check_tree_size(const EventStore::Impl& im, std::uint64_t size, const char* field) {
  const std::uint64_t log_head = im.head.load();
  if (size > log_head) {
    return Error::make(ErrorCode::invalid_argument, "the log holds " + std::to_string(log_head) +
                                                        " events; there is no tree of " + std::to_string(size),
                       field);
  }
  auto stored = im.merkle_tree_size();
  if (!stored.ok()) return stored.error();
  if (*stored < size) {
    return Error::make(ErrorCode::failed_precondition,
                       "the stored Merkle tree covers " + std::to_string(*stored) + " events, not " +
                           std::to_string(size) +
                           ": a log from before the tree, which the first writing open (touchlined, or a "
                           "touchline command that writes) builds");
  }
  return ok_status();
}

// A subtree the tree should hold but does not, or holds damaged, is the store's failure (internal),
// not the asker's.
NodeReader node_reader(const EventStore::Impl& im) {
  return [&im](unsigned level, std::uint64_t index) -> Result<Digest> {
    auto node = im.read_merkle_node(level, index);
    if (!node.ok()) return Error::make(ErrorCode::internal, node.error().message);
    return node;
  };
}

}  // namespace

Result<Digest> EventStore::merkle_root(std::uint64_t size) const {
  if (size == 0) return merkle_empty_root();
  if (auto st = check_tree_size(*impl_, size, "size"); !st.ok()) return st.error();
  return store::merkle_root(size, node_reader(*impl_));
}

Result<std::vector<Digest>> EventStore::merkle_inclusion_proof(std::uint64_t position, std::uint64_t size) const {
  if (position == 0 || position > size) {
    return Error::make(ErrorCode::invalid_argument,
                       "position must be from 1 to size (got position " + std::to_string(position) + ", size " +
                           std::to_string(size) + ")",
                       "position");
  }
  if (auto st = check_tree_size(*impl_, size, "size"); !st.ok()) return st.error();
  return store::merkle_inclusion_proof(position - 1, size, node_reader(*impl_));
}

Result<std::vector<Digest>> EventStore::merkle_consistency_proof(std::uint64_t from, std::uint64_t to) const {
  if (from == 0 || from > to) {
    return Error::make(ErrorCode::invalid_argument,
                       "from must be from 1 to `to` (got from " + std::to_string(from) + ", to " + std::to_string(to) + ")",
                       "from");
  }
  if (auto st = check_tree_size(*impl_, to, "to"); !st.ok()) return st.error();
  return store::merkle_consistency_proof(from, to, node_reader(*impl_));
}

}  // namespace touchline::store
