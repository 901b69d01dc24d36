// Signed tree heads: the log's size, its Merkle root (merkle.h) and a time, signed with Ed25519
// (libsodium), so that anyone holding the public key can check a head handed to them, and with
// inclusion and consistency proofs check the log against it without trusting whoever hands the
// log over. The signed bytes are in docs/LOG_FORMAT.md ("Signed tree heads").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "touchline/events/result.h"
#include "touchline/store/merkle.h"

namespace touchline::store {

using Ed25519PublicKey = std::array<unsigned char, 32>;
using Ed25519Signature = std::array<unsigned char, 64>;

struct TreeHead {
  std::uint64_t size = 0;  // the events it covers: positions 1..size
  Digest root{};           // MTH of those events
  std::int64_t timestamp_ms = 0;  // when it was signed, Unix ms
};

struct SignedTreeHead {
  TreeHead head;
  Ed25519Signature signature{};
};

// The 71 bytes a head's signature covers: "touchline tree head v1", a 00 byte, BE64(size),
// BE64(timestamp_ms, two's complement), the 32 bytes of the root.
std::string tree_head_signed_bytes(const TreeHead& head);

// Signs heads with one Ed25519 key. Immutable after construction: thread-safe.
class TreeHeadSigner {
 public:
  // seed: the key's 32-byte seed (the server secret "tree_head_signing_key"). Throws
  // std::invalid_argument on any other length, std::runtime_error when libsodium cannot start.
  explicit TreeHeadSigner(std::string_view seed);
  ~TreeHeadSigner();
  TreeHeadSigner(const TreeHeadSigner&) = delete;
  TreeHeadSigner& operator=(const TreeHeadSigner&) = delete;

  SignedTreeHead sign(const TreeHead& head) const;
  const Ed25519PublicKey& public_key() const { return public_key_; }

 private:
  Ed25519PublicKey public_key_{};
  std::array<unsigned char, 64> secret_key_{};
};

// Whether `signed_head` carries a valid signature by `key`. Thread-safe.
bool verify_tree_head(const Ed25519PublicKey& key, const SignedTreeHead& signed_head);

std::string public_key_hex(const Ed25519PublicKey& key);
// The key 64 hex digits stand for; false on anything else.
bool parse_public_key_hex(std::string_view hex, Ed25519PublicKey& out);

class EventStore;

// The log's head as it stands (head_position() and the root of that tree) signed at `now_ms`.
// Errors: as EventStore::merkle_root. Thread-safe.
Result<SignedTreeHead> sign_log_head(const EventStore& log, const TreeHeadSigner& signer, std::int64_t now_ms);

// {"size", "root" (64 hex), "timestamp" (Unix ms), "signature" (128 hex)}: the head as
// GET /v1/log/head answers it and an export carries it.
nlohmann::json to_json(const SignedTreeHead& signed_head);
// The head such a JSON object describes: invalid_argument naming the member that is missing or
// malformed.
Result<SignedTreeHead> signed_tree_head_from_json(const nlohmann::json& j);

}  // namespace touchline::store
