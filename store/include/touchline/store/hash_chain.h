// The hash chain that lets an auditor holding the log detect a changed, dropped or reordered
// event: each envelope's hash is SHA-256(previous hash bytes || canonical bytes of the event).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "touchline/events/envelope.h"

namespace touchline::store {

// 64 zeros: the prev_hash of the event at position 1.
const std::string& genesis_hash();

// Lowercase hex SHA-256 of data (OpenSSL's, on the CPU's SHA instructions where it has them).
// Throws std::runtime_error when OpenSSL cannot hash (out of memory, or a configuration that
// offers no SHA-256).
std::string sha256_hex(std::string_view data);

// The hash `e` must carry, given the hash of the event before it (lowercase hex). Throws
// std::invalid_argument when prev_hash_hex is not 64 lowercase hex digits, and as sha256_hex.
std::string chain_hash(std::string_view prev_hash_hex, const events::Envelope& e);

// The same, given the event's canonical bytes (events::canonical_bytes) rather than the event.
std::string chain_hash_of_canonical(std::string_view prev_hash_hex, std::string_view canonical_bytes);

struct VerifyReport {
  bool ok = true;
  std::uint64_t events_checked = 0;
  std::uint64_t first_bad_position = 0;  // 0 when ok
  std::string problem;                   // what was wrong at first_bad_position
};

class EventStore;

// Walks the whole log from position 1 and checks positions are gap-free and in order, each
// envelope decodes, its prev_hash is the previous hash and its hash is right. Stops at the first
// problem, reporting the same position a one-by-one walk would, though each batch of events is
// checked on one thread per core (at most 8, started and joined before it returns) while the
// calling thread reads the next and then helps check it. An envelope stored in canonical form is hashed as it lies
// (events::read_canonical_text); any other is decoded and re-encoded, with the same verdict.
// `progress` (optional) is called every 10,000 events with the count checked so far, on the
// calling thread. Throws what the machine does (std::bad_alloc, std::system_error) and what
// sha256_hex throws.
VerifyReport verify_log(const EventStore& store,
                        const std::function<void(std::uint64_t)>& progress = {});

}  // namespace touchline::store
