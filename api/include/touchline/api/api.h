// Touchline's HTTP API: routes each request (router.h), authenticates it, and answers from the
// command service or the projections. Independent of Beast: it consumes HttpRequest and answers
// through a Responder, so it runs the same behind the real server and in tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "touchline/api/auth.h"
#include "touchline/api/commands.h"
#include "touchline/api/http_server.h"
#include "touchline/api/metrics.h"
#include "touchline/api/server_log.h"
#include "touchline/api/password_hasher.h"
#include "touchline/api/rate_limiter.h"
#include "touchline/api/router.h"
#include "touchline/events/result.h"
#include "touchline/projections/audit_projection.h"
#include "touchline/projections/permission_history.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/projections/runner.h"
#include "touchline/store/event_store.h"
#include "touchline/store/tree_head.h"

namespace touchline::api {

struct ApiDeps {
  store::EventStore& log;
  CommandService& commands;
  projections::PermissionProjection& permissions;
  projections::ProjectionRunner& permissions_runner;
  projections::AuditProjection& audit;
  projections::ProjectionRunner& audit_runner;
  const TokenSigner& tokens;
  const store::TreeHeadSigner& tree_heads;  // signs GET /v1/log/head
  const store::PersonalData& personal;      // opens what reads show of a person's own
  std::string operator_token;  // empty: the operator endpoints are closed
  std::function<std::int64_t()> now_ms;
  std::function<void(std::function<void()>)> post;
  std::function<void(std::chrono::milliseconds, std::function<void()>)> post_after;
  std::chrono::milliseconds max_position_wait{2000};  // bound on min_position waits
  std::chrono::seconds max_poll_wait{60};              // bound on ?wait= of a long poll
  std::function<void(const std::string&)> log_line;    // server-side detail of internal errors
  PasswordHasher& hasher;  // sign-in's Argon2id checks
  LimitSettings limits;
  RequestMetrics& metrics;  // requests and commands, counted as they are answered
  // Called once for every answered request; empty: no access log.
  std::function<void(const RequestLog&)> request_log;
  // Adds to a scrape of GET /metrics what only the server knows (its connections, when it started).
  std::function<void(MetricsSnapshot&)> server_metrics;
};

// When a read answers: now, once the permission projection has reached min_position; or as the
// log stood after the event at at_position, or at the time at_time (Unix milliseconds). At most
// one of the three is given.
struct ReadAt {
  std::uint64_t min_position = 0;
  std::optional<std::uint64_t> at_position;
  std::optional<std::int64_t> at_time;
  bool past() const { return at_position.has_value() || at_time.has_value(); }
  static ReadAt now(std::uint64_t min_position) { return {min_position, std::nullopt, std::nullopt}; }
};

class Api {
 public:
  explicit Api(ApiDeps deps);

  // Answers one request through `respond` (exactly once, possibly later, on any thread), with an
  // X-Request-Id header (the client's, when it sent a valid one: 1 to 64 letters, digits, '.', '_'
  // or '-'; else a new one), also given as "request_id" in problem bodies; counts it in the
  // metrics and writes it to the access log. Thread-safe.
  void handle(HttpRequest request, Responder respond);

 private:
  void dispatch(HttpRequest& req, RouteMatch& m, Responder respond);
  void metrics(const HttpRequest& req, Responder respond);
  void sign_in(const HttpRequest& req, Responder respond);
  // Answers the session of an account whose password matched (and, at the console, upgrades an
  // athlete account).
  void signed_in(const std::string& account_id, bool console, const std::string& correlation_id,
                 Responder respond);
  void command(const std::string& name, const std::map<std::string, std::string>& query, const HttpRequest& req,
               Responder respond);
  void check(const HttpRequest& req, Responder respond);
  void checks(const HttpRequest& req, Responder respond);
  void lookup_subjects(const HttpRequest& req, Responder respond);
  void lookup_targets(const HttpRequest& req, Responder respond);
  void members(const std::string& org, const std::map<std::string, std::string>& query, const HttpRequest& req,
               Responder respond);
  void member_permissions(const std::string& org, const std::string& account, const HttpRequest& req,
                          const ReadAt& at, Responder respond);
  void audit(const std::string& org, const std::map<std::string, std::string>& query,
             const HttpRequest& req, Responder respond);
  void events(const std::map<std::string, std::string>& query, const HttpRequest& req,
              Responder respond);
  void event_stream(const std::map<std::string, std::string>& query, const HttpRequest& req, Responder respond);
  // The organisation's audit entries after `after`, oldest first (at most `limit`), that `caller`
  // may read and `filter` keeps; with `wait`, a long poll for the first of them.
  void audit_after(const std::string& org, std::uint64_t after, std::size_t limit,
                   const projections::AuditFilter& filter, const std::string& caller, std::chrono::seconds wait,
                   Responder respond);
  void audit_stream(const std::string& org, const std::map<std::string, std::string>& query, const HttpRequest& req,
                    Responder respond);
  // The log's signed tree head, its public key and Merkle proofs, for operators and auditors
  // (log_endpoints.cc).
  void log_head(const HttpRequest& req, Responder respond);
  void log_public_key(const HttpRequest& req, Responder respond);
  void log_inclusion(const std::map<std::string, std::string>& query, const HttpRequest& req, Responder respond);
  void log_consistency(const std::map<std::string, std::string>& query, const HttpRequest& req, Responder respond);
  void health(Responder respond);
  void ready(Responder respond);
  void permission_catalogue(Responder respond);
  void openapi(Responder respond);
  void console(std::string_view path, Responder respond);
  // Takes one view of the permission projection and answers what `read` makes of it (the view is
  // let go before the answer is sent): for a live read, once the projection has reached
  // at.min_position (400 and 503 for min_position itself); for a past one, a view loaded by
  // PermissionHistory with what `past` names (400 for a position beyond the head).
  using PermissionRead = std::function<HttpResponse(const projections::PermissionView& view)>;
  void read_permissions(const ReadAt& at, const projections::PastRead& past, Responder respond,
                        PermissionRead read);
  void record_action(const HttpRequest& req, Responder respond);
  void account_privacy(const std::string& account, const HttpRequest& req, std::uint64_t min_position,
                       Responder respond);
  void operator_command(const std::string& name, const HttpRequest& req, Responder respond);
  // Runs a command and answers 201 with its result (200 for an Idempotency-Key replay).
  void execute(CommandRequest cmd, Responder respond);
  // A dry run's answer: 200 with the events and the permission changes, or the problem.
  HttpResponse dry_run_answer(const Result<DryRun>& dry) const;
  // Nothing when the request carries the operator token; else 401/403 saying `what` ("the event
  // log is") is for operators.
  std::optional<Error> require_operator(const HttpRequest& req, const std::string& what) const;
  void compliance(const std::string& org_id, const HttpRequest& req, std::uint64_t min_position,
                  Responder respond);
  void organization(const std::string& org_id, const HttpRequest& req, const ReadAt& at, Responder respond);
  void role_models(Responder respond);
  void role_model(const std::string& id, const std::map<std::string, std::string>& query, Responder respond);

  // The problem answer for an error; internal errors are logged here and answered without
  // their detail, which may name files or storage state.
  HttpResponse fail(const Error& error) const;

  // The account id behind the request's bearer token.
  Result<std::string> authenticate(const HttpRequest& req) const;
  // Runs `then` once the runner has reached min_position, or answers 503 after the bound. A
  // min_position beyond the log's head is a 400: no acknowledged command has it.
  void after_position(projections::ProjectionRunner& runner, const std::string& name,
                      std::uint64_t min_position, Responder respond,
                      std::function<void(Responder)> then);

  ApiDeps deps_;
  RequestLimits limits_;
  projections::PermissionHistory history_;  // reads at_position and at_time
  const std::uint64_t head_at_start_;        // GET /readyz waits for the projections to reach it
};

// The one place an error becomes an HTTP answer: application/problem+json with type, title,
// status, detail, code (and field when there is one).
HttpResponse problem_response(const Error& error);
int http_status(ErrorCode code);
// For answers that are not an ErrorCode's: 405 (method_not_allowed) and the HTTP server's own
// rejections (400 malformed HTTP, 413 body too large, 500 handler failure).
HttpResponse http_problem(int status, std::string detail, std::vector<std::pair<std::string, std::string>> headers = {});

}  // namespace touchline::api
