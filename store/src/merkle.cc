#include "touchline/store/merkle.h"

#include <bit>
#include <stdexcept>

namespace touchline::store {
namespace {

const std::string_view kLeafPrefix("\x00", 1);
const std::string_view kNodePrefix("\x01", 1);

std::string_view bytes_of(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

// The largest power of two below n (n >= 2): where RFC 9162 splits a tree of n leaves.
std::uint64_t split_point(std::uint64_t n) { return std::uint64_t{1} << (std::bit_width(n - 1) - 1); }

// MTH(D[begin:end]) from the complete subtrees: a range of a power-of-two length is one of them
// (the ranges the proofs ask for start at a multiple of their length); any other splits as the
// tree does.
Result<Digest> range_hash(std::uint64_t begin, std::uint64_t end, const NodeReader& read) {
  const std::uint64_t n = end - begin;
  if (std::has_single_bit(n)) {
    if (begin % n != 0) {
      return Error::make(ErrorCode::internal, "a Merkle subtree is not aligned to its size");
    }
    const auto level = static_cast<unsigned>(std::countr_zero(n));
    return read(level, begin >> level);
  }
  const std::uint64_t k = split_point(n);
  auto left = range_hash(begin, begin + k, read);
  if (!left.ok()) return left;
  auto right = range_hash(begin + k, end, read);
  if (!right.ok()) return right;
  return merkle_node_hash(*left, *right);
}

// PATH(m, D[begin:end]), nearest the leaf first.
Status inclusion_path(std::uint64_t m, std::uint64_t begin, std::uint64_t end, const NodeReader& read,
                      std::vector<Digest>& out) {
  const std::uint64_t n = end - begin;
  if (n == 1) return ok_status();
  const std::uint64_t k = split_point(n);
  const bool left = m < k;
  auto st = left ? inclusion_path(m, begin, begin + k, read, out) : inclusion_path(m - k, begin + k, end, read, out);
  if (!st.ok()) return st;
  auto sibling = left ? range_hash(begin + k, end, read) : range_hash(begin, begin + k, read);
  if (!sibling.ok()) return sibling.error();
  out.push_back(*sibling);
  return ok_status();
}

// SUBPROOF(m, D[begin:end], complete).
Status subproof(std::uint64_t m, std::uint64_t begin, std::uint64_t end, bool complete, const NodeReader& read,
                std::vector<Digest>& out) {
  const std::uint64_t n = end - begin;
  if (m == n) {
    if (complete) return ok_status();
    auto whole = range_hash(begin, end, read);
    if (!whole.ok()) return whole.error();
    out.push_back(*whole);
    return ok_status();
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    auto st = subproof(m, begin, begin + k, complete, read, out);
    if (!st.ok()) return st;
    auto right = range_hash(begin + k, end, read);
    if (!right.ok()) return right.error();
    out.push_back(*right);
  } else {
    auto st = subproof(m - k, begin + k, end, false, read, out);
    if (!st.ok()) return st;
    auto left = range_hash(begin, begin + k, read);
    if (!left.ok()) return left.error();
    out.push_back(*left);
  }
  return ok_status();
}

// Shifts fn and sn right together until fn's lowest bit is set or fn is 0 (RFC 9162's step for a
// left child that has no sibling at this level).
void skip_lone_levels(std::uint64_t& fn, std::uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Digest merkle_leaf_hash(std::string_view canonical_bytes) { return sha256_digest({kLeafPrefix, canonical_bytes}); }

Digest merkle_node_hash(const Digest& left, const Digest& right) {
  return sha256_digest({kNodePrefix, bytes_of(left), bytes_of(right)});
}

Digest merkle_empty_root() { return sha256_digest({}); }

std::string digest_hex(const Digest& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(d.size() * 2, '0');
  for (std::size_t i = 0; i < d.size(); ++i) {
    out[2 * i] = kDigits[d[i] >> 4];
    out[2 * i + 1] = kDigits[d[i] & 0x0f];
  }
  return out;
}

bool parse_digest_hex(std::string_view hex, Digest& out) {
  if (hex.size() != out.size() * 2) return false;
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = value(hex[2 * i]);
    const int lo = value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

Result<MerkleFrontier> MerkleFrontier::load(std::uint64_t size, const NodeReader& read) {
  MerkleFrontier f;
  std::uint64_t start = 0;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t span = std::uint64_t{1} << level;
    if ((size & span) == 0) continue;
    auto hash = read(static_cast<unsigned>(level), start >> level);
    if (!hash.ok()) return hash.error();
    f.subtrees_.push_back(MerkleNode{static_cast<unsigned>(level), start >> level, *hash});
    start += span;
  }
  f.size_ = size;
  return f;
}

void MerkleFrontier::append(const Digest& leaf_hash, std::vector<MerkleNode>& completed) {
  append_subtree(0, leaf_hash, completed);
}

void MerkleFrontier::append_subtree(unsigned level, const Digest& root, std::vector<MerkleNode>& completed) {
  const std::uint64_t span = std::uint64_t{1} << level;
  if (level > 63 || size_ % span != 0) {
    throw std::invalid_argument("a subtree of 2^" + std::to_string(level) + " leaves does not start at leaf " +
                                std::to_string(size_));
  }
  subtrees_.push_back(MerkleNode{level, size_ >> level, root});
  completed.push_back(subtrees_.back());
  while (subtrees_.size() >= 2 && subtrees_[subtrees_.size() - 2].level == subtrees_.back().level) {
    const MerkleNode right = subtrees_.back();
    subtrees_.pop_back();
    MerkleNode& left = subtrees_.back();
    left = MerkleNode{left.level + 1, left.index / 2, merkle_node_hash(left.hash, right.hash)};
    completed.push_back(left);
  }
  size_ += span;
}

Digest merkle_subtree_root(std::vector<Digest> leaves) {
  if (!std::has_single_bit(leaves.size())) {
    throw std::invalid_argument("a complete subtree has a power of two of leaves, not " + std::to_string(leaves.size()));
  }
  for (std::size_t n = leaves.size(); n > 1; n /= 2) {
    for (std::size_t i = 0; i < n / 2; ++i) leaves[i] = merkle_node_hash(leaves[2 * i], leaves[2 * i + 1]);
  }
  return leaves.front();
}

Digest MerkleFrontier::root() const {
  if (subtrees_.empty()) return merkle_empty_root();
  Digest h = subtrees_.back().hash;
  for (std::size_t i = subtrees_.size() - 1; i-- > 0;) h = merkle_node_hash(subtrees_[i].hash, h);
  return h;
}

Result<Digest> merkle_root(std::uint64_t size, const NodeReader& read) {
  auto frontier = MerkleFrontier::load(size, read);
  if (!frontier.ok()) return frontier.error();
  return frontier->root();
}

Result<std::vector<Digest>> merkle_inclusion_proof(std::uint64_t index, std::uint64_t size, const NodeReader& read) {
  if (index >= size) {
    return Error::make(ErrorCode::invalid_argument,
                       "leaf " + std::to_string(index) + " is not in a tree of " + std::to_string(size) + " leaves");
  }
  std::vector<Digest> out;
  auto st = inclusion_path(index, 0, size, read, out);
  if (!st.ok()) return st.error();
  return out;
}

Result<std::vector<Digest>> merkle_consistency_proof(std::uint64_t from, std::uint64_t to, const NodeReader& read) {
  if (from == 0 || from > to) {
    return Error::make(ErrorCode::invalid_argument, "a consistency proof needs 0 < from <= to (got from " +
                                                        std::to_string(from) + ", to " + std::to_string(to) + ")");
  }
  std::vector<Digest> out;
  if (from == to) return out;
  auto st = subproof(from, 0, to, true, read, out);
  if (!st.ok()) return st.error();
  return out;
}

bool verify_merkle_inclusion(std::uint64_t index, std::uint64_t size, const Digest& leaf_hash,
                             const std::vector<Digest>& proof, const Digest& root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = merkle_node_hash(p, r);
      skip_lone_levels(fn, sn);
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verify_merkle_consistency(std::uint64_t from, std::uint64_t to, const Digest& from_root,
                               const Digest& to_root, const std::vector<Digest>& proof) {
  if (from == 0 || from > to) return false;
  if (from == to) return proof.empty() && from_root == to_root;
  std::vector<Digest> path;
  if (std::has_single_bit(from)) path.push_back(from_root);
  path.insert(path.end(), proof.begin(), proof.end());
  if (path.empty()) return false;
  std::uint64_t fn = from - 1;
  std::uint64_t sn = to - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = path.front();
  Digest sr = path.front();
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Digest& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = merkle_node_hash(c, fr);
      sr = merkle_node_hash(c, sr);
      skip_lone_levels(fn, sn);
    } else {
      sr = merkle_node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == from_root && sr == to_root && sn == 0;
}

}  // namespace touchline::store
