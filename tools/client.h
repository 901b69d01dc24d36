// The client commands of the touchline tool: each sends one request (or, for members, audit and
// watch, one per page) to a running touchlined and prints its answer, as a table for a person
// (the default) or as the server's JSON (--output json). Exit codes: 0 answered, 1 the server
// refused (its problem printed: code, detail, field, request id) or could not be reached, 2 bad
// input caught before sending (e.g. --json that is not JSON).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "remote.h"

namespace touchline::tools {

enum class Output { table, json };

struct ReadPoint {  // where in the log a read answers: as it stood then (one of the two), or
  std::optional<std::uint64_t> at_position;
  std::string at_time;
  std::optional<std::uint64_t> min_position;  // now, once the answer includes this position
};

struct CheckRequest {
  std::string organization, subject, permission, target;
  ReadPoint at;
};

struct LookupRequest {
  std::string kind;  // "subjects" or "targets"
  std::string organization, permission, target, subject;
};

struct AuditRequest {
  std::string organization, category, actor, subject, since, until;
  std::uint32_t limit = 50;
  std::optional<std::uint64_t> min_position;
};

struct WatchRequest {
  std::string organization;  // empty: the whole log (/v1/events, the operator token)
  std::uint64_t after = 0;
  std::uint64_t count = 0;  // stop after this many entries; 0: until interrupted
};

int remote_sign_in(const Remote& server, Output out, const std::string& email, const std::string& password);
int remote_check(const Remote& server, Output out, const CheckRequest& check);
int remote_checks(const Remote& server, Output out, const std::string& json_body);
int remote_lookup(const Remote& server, Output out, const LookupRequest& lookup);
int remote_members(const Remote& server, Output out, const std::string& organization, const std::string& role,
                   const ReadPoint& at);
int remote_organization(const Remote& server, Output out, const std::string& organization, const ReadPoint& at);
int remote_audit(const Remote& server, Output out, const AuditRequest& audit);
int remote_watch(const Remote& server, Output out, const WatchRequest& watch);
// POST /v1/commands/NAME (or /v1/operator/commands/NAME), with ?dry_run=true when asked.
int remote_command(const Remote& server, Output out, const std::string& name, const std::string& json_body,
                   bool dry_run, bool as_operator);

// Rendering, as pure functions (tests/tools/client_render_test.cc).
// Columns padded to their widest cell, two spaces apart; a header row, then the rows.
std::string render_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);
// A JSON value as a cell: strings bare, null as "-", the rest as JSON text.
std::string cell(const nlohmann::json& value);
// An object's members as "name  value" lines (nested values as JSON text).
std::string render_fields(const nlohmann::json& object);
// A problem answer as one line: "STATUS CODE: DETAIL (field F, request id R)".
std::string render_problem(int status, const std::string& body, const std::string& request_id);
// Percent-encodes a query value (RFC 3986: all but letters, digits and -._~).
std::string query_escape(const std::string& value);

}  // namespace touchline::tools
