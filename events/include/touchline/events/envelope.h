// The envelope every event in the log is stored in, and its JSON form. The byte layout on disk
// is documented in docs/LOG_FORMAT.md; change both together, and bump kEnvelopeFormat.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

// An envelope's stored text, read for its place in the hash chain without decoding it.
struct CanonicalText {
  std::uint64_t position = 0;
  std::string_view prev_hash;  // 64 lowercase hex digits
  std::string_view hash;       // 64 lowercase hex digits
  // The text with its hash and prev_hash members cut out, in order: together, the canonical
  // bytes of the envelope the text holds.
  std::array<std::string_view, 3> canonical_pieces;
};

// When `text` is byte for byte to_json(e).dump() of the envelope e it holds (the form the store
// writes: the thirteen members and nothing else, keys sorted at every depth, no whitespace, only
// integers, strings escaped as dump() escapes them) and its hashes are 64 lowercase hex digits:
// its position and hashes, and canonical_bytes(e) as pieces, all views into `text`. For any other
// text, nullopt, whether or not it decodes: envelope_from_json has the last word on it. That the
// pieces are canonical_bytes(e) follows from the text being dump()'s: dump() writes to_json(e)
// and canonical_bytes(e) alike, and to_json(e) is canonical_bytes(e)'s object with two more
// members. Thread-safe: each thread parses with a parser of its own, kept between calls.
std::optional<CanonicalText> read_canonical_text(std::string_view text);

}  // namespace touchline::events
