// The Merkle tree's arithmetic against RFC 9162's definitions written out naively over a list of
// leaves, for every tree size up to a few dozen leaves and every index and pair of sizes in them.
#include "touchline/store/merkle.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace touchline::store {
namespace {

std::uint64_t largest_power_below(std::uint64_t n) {
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH(D[begin:end]) straight from RFC 9162 2.1.1.
Digest reference_root(const std::vector<Digest>& leaves, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  if (n == 0) return merkle_empty_root();
  if (n == 1) return leaves[begin];
  const std::size_t k = largest_power_below(n);
  return merkle_node_hash(reference_root(leaves, begin, begin + k), reference_root(leaves, begin + k, end));
}

// PATH(m, D[begin:end]), RFC 9162 2.1.3.1.
std::vector<Digest> reference_path(const std::vector<Digest>& leaves, std::size_t m, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  if (n == 1) return {};
  const std::size_t k = largest_power_below(n);
  std::vector<Digest> out;
  if (m < k) {
    out = reference_path(leaves, m, begin, begin + k);
    out.push_back(reference_root(leaves, begin + k, end));
  } else {
    out = reference_path(leaves, m - k, begin + k, end);
    out.push_back(reference_root(leaves, begin, begin + k));
  }
  return out;
}

// SUBPROOF(m, D[begin:end], b), RFC 9162 2.1.4.1.
std::vector<Digest> reference_subproof(const std::vector<Digest>& leaves, std::size_t m, std::size_t begin,
                                       std::size_t end, bool b) {
  const std::size_t n = end - begin;
  if (m == n) return b ? std::vector<Digest>{} : std::vector<Digest>{reference_root(leaves, begin, end)};
  const std::size_t k = largest_power_below(n);
  std::vector<Digest> out;
  if (m <= k) {
    out = reference_subproof(leaves, m, begin, begin + k, b);
    out.push_back(reference_root(leaves, begin + k, end));
  } else {
    out = reference_subproof(leaves, m - k, begin + k, end, false);
    out.push_back(reference_root(leaves, begin, begin + k));
  }
  return out;
}

// A tree built leaf by leaf through MerkleFrontier, keeping what it says is complete, as the
// store does.
struct Tree {
  std::vector<Digest> leaves;
  std::map<std::pair<unsigned, std::uint64_t>, Digest> nodes;
  MerkleFrontier frontier;

  explicit Tree(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      leaves.push_back(merkle_leaf_hash("event " + std::to_string(i)));
      std::vector<MerkleNode> completed;
      frontier.append(leaves.back(), completed);
      for (const auto& c : completed) nodes[{c.level, c.index}] = c.hash;
    }
  }
  NodeReader reader() const {
    return [this](unsigned level, std::uint64_t index) -> Result<Digest> {
      auto it = nodes.find({level, index});
      if (it == nodes.end()) return Error::make(ErrorCode::not_found, "no such node");
      return it->second;
    };
  }
};

constexpr std::size_t kSizes = 40;

TEST(Merkle, LeafAndNodeHashesArePrefixedSha256) {
  // SHA-256 of the single byte 00 (the leaf hash of an empty entry) and of nothing.
  EXPECT_EQ(digest_hex(merkle_leaf_hash("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(digest_hex(merkle_empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const Digest a = merkle_leaf_hash("a");
  const Digest b = merkle_leaf_hash("b");
  const std::string joined = std::string("\x01", 1) + std::string(a.begin(), a.end()) + std::string(b.begin(), b.end());
  EXPECT_EQ(merkle_node_hash(a, b), sha256_digest({joined}));
}

// RFC 6962's test tree of eight entries, as Certificate Transparency's implementations test it:
// the root after each entry.
TEST(Merkle, RootsOfTheCertificateTransparencyTestTree) {
  const std::vector<std::string> entries = {
      "", std::string("\x00", 1), "\x10", "\x20\x21", "\x30\x31", "\x40\x41\x42\x43",
      "\x50\x51\x52\x53\x54\x55\x56\x57", "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
  const std::vector<std::string> roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  MerkleFrontier frontier;
  std::vector<MerkleNode> completed;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    frontier.append(merkle_leaf_hash(entries[i]), completed);
    EXPECT_EQ(digest_hex(frontier.root()), roots[i]) << "after " << i + 1 << " entries";
  }
}

TEST(Merkle, FrontierAndStoredSubtreesGiveTheDefinedRoot) {
  for (std::size_t n = 0; n <= kSizes; ++n) {
    const Tree t(n);
    const Digest want = reference_root(t.leaves, 0, n);
    EXPECT_EQ(t.frontier.root(), want) << n;
    EXPECT_EQ(t.frontier.size(), n);
    auto root = merkle_root(n, t.reader());
    ASSERT_TRUE(root.ok()) << root.error().message;
    EXPECT_EQ(*root, want) << n;
    auto loaded = MerkleFrontier::load(n, t.reader());
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->root(), want);
  }
  // One node per leaf and one per merge: 2n - popcount(n) complete subtrees.
  const Tree t(37);
  EXPECT_EQ(t.nodes.size(), 2 * 37 - 3);
}

TEST(Merkle, ALoadedFrontierGrowsAsTheOriginalWould) {
  const Tree whole(29);
  Tree part(17);
  auto loaded = MerkleFrontier::load(17, part.reader());
  ASSERT_TRUE(loaded.ok());
  std::vector<MerkleNode> completed;
  for (std::size_t i = 17; i < 29; ++i) loaded->append(whole.leaves[i], completed);
  EXPECT_EQ(loaded->root(), whole.frontier.root());
}

TEST(Merkle, WholeSubtreesAppendAsTheirLeavesWould) {
  const Tree t(40);
  MerkleFrontier f;
  std::vector<MerkleNode> completed;
  auto leaves = [&](std::size_t from, std::size_t n) {
    return std::vector<Digest>(t.leaves.begin() + static_cast<std::ptrdiff_t>(from),
                               t.leaves.begin() + static_cast<std::ptrdiff_t>(from + n));
  };
  // 16 leaves, 16 at once, 1, 1, 2 at once, 4 at once: each subtree starts at a multiple of its size.
  for (std::size_t i = 0; i < 16; ++i) f.append(t.leaves[i], completed);
  f.append_subtree(4, merkle_subtree_root(leaves(16, 16)), completed);
  f.append(t.leaves[32], completed);
  f.append(t.leaves[33], completed);
  f.append_subtree(1, merkle_subtree_root(leaves(34, 2)), completed);
  f.append_subtree(2, merkle_subtree_root(leaves(36, 4)), completed);
  EXPECT_EQ(f.size(), 40u);
  EXPECT_EQ(f.root(), t.frontier.root());
  EXPECT_EQ(merkle_subtree_root(leaves(0, 32)), reference_root(t.leaves, 0, 32));
  EXPECT_THROW(f.append_subtree(4, t.leaves[0], completed), std::invalid_argument);  // 40 is not a multiple of 16
  EXPECT_THROW(merkle_subtree_root(leaves(0, 3)), std::invalid_argument);
}

TEST(Merkle, InclusionProofsAreTheDefinedPathsAndVerify) {
  for (std::size_t n = 1; n <= kSizes; ++n) {
    const Tree t(n);
    const Digest root = t.frontier.root();
    for (std::size_t m = 0; m < n; ++m) {
      auto proof = merkle_inclusion_proof(m, n, t.reader());
      ASSERT_TRUE(proof.ok()) << proof.error().message;
      EXPECT_EQ(*proof, reference_path(t.leaves, m, 0, n)) << m << " of " << n;
      EXPECT_TRUE(verify_merkle_inclusion(m, n, t.leaves[m], *proof, root)) << m << " of " << n;
      // Another leaf, another index, another size, or a changed path: refused.
      EXPECT_FALSE(verify_merkle_inclusion(m, n, merkle_leaf_hash("other"), *proof, root));
      if (n > 1) {
        EXPECT_FALSE(verify_merkle_inclusion((m + 1) % n, n, t.leaves[m], *proof, root));
      }
      // (The size a proof is checked at is the signed head's, which names its root: the same
      // path may fit another size's shape, never another size's root.)
      EXPECT_FALSE(verify_merkle_inclusion(m, n + 1, t.leaves[m], *proof, Tree(n + 1).frontier.root()));
      if (!proof->empty()) {
        auto bent = *proof;
        bent.back()[0] ^= 1;
        EXPECT_FALSE(verify_merkle_inclusion(m, n, t.leaves[m], bent, root));
        auto shorter = *proof;
        shorter.pop_back();
        EXPECT_FALSE(verify_merkle_inclusion(m, n, t.leaves[m], shorter, root));
      }
      auto longer = *proof;
      longer.push_back(root);
      EXPECT_FALSE(verify_merkle_inclusion(m, n, t.leaves[m], longer, root));
    }
  }
}

TEST(Merkle, ConsistencyProofsAreTheDefinedProofsAndVerify) {
  const Tree t(kSizes);
  for (std::size_t n = 1; n <= kSizes; ++n) {
    const Digest to_root = reference_root(t.leaves, 0, n);
    for (std::size_t m = 1; m <= n; ++m) {
      const Digest from_root = reference_root(t.leaves, 0, m);
      auto proof = merkle_consistency_proof(m, n, t.reader());
      ASSERT_TRUE(proof.ok()) << proof.error().message;
      const auto want = m == n ? std::vector<Digest>{} : reference_subproof(t.leaves, m, 0, n, true);
      EXPECT_EQ(*proof, want) << m << " to " << n;
      EXPECT_TRUE(verify_merkle_consistency(m, n, from_root, to_root, *proof)) << m << " to " << n;
      // A tree that is not a prefix, other roots, or a changed proof: refused.
      EXPECT_FALSE(verify_merkle_consistency(m, n, merkle_leaf_hash("other"), to_root, *proof));
      EXPECT_FALSE(verify_merkle_consistency(m, n, from_root, merkle_leaf_hash("other"), *proof));
      for (std::size_t i = 0; i < proof->size(); ++i) {
        auto bent = *proof;
        bent[i][31] ^= 0x80;
        EXPECT_FALSE(verify_merkle_consistency(m, n, from_root, to_root, bent)) << m << " to " << n << " at " << i;
      }
    }
  }
  EXPECT_FALSE(verify_merkle_consistency(0, 3, merkle_empty_root(), t.frontier.root(), {}));
  EXPECT_FALSE(verify_merkle_consistency(4, 3, t.frontier.root(), t.frontier.root(), {}));
}

TEST(Merkle, ProofsOutsideTheTreeAreInvalidArguments) {
  const Tree t(5);
  EXPECT_EQ(merkle_inclusion_proof(5, 5, t.reader()).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(merkle_consistency_proof(0, 5, t.reader()).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(merkle_consistency_proof(6, 5, t.reader()).error().code, ErrorCode::invalid_argument);
  // A subtree the reader lacks is its error, not a wrong answer.
  Tree missing(8);
  missing.nodes.erase({3, 0});
  EXPECT_EQ(merkle_root(8, missing.reader()).error().code, ErrorCode::not_found);
}

TEST(Merkle, DigestHexRoundTrips) {
  const Digest d = merkle_leaf_hash("x");
  Digest back{};
  ASSERT_TRUE(parse_digest_hex(digest_hex(d), back));
  EXPECT_EQ(back, d);
  EXPECT_FALSE(parse_digest_hex(digest_hex(d).substr(1), back));
  EXPECT_FALSE(parse_digest_hex(std::string(63, '0') + "g", back));
}

}  // namespace
}  // namespace touchline::store
