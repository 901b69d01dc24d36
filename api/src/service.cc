#include "touchline/api/service.h"

#include <chrono>

#include "touchline/api/api.h"
#include "touchline/api/auth.h"
#include "touchline/api/commands.h"
#include "touchline/api/http_server.h"
#include "touchline/projections/audit_projection.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/projections/runner.h"
#include "touchline/store/event_store.h"
#include "touchline/store/personal_data.h"
#include "touchline/store/state_store.h"
#include "touchline/store/tree_head.h"

namespace touchline::api {

namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The server's keys live in the store's secrets, never in the log; the first start makes them.
Result<std::string> server_key(store::EventStore& log, const std::string& name) {
  auto existing = log.read_secret(name);
  if (!existing.ok()) return existing.error();  // never replace a key we merely failed to read
  if (*existing) return **existing;
  store::AppendRequest r;
  r.secrets.push_back({name, random_key()});
  r.metadata.actor = "touchlined";
  auto written = log.append(std::move(r));
  if (!written.ok()) return written.error();
  auto key = log.read_secret(name);
  if (!key.ok()) return key.error();
  if (!*key) return Error::make(ErrorCode::internal, "the server key " + name + " was not stored");
  return **key;
}

}  // namespace

struct Service::Parts {
  std::unique_ptr<store::EventStore> log;
  std::unique_ptr<store::StateStore> audit_state;
  std::unique_ptr<projections::PermissionProjection> permissions;
  std::unique_ptr<projections::AuditProjection> audit;
  std::unique_ptr<projections::ProjectionRunner> permissions_runner;
  std::unique_ptr<projections::ProjectionRunner> audit_runner;
  std::unique_ptr<TokenSigner> tokens;
  std::unique_ptr<store::TreeHeadSigner> tree_heads;
  std::unique_ptr<store::PersonalData> personal;
  std::unique_ptr<PasswordHasher> hasher;
  std::unique_ptr<CommandService> commands;
  RequestMetrics metrics;
  std::unique_ptr<Api> api;
  std::unique_ptr<HttpServer> http;
  std::function<void(const std::string&)> log_line;
};

Service::Service() = default;
Service::~Service() { stop(); }

Status Service::start(const ServiceConfig& config) {
  auto p = std::make_unique<Parts>();
  auto log_line = config.log ? config.log : [](const std::string&) {};
  p->log_line = log_line;
  const std::function<std::int64_t()> now_ms = config.clock ? config.clock : system_now_ms;

  store::StoreOptions so;
  so.path = config.data_dir;
  so.sync = config.sync;
  so.now_ms = now_ms;
  so.notice = log_line;
  auto log = store::EventStore::open(so);
  if (!log.ok()) return log.error();
  p->log = std::move(*log);

  auto token_key = server_key(*p->log, "token_signing_key");
  if (!token_key.ok()) return token_key.error();
  p->tokens = std::make_unique<TokenSigner>(*token_key, config.token_ttl);
  auto fingerprint_key = server_key(*p->log, "request_fingerprint_key");
  if (!fingerprint_key.ok()) return fingerprint_key.error();
  // The seed of the Ed25519 key that signs the log's tree heads.
  auto tree_head_key = server_key(*p->log, "tree_head_signing_key");
  if (!tree_head_key.ok()) return tree_head_key.error();
  p->tree_heads = std::make_unique<store::TreeHeadSigner>(*tree_head_key);
  // The key of the digests that name email claim streams (store/personal_data.h).
  auto claim_key = server_key(*p->log, "email_claim_key");
  if (!claim_key.ok()) return claim_key.error();
  p->personal = std::make_unique<store::PersonalData>(*p->log, *claim_key);
  // An erasure's purge that a crash or a failure interrupted is finished before anything else.
  log_line("purging erased secrets (a flush, and a compaction of the secrets)");
  if (auto purged = p->log->purge_erased_secrets(); !purged.ok()) return purged.error();

  p->permissions = std::make_unique<projections::PermissionProjection>();
  p->audit_state = std::make_unique<store::StateStore>(*p->log, projections::AuditProjection::kName);
  p->audit = std::make_unique<projections::AuditProjection>(*p->audit_state, *p->log);
  projections::RunnerOptions ro;
  ro.log = log_line;
  p->permissions_runner = std::make_unique<projections::ProjectionRunner>(*p->log, *p->permissions, ro);
  p->audit_runner = std::make_unique<projections::ProjectionRunner>(*p->log, *p->audit, ro);
  p->permissions_runner->start();
  p->audit_runner->start();

  HttpServerOptions ho;
  ho.address = config.address;
  ho.port = config.port;
  ho.threads = config.threads;
  ho.body_limit = config.body_limit;
  ho.max_connections = config.max_connections;
  ho.max_connections_per_address = config.max_connections_per_address;
  // The HTTP server is built before the handler can reach it, so the handler goes through Api,
  // which is set right below and before start().
  p->http = std::make_unique<HttpServer>(
      ho,
      [parts = p.get()](HttpRequest req, Responder respond) {
        parts->api->handle(std::move(req), std::move(respond));
      },
      [](int status, std::string detail) { return http_problem(status, std::move(detail)); });

  HttpServer* http = p->http.get();
  p->hasher = std::make_unique<PasswordHasher>(config.password_hashing);
  CommandServiceDeps cd{
      .log = *p->log,
      .personal = *p->personal,
      .hasher = *p->hasher,
      .now_ms = now_ms,
      .new_id = random_id,
      .post = [http](std::function<void()> fn) { return http->post(std::move(fn)); },
      .fingerprint = [key = *fingerprint_key](std::string_view request) { return hmac_sha256_hex(key, request); },
      .staff_organizations = [parts = p.get()](const std::string& account) -> Result<std::vector<std::string>> {
        // Answered from the permission projection, so only once it has every event written so
        // far. A short wait on a pool thread: operator commands are rare.
        if (!parts->permissions_runner->wait_for(parts->log->head_position(), std::chrono::seconds(2))) {
          return Error::make(ErrorCode::unavailable, "the permission projection is catching up; retry shortly");
        }
        return parts->permissions->staff_organizations(account);
      },
      .cache = {.budget_bytes = config.aggregate_cache_bytes, .log = log_line},
  };
  p->commands = std::make_unique<CommandService>(std::move(cd));
  p->api = std::make_unique<Api>(ApiDeps{
      .log = *p->log,
      .commands = *p->commands,
      .permissions = *p->permissions,
      .permissions_runner = *p->permissions_runner,
      .audit = *p->audit,
      .audit_runner = *p->audit_runner,
      .tokens = *p->tokens,
      .tree_heads = *p->tree_heads,
      .personal = *p->personal,
      .operator_token = config.operator_token,
      .now_ms = now_ms,
      .post = [http](std::function<void()> fn) { http->post(std::move(fn)); },
      .post_after = [http](std::chrono::milliseconds d, std::function<void()> fn) { http->post_after(d, std::move(fn)); },
      .max_position_wait = config.max_position_wait,
      .max_poll_wait = config.max_poll_wait,
      .log_line = log_line,
      .hasher = *p->hasher,
      .limits = config.limits,
      .metrics = p->metrics,
      .request_log = config.request_log,
      .server_metrics = [http, started = static_cast<double>(now_ms()) / 1000](MetricsSnapshot& m) {
        m.open_connections = http->open_connections();
        m.refused_connections = http->refused_connections();
        m.start_time_seconds = started;
      },
  });

  if (auto st = p->http->start(); !st.ok()) return st;
  log_line("touchlined listening on http://" + config.address + ":" + std::to_string(p->http->port()) +
           " with data in " + config.data_dir + " (log head " +
           std::to_string(p->log->head_position()) + ")");
  parts_ = std::move(p);
  return ok_status();
}

std::uint16_t Service::port() const { return parts_ ? parts_->http->port() : 0; }

void Service::handle(HttpRequest request, Responder respond) {
  parts_->api->handle(std::move(request), std::move(respond));
}

void Service::stop() {
  if (!parts_) return;
  parts_->http->stop();
  parts_->hasher->stop();
  parts_->permissions_runner->stop();
  parts_->audit_runner->stop();
  parts_->log->stop();
  // Every command has been answered: what the cache folded since the last snapshots saves the
  // next start that much reading.
  if (auto st = parts_->commands->write_snapshots(); !st.ok()) {
    parts_->log_line("cannot write the aggregates' snapshots at shutdown: " + st.error().message);
  }
  parts_.reset();
}

}  // namespace touchline::api
