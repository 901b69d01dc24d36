#include "touchline/store/hash_chain.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <rocksdb/iterator.h>

#include "event_store_impl.h"
#include "touchline/events/json_text.h"
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

namespace {

// What one stored event says of itself, worked out without the events before it: whether it
// decodes, the position and hashes it carries, and whether its hash follows from its own
// prev_hash and contents. Whether it fits its neighbours is checked afterwards, in order.
struct SelfCheck {
  std::string problem;  // set: the event fails on its own, before anything else is known of it
  std::string reencode_problem;  // set: its hash could not be computed (reported after the links)
  std::uint64_t position = 0;
  std::string prev_hash;
  std::string hash;
  bool hash_follows = false;
};

SelfCheck check_alone(std::string_view value) {
  SelfCheck out;
  auto j = parse_json(value);
  if (!j) {
    out.problem = "the stored value is not valid JSON";
    return out;
  }
  auto e = events::envelope_from_json(*j);
  if (!e.ok()) {
    out.problem = "the envelope does not decode: " + e.error().message;
    return out;
  }
  out.position = e->position;
  try {
    out.hash_follows = e->hash == chain_hash(e->prev_hash, *e);
  } catch (const nlohmann::json::exception& ex) {
    out.reencode_problem = std::string("the envelope cannot be re-encoded: ") + ex.what();
  } catch (const std::invalid_argument&) {
    out.hash_follows = false;  // a prev_hash that is not 64 hex digits: the link check names it
  }
  out.prev_hash = std::move(e->prev_hash);
  out.hash = std::move(e->hash);
  return out;
}

// Events are read in order, a batch at a time, and each batch's events are checked alone on
// every core (an event's hash depends only on its own prev_hash and contents); the links between
// them are then checked in order, so the first bad position is the one a sequential walk finds.
constexpr std::size_t kVerifyBatch = 4096;

void check_all_alone(const std::vector<std::string>& values, std::vector<SelfCheck>& out) {
  out.assign(values.size(), {});
  if (values.empty()) return;
  const std::size_t workers =
      std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
  const std::size_t slice = (values.size() + workers - 1) / workers;
  // What a helper throws (std::bad_alloc) is rethrown here, on the caller's thread.
  std::vector<std::exception_ptr> thrown((values.size() + slice - 1) / slice);
  auto run = [&](std::size_t from) {
    try {
      for (std::size_t i = from; i < std::min(values.size(), from + slice); ++i) out[i] = check_alone(values[i]);
    } catch (...) {
      thrown[from / slice] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (std::size_t from = slice; from < values.size(); from += slice) helpers.emplace_back(run, from);
    run(0);
  }
  for (const auto& e : thrown) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace

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
  std::vector<std::string> values;
  std::vector<SelfCheck> checks;
  it->SeekToFirst();
  while (true) {
    // A batch: the keys checked in order as they are read; a bad key ends the batch, and is
    // reported once every event before it has passed.
    std::optional<std::pair<std::uint64_t, std::string>> key_problem;
    values.clear();
    for (; it->Valid() && values.size() < kVerifyBatch; it->Next()) {
      const auto key = to_sv(it->key());
      const std::uint64_t at = expected + values.size();
      if (key.size() != 8) {
        key_problem.emplace(at, "a log key is " + std::to_string(key.size()) + " bytes long instead of 8");
        break;
      }
      if (const std::uint64_t position = decode_be64(key); position != at) {
        key_problem.emplace(at, "position " + std::to_string(at) + " is missing (the next stored position is " +
                                    std::to_string(position) + ")");
        break;
      }
      values.emplace_back(to_sv(it->value()));
    }
    check_all_alone(values, checks);
    for (auto& c : checks) {
      const std::uint64_t position = expected;
      if (!c.problem.empty()) return fail(position, std::move(c.problem));
      if (c.position != position) {
        return fail(position, "the envelope says position " + std::to_string(c.position) +
                                  " but is stored at " + std::to_string(position));
      }
      if (c.prev_hash != prev) return fail(position, "prev_hash does not match the hash of the previous event");
      if (!c.reencode_problem.empty()) return fail(position, std::move(c.reencode_problem));
      if (!c.hash_follows) return fail(position, "hash does not match the event's contents");
      prev = std::move(c.hash);
      ++expected;
      ++report.events_checked;
      if (progress && report.events_checked % kProgressEvery == 0) progress(report.events_checked);
    }
    if (key_problem) return fail(key_problem->first, std::move(key_problem->second));
    if (!it->Valid()) break;
  }
  if (!it->status().ok()) {
    return fail(expected, "RocksDB reports: " + it->status().ToString());
  }
  return report;
}

}  // namespace touchline::store
