#include "touchline/api/api.h"

#include "endpoint_helpers.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>
#include <set>

#include "touchline/api/commands/body.h"
#include "touchline/api/console.h"
#include "touchline/api/ids.h"
#include "touchline/api/openapi.h"
#include "touchline/api/queries.h"
#include "touchline/api/router.h"
#include "touchline/domain/account.h"
#include "touchline/domain/credentials.h"
#include "touchline/domain/privacy.h"
#include "touchline/domain/role_model.h"
#include "touchline/events/domain_events.h"

namespace touchline::api {

using namespace endpoints;

Api::Api(ApiDeps deps)
    : deps_(std::move(deps)), limits_(deps_.limits), history_(deps_.log), head_at_start_(deps_.log.head_position()) {}

namespace {

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return is_ascii_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

// 16 hex digits: a random prefix per thread, then a counter, so that ids are unique without a
// lock or a system call per request.
std::string new_request_id() {
  thread_local std::uint64_t next = [] {
    std::uint64_t seed = 0;
    randombytes_buf(&seed, sizeof seed);
    return seed & ~std::uint64_t{0xffffff};
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = next++;
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[static_cast<std::size_t>(i)] = kHex[v & 0xf];
  return id;
}

// A problem body is a JSON object this service wrote: the id goes in as its first member.
void add_request_id(HttpResponse& res, const std::string& id) {
  res.headers.emplace_back("X-Request-Id", id);
  if (res.content_type == "application/problem+json" && !res.body.empty() && res.body.front() == '{') {
    res.body.insert(1, "\"request_id\":\"" + id + (res.body.size() > 2 ? "\"," : "\""));
  }
}

}  // namespace

void Api::handle(HttpRequest req, Responder respond) {
  const auto started = std::chrono::steady_clock::now();
  std::string id = req.header("x-request-id");
  if (!is_valid_request_id(id)) id = new_request_id();
  RouteMatch m = route(req.method, req.target);
  const std::size_t route_index = m.outcome == RouteMatch::Outcome::matched ? m.route_index : routes().size();
  Responder answer = [this, started, route_index, id, method = req.method, remote = req.remote_address,
                      respond = std::move(respond)](HttpResponse res) {
    const auto latency = std::chrono::steady_clock::now() - started;
    deps_.metrics.record(route_index, res.status, latency);
    if (deps_.request_log) {
      const auto all = routes();
      deps_.request_log({id, method, route_index < all.size() ? std::string(all[route_index].path) : "unmatched",
                         res.status, std::chrono::duration<double, std::milli>(latency).count(), remote});
    }
    add_request_id(res, id);
    respond(std::move(res));
  };
  dispatch(req, m, std::move(answer));
}

void Api::dispatch(HttpRequest& req, RouteMatch& m, Responder respond) {
  if (m.outcome == RouteMatch::Outcome::not_found) {
    return respond(fail(
        Error::make(ErrorCode::not_found, "no endpoint at " + req.method + " " + req.target)));
  }
  if (m.outcome == RouteMatch::Outcome::method_not_allowed) {
    return respond(http_problem(405, req.method + " is not allowed here; allowed: " + m.allow,
                                {{"Allow", m.allow}}));
  }
  for (const auto& [name, value] : m.params) {
    if (name != "name" && !is_valid_id(value)) {
      return respond(fail(invalid(name + " in the path must be an id of 1 to 64 letters, digits, - or _", name)));
    }
  }
  switch (m.endpoint) {
    case Endpoint::health: return health(std::move(respond));
    case Endpoint::ready: return ready(std::move(respond));
    case Endpoint::metrics: return metrics(req, std::move(respond));
    case Endpoint::permissions: return permission_catalogue(std::move(respond));
    case Endpoint::openapi: return openapi(std::move(respond));
    case Endpoint::console: return console(routes()[m.route_index].path, std::move(respond));
    case Endpoint::role_models: return role_models(std::move(respond));
    case Endpoint::role_model: return role_model(m.params["id"], m.query, std::move(respond));
    case Endpoint::sign_in: return sign_in(req, std::move(respond));
    case Endpoint::command: return command(m.params["name"], m.query, req, std::move(respond));
    case Endpoint::operator_command: return operator_command(m.params["name"], req, std::move(respond));
    case Endpoint::check: return check(req, std::move(respond));
    case Endpoint::checks: return checks(req, std::move(respond));
    case Endpoint::lookup_subjects: return lookup_subjects(req, std::move(respond));
    case Endpoint::lookup_targets: return lookup_targets(req, std::move(respond));
    case Endpoint::members: return members(m.params["organization_id"], m.query, req, std::move(respond));
    case Endpoint::action: return record_action(req, std::move(respond));
    case Endpoint::member_permissions: {
      auto at = read_at(m.query);
      if (!at.ok()) return respond(fail(at.error()));
      return member_permissions(m.params["organization_id"], m.params["account_id"], req, *at, std::move(respond));
    }
    case Endpoint::audit:
      if (auto err = live_only(m.query)) return respond(fail(*err));
      return audit(m.params["organization_id"], m.query, req, std::move(respond));
    case Endpoint::audit_stream:
      if (auto err = live_only(m.query)) return respond(fail(*err));
      return audit_stream(m.params["organization_id"], m.query, req, std::move(respond));
    case Endpoint::organization: {
      auto at = read_at(m.query);
      if (!at.ok()) return respond(fail(at.error()));
      return organization(m.params["organization_id"], req, *at, std::move(respond));
    }
    case Endpoint::compliance: {
      // The dashboard is of today's credentials: it has no past form.
      if (auto err = live_only(m.query)) return respond(fail(*err));
      auto min = parse_count(m.query, "min_position", 0);
      if (!min.ok()) return respond(fail(min.error()));
      return compliance(m.params["organization_id"], req, *min, std::move(respond));
    }
    case Endpoint::events:
    case Endpoint::event_stream:
      if (auto err = live_only(m.query)) return respond(fail(*err));
      if (m.endpoint == Endpoint::events) return events(m.query, req, std::move(respond));
      return event_stream(m.query, req, std::move(respond));
    case Endpoint::log_head: return log_head(req, std::move(respond));
    case Endpoint::log_public_key: return log_public_key(req, std::move(respond));
    case Endpoint::log_inclusion: return log_inclusion(m.query, req, std::move(respond));
    case Endpoint::log_consistency: return log_consistency(m.query, req, std::move(respond));
    case Endpoint::account_privacy: {
      if (auto err = live_only(m.query)) return respond(fail(*err));
      auto min = parse_count(m.query, "min_position", 0);
      if (!min.ok()) return respond(fail(min.error()));
      return account_privacy(m.params["account_id"], req, *min, std::move(respond));
    }
  }
}

Result<std::string> Api::authenticate(const HttpRequest& req) const {
  const std::string header = req.header("authorization");
  if (header.empty()) {
    return Error::make(ErrorCode::unauthenticated,
                       "this endpoint needs an Authorization: Bearer <token> header; get a token "
                       "from POST /v1/sessions");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) {
    return Error::make(ErrorCode::unauthenticated, "the Authorization header must be 'Bearer <token>'");
  }
  return deps_.tokens.verify(std::string_view(header).substr(kBearer.size()), deps_.now_ms());
}

void Api::after_position(projections::ProjectionRunner& runner, const std::string& name,
                         std::uint64_t min_position, Responder respond,
                         std::function<void(Responder)> then) {
  if (min_position == 0 || runner.position() >= min_position) return then(std::move(respond));
  if (const auto head = deps_.log.head_position(); min_position > head) {
    return respond(fail(invalid("min_position " + std::to_string(min_position) +
                                    " is beyond the end of the log (position " + std::to_string(head) +
                                    "); use a position a command answered",
                                "min_position")));
  }
  struct Pending {
    std::atomic<bool> answered{false};
    std::atomic<std::uint64_t> ticket{0};
    Responder respond;
    std::function<void(Responder)> then;
  };
  auto pending = std::make_shared<Pending>();
  pending->respond = std::move(respond);
  pending->then = std::move(then);
  pending->ticket = runner.when_reached(min_position, [this, pending] {
    if (pending->answered.exchange(true)) return;
    deps_.post([pending] { pending->then(std::move(pending->respond)); });
  });
  deps_.post_after(deps_.max_position_wait, [this, pending, &runner, name, min_position] {
    if (pending->answered.exchange(true)) return;
    runner.cancel(pending->ticket);  // so that a projection that never gets there holds nothing
    pending->respond(fail(Error::make(
        ErrorCode::unavailable,
        "the " + name + " projection is at position " + std::to_string(runner.position()) +
            " and has not reached min_position " + std::to_string(min_position) + " within " +
            std::to_string(deps_.max_position_wait.count()) + " ms; retry shortly")));
  });
}

HttpResponse Api::fail(const Error& error) const {
  if (error.code != ErrorCode::internal) return problem_response(error);
  if (deps_.log_line) deps_.log_line("internal error: " + error.message);
  return problem_response(Error::make(ErrorCode::internal,
                                      "an internal error occurred; the server log has the details"));
}

void Api::permission_catalogue(Responder respond) {
  json list = json::array();
  for (const auto& [name, info] : domain::permission_catalogue()) {
    json entry{{"permission", name},
               {"description", info.description},
               {"denial", info.denial},
               {"grantable", info.grantable},
               {"min_tier", info.min_tier}};
    if (info.not_on_self) entry["not_on_self"] = true;
    if (!info.privacy.empty()) entry["privacy"] = info.privacy;
    if (!info.own_privacy.empty()) entry["own_privacy"] = info.own_privacy;
    if (info.athlete_data) entry["athlete_data"] = true;
    list.push_back(std::move(entry));
  }
  json privacy = json::array();
  for (const auto& s : domain::privacy_settings()) {
    privacy.push_back({{"setting", s.name}, {"description", s.description}, {"default", s.default_value}});
  }
  respond(json_response(200, {{"permissions", list}, {"privacy_settings", privacy}}));
}

// The page loads only its own script and style: a policy that says so keeps injected markup inert.
void Api::console(std::string_view path, Responder respond) {
  const StaticFile* file = console_file(path);
  if (file == nullptr) return respond(fail(Error::make(ErrorCode::not_found, "no console file " + std::string(path))));
  HttpResponse out;
  out.status = 200;
  out.content_type = std::string(file->content_type);
  out.body = std::string(file->body);
  out.headers = {{"Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"},
                 {"X-Content-Type-Options", "nosniff"}};
  respond(std::move(out));
}

void Api::openapi(Responder respond) {
  HttpResponse out;
  out.status = 200;
  out.body = std::string(openapi_document());
  respond(std::move(out));
}

void Api::role_models(Responder respond) {
  json list = json::array();
  for (const auto& id : domain::role_model_ids()) {
    const auto* m = domain::find_role_model(id);
    json roles = json::array();
    for (const auto& r : m->roles) roles.push_back(r.name);
    list.push_back({{"id", id}, {"label", m->label}, {"roles", roles}, {"default", id == domain::kDefaultRoleModel}});
  }
  respond(json_response(200, {{"role_models", list}}));
}

void Api::role_model(const std::string& id, const std::map<std::string, std::string>& query,
                     Responder respond) {
  if (!domain::find_role_model(id)) {
    return respond(fail(Error::make(ErrorCode::not_found, "no role model '" + id + "'; GET /v1/role-models lists them")));
  }
  // An organisation on an older version (GET /v1/organizations/{id}: role_model_version) reads
  // the version it is on.
  auto version = parse_count(query, "version", 0);
  if (!version.ok()) return respond(fail(version.error()));
  const auto* m = *version == 0 ? domain::find_role_model(id)
                                : domain::find_role_model(id, static_cast<int>(std::min<std::uint64_t>(*version, INT32_MAX)));
  if (!m) {
    return respond(fail(Error::make(ErrorCode::not_found,
                                    "role model '" + id + "' has no version " + std::to_string(*version))));
  }
  respond(json_response(200, domain::describe_role_model(*m)));
}

namespace {

std::vector<queries::ProjectionStatus> projection_statuses(const ApiDeps& deps) {
  return {{"permissions", deps.permissions_runner.position(), deps.permissions_runner.failure()},
          {"audit", deps.audit_runner.position(), deps.audit_runner.failure()}};
}

}  // namespace

void Api::health(Responder respond) {
  json projections = json::object();
  bool failed = false;
  for (const auto& p : projection_statuses(deps_)) {
    projections[p.name] = {{"position", p.position}};
    if (p.failure) {
      projections[p.name]["failure"] = *p.failure;
      failed = true;
    }
  }
  respond(json_response(failed ? 503 : 200, {{"status", failed ? "degraded" : "ok"},
                                             {"log_position", deps_.log.head_position()},
                                             {"projections", projections}}));
}

void Api::metrics(const HttpRequest& req, Responder respond) {
  if (auto denied = require_operator(req, "the metrics are")) return respond(fail(*denied));
  MetricsSnapshot m;
  deps_.metrics.read(m);
  m.log_position = deps_.log.head_position();
  for (const auto& p : projection_statuses(deps_)) m.projection_positions.emplace_back(p.name, p.position);
  m.writes = deps_.log.write_stats();
  const auto cache = deps_.commands.cache_stats();
  m.cache_hits = cache.hits;
  m.cache_loads = cache.loads;
  m.cache_snapshots_loaded = cache.snapshots_loaded;
  m.cache_evictions = cache.evictions;
  m.cache_entries = cache.entries;
  m.cache_bytes = cache.bytes;
  if (deps_.server_metrics) deps_.server_metrics(m);
  HttpResponse out;
  out.status = 200;
  out.content_type = "text/plain; version=0.0.4; charset=utf-8";
  out.body = render_metrics(m);
  respond(std::move(out));
}

void Api::ready(Responder respond) {
  const auto answer = queries::readiness(head_at_start_, projection_statuses(deps_));
  json body{{"ready", answer.ready}, {"log_position_at_start", head_at_start_}};
  if (!answer.ready) body["reason"] = answer.reason;
  respond(json_response(answer.ready ? 200 : 503, body));
}

void Api::sign_in(const HttpRequest& req, Responder respond) {
  auto json_body = parse_json_object(req.body);
  if (!json_body.ok()) return respond(fail(json_body.error()));
  commands::Body body(*json_body);
  const std::string email = body.required("email");
  const std::string password = body.required("password");
  const bool console = body.optional_bool("console", false);
  if (auto err = body.finish()) return respond(fail(*err));
  if (email.empty()) return respond(fail(invalid("email is required", "email")));
  if (password.empty()) return respond(fail(invalid("password is required", "password")));

  const std::string normalized = domain::normalize_email(email);
  if (auto limited = limits_.password_attempt(req.remote_address, normalized, deps_.now_ms())) {
    return respond(fail(*limited));
  }
  auto found = queries::account_of_email(deps_.log, deps_.personal.claim_key(normalized), normalized);
  if (!found.ok()) return respond(fail(found.error()));
  const std::string account_id = std::move(*found);
  std::string hash;  // empty: no such account, and the hasher spends a real check's time anyway
  if (!account_id.empty()) {
    auto stored = deps_.log.read_secret("password/" + account_id);
    if (!stored.ok()) return respond(fail(stored.error()));
    if (*stored) hash = std::move(**stored);
  }
  // Argon2id on the hasher's threads; the answer continues on the server's pool.
  deps_.hasher.verify(std::move(hash), password,
                      [this, correlation = req.header("x-correlation-id"), console, normalized, account_id,
                       respond](Result<bool> matched) mutable {
    if (!matched.ok()) return respond(fail(matched.error()));
    deps_.post([this, correlation = std::move(correlation), console, normalized, account_id,
                matched = *matched, respond = std::move(respond)]() mutable {
      if (!matched || account_id.empty()) {
        limits_.sign_in_failed(normalized, deps_.now_ms());
        return respond(fail(Error::make(ErrorCode::unauthenticated, "the email or password is incorrect")));
      }
      signed_in(account_id, console, correlation, std::move(respond));
    });
  });
}

void Api::signed_in(const std::string& account_id, bool console, const std::string& correlation_id,
                    Responder respond) {
  IssuedToken t = deps_.tokens.issue(account_id, deps_.now_ms());
  json session{{"token", t.token},
               {"account_id", account_id},
               {"expires_at", projections::iso8601_utc(t.expires_at_ms)}};
  if (!console) return respond(json_response(201, session));
  CommandRequest upgrade;
  upgrade.actor = account_id;
  upgrade.correlation_id = correlation_id;
  deps_.commands.upgrade_at_console(std::move(upgrade), [this, session = std::move(session),
                                              respond = std::move(respond)](Result<CommandResponse> r) mutable {
    if (!r.ok()) return respond(fail(r.error()));
    session["upgraded"] = r->body.value("upgraded", false);
    if (r->body.contains("organization_id")) session["organization_id"] = r->body["organization_id"];
    if (r->body.contains("position")) session["position"] = r->body["position"];
    respond(json_response(201, session));
  });
}

void Api::command(const std::string& name, const std::map<std::string, std::string>& query, const HttpRequest& req,
                  Responder respond) {
  CommandRequest cmd;
  cmd.name = name;
  if (!CommandService::is_anonymous(name)) {
    auto actor = authenticate(req);
    if (!actor.ok()) return respond(fail(actor.error()));
    cmd.actor = *actor;
  }
  if (auto err = read_command(req, cmd)) return respond(fail(*err));
  if (auto it = query.find("dry_run"); it != query.end() && !it->second.empty()) {
    if (it->second != "true" && it->second != "false") return respond(fail(invalid("dry_run must be true or false", "dry_run")));
    if (it->second == "true") return respond(dry_run_answer(deps_.commands.dry_run(cmd)));
  }
  if (CommandService::hashes_a_password(name)) {
    if (auto limited = limits_.password_attempt(req.remote_address, "", deps_.now_ms())) {
      return respond(fail(*limited));
    }
  }
  execute(std::move(cmd), std::move(respond));
}

HttpResponse Api::dry_run_answer(const Result<DryRun>& dry) const {
  if (!dry.ok()) return fail(dry.error());
  json appended = json::array();
  for (const auto& e : dry->events) {
    appended.push_back({{"stream", events::stream_of(e)}, {"type", events::event_type(e)}, {"payload", events::event_payload(e)}});
  }
  json changes = json::array();
  for (const auto& org : dry->organizations) {
    for (const auto& c : org.changes) {
      changes.push_back({{"organization_id", org.organization_id}, {"account_id", c.account_id}, {"permission", c.permission},
                         {"target", c.target.empty() ? json(nullptr) : json(c.target)}, {"before", c.before}, {"after", c.after}});
    }
  }
  return json_response(200, {{"dry_run", true}, {"events", std::move(appended)}, {"permission_changes", std::move(changes)}});
}

void Api::execute(CommandRequest cmd, Responder respond) {
  const auto& names = CommandService::command_names();
  // Unknown names are counted together: a client cannot add label values at will.
  std::string counted = std::find(names.begin(), names.end(), cmd.name) != names.end() ? cmd.name : "(unknown)";
  deps_.commands.execute(std::move(cmd), [this, counted = std::move(counted), respond = std::move(respond)](
                                             Result<CommandResponse> r) {
    deps_.metrics.command(counted, r.ok() ? std::string_view("ok") : error_code_name(r.error().code));
    if (!r.ok()) return respond(fail(r.error()));
    HttpResponse out = json_response(r->replayed ? 200 : 201, r->body);
    if (r->replayed) out.headers.emplace_back("Idempotent-Replayed", "true");
    respond(std::move(out));
  });
}

void Api::account_privacy(const std::string& account, const HttpRequest& req, std::uint64_t min_position,
                          Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  read_permissions(ReadAt::now(min_position), {}, std::move(respond),
                   [this, caller = *caller, account](const projections::PermissionView& view) {
    auto privacy = queries::own_privacy(view, caller, account);
    if (!privacy.ok()) return fail(privacy.error());
    json settings = json::object();
    for (const auto& s : domain::privacy_settings()) settings[s.name] = privacy->value(s.name);
    return json_response(200, {{"account_id", account}, {"settings", settings}, {"position", view.position()}});
  });
}

void Api::record_action(const HttpRequest& req, Responder respond) {
  auto actor = authenticate(req);
  if (!actor.ok()) return respond(fail(actor.error()));
  CommandRequest cmd;
  cmd.actor = *actor;
  cmd.client_address = req.remote_address;
  if (auto err = read_command(req, cmd)) return respond(fail(*err));
  if (auto limited = limits_.action(cmd.actor, deps_.now_ms())) return respond(fail(*limited));
  deps_.commands.record_action(std::move(cmd), [this, respond = std::move(respond)](Result<CommandResponse> r) {
    if (!r.ok()) return respond(fail(r.error()));
    HttpResponse out;
    if (r->body.value("allowed", false)) {
      out = json_response(r->replayed ? 200 : 201, r->body);
    } else {
      // Denied, and recorded as denied: a 403 like any refusal, saying where the record is.
      out = fail(Error::make(ErrorCode::permission_denied, r->body.value("reason", std::string()))
                     .because("action_denied"));
      json problem = json::parse(out.body);
      problem["action"] = r->body["action"];
      problem["recorded"] = true;
      problem["position"] = r->body["position"];
      out.body = problem.dump();
    }
    if (r->replayed) out.headers.emplace_back("Idempotent-Replayed", "true");
    respond(std::move(out));
  });
}

std::optional<Error> Api::require_operator(const HttpRequest& req, const std::string& what) const {
  const std::string header = req.header("authorization");
  const std::string expected = "Bearer " + deps_.operator_token;
  if (deps_.operator_token.empty() || !constant_time_equals(header, expected)) {
    return Error::make(header.empty() ? ErrorCode::unauthenticated : ErrorCode::permission_denied,
                       what + " for operators: send Authorization: Bearer <operator token>");
  }
  return std::nullopt;
}

void Api::operator_command(const std::string& name, const HttpRequest& req, Responder respond) {
  if (auto denied = require_operator(req, "operator commands are")) return respond(fail(*denied));
  const auto& names = CommandService::operator_commands();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    return respond(fail(Error::make(ErrorCode::not_found,
                                    "'" + name + "' is not an operator command; operator commands: " + known)));
  }
  CommandRequest cmd;
  cmd.name = name;
  cmd.actor = "operator";
  cmd.by_operator = true;
  if (auto err = read_command(req, cmd)) return respond(fail(*err));
  execute(std::move(cmd), std::move(respond));
}

}  // namespace touchline::api
