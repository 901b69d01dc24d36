// The envelope every event in the log is stored in, and its JSON form. The byte layout on disk
// is documented in docs/LOG_FORMAT.md; change both together, and bump kEnvelopeFormat.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "touchline/events/result.h"

namespace touchline::events {

inline constexpr int kEnvelopeFormat = 1;

struct Envelope {
  std::uint64_t position = 0;        // global, gap-free, 1-based, in commit order
  std::string stream;                // e.g. "account-3f2a..."; one stream per aggregate instance
  std::uint64_t stream_version = 0;  // 1-based position within the stream
  std::string type;                  // e.g. "AccountRegistered"
  std::uint32_t schema_version = 1;  // of the payload for this type
  std::int64_t recorded_at_ms = 0;   // Unix time in milliseconds, set by the store's clock
  std::string actor;                 // account id (sign-up: the new account's), or "operator"
  std::string command_id;
  std::string correlation_id;
  std::string causation_id;
  nlohmann::json payload = nlohmann::json::object();
  std::string prev_hash;  // lowercase hex SHA-256 of the previous event; 64 zeros for the first
  std::string hash;       // lowercase hex SHA-256(prev_hash bytes || canonical_bytes(*this))

  bool operator==(const Envelope&) const = default;
};

// The JSON object form, with every field above (used on disk, in dumps and over HTTP).
nlohmann::json to_json(const Envelope& e);

// Parses the JSON form. Returns invalid_argument naming the first missing or mistyped field.
Result<Envelope> envelope_from_json(const nlohmann::json& j);

// The bytes the hash covers: the JSON object of every field except prev_hash and hash, keys
// sorted, no insignificant whitespace. Stable across releases for kEnvelopeFormat 1.
std::string canonical_bytes(const Envelope& e);

}  // namespace touchline::events
