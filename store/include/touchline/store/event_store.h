// The event log: an append-only RocksDB database that is Touchline's source of truth.
//
// Layout on disk: docs/LOG_FORMAT.md. Every public function is thread-safe unless it says
// otherwise. Expected failures come back as Result errors with a stable ErrorCode; a storage
// failure the store cannot recover from (corruption, a failed sync) is also an error
// (ErrorCode::internal) and leaves the store refusing further appends.
//
// Every read says whether it failed, as LevelDB's Status does: "absent" (an empty vector, 0,
// nullopt, the end of a scan) means the data is not there, and a storage error is an error
// (ErrorCode::internal), never "absent". This holds for StateStore's reads too, and iterators'
// statuses are checked wherever an iteration ends.
#pragma once

#include <atomic>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "touchline/events/envelope.h"
#include "touchline/events/recorded_event.h"
#include "touchline/events/result.h"
#include "touchline/store/merkle.h"

namespace rocksdb {
class Env;
}

namespace touchline::store {

// What a writer believes about a stream's current version, checked atomically with the write.
struct ExpectedVersion {
  enum class Kind { any, no_stream, exact };
  Kind kind = Kind::any;
  std::uint64_t version = 0;  // for exact: the stream's last version (0 is never valid; use no_stream)

  static ExpectedVersion any() { return {Kind::any, 0}; }
  static ExpectedVersion no_stream() { return {Kind::no_stream, 0}; }
  static ExpectedVersion exact(std::uint64_t v) { return {Kind::exact, v}; }
};

struct NewEvent {
  std::string type;
  std::uint32_t schema_version = 1;
  nlohmann::json payload;
};

struct StreamAppend {
  std::string stream;
  ExpectedVersion expected;
  std::vector<NewEvent> events;
};

// Who and what caused an append; copied into every envelope it writes.
struct AppendMetadata {
  std::string actor;
  std::string command_id;
  std::string correlation_id;
  std::string causation_id;
};

// A client's Idempotency-Key, stored with the command's result in the same batch as its events.
struct IdempotencyRecord {
  std::string key;           // already scoped by the caller (e.g. per actor)
  std::string request_hash;  // identifies the request body the key was first used with
  nlohmann::json result;     // what the command answered; the store adds "position"
};

// A value kept outside the log (password hashes, signing keys, personal data keys), written in
// the same batch; with `erase`, the key is deleted instead (value unused).
struct SecretWrite {
  std::string key;
  std::string value;
  bool erase = false;
};

// What became of one queued append, for the appends decided on top of it before it was durable
// (AppendRequest::after). The caller creates it; only the store's writer settles it.
class AppendTicket {
 public:
  enum class State { pending, applied, failed };
  State state() const { return state_.load(std::memory_order_acquire); }
  // For the store's writer only. applied: its events went into the writer's batch (a failed
  // write then settles it failed); failed: nothing of it was or will be written, including an
  // idempotent replay, whose events are the original's and not this request's.
  void settle(State s) { state_.store(s, std::memory_order_release); }

 private:
  std::atomic<State> state_{State::pending};
};

struct AppendRequest {
  std::vector<StreamAppend> streams;  // all or nothing, across every stream listed
  AppendMetadata metadata;
  std::optional<IdempotencyRecord> idempotency;
  std::vector<SecretWrite> secrets;
  // Set by a caller that decides further appends on top of this one before it is durable: the
  // writer settles it as it processes this request.
  std::shared_ptr<AppendTicket> ticket;
  // The appends this one was decided on top of. Unless every one of them was applied, this one
  // is refused with conflict and nothing of it is written, so a decision never outlives the
  // state it was made on. The writer processes appends in the order they were queued, so these
  // must have been queued before this one (they are then settled when it is looked at).
  std::vector<std::shared_ptr<const AppendTicket>> after;
};

struct AppendResult {
  std::uint64_t first_position = 0;  // 0 when nothing was appended
  std::uint64_t last_position = 0;   // the log's head after this append (or the original
                                     // append's, for an idempotent replay)
  nlohmann::json result;             // the stored idempotent result, with "position" set;
                                     // null when the request carried no idempotency record
  bool replayed = false;             // true when an earlier append with the same key answered
};

// An aggregate's state as a cache of the write side encoded it at one stream version. Derived
// data: kept in its own column family, never part of the log or its hash chain, and never needed
// (deleting every snapshot only costs the time to fold the events again).
struct Snapshot {
  std::uint64_t version = 0;  // the last stream version folded into `state`
  std::string state;          // the caller's encoding
};

// What the writer has done since open(), for monitoring (GET /metrics). The histograms count each
// observation once, in the first bucket whose bound it does not exceed (the last bucket: above
// every bound); they are not cumulative.
struct WriteStats {
  static constexpr std::array<double, 12> kWriteSecondsBounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                              0.01,   0.025,   0.05,   0.1,   0.25,   1};
  static constexpr std::array<double, 9> kGroupSizeBounds{1, 2, 4, 8, 16, 32, 64, 128, 256};
  std::uint64_t groups = 0;          // batches written: one synced write each (group commit)
  std::uint64_t requests = 0;        // append requests in those batches
  std::uint64_t events = 0;          // events appended
  std::uint64_t failed_writes = 0;   // batches RocksDB failed to write
  std::array<std::uint64_t, kWriteSecondsBounds.size() + 1> write_seconds{};  // a batch's write and sync
  double write_seconds_sum = 0;
  std::array<std::uint64_t, kGroupSizeBounds.size() + 1> group_size{};        // requests per batch
};

struct StoreOptions {
  std::string path;
  // true: acknowledge an append only after its WAL write is synced (the default). false is for
  // benchmarks only: an acknowledged append may be lost on power loss or kernel crash.
  bool sync = true;
  // Open without writing, beside a running server (a RocksDB secondary instance). Appends fail.
  bool read_only = false;
  // Where secondary instances keep their own metadata; defaults to a temp directory.
  std::string secondary_path;
  // true: a primary open() of a directory holding no Touchline log creates a new, empty one.
  // false: such an open() fails with not_found (and creates nothing), so that an operator's typo
  // in a path is an error rather than a new empty database. Ignored when read_only (a read-only
  // open never creates anything).
  bool create_if_missing = true;
  // The clock recorded in each envelope (Unix ms). Injected so tests and golden files are exact.
  std::function<std::int64_t()> now_ms;
  // A primary open deletes the log's Merkle tree (derived data) and builds it again from the log
  // (`touchline rebuild-merkle`: the remedy for a tree the store reports damaged).
  bool rebuild_merkle_tree = false;
  // Told, on the opening thread, of long work a primary open does before it returns: building the
  // Merkle tree of a log from before it (a line when it starts, every 100,000 events, and when it
  // is done). May be empty.
  std::function<void(const std::string&)> notice;
  // The environment RocksDB does its I/O through; nullptr for the local file system. Tests pass
  // one that injects faults (tests/support/fault_fs.h). Must outlive the store.
  rocksdb::Env* env = nullptr;
  // Fault injection, for tests only (empty otherwise): called by the writer for each
  // request once its writes are in its group's batch and before the group's state records it,
  // the one point where an exception discards the whole group (see append_async).
  std::function<void(const AppendRequest&)> while_adding_for_testing;
};

// A run of the log's events as the store keeps them, read but not yet decoded
// (EventStore::read_stored): for a reader that decodes them on threads of its own.
struct StoredEvents {
  std::string text;                                        // the stored values, end to end
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // each value's offset and size in text
  std::vector<std::uint64_t> positions;                    // each value's position, ascending

  std::size_t size() const { return positions.size(); }
  std::string_view value(std::size_t i) const {
    return std::string_view(text).substr(spans[i].first, spans[i].second);
  }
};

class EventStore {
 public:
  class Impl;  // store/src/event_store_impl.h

  // Opens the log at options.path (creating it when missing, if options.create_if_missing and
  // not read_only) and starts the single writer thread. Returns internal with RocksDB's message
  // when the directory cannot be opened (e.g. another process holds it), not_found when
  // create_if_missing is false and there is no Touchline log there, and failed_precondition
  // when it holds a newer format.
  //
  // A primary open recomputes the hash of the log's last event from its prev_hash and content.
  // If that event does not decode or its hash is malformed or wrong, the store still opens
  // (reads and verify_log work) but refuses every append with internal, saying that the log's
  // last event fails its hash check and to run `touchline verify`.
  static Result<std::unique_ptr<EventStore>> open(StoreOptions options);

  ~EventStore();  // calls stop()
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Queues an append for the writer thread, which commits concurrent requests together under one
  // synced write (group commit), in the order they were queued. `done` runs on the writer thread
  // (or a caller holding the writer's turn: append_taking_turn) once the request is durable or
  // rejected (or inline, before append_async returns, when the store is stopped or read-only);
  // it must not block. Errors: conflict (an expected version did not hold; nothing of
  // the request was written), idempotency_mismatch (the key was used with another request_hash),
  // invalid_argument (an empty stream name or one containing a NUL byte, exact(0), a payload or
  // idempotent result that is not a JSON object, a string that is not UTF-8),
  // internal (storage failure, a store refusing appends, or an exception thrown while processing
  // the request), unavailable (the store is stopped or read-only).
  //
  // No exception escapes the writer thread. One thrown while checking or encoding a request
  // fails that request with internal, and the writer carries on (nothing of it was applied).
  // One thrown while a request is being added to the group's batch fails the whole group with
  // internal: the batch is discarded unwritten, cached stream heads are dropped, and the writer
  // carries on. One thrown anywhere else (around the write itself, or while recording its
  // outcome) leaves the in-memory chain head uncertain, so the store fails the group's
  // unanswered requests with internal and refuses appends from then on. An exception thrown by
  // `done` is caught and ignored.
  void append_async(AppendRequest request, std::function<void(Result<AppendResult>)> done);

  // The writer's turn, taken by a caller (append_taking_turn). While it is held nobody else
  // writes, so hold it briefly. Movable, not copyable; empty when default-constructed or moved
  // from. Written or dropped on the thread that took it, before the store is destroyed (a
  // stop() from a `done` callback it runs is recognised by that thread). Not thread-safe.
  class WriteTurn {
   public:
    WriteTurn() = default;
    WriteTurn(WriteTurn&& other) noexcept;
    WriteTurn& operator=(WriteTurn&& other) noexcept;
    WriteTurn(const WriteTurn&) = delete;
    WriteTurn& operator=(const WriteTurn&) = delete;
    // An unused turn goes back to the writer thread, which then writes what is queued.
    ~WriteTurn();

    // Writes the group at the head of the queue (normally the caller's request, and whatever
    // was queued meanwhile) on the calling thread, synced as the writer thread would, runs its
    // `done` callbacks there, then gives the turn back (anything left queued goes to the writer
    // thread). Nothing when empty.
    // Exceptions: as the writer thread's (see append_async); none escapes.
    void write() noexcept;
    // Whether this turn is the writer's (write() not yet called).
    explicit operator bool() const { return impl_ != nullptr; }

   private:
    friend class EventStore;
    explicit WriteTurn(Impl* impl) : impl_(impl) {}
    Impl* impl_ = nullptr;
  };

  // Queues an append as append_async does; when no write is in progress and the last one was
  // quiet (one request, none arriving while it was written: one client at a time), the caller
  // takes the writer's turn instead of waking the writer thread. Call the returned turn's
  // write() once holding no lock that a `done` callback takes: the request is then normally
  // written on the calling thread (behind any request queued before it), which saves the two hand-offs between threads (waking the writer, and
  // its answer waking the caller's) that make up much of the wait of a client sending one
  // command at a time. Otherwise the turn is empty and the writer thread writes the request, as
  // with append_async (under concurrent load it gathers bigger groups than a caller would, and no
  // caller's thread waits for a sync). `done`, errors and ordering: as append_async (`done` runs
  // on whichever thread writes the request). Thread-safe.
  [[nodiscard]] WriteTurn append_taking_turn(AppendRequest request,
                                             std::function<void(Result<AppendResult>)> done);

  // append_async, waiting for the answer.
  Result<AppendResult> append(AppendRequest request);

  // The stream's events with stream_version >= from_version, at most max_count of them, in
  // order. An unknown stream gives an empty vector.
  Result<std::vector<events::Envelope>> read_stream(const std::string& stream,
                                                    std::uint64_t from_version = 1,
                                                    std::size_t max_count = SIZE_MAX) const;

  // The stream's last version: 0 when the stream does not exist (or its name is not valid),
  // internal when the read failed. Expected versions are checked by the writer against its own
  // reads, so this is for display and planning.
  Result<std::uint64_t> stream_version(const std::string& stream) const;

  // Up to `limit` events of the global log with position > after, in position order; internal
  // when a read failed, or else when an event does not decode (naming the first that does not).
  // A read asking for 256 events or more (a replay's, the runner's) reads ahead, keeps the blocks
  // it reads out of the block cache, and decodes on every core when it gets that many
  // (for_each_index_in_parallel). Thread-safe.
  Result<std::vector<events::Envelope>> read_all(std::uint64_t after, std::size_t limit) const;

  // The same events as read_all, each with its payload decoded and without its hashes: what
  // projections fold. Text in the form the store writes is decoded straight into the event
  // (events::read_recorded_text), any other the way read_all decodes it, with the same result.
  // Returns internal when a read failed, or else naming the first event whose envelope or
  // payload does not decode. Thread-safe.
  Result<std::vector<events::RecordedEvent>> read_recorded(std::uint64_t after, std::size_t limit) const;

  // read_recorded in two steps, for a caller that spreads the decoding over threads of its own
  // (a rebuild decodes on the thread that folds while the next run is read). read_stored: up to
  // `limit` of the log's values after `after`, in order, undecoded (reading ahead as read_all
  // does); internal when the read failed. decode_stored: value i of such a run into `out`, as
  // read_recorded decodes it, reusing the memory out's strings hold (a replay decodes each batch
  // into the events of the one before); internal naming its position when it does not decode,
  // `out` then valid but unspecified. Both are thread-safe; decode_stored only reads the run.
  Result<StoredEvents> read_stored(std::uint64_t after, std::size_t limit) const;
  static Status decode_stored(const StoredEvents& run, std::size_t i, events::RecordedEvent& out);

  // The log's Merkle tree (merkle.h; docs/LOG_FORMAT.md), kept by the writer in the batch of the
  // events it covers. Sizes count events: the tree of size n covers positions 1..n.
  //
  // The root of the tree of the first `size` events (SHA-256 of nothing for 0). Errors:
  // invalid_argument when size > head_position(); failed_precondition when the stored tree does
  // not reach `size` (a read-only open of a log no primary has opened since the tree was added);
  // internal on a storage error or a missing subtree. Thread-safe, like the two below.
  Result<Digest> merkle_root(std::uint64_t size) const;

  // The audit path (RFC 9162 2.1.3.1) of the event at `position` in the tree of the first `size`
  // events, nearest the leaf first. invalid_argument unless 1 <= position <= size; the rest as
  // merkle_root.
  Result<std::vector<Digest>> merkle_inclusion_proof(std::uint64_t position, std::uint64_t size) const;

  // The proof (RFC 9162 2.1.4.1) that the tree of the first `from` events is a prefix of the tree
  // of the first `to`; empty when from == to. invalid_argument unless 1 <= from <= to; the rest as
  // merkle_root.
  Result<std::vector<Digest>> merkle_consistency_proof(std::uint64_t from, std::uint64_t to) const;

  // The position of the last committed event; 0 for an empty log.
  std::uint64_t head_position() const;

  // The writer's counters since open(). Thread-safe.
  WriteStats write_stats() const;

  // Blocks until head_position() >= position, the timeout passes, or the store stops. Returns
  // whether the position was reached. The live tail: the writer wakes every waiter on commit.
  bool wait_for_position(std::uint64_t position, std::chrono::milliseconds timeout) const;

  // The same without a thread blocked: calls fn once head_position() >= position, at once on the
  // calling thread when it already is (returning 0), else later on the writer's thread, after it
  // has answered the group that moved the head (fn must not block: post the work elsewhere).
  // Callbacks still pending at stop() are dropped, never called; so is one registered after it
  // (returning 0): a caller keeps its own timeout. A callback that throws is ignored. Returns a
  // ticket for cancel_head_wait. Thread-safe.
  std::uint64_t when_head_reaches(std::uint64_t position, std::function<void()> fn);

  // Forgets a pending when_head_reaches callback (a caller that stopped waiting). Returns whether
  // it was still pending. Thread-safe.
  bool cancel_head_wait(std::uint64_t ticket);

  // The stored record for an idempotency key: the record, nullopt when the key was never used,
  // internal when the read failed or the stored record is unreadable. (The writer checks the key
  // again itself before it appends.)
  Result<std::optional<IdempotencyRecord>> find_idempotency(const std::string& key) const;

  // A value written with SecretWrite: the value, nullopt when it was never written, or internal
  // on a storage error (so that a caller never takes a failed read for a missing key and, say,
  // mints a new signing key over the old one).
  Result<std::optional<std::string>> read_secret(const std::string& key) const;

  // How many events read_stream has returned since open(), over all streams: lets tests and
  // benchmarks see how much of the log a code path reads.
  std::uint64_t stream_events_read() const;

  // The snapshot of `stream` written in `format`: nullopt when there is none or the one kept was
  // written in another format (a reader of another format must fold the events instead);
  // internal on a storage error or an unreadable record. Read-only stores opened on a log from
  // before snapshots existed read nullopt.
  Result<std::optional<Snapshot>> read_snapshot(const std::string& stream, std::uint32_t format) const;

  // Keeps `snapshot` as the stream's snapshot in `format`, replacing any other. Unsynced: a
  // snapshot lost in a crash only costs time. Errors: invalid_argument (an invalid stream name,
  // or a version beyond the stream's committed version: a snapshot may hold only what is
  // durable), unavailable (read-only store), internal (storage error).
  Status write_snapshot(const std::string& stream, std::uint32_t format, const Snapshot& snapshot);

  // Makes the secrets erased so far unrecoverable from the data directory: flushes every column
  // family (so that no write-ahead log file still holds them; RocksDB deletes the files it no
  // longer needs) and compacts the secrets' files down to ones without them. Takes tens of
  // milliseconds; EraseAccount's answer waits for it. Errors: unavailable (read-only store),
  // internal (storage error). Thread-safe.
  Status purge_erased_secrets();

  // Deletes every snapshot (operators; tests proving that nothing needs them). Errors:
  // unavailable (read-only store), internal (storage error).
  Status drop_snapshots();

  // For read_only stores: pulls in what the primary has written since. No-op otherwise.
  Status catch_up();

  // Stops the writer thread after it has answered every queued request (waiting for a caller
  // holding the writer's turn to give it back, unless that caller is the one stopping), and wakes
  // all waiters. Idempotent; appends after stop() answer unavailable.
  void stop();

  // The underlying database, for the state store and operator tools in this library.
  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  explicit EventStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace touchline::store
