// The log's signed tree head, its public key and its Merkle proofs over HTTP, against a real
// server: what each answers, checked with the store's own verifiers (tests/audit/ checks the
// same answers with a verifier written apart from Touchline), who may ask, and the 400s.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_server.h"
#include "touchline/events/envelope.h"
#include "touchline/store/merkle.h"
#include "touchline/store/tree_head.h"

namespace touchline::testing {
namespace log_proofs_api_test {

using nlohmann::json;

const std::map<std::string, std::string> kOperator{{"Authorization", std::string("Bearer ") + kOperatorToken}};

std::vector<store::Digest> digests(const json& list) {
  std::vector<store::Digest> out;
  for (const auto& h : list) {
    store::Digest d{};
    EXPECT_TRUE(store::parse_digest_hex(h.get<std::string>(), d));
    out.push_back(d);
  }
  return out;
}

store::Digest root_of(const json& head) {
  store::Digest d{};
  EXPECT_TRUE(store::parse_digest_hex(head["root"].get<std::string>(), d));
  return d;
}

TEST(LogProofsApi, TheSignedHeadAndItsProofsCheckOut) {
  TestServer server;
  server.account("ada@example.com", "coach");
  server.account("ben@example.com");
  auto key = server.http().get("/v1/log/public-key", kOperator);
  ASSERT_EQ(key.status, 200) << key.body;
  EXPECT_EQ(key.json()["algorithm"], "Ed25519");
  store::Ed25519PublicKey public_key{};
  ASSERT_TRUE(store::parse_public_key_hex(key.json()["public_key"].get<std::string>(), public_key));

  auto first = server.http().get("/v1/log/head", kOperator);
  ASSERT_EQ(first.status, 200) << first.body;
  auto first_head = store::signed_tree_head_from_json(first.json());
  ASSERT_TRUE(first_head.ok()) << first_head.error().message;
  EXPECT_EQ(first_head->head.size, server.head());
  EXPECT_TRUE(store::verify_tree_head(public_key, *first_head));

  server.account("cleo@example.com");
  auto second = server.http().get("/v1/log/head", kOperator);
  ASSERT_EQ(second.status, 200);
  auto head = store::signed_tree_head_from_json(second.json());
  ASSERT_TRUE(head.ok());
  const std::uint64_t size = head->head.size;
  ASSERT_GT(size, first_head->head.size);

  auto log = server.http().get("/v1/events?after=0&limit=1000", kOperator);
  ASSERT_EQ(log.status, 200);
  const json page = log.json();
  for (const auto& e : page["events"]) {
    const auto position = e["position"].get<std::uint64_t>();
    if (position > size) break;
    auto envelope = events::envelope_from_json(e);
    ASSERT_TRUE(envelope.ok());
    auto proof = server.http().get("/v1/log/proof/inclusion?position=" + std::to_string(position) +
                                       "&size=" + std::to_string(size),
                                   kOperator);
    ASSERT_EQ(proof.status, 200) << proof.body;
    EXPECT_EQ(proof.json()["position"], position);
    EXPECT_EQ(proof.json()["size"], size);
    EXPECT_TRUE(store::verify_merkle_inclusion(position - 1, size,
                                               store::merkle_leaf_hash(events::canonical_bytes(*envelope)),
                                               digests(proof.json()["audit_path"]), head->head.root))
        << position;
  }
  const std::uint64_t from = first_head->head.size;
  auto consistency = server.http().get(
      "/v1/log/proof/consistency?from=" + std::to_string(from) + "&to=" + std::to_string(size), kOperator);
  ASSERT_EQ(consistency.status, 200) << consistency.body;
  EXPECT_TRUE(store::verify_merkle_consistency(from, size, root_of(first.json()), head->head.root,
                                               digests(consistency.json()["proof"])));
  // Without `size` or `to`, the proofs are at the log's head.
  auto at_head = server.http().get("/v1/log/proof/consistency?from=" + std::to_string(from), kOperator);
  ASSERT_EQ(at_head.status, 200);
  EXPECT_EQ(at_head.json()["to"], server.head());
}

TEST(LogProofsApi, OnlyOperatorsMayAskAndBadNumbersAre400s) {
  TestServer server;
  auto ada = server.account("ada@example.com", "coach");
  const std::string head = std::to_string(server.head());
  const std::map<std::string, std::string> member{{"Authorization", "Bearer " + ada["token"].get<std::string>()}};
  for (const char* path : {"/v1/log/head", "/v1/log/public-key", "/v1/log/proof/inclusion?position=1",
                           "/v1/log/proof/consistency?from=1"}) {
    EXPECT_EQ(server.http().get(path).status, 401) << path;
    EXPECT_EQ(server.http().get(path, member).status, 403) << path;
  }
  for (const std::string& path : std::vector<std::string>{
           "/v1/log/proof/inclusion", "/v1/log/proof/inclusion?position=0", "/v1/log/proof/inclusion?position=x",
        "/v1/log/proof/inclusion?position=2&size=1", "/v1/log/proof/inclusion?position=1&size=" + head + "0",
        "/v1/log/proof/consistency", "/v1/log/proof/consistency?from=0", "/v1/log/proof/consistency?from=2&to=1",
        "/v1/log/proof/consistency?from=1&to=" + head + "0"}) {
    auto r = server.http().get(path, kOperator);
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
    EXPECT_EQ(r.json()["code"], "invalid_argument") << path;
  }
}

}  // namespace log_proofs_api_test
}  // namespace touchline::testing
