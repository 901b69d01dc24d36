#include "touchline/store/state_store.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "event_store_impl.h"

namespace touchline::store {
namespace {

// State keys are "<name>/<key>"; user keys never start with 0x00, which leaves
// "<name>/\0checkpoint" to the checkpoint and "<name>/\0format" to the state's format (4 bytes,
// big-endian), both sorted before every user key but "".
constexpr std::string_view kCheckpointKey{"\0checkpoint", 11};
constexpr std::string_view kFormatKey{"\0format", 7};

bool reserved(std::string_view user_key) { return !user_key.empty() && user_key[0] == '\0'; }

// The smallest string greater than every string that starts with s; s must not be all 0xff.
std::string prefix_successor(std::string s) {
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xff) {
    s.pop_back();
  }
  if (!s.empty()) {
    s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  }
  return s;
}

Status write_batch(EventStore::Impl& im, rocksdb::WriteBatch& batch, const char* what) {
  if (im.options.read_only) {
    return Error::make(ErrorCode::unavailable, "the store is open read-only");
  }
  // Not in the WAL at all: projection state is derived from the log, and each batch carries its
  // checkpoint, so losing the writes since the projections column family's last flush to a crash
  // only makes the projection replay from an earlier checkpoint. Every write to that column
  // family goes through here, so what a crash leaves of it is always a prefix of its batches.
  // In the shared WAL these bytes would lengthen every synced append's fsync (measured in
  // docs/PERFORMANCE.md); RocksDB flushes them when the WAL grows past max_total_wal_size and at
  // a clean close.
  rocksdb::WriteOptions derived;
  derived.sync = false;
  derived.disableWAL = true;
  auto s = im.db->Write(derived, &batch);
  if (!s.ok()) {
    return Error::make(ErrorCode::internal, std::string(what) + ": " + s.ToString());
  }
  return ok_status();
}

}  // namespace

StateStore::StateStore(EventStore& store, std::string projection_name)
    : store_(store), name_(std::move(projection_name)) {
  // A '/' in a name would let one projection's key range contain another's.
  if (name_.empty() || name_.find('/') != std::string::npos) {
    throw std::invalid_argument("a projection name must be non-empty and contain no '/'");
  }
}

namespace {

Result<std::optional<std::string>> read_value(const EventStore::Impl& im, const std::string& full_key,
                                              std::string_view projection) {
  std::string value;
  auto s = im.db->Get(rocksdb::ReadOptions(), im.cf_projections, full_key, &value);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) {
    return Error::make(ErrorCode::internal,
                       "cannot read the state of projection " + std::string(projection) + ": " + s.ToString());
  }
  return std::optional<std::string>{std::move(value)};
}

// What ended an iteration: ok when it ran out of keys, an error when RocksDB stopped it. Valid()
// turns false on both, so only status() tells them apart.
Status iteration_status(const rocksdb::Iterator& it, std::string_view projection) {
  if (it.status().ok()) return ok_status();
  return Error::make(ErrorCode::internal,
                     "cannot read the state of projection " + std::string(projection) + ": " + it.status().ToString());
}

}  // namespace

Result<std::optional<std::string>> StateStore::get(std::string_view key) const {
  if (reserved(key)) {
    return std::optional<std::string>{};
  }
  std::string full = name_ + '/';
  full.append(key);
  return read_value(store_.impl(), full, name_);
}


Status StateStore::scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  return scan_from(prefix, {}, fn);
}

Status StateStore::scan_from(
    std::string_view prefix, std::string_view from,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  const auto& im = store_.impl();
  const std::size_t strip = name_.size() + 1;
  std::string lower = name_ + '/';
  lower.append(prefix);
  const std::string upper = prefix_successor(lower);
  rocksdb::Slice lower_slice(lower);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(ro, im.cf_projections));
  std::string start = name_ + '/';
  start.append(from);
  for (it->Seek(start > lower ? rocksdb::Slice(start) : lower_slice); it->Valid(); it->Next()) {
    const auto key = to_sv(it->key()).substr(strip);
    if (reserved(key)) {
      continue;
    }
    if (!fn(key, to_sv(it->value()))) {
      return ok_status();
    }
  }
  return iteration_status(*it, name_);
}

Status StateStore::scan_reverse(
    std::string_view prefix, std::string_view before,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  const auto& im = store_.impl();
  const std::size_t strip = name_.size() + 1;
  std::string lower = name_ + '/';
  lower.append(prefix);
  std::string upper = prefix_successor(lower);
  if (!before.empty()) {
    std::string b = name_ + '/';
    b.append(before);
    if (b < upper) {
      upper = std::move(b);
    }
  }
  if (upper <= lower) {
    return ok_status();
  }
  rocksdb::Slice lower_slice(lower);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;  // SeekToLast lands on the last key below it
  std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(ro, im.cf_projections));
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    const auto key = to_sv(it->key()).substr(strip);
    if (reserved(key)) {
      continue;
    }
    if (!fn(key, to_sv(it->value()))) {
      return ok_status();
    }
  }
  return iteration_status(*it, name_);
}

Status StateStore::commit(const StateBatch& batch, std::uint64_t checkpoint) {
  auto& im = store_.impl();
  const std::string prefix = name_ + '/';
  rocksdb::WriteBatch wb;
  for (const auto& key : batch.deletes) {
    if (reserved(key)) {
      return Error::make(ErrorCode::invalid_argument, "state keys may not start with a NUL byte",
                         "key");
    }
    wb.Delete(im.cf_projections, prefix + key).PermitUncheckedError();
  }
  // In key order: RocksDB's memtable (a skip list) inserts a key just after the previous one
  // cheaply, and a projection's puts (the audit log's entries and their indexes) come interleaved
  // across many key ranges. Stable, so that of two puts of one key the later still wins.
  std::vector<const std::pair<std::string, std::string>*> puts;
  puts.reserve(batch.puts.size());
  for (const auto& put : batch.puts) {
    if (reserved(put.first)) {
      return Error::make(ErrorCode::invalid_argument, "state keys may not start with a NUL byte",
                         "key");
    }
    puts.push_back(&put);
  }
  std::stable_sort(puts.begin(), puts.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  std::string full_key = prefix;
  for (const auto* put : puts) {
    full_key.resize(prefix.size());
    full_key.append(put->first);
    wb.Put(im.cf_projections, full_key, put->second).PermitUncheckedError();
  }
  std::string cp_key = prefix;
  cp_key.append(kCheckpointKey);
  wb.Put(im.cf_projections, cp_key, encode_be64(checkpoint)).PermitUncheckedError();
  return write_batch(im, wb, "cannot commit projection state");
}

Result<std::optional<std::string>> StateStore::reserved_value(std::string_view reserved_key) const {
  std::string key = name_ + '/';
  key.append(reserved_key);
  return read_value(store_.impl(), key, name_);
}

Result<std::uint64_t> StateStore::checkpoint() const {
  auto value = reserved_value(kCheckpointKey);
  if (!value.ok()) return value.error();
  if (!*value) return std::uint64_t{0};
  if ((*value)->size() != 8) {
    return Error::make(ErrorCode::internal, "the checkpoint of projection " + name_ + " is " +
                                                std::to_string((*value)->size()) +
                                                " bytes, not 8: its state is damaged; rebuild it");
  }
  return decode_be64(**value);
}

Result<std::uint32_t> StateStore::format() const {
  auto value = reserved_value(kFormatKey);
  if (!value.ok()) return value.error();
  if (!*value || (*value)->size() != 4) return std::uint32_t{0};
  std::uint32_t v = 0;
  for (const char c : **value) {
    v = (v << 8) | static_cast<unsigned char>(c);
  }
  return v;
}

Status StateStore::set_format(std::uint32_t format) {
  auto& im = store_.impl();
  std::string key = name_ + '/';
  key.append(kFormatKey);
  std::string value(4, '\0');
  for (int i = 3; i >= 0; --i) {
    value[static_cast<std::size_t>(i)] = static_cast<char>(format & 0xffU);
    format >>= 8;
  }
  rocksdb::WriteBatch wb;
  wb.Put(im.cf_projections, key, value).PermitUncheckedError();
  return write_batch(im, wb, "cannot record the projection state format");
}

Status StateStore::clear() {
  auto& im = store_.impl();
  // Every key of this projection, checkpoint and format included, lies in ["<name>/", "<name>0"):
  // '0' is the byte after '/'.
  const std::string begin = name_ + '/';
  const std::string end = name_ + '0';
  rocksdb::WriteBatch wb;
  wb.DeleteRange(im.cf_projections, begin, end).PermitUncheckedError();
  return write_batch(im, wb, "cannot clear projection state");
}

}  // namespace touchline::store
