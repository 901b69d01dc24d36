// Backups: a copy of a data directory's source of truth, taken while a server may be writing it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "touchline/events/result.h"

namespace touchline::store {

class EventStore;

// How far a copy has gone: `part` names what is being copied ("events", "stream index", "Merkle
// tree", ...), `done` counts its entries so far, `total` is how many it holds, or 0 when that is
// not known in advance.
struct CopyProgress {
  std::string_view part;
  std::uint64_t done = 0;
  std::uint64_t total = 0;
};

struct CopyReport {
  std::uint64_t events = 0;  // the copy's head position
  std::uint64_t entries = 0;  // keys copied, over every part
  std::uint64_t bytes = 0;    // their keys' and values' bytes
};

// Writes a new data directory at `to` holding `from`'s log in one consistent view: every event,
// the stream index, the idempotency records, the secrets (server keys, password hashes, and
// people's keys, those destroyed by erasure staying destroyed) and the Merkle tree. Projection
// state and the write side's snapshots are left out: they are derived, and a server opening the
// copy rebuilds them from the log.
//
// `from` may be a read-only store open beside a running server (a RocksDB secondary: the view is
// the log as it stood when the store opened or last caught up) or a primary (a RocksDB snapshot
// taken at the start). The copy is written to `to` + ".incomplete", synced, and only then renamed
// to `to`: a directory named `to` is always a whole copy, and a failed copy removes what it wrote.
//
// Returns the report on success; invalid_argument (naming "to") when `to` or its ".incomplete"
// sibling exists, or its parent directory does not; internal on a storage or file-system error.
// `progress`, if set, is called on the calling thread every 10,000 entries and at the end of each
// part. Not safe to call concurrently on one `from` with catch_up().
Result<CopyReport> copy_data_directory(const EventStore& from, const std::string& to,
                                       const std::function<void(const CopyProgress&)>& progress = {});

}  // namespace touchline::store
