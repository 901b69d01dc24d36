// A self-contained copy of the log for auditors: every envelope and a signed tree head, in one
// file that `touchline verify --file` checks without RocksDB, a server or Touchline's data
// directory. The format is in docs/LOG_FORMAT.md ("Exported logs").
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "touchline/events/envelope.h"
#include "touchline/events/result.h"
#include "touchline/store/hash_chain.h"
#include "touchline/store/tree_head.h"

namespace touchline::store {

class EventStore;

// Writes the log's first head_position() events (as it stands when called) to `out`: a header
// line, one line per envelope, and a line with the head signed by `signer` at `now_ms`. Returns
// the signed head; errors: as EventStore::merkle_root and read_all, and internal when `out`
// fails. `progress` (optional) is called every 100,000 events with the count written. Thread-
// safe with respect to the store (it only reads).
Result<SignedTreeHead> export_log(const EventStore& log, const TreeHeadSigner& signer, std::int64_t now_ms,
                                  std::ostream& out, const std::function<void(std::uint64_t)>& progress = {});

struct ExportReport : VerifyReport {
  std::optional<SignedTreeHead> head;  // the head the file ends with, when it could be read
  Ed25519PublicKey public_key{};       // the key the head's signature was checked with
  bool key_from_file = false;          // true: the file's own key (no key was given to check it against)
};

// Checks an exported file: its header; the hash chain from position 1, as verify_log does (the
// first bad position and what is wrong there); the Merkle root of its events against the signed
// head it ends with; the head's size against the events read; and the head's signature, with
// `key` or else the key the file names. A problem with the head is reported at position
// events_checked + 1 (or at 0, for the header). Throws only what the machine does
// (std::bad_alloc) and what sha256_hex throws.
ExportReport verify_export(std::istream& in, const std::optional<Ed25519PublicKey>& key,
                           const std::function<void(std::uint64_t)>& progress = {});

// Reads an exported file's events in order, for answering from it offline: calls `each` with
// every envelope up to the signed head's line, until `each` returns false. Checks only what
// reading needs: the header, and each line an envelope at the next position (verify_export
// checks the rest: run it first to know the file is the signed log). Returns ok, or
// invalid_argument naming the line that is not what it should be.
Status read_export(std::istream& in, const std::function<bool(const events::Envelope&)>& each);

}  // namespace touchline::store
