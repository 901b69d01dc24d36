// Request routing as a pure function: method and target in, endpoint and parameters out. Tested
// without sockets (tests/api/router_test.cc).
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace touchline::api {

enum class Endpoint {
  health,              // GET  /healthz
  ready,               // GET  /readyz
  metrics,             // GET  /metrics
  command,             // POST /v1/commands/{name}
  operator_command,    // POST /v1/operator/commands/{name}
  sign_in,             // POST /v1/sessions
  check,               // POST /v1/check
  checks,              // POST /v1/checks
  lookup_subjects,     // POST /v1/lookup/subjects
  lookup_targets,      // POST /v1/lookup/targets
  members,             // GET  /v1/organizations/{organization_id}/members
  action,              // POST /v1/actions
  member_permissions,  // GET  /v1/organizations/{organization_id}/members/{account_id}/permissions
  audit,               // GET  /v1/organizations/{organization_id}/audit
  audit_stream,        // GET  /v1/organizations/{organization_id}/audit/stream
  compliance,          // GET  /v1/organizations/{organization_id}/compliance
  organization,        // GET  /v1/organizations/{organization_id}
  events,              // GET  /v1/events
  event_stream,        // GET  /v1/events/stream
  log_head,            // GET  /v1/log/head
  log_public_key,      // GET  /v1/log/public-key
  log_inclusion,       // GET  /v1/log/proof/inclusion
  log_consistency,     // GET  /v1/log/proof/consistency
  account_privacy,     // GET  /v1/accounts/{account_id}/privacy
  permissions,         // GET  /v1/permissions
  role_models,         // GET  /v1/role-models
  role_model,          // GET  /v1/role-models/{id}
  openapi,             // GET  /v1/openapi.json
  console,             // GET  /console, /console/console.js, /console/console.css
};

// One route: a method and a path pattern whose "{x}" segments capture one segment each.
struct Route {
  std::string_view method;
  std::string_view path;
  Endpoint endpoint;
};

// Every route, in the order route() tries them (the OpenAPI document and the metrics list them).
std::span<const Route> routes();

struct RouteMatch {
  enum class Outcome { matched, not_found, method_not_allowed };
  Outcome outcome = Outcome::not_found;
  Endpoint endpoint = Endpoint::health;
  std::size_t route_index = 0;                // when matched: the route's index in routes()
  std::map<std::string, std::string> params;  // path parameters, percent-decoded
  std::map<std::string, std::string> query;   // query parameters, percent-decoded
  std::string allow;                          // for method_not_allowed: the Allow header
};

RouteMatch route(std::string_view method, std::string_view target);

// Decodes %XX escapes and '+' (as space, in queries). Malformed escapes are kept as they are.
std::string percent_decode(std::string_view s, bool plus_is_space);

}  // namespace touchline::api
