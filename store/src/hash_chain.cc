#include "touchline/store/hash_chain.h"

#include <sodium.h>

#include <array>
#include <memory>
#include <stdexcept>

#include <rocksdb/iterator.h>

#include "event_store_impl.h"
#include "touchline/store/event_store.h"

namespace touchline::store {
namespace {

constexpr std::uint64_t kProgressEvery = 10'000;

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

// sodium_init is idempotent and thread-safe; calling it before first use is libsodium's rule.
void ensure_sodium() {
  static const int kInit = sodium_init();
  (void)kInit;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

const std::string& genesis_hash() {
  static const std::string kGenesis(64, '0');
  return kGenesis;
}

std::string sha256_hex(std::string_view data) {
  ensure_sodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> out{};
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex(out.data(), out.size());
}

std::string chain_hash(std::string_view prev_hash_hex, const events::Envelope& e) {
  // Hashing the raw 32 bytes rather than the hex keeps the rule independent of hex case.
  if (prev_hash_hex.size() != 2 * crypto_hash_sha256_BYTES) {
    throw std::invalid_argument("chain_hash: prev hash is not 64 hex digits");
  }
  std::array<unsigned char, crypto_hash_sha256_BYTES> prev{};
  for (std::size_t i = 0; i < prev.size(); ++i) {
    const int hi = hex_digit(prev_hash_hex[2 * i]);
    const int lo = hex_digit(prev_hash_hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      throw std::invalid_argument("chain_hash: prev hash is not lowercase hex");
    }
    prev[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  const std::string canonical = events::canonical_bytes(e);
  ensure_sodium();
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, prev.data(), prev.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(canonical.data()),
                            canonical.size());
  std::array<unsigned char, crypto_hash_sha256_BYTES> out{};
  crypto_hash_sha256_final(&st, out.data());
  return to_hex(out.data(), out.size());
}

VerifyReport verify_log(const EventStore& store,
                        const std::function<void(std::uint64_t)>& progress) {
  const EventStore::Impl& im = store.impl();
  VerifyReport report;
  auto fail = [&](std::uint64_t position, std::string problem) {
    report.ok = false;
    report.first_bad_position = position;
    report.problem = std::move(problem);
    return report;
  };

  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;  // a full scan would only evict what the server is using
  std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(ro, im.cf_log));
  std::uint64_t expected = 1;
  std::string prev = genesis_hash();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto key = to_sv(it->key());
    if (key.size() != 8) {
      return fail(expected, "a log key is " + std::to_string(key.size()) +
                                " bytes long instead of 8");
    }
    const std::uint64_t position = decode_be64(key);
    if (position != expected) {
      return fail(expected, "position " + std::to_string(expected) +
                                " is missing (the next stored position is " +
                                std::to_string(position) + ")");
    }
    const auto value = to_sv(it->value());
    auto j = nlohmann::json::parse(value.begin(), value.end(), nullptr, false);
    if (j.is_discarded()) {
      return fail(position, "the stored value is not valid JSON");
    }
    auto e = events::envelope_from_json(j);
    if (!e.ok()) {
      return fail(position, "the envelope does not decode: " + e.error().message);
    }
    if (e->position != position) {
      return fail(position, "the envelope says position " + std::to_string(e->position) +
                                " but is stored at " + std::to_string(position));
    }
    if (e->prev_hash != prev) {
      return fail(position, "prev_hash does not match the hash of the previous event");
    }
    std::string want;
    try {
      want = chain_hash(prev, *e);
    } catch (const nlohmann::json::exception& ex) {
      return fail(position, std::string("the envelope cannot be re-encoded: ") + ex.what());
    }
    if (e->hash != want) {
      return fail(position, "hash does not match the event's contents");
    }
    prev = std::move(e->hash);
    ++expected;
    ++report.events_checked;
    if (progress && report.events_checked % kProgressEvery == 0) {
      progress(report.events_checked);
    }
  }
  if (!it->status().ok()) {
    return fail(expected, "RocksDB reports: " + it->status().ToString());
  }
  return report;
}

}  // namespace touchline::store
