// Internal to touchline_store: the state behind EventStore, shared with state_store.cc and
// hash_chain.cc. Key encodings here are the ones docs/LOG_FORMAT.md describes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include "touchline/events/envelope.h"
#include "touchline/events/result.h"
#include "touchline/store/event_store.h"
#include "touchline/store/merkle.h"

namespace touchline::store {

// The on-disk format this build reads and writes (meta key "format_version" in `default`).
inline constexpr int kStoreFormat = 1;
// The envelope JSON is part of the store's format: a new envelope format needs a new store
// format (and docs/LOG_FORMAT.md), after which this check is updated.
static_assert(events::kEnvelopeFormat == 1, "envelope format changed: bump kStoreFormat");

inline constexpr const char* kCfLog = "log";
inline constexpr const char* kCfStreams = "streams";
inline constexpr const char* kCfIdempotency = "idempotency";
inline constexpr const char* kCfSecrets = "secrets";
inline constexpr const char* kCfProjections = "projections";
inline constexpr const char* kCfSnapshots = "snapshots";
inline constexpr const char* kCfMerkle = "merkle";
inline constexpr const char* kFormatVersionKey = "format_version";

// 8-byte big-endian, so that RocksDB's bytewise order is numeric order.
inline std::string encode_be64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xffU);
    v >>= 8;
  }
  return out;
}

// Requires s.size() >= 8; decodes the first 8 bytes.
inline std::uint64_t decode_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<unsigned char>(s[i]);
  }
  return v;
}

inline std::string encode_be32(std::uint32_t v) { return encode_be64(v).substr(4); }

// Requires s.size() >= 4; decodes the first 4 bytes.
inline std::uint32_t decode_be32(std::string_view s) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    v = (v << 8) | static_cast<unsigned char>(s[i]);
  }
  return v;
}

// streams CF: stream name, 0x00, 8-byte BE stream version. Stream names never contain 0x00,
// so "<name>\0" is a prefix that no other stream's keys share.
inline std::string stream_prefix(std::string_view stream) {
  std::string k(stream);
  k.push_back('\0');
  return k;
}

inline std::string stream_key(std::string_view stream, std::uint64_t version) {
  return stream_prefix(stream) + encode_be64(version);
}

// merkle CF: one entry per event, keyed BE64(leaf index) (the position - 1); its value the
// hashes of the complete subtrees that event completes, lowest first: its own leaf hash, then each
// node whose last leaf it is. So the node at (level, index) is the 32 bytes at 32 * level in
// the value of leaf ((index + 1) << level) - 1.
inline std::string merkle_value(const std::vector<MerkleNode>& completed) {
  std::string out;
  out.reserve(completed.size() * 32);
  for (const auto& node : completed) out.append(reinterpret_cast<const char*>(node.hash.data()), node.hash.size());
  return out;
}

inline std::string_view to_sv(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

class EventStore::Impl {
 public:
  struct Pending {
    AppendRequest request;
    std::function<void(Result<AppendResult>)> done;
  };

  Impl() = default;
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Opens the database and loads the head; does not start the writer.
  Status open(StoreOptions opts);
  void start_writer();
  void stop();

  // Queues the request (or answers it at once: stopped, read-only). With may_take_turn, no write
  // in progress and the last one quiet, the caller takes the writer's turn instead of waking the
  // writer thread:
  // returns true, and the caller must then call write_turn() or give_back_turn().
  bool enqueue(AppendRequest request, std::function<void(Result<AppendResult>)> done, bool may_take_turn);
  // For the caller holding the writer's turn: writes one group on its thread, then gives it back.
  void write_turn() noexcept;
  // For the caller holding the writer's turn: lets the writer thread write what is queued.
  void give_back_turn() noexcept;

  // The last version of `stream` as committed in the streams CF (0 when absent).
  Result<std::uint64_t> read_stream_head(const std::string& stream) const;
  // Re-reads the head position from the log CF (used at open and by catch_up).
  Result<std::uint64_t> read_log_head(std::string* last_value) const;
  // Moves head_position() to `head` (under head_mu, so a waiter that checks after this sees it)
  // without waking anyone: the writer answers its group first, then wakes the waiters
  // (wake_head_waiters), because waking them costs more than the answer and nobody who waits on
  // the head is waiting for that answer.
  void set_head(std::uint64_t head);
  // Wakes the threads in wait_for_position and runs the when_head_reaches callbacks now due
  // (outside head_mu, on the calling thread).
  void wake_head_waiters();
  // The Merkle tree (merkle_tree.cc). How many leaves the stored tree holds (0 without one);
  // internal on a storage error.
  Result<std::uint64_t> merkle_tree_size() const;
  // A stored complete subtree's hash: not_found when it is not stored, failed_precondition when
  // its entry is too short to hold it (damage), internal on a storage error.
  Result<Digest> read_merkle_node(unsigned level, std::uint64_t index) const;
  // For a primary's open, after the head is loaded: extends the stored tree to the head (a log
  // from before the tree, or one an older binary appended to) and loads the writer's frontier.
  // A damaged tree (larger than the log, an entry missing or too short, a damaged last key) or an
  // event it cannot hash sets failure_ (appends refused, reads still served); so does an
  // exception; a failed read of a subtree, or a failed write, is returned. With
  // options.rebuild_merkle_tree, deletes the tree and builds it anew.
  Status open_merkle_tree();

  void publish_head(std::uint64_t head) {
    set_head(head);
    wake_head_waiters();
  }

  rocksdb::WriteOptions write_options() const {
    rocksdb::WriteOptions wo;
    wo.sync = options.sync;
    return wo;
  }

  // --- immutable after open() ---
  StoreOptions options;
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // every CF opened, for cleanup
  rocksdb::ColumnFamilyHandle* cf_default = nullptr;
  rocksdb::ColumnFamilyHandle* cf_log = nullptr;
  rocksdb::ColumnFamilyHandle* cf_streams = nullptr;
  rocksdb::ColumnFamilyHandle* cf_idempotency = nullptr;
  rocksdb::ColumnFamilyHandle* cf_secrets = nullptr;
  rocksdb::ColumnFamilyHandle* cf_projections = nullptr;
  rocksdb::ColumnFamilyHandle* cf_snapshots = nullptr;  // null only in a read-only open of an older log
  rocksdb::ColumnFamilyHandle* cf_merkle = nullptr;     // null only in a read-only open of an older log
  std::string owned_secondary_dir;  // removed on close when we created it

  mutable std::atomic<std::uint64_t> stream_events_read{0};

  mutable std::mutex write_stats_mu;
  WriteStats write_stats;  // guarded by write_stats_mu; updated by the writer once per batch

  // --- the published head, readable from any thread ---
  std::atomic<std::uint64_t> head{0};
  mutable std::mutex head_mu;
  mutable std::condition_variable head_cv;
  bool stopped = false;  // guarded by head_mu; wakes waiters for good
  struct HeadCallback {
    std::uint64_t ticket;
    std::function<void()> fn;
  };
  std::multimap<std::uint64_t, HeadCallback> head_callbacks;  // by position; guarded by head_mu
  std::uint64_t next_head_ticket = 1;                         // guarded by head_mu

 private:
  struct GroupState;
  struct IdemEntry {
    std::string request_hash;
    nlohmann::json result;
  };

  Status extend_merkle_tree();  // open_merkle_tree's work, outside its exception guard
  void writer_loop();
  // Takes up to kMaxGroup queued requests; call with queue_mu held and the turn taken.
  void take_group(std::vector<Pending>& group);
  // Gives the turn up; call with queue_mu held.
  void end_write();
  // process_group, with abandon_group for an exception that escapes it.
  void write_group(std::vector<Pending>& group) noexcept;
  void process_group(std::vector<Pending>& group);
  // Calls p.done with r (once: p.done is cleared first) and swallows whatever it throws.
  static void answer(Pending& p, Result<AppendResult> r) noexcept;
  // For an exception that escaped process_group: enters the refusing state and answers every
  // request of the group not answered yet with internal.
  void abandon_group(std::vector<Pending>& group, const std::string& why);
  Result<AppendResult> process_one(const AppendRequest& req, rocksdb::WriteBatch& batch,
                                   GroupState& st,
                                   std::unordered_map<std::string, IdemEntry>& group_idem);
  Result<std::uint64_t> cached_stream_head(const std::string& stream);
  // Settles the request's ticket, if any, from its answer (applied only when its events went
  // into the batch), and all of a group's tickets failed when its batch was not written.
  static void settle(const AppendRequest& req, const Result<AppendResult>& r);
  // Counts one batch the writer wrote (or failed to) in write_stats.
  void record_write(std::size_t requests, std::uint64_t events, double seconds, bool ok);
  static void settle_all_failed(std::vector<Pending>& group);
  // Flushes a primary's memtables, then closes the database. Idempotent.
  void close_db();

  // --- queue, guarded by queue_mu ---
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<Pending> queue;
  bool stopping = false;
  // Somebody holds the writer's turn (the writer thread, or a caller: append_taking_turn), and
  // with it the writer state below; on which thread.
  bool writing_ = false;
  std::thread::id writing_thread_;
  // A caller takes the writer's turn only after a quiet write: one request, and none arriving
  // while it was written (one client at a time). Under concurrent load a caller writing would
  // leave its other connections unread for a sync, and the groups smaller, so the writer thread
  // keeps the log. What the current write has seen so far, and whether the last one was quiet.
  std::size_t writing_requests_ = 0;
  bool arrived_while_writing_ = false;
  bool last_write_quiet_ = true;
  std::thread writer;
  std::mutex stop_mu;  // serialises stop() callers around the join

  // --- writer state: used only by whoever holds the writer's turn (writing_) ---
  std::uint64_t next_position_ = 1;
  std::string last_hash_;
  // The last event's recorded_at_ms: the writer never stamps an earlier time, so that the log's
  // times never decrease and a time names a prefix of the log (at_time reads search them).
  std::int64_t last_recorded_at_ms_ = 0;
  MerkleFrontier tree_;  // the Merkle tree's right edge at next_position_ - 1 leaves
  std::unordered_map<std::string, std::uint64_t> head_cache_;
  // Set when appends must be refused for good: a failed write, an exception escaping
  // process_group, or (at open) a last event that fails its hash check. Written by open()
  // before the writer starts, then only by the writer; read by the writer.
  std::optional<std::string> failure_;
};

}  // namespace touchline::store
