#include "log_reads.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <rocksdb/iterator.h>
#include <rocksdb/options.h>

#include "event_store_impl.h"
#include "touchline/events/json_text.h"
#include "touchline/events/parallel.h"

namespace touchline::store::detail {
namespace {

constexpr std::size_t kLongRead = 256;  // from here on, a replay's read: ahead, and on every core

Error storage_error(const std::string& what, const rocksdb::Status& s) {
  return Error::make(ErrorCode::internal, what + ": " + s.ToString());
}

}  // namespace

Result<StoredEvents> read_values(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log, std::uint64_t after,
                                 std::size_t limit) {
  StoredEvents run;
  if (limit == 0 || after == UINT64_MAX) return run;
  rocksdb::ReadOptions ro;
  if (limit >= kLongRead) {
    // Read ahead about what the batch will take, in one read rather than a pread per 4 KiB
    // block (more would be read and thrown away with the iterator), and keep a replay's blocks
    // out of the block cache, where they would only push out what point reads use.
    ro.readahead_size = std::min<std::size_t>(limit, 1024) * 1024;
    ro.fill_cache = false;
  }
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, log));
  for (it->Seek(encode_be64(after + 1)); it->Valid() && run.positions.size() < limit; it->Next()) {
    auto key = to_sv(it->key());
    if (key.size() != 8) {
      return Error::make(ErrorCode::internal, "a log key is not an 8-byte position");
    }
    const auto value = to_sv(it->value());
    run.positions.push_back(decode_be64(key));
    run.spans.emplace_back(run.text.size(), value.size());
    run.text.append(value);
    if (run.positions.size() == kLongRead && limit > kLongRead) {
      // A long read after all (a live runner's usually is not): room for the rest at a quarter
      // more than the average so far, rather than copying the buffer each time it doubles.
      const std::size_t expected = std::min<std::size_t>(limit, 4096);
      run.text.reserve(run.text.size() / kLongRead * expected * 5 / 4);
    }
  }
  if (!it->status().ok()) {
    return storage_error("cannot read the log", it->status());
  }
  return run;
}

Result<events::RecordedEvent> decode_recorded_value(std::uint64_t position, std::string_view value) {
  if (auto fast = events::read_recorded_text(value)) return std::move(*fast);
  return decode_recorded_slowly(position, value);
}

Result<events::RecordedEvent> decode_recorded_slowly(std::uint64_t position, std::string_view value) {
  auto envelope = decode_log_value(position, value);
  if (!envelope.ok()) return envelope.error();
  auto recorded = events::recorded_event(*envelope);
  if (!recorded.ok()) {
    return Error::make(ErrorCode::internal, "the event at position " + std::to_string(position) +
                                                " cannot be decoded: " + recorded.error().message);
  }
  return recorded;
}

namespace {

// The read of up to `limit` values after `after`, decoded with decode(position, value) ->
// Result<T>: on every core once the values are read, for a long read. Reading and decoding
// take turns rather than overlap: a replay folds on the other core meanwhile.
template <typename T, typename Decode>
Result<std::vector<T>> read_decoded(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log, std::uint64_t after,
                                    std::size_t limit, Decode decode) {
  auto run = read_values(db, log, after, limit);
  if (!run.ok()) return run.error();
  std::vector<std::optional<Result<T>>> decoded(run->positions.size());
  for_each_index_in_parallel(
      run->positions.size(), [&](std::size_t i) { decoded[i].emplace(decode(run->positions[i], run->value(i))); },
      kLongRead);
  std::vector<T> out;
  out.reserve(decoded.size());
  for (auto& e : decoded) {
    if (!e->ok()) return e->error();
    out.push_back(std::move(*e).value());
  }
  return out;
}

}  // namespace

Result<events::Envelope> decode_log_value(std::uint64_t position, std::string_view value) {
  auto j = parse_json(value);
  if (!j) {
    return Error::make(ErrorCode::internal, "the event at position " + std::to_string(position) + " is not valid JSON");
  }
  auto e = events::envelope_from_json(*j);
  if (!e.ok()) {
    return Error::make(ErrorCode::internal, "the event at position " + std::to_string(position) +
                                                " cannot be decoded: " + e.error().message);
  }
  return e;
}

Result<std::vector<events::Envelope>> read_envelopes(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log,
                                                     std::uint64_t after, std::size_t limit) {
  return read_decoded<events::Envelope>(db, log, after, limit, decode_log_value);
}

Result<std::vector<events::RecordedEvent>> read_recorded_events(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log,
                                                                std::uint64_t after, std::size_t limit) {
  return read_decoded<events::RecordedEvent>(db, log, after, limit, decode_recorded_value);
}

}  // namespace touchline::store::detail
