// What an auditor asks of the log itself: its signed tree head, the key that signs it, and the
// Merkle proofs (RFC 9162) that an event is in it or that it only grew. The rules and the
// arithmetic are the store's (merkle.h, tree_head.h); these decode, call and render. Operators'
// endpoints, like the event feed.
#include "endpoint_helpers.h"
#include "touchline/api/api.h"
#include "touchline/store/merkle.h"
#include "touchline/store/tree_head.h"

namespace touchline::api {

using namespace endpoints;

namespace {

json hex_list(const std::vector<store::Digest>& digests) {
  json out = json::array();
  for (const auto& d : digests) out.push_back(store::digest_hex(d));
  return out;
}

// A required positive integer query parameter (a position or a tree size).
Result<std::uint64_t> positive(const std::map<std::string, std::string>& query, const std::string& name) {
  if (query.find(name) == query.end()) return invalid(name + " is required", name);
  auto v = parse_count(query, name, 0);
  if (!v.ok()) return v.error();
  if (*v == 0) return invalid(name + " must be at least 1", name);
  return v;
}

}  // namespace

void Api::log_head(const HttpRequest& req, Responder respond) {
  if (auto denied = require_operator(req, "the log's tree head is")) return respond(fail(*denied));
  auto head = store::sign_log_head(deps_.log, deps_.tree_heads, deps_.now_ms());
  if (!head.ok()) return respond(fail(head.error()));
  respond(json_response(200, store::to_json(*head)));
}

void Api::log_public_key(const HttpRequest& req, Responder respond) {
  if (auto denied = require_operator(req, "the log's public key is")) return respond(fail(*denied));
  respond(json_response(200, {{"algorithm", "Ed25519"},
                              {"public_key", store::public_key_hex(deps_.tree_heads.public_key())}}));
}

void Api::log_inclusion(const std::map<std::string, std::string>& query, const HttpRequest& req,
                        Responder respond) {
  if (auto denied = require_operator(req, "the log's proofs are")) return respond(fail(*denied));
  auto position = positive(query, "position");
  if (!position.ok()) return respond(fail(position.error()));
  auto size = parse_count(query, "size", deps_.log.head_position());
  if (!size.ok()) return respond(fail(size.error()));
  auto proof = deps_.log.merkle_inclusion_proof(*position, *size);
  if (!proof.ok()) return respond(fail(proof.error()));
  respond(json_response(200, {{"position", *position}, {"size", *size}, {"audit_path", hex_list(*proof)}}));
}

void Api::log_consistency(const std::map<std::string, std::string>& query, const HttpRequest& req,
                          Responder respond) {
  if (auto denied = require_operator(req, "the log's proofs are")) return respond(fail(*denied));
  auto from = positive(query, "from");
  if (!from.ok()) return respond(fail(from.error()));
  auto to = parse_count(query, "to", deps_.log.head_position());
  if (!to.ok()) return respond(fail(to.error()));
  auto proof = deps_.log.merkle_consistency_proof(*from, *to);
  if (!proof.ok()) return respond(fail(proof.error()));
  respond(json_response(200, {{"from", *from}, {"to", *to}, {"proof", hex_list(*proof)}}));
}

}  // namespace touchline::api
