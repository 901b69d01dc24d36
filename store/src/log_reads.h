// Runs of the global log, read and decoded (EventStore::read_all and read_recorded). Internal to
// the store library.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>

#include "touchline/events/envelope.h"
#include "touchline/events/recorded_event.h"
#include "touchline/events/result.h"
#include "touchline/store/event_store.h"

namespace touchline::store::detail {

// One value of the log column family, stored under `position`, decoded; internal naming the
// position when it is not JSON or not an envelope.
Result<events::Envelope> decode_log_value(std::uint64_t position, std::string_view value);

// Up to `limit` of the log's values after position `after`, in order, undecoded; internal when
// the read failed. A long read (256 values or more) reads ahead and keeps its blocks out of the
// block cache. Thread-safe.
Result<StoredEvents> read_values(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log, std::uint64_t after,
                                 std::size_t limit);

// One stored value decoded as a RecordedEvent; internal naming the position when it does not
// decode. Thread-safe.
Result<events::RecordedEvent> decode_recorded_value(std::uint64_t position, std::string_view value);
// The same without the direct read (events::read_recorded_text), for a caller that tried it.
Result<events::RecordedEvent> decode_recorded_slowly(std::uint64_t position, std::string_view value);

// Up to `limit` events after position `after`, in order, decoded as an Envelope each or as a
// RecordedEvent each; internal when a read failed or an event does not decode (the first).
// A long read (256 events or more) reads ahead, keeps its blocks out of the block cache, and is
// decoded on every core (for_each_index_in_parallel) once read. Thread-safe.
Result<std::vector<events::Envelope>> read_envelopes(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log,
                                                     std::uint64_t after, std::size_t limit);
Result<std::vector<events::RecordedEvent>> read_recorded_events(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log,
                                                                std::uint64_t after, std::size_t limit);

}  // namespace touchline::store::detail
