#include "touchline/store/tree_head.h"

#include <sodium.h>

#include <stdexcept>

#include "touchline/store/event_store.h"

namespace touchline::store {
namespace {

constexpr std::string_view kContext("touchline tree head v1");

void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

void append_be64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xffU));
}

template <std::size_t N>
std::string hex_of(const std::array<unsigned char, N>& bytes) {
  std::string out(N * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), N);
  out.pop_back();  // the terminating NUL sodium_bin2hex writes
  return out;
}

template <std::size_t N>
bool parse_hex(std::string_view hex, std::array<unsigned char, N>& out) {
  if (hex.size() != 2 * N) return false;
  std::size_t bin_len = 0;
  return sodium_hex2bin(out.data(), N, hex.data(), hex.size(), nullptr, &bin_len, nullptr) == 0 && bin_len == N;
}

}  // namespace

std::string tree_head_signed_bytes(const TreeHead& head) {
  std::string out(kContext);
  out.push_back('\0');
  append_be64(out, head.size);
  append_be64(out, static_cast<std::uint64_t>(head.timestamp_ms));
  out.append(reinterpret_cast<const char*>(head.root.data()), head.root.size());
  return out;
}

TreeHeadSigner::TreeHeadSigner(std::string_view seed) {
  if (seed.size() != crypto_sign_SEEDBYTES) {
    throw std::invalid_argument("a tree head signing key seed is " + std::to_string(crypto_sign_SEEDBYTES) +
                                " bytes, not " + std::to_string(seed.size()));
  }
  ensure_sodium();
  crypto_sign_seed_keypair(public_key_.data(), secret_key_.data(), reinterpret_cast<const unsigned char*>(seed.data()));
}

TreeHeadSigner::~TreeHeadSigner() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

SignedTreeHead TreeHeadSigner::sign(const TreeHead& head) const {
  const std::string message = tree_head_signed_bytes(head);
  SignedTreeHead out{head, {}};
  crypto_sign_detached(out.signature.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_key_.data());
  return out;
}

bool verify_tree_head(const Ed25519PublicKey& key, const SignedTreeHead& signed_head) {
  ensure_sodium();
  const std::string message = tree_head_signed_bytes(signed_head.head);
  return crypto_sign_verify_detached(signed_head.signature.data(), reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.data()) == 0;
}

Result<SignedTreeHead> sign_log_head(const EventStore& log, const TreeHeadSigner& signer, std::int64_t now_ms) {
  const std::uint64_t size = log.head_position();
  auto root = log.merkle_root(size);
  if (!root.ok()) return root.error();
  return signer.sign(TreeHead{size, *root, now_ms});
}

std::string public_key_hex(const Ed25519PublicKey& key) { return hex_of(key); }

bool parse_public_key_hex(std::string_view hex, Ed25519PublicKey& out) { return parse_hex(hex, out); }

nlohmann::json to_json(const SignedTreeHead& s) {
  return {{"size", s.head.size},
          {"root", digest_hex(s.head.root)},
          {"timestamp", s.head.timestamp_ms},
          {"signature", hex_of(s.signature)}};
}

Result<SignedTreeHead> signed_tree_head_from_json(const nlohmann::json& j) {
  auto bad = [](const char* member, const char* what) {
    return Error::make(ErrorCode::invalid_argument, std::string("a tree head's '") + member + "' " + what, member);
  };
  if (!j.is_object()) return Error::make(ErrorCode::invalid_argument, "a tree head is a JSON object");
  SignedTreeHead out;
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_unsigned()) return bad("size", "must be a non-negative integer");
  out.head.size = size->get<std::uint64_t>();
  auto timestamp = j.find("timestamp");
  if (timestamp == j.end() || !timestamp->is_number_integer()) return bad("timestamp", "must be an integer");
  out.head.timestamp_ms = timestamp->get<std::int64_t>();
  auto root = j.find("root");
  if (root == j.end() || !root->is_string() || !parse_digest_hex(root->get<std::string>(), out.head.root)) {
    return bad("root", "must be 64 hex digits");
  }
  auto signature = j.find("signature");
  if (signature == j.end() || !signature->is_string() || !parse_hex(signature->get<std::string>(), out.signature)) {
    return bad("signature", "must be 128 hex digits");
  }
  return out;
}

}  // namespace touchline::store
