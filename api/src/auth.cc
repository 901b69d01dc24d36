#include "touchline/api/auth.h"

#include <sodium.h>

#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

namespace touchline::api {

namespace {

void ensure_sodium() {
  static const int rc = sodium_init();  // thread-safe, once
  if (rc < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string to_hex(const unsigned char* data, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, n);
  out.pop_back();
  return out;
}

}  // namespace

static_assert(PasswordCost{}.passes == crypto_pwhash_OPSLIMIT_INTERACTIVE &&
              PasswordCost{}.memory_bytes == crypto_pwhash_MEMLIMIT_INTERACTIVE);
static_assert(PasswordCost::cheapest().passes == crypto_pwhash_OPSLIMIT_MIN &&
              PasswordCost::cheapest().memory_bytes == crypto_pwhash_MEMLIMIT_MIN);

std::string hash_password(std::string_view password, PasswordCost cost) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), cost.passes, cost.memory_bytes) != 0) {
    throw std::runtime_error("Argon2id failed (out of memory, or a cost out of libsodium's range)");
  }
  return out;
}

bool verify_password(const std::string& hash, std::string_view password) {
  ensure_sodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  ensure_sodium();
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_id() {
  ensure_sodium();
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  return to_hex(bytes, sizeof bytes);
}

std::string random_key() {
  ensure_sodium();
  std::string key(crypto_auth_hmacsha256_KEYBYTES, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string sha256_hex(std::string_view data) {
  ensure_sodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex(digest, sizeof digest);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  ensure_sodium();
  if (key.size() != crypto_auth_hmacsha256_KEYBYTES) throw std::invalid_argument("HMAC key must be 32 bytes");
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                         reinterpret_cast<const unsigned char*>(key.data()));
  return to_hex(out, sizeof out);
}

TokenSigner::TokenSigner(std::string key, std::chrono::seconds ttl)
    : key_(std::move(key)), ttl_(ttl) {
  ensure_sodium();
  if (key_.size() != crypto_auth_hmacsha256_KEYBYTES) {
    throw std::invalid_argument("token signing key must be 32 bytes");
  }
  static_assert(std::tuple_size_v<decltype(KeyedHash::key)> == crypto_shorthash_KEYBYTES);
  KeyedHash hash;
  crypto_shorthash_keygen(hash.key.data());
  verified_ = decltype(verified_)(0, hash, ConstantTimeEqual{});
}

std::size_t TokenSigner::KeyedHash::operator()(std::string_view token) const {
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(token.data()), token.size(), key.data());
  std::uint64_t h = 0;
  std::memcpy(&h, out, sizeof h);
  return static_cast<std::size_t>(h);
}

bool TokenSigner::ConstantTimeEqual::operator()(std::string_view a, std::string_view b) const {
  return constant_time_equals(a, b);
}

std::string TokenSigner::mac(std::string_view message) const { return hmac_sha256_hex(key_, message); }

IssuedToken TokenSigner::issue(const std::string& account_id, std::int64_t now_ms) const {
  const std::int64_t expires = now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(ttl_).count();
  std::string body = "tl1." + account_id + "." + std::to_string(expires);
  return IssuedToken{body + "." + mac(body), expires};
}

Result<std::string> TokenSigner::verify(std::string_view token, std::int64_t now_ms) const {
  std::optional<Verified> known;
  {
    std::shared_lock lock(verified_mu_);
    if (auto it = verified_.find(token); it != verified_.end()) known = it->second;
  }
  if (!known) {
    auto checked = verify_mac(token);
    if (!checked.ok()) return checked.error();
    known = std::move(*checked);
    if (now_ms < known->expires_at_ms) {
      std::unique_lock lock(verified_mu_);
      if (verified_.size() >= kVerifiedTokens) verified_.clear();
      verified_.emplace(std::string(token), *known);
    }
  }
  if (now_ms >= known->expires_at_ms) {
    return Error::make(ErrorCode::unauthenticated, "the bearer token has expired; sign in again");
  }
  return std::move(known->account);
}

Result<TokenSigner::Verified> TokenSigner::verify_mac(std::string_view token) const {
  auto malformed = [] {
    return Error::make(ErrorCode::unauthenticated, "the bearer token is malformed or invalid");
  };
  auto last_dot = token.rfind('.');
  if (last_dot == std::string_view::npos) return malformed();
  std::string_view body = token.substr(0, last_dot);
  std::string_view given_mac = token.substr(last_dot + 1);
  if (!constant_time_equals(mac(body), given_mac)) return malformed();

  // The MAC holds, so the body is ours: "tl1.<account>.<expiry>".
  auto first = body.find('.');
  auto second = body.rfind('.');
  if (body.substr(0, first) != "tl1" || second == first) return malformed();
  Verified v;
  v.account = std::string(body.substr(first + 1, second - first - 1));
  try {
    v.expires_at_ms = std::stoll(std::string(body.substr(second + 1)));
  } catch (const std::exception&) {
    return malformed();
  }
  return v;
}

}  // namespace touchline::api
