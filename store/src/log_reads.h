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

namespace touchline::store::detail {

// One value of the log column family, stored under `position`, decoded; internal naming the
// position when it is not JSON or not an envelope.
Result<events::Envelope> decode_log_value(std::uint64_t position, std::string_view value);

// Up to `limit` events after position `after`, in order, decoded as an Envelope each or as a
// RecordedEvent each; internal when a read failed or an event does not decode (the first).
// A long read (256 events or more) reads ahead, keeps its blocks out of the block cache, and is
// decoded on every core (for_each_index_in_parallel) once read. Thread-safe.
Result<std::vector<events::Envelope>> read_envelopes(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log,
                                                     std::uint64_t after, std::size_t limit);
Result<std::vector<events::RecordedEvent>> read_recorded_events(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log,
                                                                std::uint64_t after, std::size_t limit);

}  // namespace touchline::store::detail
