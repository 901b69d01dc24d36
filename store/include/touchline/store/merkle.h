// The log's Merkle tree, hashed as RFC 9162 (Certificate Transparency 2.0) section 2.1 says:
//
//   leaf hash  = SHA-256(0x00 || the event's canonical bytes)        (docs/LOG_FORMAT.md)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH({})    = SHA-256(""),  MTH({d}) = leaf hash of d,
//   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two below n.
//
// Leaf i (0-based) is the event at position i + 1. Everything here is arithmetic on digests:
// the store keeps every complete ("perfect") subtree's hash and answers through a NodeReader;
// tests and the offline verifier pass readers of their own. All functions are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "touchline/events/result.h"

namespace touchline::store {

using Digest = std::array<unsigned char, 32>;

// SHA-256 of the pieces one after another (OpenSSL). Throws std::runtime_error when OpenSSL
// cannot hash (out of memory, or a configuration that offers no SHA-256).
Digest sha256_digest(std::initializer_list<std::string_view> pieces);

Digest merkle_leaf_hash(std::string_view canonical_bytes);
Digest merkle_node_hash(const Digest& left, const Digest& right);
// SHA-256 of nothing: the root of the empty tree.
Digest merkle_empty_root();

std::string digest_hex(const Digest& d);
// The digest 64 hex digits (either case) stand for; false on anything else.
bool parse_digest_hex(std::string_view hex, Digest& out);

// A complete subtree: the 2^level leaves from index * 2^level on.
struct MerkleNode {
  unsigned level = 0;
  std::uint64_t index = 0;
  Digest hash{};
};

// The hash of a complete subtree the caller keeps: the digest, not_found when it does not keep
// it, internal when reading it failed.
using NodeReader = std::function<Result<Digest>(unsigned level, std::uint64_t index)>;

// The right edge of a growing tree: the complete subtrees that a tree of size() leaves splits
// into, largest first, one per set bit of size(). Enough to append leaves and to compute the
// root without anything else. Not thread-safe (one writer owns it).
class MerkleFrontier {
 public:
  MerkleFrontier() = default;

  // The frontier of a tree of `size` leaves whose complete subtrees `read` answers. Errors: what
  // read answers (not_found when a subtree of the frontier is not kept).
  static Result<MerkleFrontier> load(std::uint64_t size, const NodeReader& read);

  std::uint64_t size() const { return size_; }

  // Adds a leaf; appends to `completed` every complete subtree this closes: the leaf itself
  // (level 0) and each node above it that it completes, lowest first.
  void append(const Digest& leaf_hash, std::vector<MerkleNode>& completed);

  // Adds 2^level leaves at once, given the root of their complete subtree; as many appends of
  // those leaves would. Throws std::invalid_argument unless size() is a multiple of 2^level.
  void append_subtree(unsigned level, const Digest& root, std::vector<MerkleNode>& completed);

  // MTH of the leaves so far (merkle_empty_root() for none).
  Digest root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<MerkleNode> subtrees_;  // largest (leftmost) first
};

// MTH of leaves.size() leaves (a power of two, at least 1) by hashing them pairwise, level by
// level: the root of a complete subtree. Throws std::invalid_argument on any other count.
Digest merkle_subtree_root(std::vector<Digest> leaves);

// MTH of the first `size` leaves, from the complete subtrees `read` answers (at most one read
// per set bit of size). Errors: what read answers.
Result<Digest> merkle_root(std::uint64_t size, const NodeReader& read);

// RFC 9162 2.1.3.1: the audit path of leaf `index` in the tree of the first `size` leaves,
// nearest the leaf first. invalid_argument unless index < size; else what read answers.
Result<std::vector<Digest>> merkle_inclusion_proof(std::uint64_t index, std::uint64_t size, const NodeReader& read);

// RFC 9162 2.1.4.1: the proof that the tree of the first `from` leaves is a prefix of the tree
// of the first `to`. Empty when from == to. invalid_argument unless 0 < from <= to; else what
// read answers.
Result<std::vector<Digest>> merkle_consistency_proof(std::uint64_t from, std::uint64_t to, const NodeReader& read);

// RFC 9162 2.1.3.2: whether `proof` shows the leaf with `leaf_hash` at `index` in the tree of
// `size` leaves whose root is `root`.
bool verify_merkle_inclusion(std::uint64_t index, std::uint64_t size, const Digest& leaf_hash,
                             const std::vector<Digest>& proof, const Digest& root);

// RFC 9162 2.1.4.2: whether `proof` shows the tree of `from` leaves with root `from_root` to be a
// prefix of the tree of `to` leaves with root `to_root` (0 < from <= to; from == to needs an
// empty proof and equal roots).
bool verify_merkle_consistency(std::uint64_t from, std::uint64_t to, const Digest& from_root,
                               const Digest& to_root, const std::vector<Digest>& proof);

}  // namespace touchline::store
