// Durable state for one projection, kept beside the log in the same RocksDB database (column
// family "projections", keys prefixed "<projection name>/"). State changes and the projection's
// checkpoint are written in one batch, so after a crash the checkpoint is never ahead of the
// state it describes. Beside them the store keeps the state's format (see format()), so that a
// build that stores its state differently can tell old state from its own.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "touchline/events/result.h"
#include "touchline/store/event_store.h"

namespace touchline::store {

// Applied deletes first, then puts. Keys may not start with a NUL byte (reserved for the store).
struct StateBatch {
  std::vector<std::pair<std::string, std::string>> puts;  // key (without prefix) -> value
  std::vector<std::string> deletes;
};

class StateStore {
 public:
  // `store` must outlive this object. Thread-safe for concurrent readers and one writer.
  // Throws std::invalid_argument for an empty name or one containing '/' (a programming error:
  // such a name's key range could overlap another projection's).
  StateStore(EventStore& store, std::string projection_name);

  // The value under key: the value, nullopt when there is none (a reserved key reads as none),
  // or internal when the read failed. Never a failed read as "absent".
  Result<std::optional<std::string>> get(std::string_view key) const;

  // Calls fn for each key starting with prefix, in key order, until fn returns false. Returns ok
  // when the scan reached the last such key or fn stopped it; internal when a read failed, after
  // fn has seen the keys before the failure (so a caller must not take what it saw for all).
  Status scan(std::string_view prefix,
              const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  // Like scan, starting at the first key with the prefix that is >= `from` (from the first key
  // when `from` is empty).
  Status scan_from(std::string_view prefix, std::string_view from,
                   const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  // Like scan, from the largest key with the prefix down to the smallest, starting at keys
  // strictly less than `before` when `before` is non-empty. Returns as scan does.
  Status scan_reverse(std::string_view prefix, std::string_view before,
                      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  // Applies the batch and moves the checkpoint to `checkpoint`, atomically. Not synced and not
  // in the WAL: a crash loses the batches since the last flush of the state, never part of one
  // (docs/LOG_FORMAT.md). Returns internal on a storage failure, unavailable on a read-only store.
  Status commit(const StateBatch& batch, std::uint64_t checkpoint);

  // The position of the last event whose effects are in the state: 0 for a new (or cleared)
  // projection; internal when the read failed or the stored checkpoint is not 8 bytes (damage:
  // the state cannot say where it stands, and replaying over it would fold events twice).
  Result<std::uint64_t> checkpoint() const;

  // The format of the stored state, as recorded by set_format(): the number the projection that
  // wrote it gives for the shape of its values. 0 when none is stored (a new projection, a
  // cleared one, or state written before formats were recorded), and when the stored format is
  // not 4 bytes, which a runner takes for a stale format: the worst that causes is a rebuild,
  // never stale state parsed as current. internal when the read failed. Thread-safe, like get().
  Result<std::uint32_t> format() const;

  // Records the format of the stored state, under a reserved key beside the checkpoint, and
  // leaves the state and the checkpoint as they are. Written like commit(). Returns ok on
  // success, internal on a storage failure (the stored format is then unchanged), unavailable on
  // a read-only store. The one writer only; not concurrently with commit() or clear().
  Status set_format(std::uint32_t format);

  // Removes all state, the checkpoint and the format of this projection (for a rebuild from
  // position 0); afterwards checkpoint() and format() read 0.
  Status clear();

  const std::string& name() const { return name_; }

 private:
  // The value under a reserved key: the value, nullopt when none is stored, internal when the
  // read failed.
  Result<std::optional<std::string>> reserved_value(std::string_view reserved_key) const;

  EventStore& store_;
  std::string name_;
};

}  // namespace touchline::store
