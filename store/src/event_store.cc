#include "touchline/store/event_store.h"

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <iterator>
#include <optional>
#include <system_error>
#include <utility>

#include <rocksdb/iterator.h>
#include <rocksdb/options.h>

#include "event_store_impl.h"
#include "log_reads.h"
#include "touchline/store/hash_chain.h"

namespace touchline::store {
namespace {

// Bounds one group's batch so that a flood of requests cannot make a single write (and the
// latency of everyone in it) arbitrarily large.
constexpr std::size_t kMaxGroup = 1024;
// The stream-head cache is only a cache: dropping it between groups costs one lookup per
// stream, so a crude bound is enough to keep memory in check with millions of streams.
constexpr std::size_t kMaxCachedHeads = 1 << 20;
// read_stream fetches the log entries a stream points at in batches of this many.
constexpr std::size_t kMultiGetChunk = 512;

Error storage_error(const std::string& what, const rocksdb::Status& s) {
  return Error::make(ErrorCode::internal, what + ": " + s.ToString());
}

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool valid_stream_name(const std::string& s) {
  return !s.empty() && s.find('\0') == std::string::npos;
}

Result<std::string> make_temp_dir(const std::string& stem) {
  std::string templ = (std::filesystem::temp_directory_path() / (stem + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) {
    return Error::make(ErrorCode::internal, "cannot create a temporary directory for " + stem);
  }
  return templ;
}

Error no_log_error(const std::string& path) {
  return Error::make(ErrorCode::not_found,
                     "there is no Touchline event log at " + path +
                         " (and the store was opened with create_if_missing off)",
                     "path");
}

// The hash of the log's last event, stored under `position`, if the chain may continue from
// it: the event must decode, say its own position and carry the hash recomputed from its
// prev_hash and canonical bytes. Otherwise an internal error saying what is wrong.
Result<std::string> checked_last_hash(std::uint64_t position, std::string_view value) {
  auto bad = [](std::string why) { return Error::make(ErrorCode::internal, std::move(why)); };
  auto e = detail::decode_log_value(position, value);
  if (!e.ok()) {
    return e.error();
  }
  if (e->position != position) {
    return bad("it says position " + std::to_string(e->position));
  }
  std::string want;
  try {
    want = chain_hash(e->prev_hash, *e);  // throws on a prev_hash that is not 64 lowercase hex
  } catch (const std::exception& ex) {
    return bad(std::string("its hash cannot be recomputed (") + ex.what() + ")");
  }
  if (e->hash != want) {
    return bad(e->hash.size() == want.size() ? "its hash does not match its contents"
                                             : "its hash is not 64 hex digits");
  }
  return want;
}

struct Op {
  rocksdb::ColumnFamilyHandle* cf;
  std::string key;
  std::string value;
  bool erase = false;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Impl: open / close

struct EventStore::Impl::GroupState {
  std::uint64_t next_position;
  std::string last_hash;
  std::int64_t last_recorded_at_ms;
  MerkleFrontier tree;
  // True while process_one adds a request to the batch and to the state above (and to the head
  // cache and the group's idempotency records). An exception thrown then may leave any of them
  // half-changed, so the group's batch must be discarded; one thrown at any other point in
  // process_one leaves them untouched.
  bool adding = false;
};

EventStore::Impl::~Impl() {
  stop();
  close_db();
}

void EventStore::Impl::close_db() {
  if (db != nullptr) {
    if (!options.read_only) {
      // What is only in the memtables (and the WAL) goes into table files, so that the next open
      // (a restart, or an operator's verify or dump) reads tables instead of replaying up to a
      // memtable's worth of WAL per column family (0.8 s for a million-event log's last 175 MB).
      // A failure loses no event: the log's WAL still holds them, and the next open replays it
      // (projection state, written without the WAL, is replayed from its checkpoint).
      rocksdb::FlushOptions flush;
      flush.wait = true;
      (void)db->Flush(flush, handles);
    }
    for (auto* h : handles) {
      db->DestroyColumnFamilyHandle(h);
    }
    handles.clear();
    db->Close();
    delete db;
    db = nullptr;
  }
  if (!owned_secondary_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(owned_secondary_dir, ec);
    owned_secondary_dir.clear();
  }
}

Status EventStore::Impl::open(StoreOptions opts) {
  options = std::move(opts);
  if (!options.now_ms) {
    options.now_ms = system_now_ms;
  }
  if (options.path.empty()) {
    return Error::make(ErrorCode::invalid_argument, "the store path is empty", "path");
  }

  const bool may_create = options.create_if_missing && !options.read_only;
  rocksdb::DBOptions dbo;
  if (options.env != nullptr) dbo.env = options.env;
  dbo.create_if_missing = may_create;
  // Missing column families are created only after the format check, so that a newer
  // database is never modified by an older binary.
  dbo.create_missing_column_families = false;
  rocksdb::ColumnFamilyOptions cfo;

  std::vector<std::string> existing;
  auto ls = rocksdb::DB::ListColumnFamilies(dbo, options.path, &existing);
  if (!ls.ok()) {
    if (options.read_only) {
      return storage_error("cannot open the event log at " + options.path, ls);
    }
    if (!may_create) {
      // No RocksDB database at all (no CURRENT file) is "no log here"; anything else (e.g. a
      // permission problem) is RocksDB's to explain.
      std::error_code ec;
      if (!std::filesystem::exists(std::filesystem::path(options.path) / "CURRENT", ec) && !ec) {
        return no_log_error(options.path);
      }
      return storage_error("cannot open the event log at " + options.path, ls);
    }
    existing = {rocksdb::kDefaultColumnFamilyName};  // a new database
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : existing) {
    descriptors.emplace_back(name, cfo);
  }

  rocksdb::Status s;
  if (options.read_only) {
    std::string secondary = options.secondary_path;
    if (secondary.empty()) {
      auto dir = make_temp_dir("touchline-secondary");
      if (!dir.ok()) {
        return dir.error();
      }
      secondary = owned_secondary_dir = *dir;
    }
    dbo.max_open_files = -1;  // required by secondary instances
    s = rocksdb::DB::OpenAsSecondary(dbo, options.path, secondary, descriptors, &handles, &db);
  } else {
    s = rocksdb::DB::Open(dbo, options.path, descriptors, &handles, &db);
  }
  if (!s.ok()) {
    db = nullptr;
    return storage_error("cannot open the event log at " + options.path, s);
  }
  auto find_cf = [&](const std::string& name) -> rocksdb::ColumnFamilyHandle* {
    for (auto* h : handles) {
      if (h->GetName() == name) {
        return h;
      }
    }
    return nullptr;
  };
  cf_default = find_cf(rocksdb::kDefaultColumnFamilyName);

  std::string format;
  s = db->Get(rocksdb::ReadOptions(), cf_default, kFormatVersionKey, &format);
  bool new_database = false;
  if (s.IsNotFound()) {
    new_database = true;
    if (!options.read_only && !options.create_if_missing) {
      // A RocksDB database, but not (yet) a Touchline log: initialising it is creating one.
      return no_log_error(options.path);
    }
  } else if (!s.ok()) {
    return storage_error("cannot read the log's format version", s);
  } else {
    int v = 0;
    std::size_t used = 0;
    try {
      v = std::stoi(format, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != format.size() || v < 1) {
      return Error::make(ErrorCode::failed_precondition,
                         "the log at " + options.path + " has an unrecognised format version");
    }
    if (v > kStoreFormat) {
      return Error::make(ErrorCode::failed_precondition,
                         "the log at " + options.path + " has format version " + format +
                             "; this build reads up to " + std::to_string(kStoreFormat));
    }
  }

  for (const char* name : {kCfLog, kCfStreams, kCfIdempotency, kCfSecrets, kCfProjections, kCfSnapshots, kCfMerkle}) {
    rocksdb::ColumnFamilyHandle* h = find_cf(name);
    if (h == nullptr && options.read_only && (std::string_view(name) == kCfSnapshots || std::string_view(name) == kCfMerkle)) {
      continue;  // a log from before snapshots or the Merkle tree: it has none to read
    }
    if (h == nullptr && !options.read_only) {
      s = db->CreateColumnFamily(cfo, name, &h);
      if (!s.ok()) {
        return storage_error(std::string("cannot create column family ") + name, s);
      }
      handles.push_back(h);
    }
    if (h == nullptr) {
      return Error::make(ErrorCode::failed_precondition,
                         "the database at " + options.path +
                             " is not a Touchline event log (no column family '" + name + "')");
    }
  }
  cf_log = find_cf(kCfLog);
  cf_streams = find_cf(kCfStreams);
  cf_idempotency = find_cf(kCfIdempotency);
  cf_secrets = find_cf(kCfSecrets);
  cf_projections = find_cf(kCfProjections);
  cf_snapshots = find_cf(kCfSnapshots);
  cf_merkle = find_cf(kCfMerkle);

  if (new_database && !options.read_only) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, cf_default, kFormatVersionKey, std::to_string(kStoreFormat));
    if (!s.ok()) {
      return storage_error("cannot record the log's format version", s);
    }
  }

  std::string last_value;
  auto h = read_log_head(&last_value);
  if (!h.ok()) {
    return h.error();
  }
  head.store(*h);
  next_position_ = *h + 1;
  last_hash_ = genesis_hash();
  if (*h > 0) {
    // An unreadable last event is reported below (a primary refuses appends) and by verify.
    if (auto last = detail::decode_log_value(*h, last_value); last.ok()) last_recorded_at_ms_ = last->recorded_at_ms;
  }
  if (*h > 0 && !options.read_only) {
    // The chain continues from the stored last hash, so that hash must be one the store would
    // have written: recompute it. If the last event is unreadable or its hash is wrong, the
    // store still opens, so that readers and verify_log can run, but it refuses to extend the
    // chain (a malformed hash would also make every later chain_hash call throw).
    auto last = checked_last_hash(*h, last_value);
    if (!last.ok()) {
      failure_ = "the log's last event (position " + std::to_string(*h) +
                 ") fails its hash check: " + last.error().message +
                 "; run `touchline verify` on the data directory";
    } else {
      last_hash_ = std::move(last).value();
    }
  }
  if (!options.read_only) return open_merkle_tree();
  return ok_status();
}

Result<std::uint64_t> EventStore::Impl::read_log_head(std::string* last_value) const {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf_log));
  it->SeekToLast();
  if (it->Valid()) {
    auto key = to_sv(it->key());
    if (key.size() != 8) {
      return Error::make(ErrorCode::internal, "the log's last key is not an 8-byte position");
    }
    if (last_value != nullptr) {
      last_value->assign(it->value().data(), it->value().size());
    }
    return decode_be64(key);
  }
  if (!it->status().ok()) {
    return storage_error("cannot read the log's head", it->status());
  }
  return std::uint64_t{0};
}

Result<std::uint64_t> EventStore::Impl::read_stream_head(const std::string& stream) const {
  const std::string prefix = stream_prefix(stream);
  const std::string last = prefix + std::string(8, '\xff');
  rocksdb::Slice lower(prefix);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf_streams));
  it->SeekForPrev(last);
  if (it->Valid()) {
    // Every key in [prefix, last] starts with the prefix. One of the wrong length is damage, and
    // must not read as "no such stream" (that would let no_stream() appends through).
    auto key = to_sv(it->key());
    if (key.size() != prefix.size() + 8 || key.substr(0, prefix.size()) != prefix) {
      return Error::make(ErrorCode::internal, "a key of stream '" + stream + "' is malformed");
    }
    return decode_be64(key.substr(prefix.size()));
  }
  if (!it->status().ok()) {
    return storage_error("cannot read the head of stream '" + stream + "'", it->status());
  }
  return std::uint64_t{0};
}

void EventStore::Impl::set_head(std::uint64_t h) {
  std::lock_guard lk(head_mu);
  head.store(h);
}

void EventStore::Impl::wake_head_waiters() {
  head_cv.notify_all();
  std::vector<std::function<void()>> due;
  {
    std::lock_guard lk(head_mu);
    if (head_callbacks.empty()) return;
    const auto end = head_callbacks.upper_bound(head.load());
    for (auto it = head_callbacks.begin(); it != end; ++it) due.push_back(std::move(it->second.fn));
    head_callbacks.erase(head_callbacks.begin(), end);
  }
  for (auto& fn : due) {
    try {
      fn();
    } catch (...) {
      // A caller's callback must not take the writer down; theirs to report.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Impl: the writer

void EventStore::Impl::start_writer() {
  writer = std::thread([this] { writer_loop(); });
}

void EventStore::Impl::stop() {
  bool holding_turn = false;
  {
    std::lock_guard lk(queue_mu);
    stopping = true;
    holding_turn = writing_ && writing_thread_ == std::this_thread::get_id();
  }
  queue_cv.notify_all();
  // From a `done` callback (the writer thread itself, or a caller holding the writer's turn)
  // there is nothing to join, or no join that could end; the writer thread notices `stopping`
  // once it has drained the queue, and a later stop() (the destructor's) joins it.
  if (!holding_turn && (!writer.joinable() || writer.get_id() != std::this_thread::get_id())) {
    std::lock_guard sl(stop_mu);
    if (writer.joinable()) {
      writer.join();
    }
  }
  {
    std::lock_guard lk(head_mu);
    stopped = true;
    head_callbacks.clear();  // each caller has its own timeout
  }
  head_cv.notify_all();
}

bool EventStore::Impl::enqueue(AppendRequest request, std::function<void(Result<AppendResult>)> done,
                               bool may_take_turn) {
  if (options.read_only) {
    done(Error::make(ErrorCode::unavailable, "the store is open read-only"));
    return false;
  }
  bool take_turn = false;
  {
    std::lock_guard lk(queue_mu);
    if (!stopping) {
      queue.push_back(Pending{std::move(request), std::move(done)});
      done = nullptr;
      if (writing_) arrived_while_writing_ = true;
      if (may_take_turn && !writing_ && last_write_quiet_) {
        take_turn = true;
        writing_ = true;
        writing_thread_ = std::this_thread::get_id();
      }
    }
  }
  if (done) {
    done(Error::make(ErrorCode::unavailable, "the store is stopped"));
    return false;
  }
  if (!take_turn) queue_cv.notify_one();
  return take_turn;
}

void EventStore::Impl::take_group(std::vector<Pending>& group) {
  const std::size_t n = std::min(queue.size(), kMaxGroup);
  writing_requests_ = n;
  group.assign(std::make_move_iterator(queue.begin()),
               std::make_move_iterator(queue.begin() + static_cast<std::ptrdiff_t>(n)));
  queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
}

void EventStore::Impl::end_write() {
  writing_ = false;
  last_write_quiet_ = writing_requests_ <= 1 && !arrived_while_writing_ && queue.empty();
  arrived_while_writing_ = false;
}

void EventStore::Impl::write_group(std::vector<Pending>& group) noexcept {
  // process_group handles exceptions from each request itself; one that still escapes came
  // from around the write or the bookkeeping after it, where the in-memory chain head may no
  // longer match the disk.
  try {
    process_group(group);
  } catch (const std::exception& ex) {
    abandon_group(group, ex.what());
  } catch (...) {
    abandon_group(group, "an unknown exception");
  }
}

void EventStore::Impl::writer_loop() {
  std::vector<Pending> group;
  for (;;) {
    {
      std::unique_lock lk(queue_mu);
      // A caller holding the turn may leave some of the queue to this thread: it waits for the
      // turn even when stopping.
      queue_cv.wait(lk, [&] { return !writing_ && (stopping || !queue.empty()); });
      if (queue.empty()) {
        return;  // stopping, and everything queued has been answered
      }
      writing_ = true;
      writing_thread_ = std::this_thread::get_id();
      take_group(group);
    }
    write_group(group);
    group.clear();
    std::lock_guard lk(queue_mu);
    end_write();
  }
}

void EventStore::Impl::write_turn() noexcept {
  std::vector<Pending> group;
  {
    std::lock_guard lk(queue_mu);
    take_group(group);
  }
  write_group(group);
  group.clear();  // the callbacks' captures go before the turn does
  give_back_turn();
}

void EventStore::Impl::give_back_turn() noexcept {
  // Notified under the lock: once the writer thread can see the turn given back, a stop() on
  // another thread may return and the store be destroyed, so nothing of it is touched after.
  std::lock_guard lk(queue_mu);
  end_write();
  if (!queue.empty() || stopping) queue_cv.notify_one();
}

void EventStore::Impl::answer(Pending& p, Result<AppendResult> r) noexcept {
  auto done = std::move(p.done);
  p.done = nullptr;
  try {
    done(std::move(r));
  } catch (...) {
    // `done` must not throw; if it does, there is nobody left to tell.
  }
}

void EventStore::Impl::abandon_group(std::vector<Pending>& group, const std::string& why) {
  failure_ = "the writer failed unexpectedly (" + why +
             "), so its view of the log's head may be wrong; restart the server";
  head_cache_.clear();
  settle_all_failed(group);
  for (auto& p : group) {
    if (p.done) {
      answer(p, Error::make(ErrorCode::internal, "the store refuses appends: " + *failure_));
    }
  }
}

Result<std::uint64_t> EventStore::Impl::cached_stream_head(const std::string& stream) {
  if (auto it = head_cache_.find(stream); it != head_cache_.end()) {
    return it->second;
  }
  auto h = read_stream_head(stream);
  if (h.ok()) {
    head_cache_.emplace(stream, *h);
  }
  return h;
}

void EventStore::Impl::process_group(std::vector<Pending>& group) {
  std::vector<std::optional<Result<AppendResult>>> answers(group.size());
  bool head_moved = false;
  if (failure_) {
    for (auto& a : answers) {
      a = Error::make(ErrorCode::internal, "the store refuses appends: " + *failure_);
    }
  } else {
    if (head_cache_.size() > kMaxCachedHeads) {
      head_cache_.clear();
    }
    rocksdb::WriteBatch batch;
    GroupState st{next_position_, last_hash_, last_recorded_at_ms_, tree_};
    std::unordered_map<std::string, IdemEntry> group_idem;
    std::optional<std::string> discarded;  // why the group's batch was thrown away
    for (std::size_t i = 0; i < group.size() && !discarded; ++i) {
      std::string thrown;
      try {
        answers[i] = process_one(group[i].request, batch, st, group_idem);
        settle(group[i].request, *answers[i]);
        continue;
      } catch (const std::exception& ex) {
        thrown = ex.what();
      } catch (...) {
        thrown = "an unknown exception";
      }
      if (st.adding) {
        discarded = std::move(thrown);
      } else {
        // Nothing of the request was applied: fail it alone.
        answers[i] = Error::make(ErrorCode::internal,
                                 "the append failed unexpectedly: " + thrown);
      }
    }
    if (discarded) {
      // The batch and the group's state may hold half a request, and the head cache may hold
      // versions that will now never be written. Nothing reached the disk and next_position_
      // and last_hash_ are untouched, so dropping all of it is enough to carry on safely.
      head_cache_.clear();
      for (auto& a : answers) {
        a = Error::make(ErrorCode::internal,
                        "the append was abandoned with its group: " + *discarded);
      }
      settle_all_failed(group);
    } else if (batch.Count() > 0) {
      const auto write_started = std::chrono::steady_clock::now();
      auto s = db->Write(write_options(), &batch);
      record_write(group.size(), s.ok() ? st.next_position - next_position_ : 0,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - write_started).count(), s.ok());
      if (!s.ok()) {
        // Whether any of the batch reached the disk is unknown, so neither the cached heads
        // nor the chain can be trusted any more.
        failure_ = "a write failed: " + s.ToString();
        head_cache_.clear();
        settle_all_failed(group);
        for (auto& a : answers) {
          a = Error::make(ErrorCode::internal, "the append could not be written: " + s.ToString());
        }
      } else {
        next_position_ = st.next_position;
        last_hash_ = std::move(st.last_hash);
        last_recorded_at_ms_ = st.last_recorded_at_ms;
        tree_ = std::move(st.tree);
        set_head(next_position_ - 1);
        head_moved = true;
      }
    }
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (group[i].request.ticket && group[i].request.ticket->state() == AppendTicket::State::pending) {
      group[i].request.ticket->settle(AppendTicket::State::failed);
    }
    answer(group[i], std::move(*answers[i]));
  }
  if (head_moved) wake_head_waiters();
}

void EventStore::Impl::record_write(std::size_t requests, std::uint64_t events, double seconds, bool ok) {
  auto bucket = [](const auto& bounds, double value) {
    return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  };
  std::lock_guard lock(write_stats_mu);
  auto& w = write_stats;
  if (!ok) {
    ++w.failed_writes;
    return;
  }
  ++w.groups;
  w.requests += requests;
  w.events += events;
  ++w.write_seconds[bucket(WriteStats::kWriteSecondsBounds, seconds)];
  w.write_seconds_sum += seconds;
  ++w.group_size[bucket(WriteStats::kGroupSizeBounds, static_cast<double>(requests))];
}

void EventStore::Impl::settle(const AppendRequest& req, const Result<AppendResult>& r) {
  if (!req.ticket) return;
  req.ticket->settle(r.ok() && !r->replayed ? AppendTicket::State::applied : AppendTicket::State::failed);
}

void EventStore::Impl::settle_all_failed(std::vector<Pending>& group) {
  for (auto& p : group) {
    if (p.request.ticket) p.request.ticket->settle(AppendTicket::State::failed);
  }
}

Result<AppendResult> EventStore::Impl::process_one(
    const AppendRequest& req, rocksdb::WriteBatch& batch, GroupState& st,
    std::unordered_map<std::string, IdemEntry>& group_idem) {
  // Validation first: nothing below may fail halfway through changing state.
  for (const auto& sa : req.streams) {
    if (!valid_stream_name(sa.stream)) {
      return Error::make(ErrorCode::invalid_argument,
                         "a stream name must be non-empty and contain no NUL byte", "stream");
    }
    if (sa.expected.kind == ExpectedVersion::Kind::exact && sa.expected.version == 0) {
      return Error::make(ErrorCode::invalid_argument,
                         "expected version exact(0) is not valid; use no_stream", "expected");
    }
    for (const auto& ev : sa.events) {
      if (!ev.payload.is_null() && !ev.payload.is_object()) {
        return Error::make(ErrorCode::invalid_argument, "an event payload must be a JSON object",
                           "payload");
      }
    }
  }
  const IdempotencyRecord* idem = req.idempotency ? &*req.idempotency : nullptr;
  if (idem != nullptr && !idem->result.is_null() && !idem->result.is_object()) {
    return Error::make(ErrorCode::invalid_argument, "an idempotent result must be a JSON object",
                       "result");
  }
  for (const auto& earlier : req.after) {
    if (!earlier || earlier->state() != AppendTicket::State::applied) {
      return Error::make(ErrorCode::conflict,
                         "an append this one was decided after was not applied; decide it again");
    }
  }

  // Idempotency before versions: a retry of an applied request would fail its version check.
  if (idem != nullptr) {
    std::optional<IdemEntry> prior;
    if (auto it = group_idem.find(idem->key); it != group_idem.end()) {
      prior = it->second;
    } else {
      std::string raw;
      auto s = db->Get(rocksdb::ReadOptions(), cf_idempotency, idem->key, &raw);
      if (s.ok()) {
        auto j = nlohmann::json::parse(raw, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("request_hash") ||
            !j["request_hash"].is_string() || !j.contains("result")) {
          return Error::make(ErrorCode::internal, "a stored idempotency record is unreadable");
        }
        prior = IdemEntry{j["request_hash"].get<std::string>(), j["result"]};
      } else if (!s.IsNotFound()) {
        return storage_error("cannot read an idempotency record", s);
      }
    }
    if (prior) {
      if (prior->request_hash != idem->request_hash) {
        return Error::make(ErrorCode::idempotency_mismatch,
                           "the idempotency key was already used with a different request");
      }
      AppendResult r;
      if (auto p = prior->result.find("position");
          p != prior->result.end() && p->is_number_unsigned()) {
        r.last_position = p->get<std::uint64_t>();
      }
      r.result = std::move(prior->result);
      r.replayed = true;
      return r;
    }
  }

  // Expected versions, against the committed heads as updated by earlier requests of the group
  // and earlier entries of this request.
  std::unordered_map<std::string, std::uint64_t> local;
  std::vector<std::uint64_t> base(req.streams.size());
  for (std::size_t i = 0; i < req.streams.size(); ++i) {
    const auto& sa = req.streams[i];
    std::uint64_t cur = 0;
    if (auto it = local.find(sa.stream); it != local.end()) {
      cur = it->second;
    } else {
      auto h = cached_stream_head(sa.stream);
      if (!h.ok()) {
        return h.error();
      }
      cur = *h;
    }
    if (sa.expected.kind == ExpectedVersion::Kind::no_stream && cur != 0) {
      return Error::make(ErrorCode::conflict, "stream '" + sa.stream + "' already exists (version " +
                                                  std::to_string(cur) + ")");
    }
    if (sa.expected.kind == ExpectedVersion::Kind::exact && cur != sa.expected.version) {
      return Error::make(ErrorCode::conflict, "stream '" + sa.stream + "' is at version " +
                                                  std::to_string(cur) + ", not " +
                                                  std::to_string(sa.expected.version));
    }
    base[i] = cur;
    local[sa.stream] = cur + sa.events.size();
  }

  // Build tentatively; st, the cache and the batch change only once everything encoded.
  std::vector<Op> ops;
  std::uint64_t pos = st.next_position;
  std::uint64_t first = 0;
  std::string hash = st.last_hash;
  MerkleFrontier tree = st.tree;
  std::vector<MerkleNode> completed;  // the Merkle tree's subtrees each event completes
  nlohmann::json stored_result;
  const std::int64_t now = std::max(options.now_ms(), st.last_recorded_at_ms);
  try {
    for (std::size_t i = 0; i < req.streams.size(); ++i) {
      const auto& sa = req.streams[i];
      std::uint64_t version = base[i];
      for (const auto& ev : sa.events) {
        events::Envelope e;
        e.position = pos;
        e.stream = sa.stream;
        e.stream_version = ++version;
        e.type = ev.type;
        e.schema_version = ev.schema_version;
        e.recorded_at_ms = now;
        e.actor = req.metadata.actor;
        e.command_id = req.metadata.command_id;
        e.correlation_id = req.metadata.correlation_id;
        e.causation_id = req.metadata.causation_id;
        e.payload = ev.payload.is_null() ? nlohmann::json::object() : ev.payload;
        e.prev_hash = hash;
        const std::string canonical = events::canonical_bytes(e);
        e.hash = chain_hash_of_canonical(hash, canonical);
        completed.clear();
        tree.append(merkle_leaf_hash(canonical), completed);
        ops.push_back(Op{cf_merkle, encode_be64(pos - 1), merkle_value(completed)});
        ops.push_back(Op{cf_log, encode_be64(pos), events::to_json(e).dump()});
        ops.push_back(Op{cf_streams, stream_key(sa.stream, e.stream_version), encode_be64(pos)});
        if (first == 0) {
          first = pos;
        }
        hash = std::move(e.hash);
        ++pos;
      }
    }
    if (idem != nullptr) {
      stored_result = idem->result.is_null() ? nlohmann::json::object() : idem->result;
      stored_result["position"] = pos - 1;
      nlohmann::json record{{"request_hash", idem->request_hash}, {"result", stored_result}};
      ops.push_back(Op{cf_idempotency, idem->key, record.dump()});
    }
  } catch (const nlohmann::json::exception& ex) {
    // Typically a string that is not valid UTF-8.
    return Error::make(ErrorCode::invalid_argument,
                       std::string("the request cannot be encoded as JSON: ") + ex.what());
  }
  for (const auto& sw : req.secrets) {
    ops.push_back(Op{cf_secrets, sw.key, sw.erase ? std::string() : sw.value, sw.erase});
  }

  // From here until `adding` is cleared, an exception would leave the batch or the group's
  // state half-changed (see GroupState::adding).
  st.adding = true;
  batch.SetSavePoint();
  for (const auto& op : ops) {
    auto s = op.erase ? batch.Delete(op.cf, op.key) : batch.Put(op.cf, op.key, op.value);
    if (!s.ok()) {
      batch.RollbackToSavePoint().PermitUncheckedError();
      st.adding = false;
      return storage_error("cannot add the append to the write batch", s);
    }
  }
  batch.PopSavePoint().PermitUncheckedError();
  if (options.while_adding_for_testing) options.while_adding_for_testing(req);

  st.next_position = pos;
  st.last_hash = std::move(hash);
  st.last_recorded_at_ms = now;
  st.tree = std::move(tree);
  for (auto& [stream, version] : local) {
    head_cache_[stream] = version;
  }
  if (idem != nullptr) {
    group_idem[idem->key] = IdemEntry{idem->request_hash, stored_result};
  }
  st.adding = false;

  AppendResult r;
  r.first_position = first;
  r.last_position = pos - 1;
  r.result = std::move(stored_result);  // null when the request carried no idempotency record
  return r;
}

// ---------------------------------------------------------------------------------------------
// EventStore

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EventStore::~EventStore() { stop(); }

Result<std::unique_ptr<EventStore>> EventStore::open(StoreOptions options) {
  auto impl = std::make_unique<Impl>();
  auto s = impl->open(std::move(options));
  if (!s.ok()) {
    return s.error();
  }
  if (!impl->options.read_only) {
    impl->start_writer();
  }
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

void EventStore::append_async(AppendRequest request,
                              std::function<void(Result<AppendResult>)> done) {
  impl_->enqueue(std::move(request), std::move(done), false);
}

EventStore::WriteTurn EventStore::append_taking_turn(AppendRequest request,
                                                     std::function<void(Result<AppendResult>)> done) {
  return impl_->enqueue(std::move(request), std::move(done), true) ? WriteTurn(impl_.get()) : WriteTurn();
}

EventStore::WriteTurn::WriteTurn(WriteTurn&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}

EventStore::WriteTurn& EventStore::WriteTurn::operator=(WriteTurn&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->give_back_turn();
    impl_ = std::exchange(other.impl_, nullptr);
  }
  return *this;
}

EventStore::WriteTurn::~WriteTurn() {
  if (impl_) impl_->give_back_turn();
}

void EventStore::WriteTurn::write() noexcept {
  if (auto* impl = std::exchange(impl_, nullptr)) impl->write_turn();
}

Result<AppendResult> EventStore::append(AppendRequest request) {
  std::promise<Result<AppendResult>> promise;
  auto future = promise.get_future();
  append_async(std::move(request),
               [&promise](Result<AppendResult> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Result<std::vector<events::Envelope>> EventStore::read_stream(const std::string& stream,
                                                              std::uint64_t from_version,
                                                              std::size_t max_count) const {
  std::vector<events::Envelope> out;
  if (max_count == 0 || !valid_stream_name(stream)) {
    return out;
  }
  const Impl& im = *impl_;
  const std::string prefix = stream_prefix(stream);
  std::string upper = prefix;
  upper.back() = '\x01';  // the 0x00 separator, incremented: just past every key of the stream
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(ro, im.cf_streams));

  std::vector<std::string> keys;
  auto fetch = [&]() -> Status {
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    // sorted_input holds: a stream's positions increase with its versions.
    im.db->MultiGet(rocksdb::ReadOptions(), im.cf_log, keys.size(), slices.data(), values.data(),
                    statuses.data(), /*sorted_input=*/true);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const std::uint64_t position = decode_be64(keys[i]);
      if (!statuses[i].ok()) {
        return storage_error("cannot read the event at position " + std::to_string(position),
                             statuses[i]);
      }
      auto e = detail::decode_log_value(position, to_sv(values[i]));
      if (!e.ok()) {
        return e.error();
      }
      out.push_back(std::move(e).value());
    }
    im.stream_events_read.fetch_add(keys.size(), std::memory_order_relaxed);
    keys.clear();
    return ok_status();
  };

  std::size_t taken = 0;
  for (it->Seek(stream_key(stream, std::max<std::uint64_t>(from_version, 1)));
       it->Valid() && taken < max_count; it->Next()) {
    if (it->key().size() != prefix.size() + 8 || it->value().size() != 8) {
      return Error::make(ErrorCode::internal, "a key of stream '" + stream + "' is malformed");
    }
    keys.emplace_back(it->value().data(), it->value().size());
    ++taken;
    if (keys.size() == kMultiGetChunk) {
      if (auto s = fetch(); !s.ok()) {
        return s.error();
      }
    }
  }
  if (!it->status().ok()) {
    return storage_error("cannot read stream '" + stream + "'", it->status());
  }
  if (!keys.empty()) {
    if (auto s = fetch(); !s.ok()) {
      return s.error();
    }
  }
  return out;
}

Result<std::uint64_t> EventStore::stream_version(const std::string& stream) const {
  if (!valid_stream_name(stream)) {
    return std::uint64_t{0};
  }
  return impl_->read_stream_head(stream);
}

Result<std::vector<events::Envelope>> EventStore::read_all(std::uint64_t after, std::size_t limit) const {
  return detail::read_envelopes(*impl_->db, impl_->cf_log, after, limit);
}

Result<std::vector<events::RecordedEvent>> EventStore::read_recorded(std::uint64_t after, std::size_t limit) const {
  return detail::read_recorded_events(*impl_->db, impl_->cf_log, after, limit);
}

Result<StoredEvents> EventStore::read_stored(std::uint64_t after, std::size_t limit) const {
  return detail::read_values(*impl_->db, impl_->cf_log, after, limit);
}

Status EventStore::decode_stored(const StoredEvents& run, std::size_t i, events::RecordedEvent& out) {
  if (events::read_recorded_text_into(run.value(i), out)) return ok_status();
  auto decoded = detail::decode_recorded_slowly(run.positions[i], run.value(i));
  if (!decoded.ok()) return decoded.error();
  out = std::move(decoded).value();
  return ok_status();
}

std::uint64_t EventStore::head_position() const { return impl_->head.load(); }

WriteStats EventStore::write_stats() const {
  std::lock_guard lock(impl_->write_stats_mu);
  return impl_->write_stats;
}

bool EventStore::wait_for_position(std::uint64_t position,
                                   std::chrono::milliseconds timeout) const {
  const Impl& im = *impl_;
  std::unique_lock lk(im.head_mu);
  auto reached = [&] { return im.head.load() >= position || im.stopped; };
  // wait_for with an enormous timeout would overflow the clock; a year is "forever".
  if (timeout >= std::chrono::hours(24 * 365)) {
    im.head_cv.wait(lk, reached);
  } else {
    im.head_cv.wait_for(lk, timeout, reached);
  }
  return im.head.load() >= position;
}

std::uint64_t EventStore::when_head_reaches(std::uint64_t position, std::function<void()> fn) {
  Impl& im = *impl_;
  {
    std::lock_guard lk(im.head_mu);
    if (im.head.load() < position) {
      if (im.stopped) return 0;  // nothing will ever call it: dropped, as at stop()
      const std::uint64_t ticket = im.next_head_ticket++;
      im.head_callbacks.emplace(position, Impl::HeadCallback{ticket, std::move(fn)});
      return ticket;
    }
  }
  fn();
  return 0;
}

bool EventStore::cancel_head_wait(std::uint64_t ticket) {
  Impl& im = *impl_;
  std::lock_guard lk(im.head_mu);
  for (auto it = im.head_callbacks.begin(); it != im.head_callbacks.end(); ++it) {
    if (it->second.ticket == ticket) {
      im.head_callbacks.erase(it);
      return true;
    }
  }
  return false;
}

Result<std::optional<IdempotencyRecord>> EventStore::find_idempotency(const std::string& key) const {
  std::string raw;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf_idempotency, key, &raw);
  if (s.IsNotFound()) return std::optional<IdempotencyRecord>{};
  if (!s.ok()) return storage_error("cannot read an idempotency record", s);
  auto j = nlohmann::json::parse(raw, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("request_hash") ||
      !j["request_hash"].is_string() || !j.contains("result")) {
    return Error::make(ErrorCode::internal, "a stored idempotency record is unreadable");
  }
  return std::optional<IdempotencyRecord>{IdempotencyRecord{key, j["request_hash"].get<std::string>(), j["result"]}};
}

Result<std::optional<std::string>> EventStore::read_secret(const std::string& key) const {
  std::string value;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf_secrets, key, &value);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return storage_error("cannot read a secret", s);
  return std::optional<std::string>{std::move(value)};
}

Status EventStore::catch_up() {
  Impl& im = *impl_;
  if (!im.options.read_only) {
    return ok_status();
  }
  auto s = im.db->TryCatchUpWithPrimary();
  if (!s.ok()) {
    return storage_error("cannot catch up with the primary", s);
  }
  auto h = im.read_log_head(nullptr);
  if (!h.ok()) {
    return h.error();
  }
  im.publish_head(*h);
  return ok_status();
}

std::uint64_t EventStore::stream_events_read() const {
  return impl_->stream_events_read.load(std::memory_order_relaxed);
}

// A snapshot record: 4-byte BE format, 8-byte BE stream version, then the caller's state bytes.
Result<std::optional<Snapshot>> EventStore::read_snapshot(const std::string& stream,
                                                          std::uint32_t format) const {
  const Impl& im = *impl_;
  if (im.cf_snapshots == nullptr || !valid_stream_name(stream)) {
    return std::optional<Snapshot>{};
  }
  std::string raw;
  auto s = im.db->Get(rocksdb::ReadOptions(), im.cf_snapshots, stream, &raw);
  if (s.IsNotFound()) return std::optional<Snapshot>{};
  if (!s.ok()) return storage_error("cannot read the snapshot of stream '" + stream + "'", s);
  if (raw.size() < 12) {
    return Error::make(ErrorCode::internal, "the snapshot of stream '" + stream + "' is truncated");
  }
  if (decode_be32(raw) != format) return std::optional<Snapshot>{};
  return std::optional<Snapshot>{Snapshot{decode_be64(std::string_view(raw).substr(4, 8)), raw.substr(12)}};
}

Status EventStore::write_snapshot(const std::string& stream, std::uint32_t format, const Snapshot& snapshot) {
  Impl& im = *impl_;
  if (im.options.read_only) return Error::make(ErrorCode::unavailable, "the store is open read-only");
  if (!valid_stream_name(stream)) {
    return Error::make(ErrorCode::invalid_argument, "a stream name must be non-empty and contain no NUL byte",
                       "stream");
  }
  auto head = im.read_stream_head(stream);
  if (!head.ok()) return head.error();
  if (snapshot.version == 0 || snapshot.version > *head) {
    return Error::make(ErrorCode::invalid_argument,
                       "a snapshot of stream '" + stream + "' at version " + std::to_string(snapshot.version) +
                           " is not of a committed version (the stream is at " + std::to_string(*head) + ")",
                       "version");
  }
  std::string value = encode_be32(format) + encode_be64(snapshot.version) + snapshot.state;
  auto s = im.db->Put(rocksdb::WriteOptions(), im.cf_snapshots, stream, value);
  if (!s.ok()) return storage_error("cannot write the snapshot of stream '" + stream + "'", s);
  return ok_status();
}

Status EventStore::drop_snapshots() {
  Impl& im = *impl_;
  if (im.options.read_only) return Error::make(ErrorCode::unavailable, "the store is open read-only");
  // Stream names are UTF-8, whose bytes are never 0xff: this range holds every snapshot.
  auto s = im.db->DeleteRange(rocksdb::WriteOptions(), im.cf_snapshots, "", "\xff");
  if (!s.ok()) return storage_error("cannot drop the snapshots", s);
  return ok_status();
}

Status EventStore::purge_erased_secrets() {
  Impl& im = *impl_;
  if (im.options.read_only) return Error::make(ErrorCode::unavailable, "the store is open read-only");
  rocksdb::FlushOptions flush;
  flush.wait = true;
  auto s = im.db->Flush(flush, im.handles);
  if (!s.ok()) return storage_error("cannot flush before purging erased secrets", s);
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  s = im.db->CompactRange(compact, im.cf_secrets, nullptr, nullptr);
  if (!s.ok()) return storage_error("cannot compact the secrets", s);
  return ok_status();
}

void EventStore::stop() { impl_->stop(); }

}  // namespace touchline::store
