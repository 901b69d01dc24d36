#include "touchline/store/hash_chain.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <rocksdb/iterator.h>

#include "chain_walk.h"
#include "event_store_impl.h"
#include "touchline/events/json_text.h"
#include "touchline/store/event_store.h"
#include "touchline/store/merkle.h"

namespace touchline::store {
namespace {

constexpr std::uint64_t kProgressEvery = 10'000;

// Each byte's value as a lowercase hex digit, or -1: a table, not branches, since hash digits
// are random and a branch on each would be mispredicted half the time.
constexpr std::array<signed char, 256> kHexDigitValues = [] {
  std::array<signed char, 256> values{};
  values.fill(-1);
  for (int d = 0; d < 16; ++d) values[static_cast<unsigned char>("0123456789abcdef"[d])] = static_cast<signed char>(d);
  return values;
}();

constexpr std::size_t kSha256Bytes = 32;

std::string sha256_hex_of(std::initializer_list<std::string_view> pieces) {
  return digest_hex(sha256_digest(pieces));
}

// The 32 bytes that 64 lowercase hex digits stand for. Hashing these rather than the hex keeps
// the rule independent of hex case. Throws std::invalid_argument on anything else.
std::array<unsigned char, kSha256Bytes> unhex_hash(std::string_view hex) {
  if (hex.size() != 2 * kSha256Bytes) {
    throw std::invalid_argument("chain_hash: prev hash is not 64 hex digits");
  }
  std::array<unsigned char, kSha256Bytes> bytes{};
  int all = 0;  // the OR of every digit's value: negative when any is not a digit
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const int hi = kHexDigitValues[static_cast<unsigned char>(hex[2 * i])];
    const int lo = kHexDigitValues[static_cast<unsigned char>(hex[2 * i + 1])];
    all |= hi | lo;
    bytes[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  if (all < 0) throw std::invalid_argument("chain_hash: prev hash is not lowercase hex");
  return bytes;
}

std::string_view as_text(const std::array<unsigned char, kSha256Bytes>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

// OpenSSL's SHA-256 rather than libsodium's: it uses the CPU's SHA instructions, and verify
// hashes every byte of the log. Each thread keeps a context of its own, so the hot loop
// allocates nothing.
Digest sha256_digest(std::initializer_list<std::string_view> pieces) {
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> context;
  if (!context) context.reset(EVP_MD_CTX_new());  // null only when out of memory: tried again next time
  // Fetched once: EVP_sha256() would look the algorithm up, under a lock, on every digest.
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> kSha256(EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                                                        &EVP_MD_free);
  Digest out{};
  unsigned int length = 0;
  bool ok = context != nullptr && kSha256 != nullptr && EVP_DigestInit_ex(context.get(), kSha256.get(), nullptr) == 1;
  for (std::string_view piece : pieces) {
    ok = ok && EVP_DigestUpdate(context.get(), piece.data(), piece.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(context.get(), out.data(), &length) == 1 && length == out.size();
  if (!ok) {
    // Out of memory, or an OpenSSL configuration (OPENSSL_CONF) that offers no SHA-256.
    throw std::runtime_error("OpenSSL's SHA-256 failed (out of memory, or no provider offers SHA-256)");
  }
  return out;
}

const std::string& genesis_hash() {
  static const std::string kGenesis(64, '0');
  return kGenesis;
}

std::string sha256_hex(std::string_view data) { return sha256_hex_of({data}); }

std::string chain_hash(std::string_view prev_hash_hex, const events::Envelope& e) {
  return chain_hash_of_canonical(prev_hash_hex, events::canonical_bytes(e));
}

std::string chain_hash_of_canonical(std::string_view prev_hash_hex, std::string_view canonical_bytes) {
  const auto prev = unhex_hash(prev_hash_hex);
  return sha256_hex_of({as_text(prev), canonical_bytes});
}

namespace {

using detail::Batch;
using detail::kVerifyBatch;

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
  Digest leaf{};  // its Merkle leaf hash, when asked for
};

SelfCheck check_alone(std::string_view value, bool with_leaf) {
  SelfCheck out;
  // The text the store wrote is already canonical: hash it as it lies. Any other text, even one
  // that decodes, is decoded and re-encoded below, as the rule says.
  if (auto text = events::read_canonical_text(value)) {
    const auto prev = unhex_hash(text->prev_hash);  // read_canonical_text checked its digits
    const auto& pieces = text->canonical_pieces;
    out.position = text->position;
    out.hash_follows = text->hash == sha256_hex_of({as_text(prev), pieces[0], pieces[1], pieces[2]});
    if (with_leaf) out.leaf = sha256_digest({std::string_view("\x00", 1), pieces[0], pieces[1], pieces[2]});
    out.prev_hash = text->prev_hash;
    out.hash = text->hash;
    return out;
  }
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
    const std::string canonical = events::canonical_bytes(*e);
    out.hash_follows = e->hash == chain_hash_of_canonical(e->prev_hash, canonical);
    if (with_leaf) out.leaf = merkle_leaf_hash(canonical);
  } catch (const nlohmann::json::exception& ex) {
    out.reencode_problem = std::string("the envelope cannot be re-encoded: ") + ex.what();
  } catch (const std::invalid_argument&) {
    out.hash_follows = false;  // a prev_hash that is not 64 hex digits: the link check names it
  }
  out.prev_hash = std::move(e->prev_hash);
  out.hash = std::move(e->hash);
  return out;
}

// Reads up to kVerifyBatch events from `it`, the first of which should be at `first_position`.
// A read error ends the batch like a bad key: reported once every event before it has passed.
void read_batch(rocksdb::Iterator& it, std::uint64_t first_position, Batch& batch) {
  batch.text.clear();
  batch.spans.clear();
  batch.key_problem.reset();
  for (; it.Valid() && batch.spans.size() < kVerifyBatch; it.Next()) {
    const auto key = to_sv(it.key());
    const std::uint64_t at = first_position + batch.spans.size();
    if (key.size() != 8) {
      batch.key_problem.emplace(at, "a log key is " + std::to_string(key.size()) + " bytes long instead of 8");
      break;
    }
    if (const std::uint64_t position = decode_be64(key); position != at) {
      batch.key_problem.emplace(at, "position " + std::to_string(at) + " is missing (the next stored position is " +
                                        std::to_string(position) + ")");
      break;
    }
    const auto value = to_sv(it.value());
    batch.spans.emplace_back(batch.text.size(), value.size());
    batch.text.append(value);
  }
  if (!batch.key_problem && !it.Valid() && !it.status().ok()) {
    batch.key_problem.emplace(first_position + batch.spans.size(), "RocksDB reports: " + it.status().ToString());
  }
  batch.last = batch.key_problem.has_value() || !it.Valid();
}

// A batch's events, checked alone by several threads at once: each takes the next few
// unchecked events until none is left, so that a thread held up (by the reader, or by another
// process) leaves its share to the others instead of making them wait for it.
class SharedCheck {
 public:
  // Events are taken kChunk at a time; with leaves, each whole chunk's Merkle subtree root is
  // hashed too (into chunk_roots, one per whole chunk), so that the walk, which must append to
  // the tree in order on one thread, appends one subtree per chunk rather than each leaf.
  static constexpr std::size_t kChunk = 64;
  static constexpr unsigned kChunkLevel = 6;  // kChunk = 2^6 leaves

  SharedCheck(const std::vector<std::string_view>& values, bool with_leaf, std::vector<SelfCheck>& out,
              std::vector<Digest>& chunk_roots)
      : values_(values), with_leaf_(with_leaf), out_(out), chunk_roots_(chunk_roots) {
    out_.assign(values_.size(), {});
    chunk_roots_.assign(with_leaf ? values_.size() / kChunk : 0, {});
  }

  // Checks events until none is left. Thread-safe; what it throws (std::bad_alloc) is kept for
  // rethrow_any().
  void work() {
    try {
      for (;;) {
        const std::size_t from = next_.fetch_add(kChunk, std::memory_order_relaxed);
        if (from >= values_.size()) return;
        for (std::size_t i = from; i < std::min(values_.size(), from + kChunk); ++i) out_[i] = check_alone(values_[i], with_leaf_);
        if (with_leaf_ && from + kChunk <= values_.size()) {
          std::vector<Digest> leaves(kChunk);
          for (std::size_t j = 0; j < kChunk; ++j) leaves[j] = out_[from + j].leaf;
          chunk_roots_[from / kChunk] = merkle_subtree_root(std::move(leaves));
        }
      }
    } catch (...) {
      std::lock_guard lock(mu_);
      if (!thrown_) thrown_ = std::current_exception();
    }
  }

  // After every work() has returned: rethrows the first exception one of them caught.
  void rethrow_any() const {
    if (thrown_) std::rethrow_exception(thrown_);
  }

 private:
  const std::vector<std::string_view>& values_;
  const bool with_leaf_;
  std::vector<SelfCheck>& out_;
  std::vector<Digest>& chunk_roots_;
  std::atomic<std::size_t> next_{0};
  std::mutex mu_;
  std::exception_ptr thrown_;
};

}  // namespace

namespace detail {

VerifyReport walk_chain(const ReadBatch& read, MerkleFrontier* tree,
                        const std::function<void(std::uint64_t)>& progress) {
  VerifyReport report;
  auto fail = [&](std::uint64_t position, std::string problem) {
    report.ok = false;
    report.first_bad_position = position;
    report.problem = std::move(problem);
    return report;
  };
  std::uint64_t expected = 1;
  std::string prev = genesis_hash();
  const std::size_t workers = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
  Batch current;
  Batch next;
  std::vector<SelfCheck> checks;
  std::vector<Digest> chunk_roots;
  std::vector<MerkleNode> completed;
  read(expected, current);
  while (true) {
    {
      // The helpers check this batch while this thread reads the next, then joins them.
      const std::vector<std::string_view> values = current.values();
      SharedCheck check(values, tree != nullptr, checks, chunk_roots);
      {
        std::vector<std::jthread> helpers;
        for (std::size_t i = 0; i < workers; ++i) helpers.emplace_back([&check] { check.work(); });
        if (!current.last) read(expected + current.spans.size(), next);
        check.work();
      }
      check.rethrow_any();
    }
    // The chunks' subtrees fit the tree where they lie when the batch starts at a multiple of a
    // chunk (every batch but after a short one, which is the last).
    const bool chunks_aligned = (expected - 1) % SharedCheck::kChunk == 0;
    for (std::size_t i = 0; i < checks.size(); ++i) {
      SelfCheck& c = checks[i];
      const std::uint64_t position = expected;
      if (!c.problem.empty()) return fail(position, std::move(c.problem));
      if (c.position != position) {
        return fail(position, "the envelope says position " + std::to_string(c.position) +
                                  " but is stored at " + std::to_string(position));
      }
      if (c.prev_hash != prev) return fail(position, "prev_hash does not match the hash of the previous event");
      if (!c.reencode_problem.empty()) return fail(position, std::move(c.reencode_problem));
      if (!c.hash_follows) return fail(position, "hash does not match the event's contents");
      if (tree != nullptr) {
        completed.clear();
        if (chunks_aligned && i / SharedCheck::kChunk < chunk_roots.size()) {
          // The chunk's last event: every event of it has passed, so its subtree goes in whole.
          if (i % SharedCheck::kChunk == SharedCheck::kChunk - 1) {
            tree->append_subtree(SharedCheck::kChunkLevel, chunk_roots[i / SharedCheck::kChunk], completed);
          }
        } else {
          tree->append(c.leaf, completed);
        }
      }
      prev = std::move(c.hash);
      ++expected;
      ++report.events_checked;
      if (progress && report.events_checked % kProgressEvery == 0) progress(report.events_checked);
    }
    if (current.key_problem) return fail(current.key_problem->first, std::move(current.key_problem->second));
    if (current.last) break;
    std::swap(current, next);
  }
  return report;
}

}  // namespace detail

VerifyReport verify_log(const EventStore& store,
                        const std::function<void(std::uint64_t)>& progress) {
  const EventStore::Impl& im = store.impl();
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;  // a full scan would only evict what the server is using
  ro.readahead_size = 4 << 20;  // a read of 4 MiB, not a pread per 4 KiB block
  std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(ro, im.cf_log));
  it->SeekToFirst();
  return detail::walk_chain(
      [&it](std::uint64_t first_position, detail::Batch& batch) { read_batch(*it, first_position, batch); }, nullptr,
      progress);
}

}  // namespace touchline::store
