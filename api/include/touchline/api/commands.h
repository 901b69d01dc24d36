// The command side: turns a named command with a JSON body into a decision of the role
// aggregates and an atomic, durable append. No HTTP here: the HTTP layer hands it a
// CommandRequest and maps its result.
//
// Decisions are made one after another against the aggregates held in memory
// (commands/aggregate_cache.h), each on the state the previous one left, without waiting for the
// previous one's fsync; their appends reach the store's writer in that order and share its group
// commits. A decision whose append is refused because one it was made on failed is made again,
// up to max_attempts times. The planners themselves are in commands/planners.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "touchline/api/commands/aggregate_cache.h"
#include "touchline/api/password_hasher.h"
#include "touchline/domain/impact.h"
#include "touchline/events/result.h"
#include "touchline/store/event_store.h"

namespace touchline::api {

struct CommandRequest {
  std::string name;     // e.g. "SignUp"
  nlohmann::json body;  // the command's fields
  std::string actor;    // the authenticated account id; empty only for SignUp
  std::string correlation_id;   // from the client, or empty (the command id is used)
  std::string idempotency_key;  // from the client, or empty
  std::string client_address;   // the peer's IP address (recorded actions keep it for athlete access)
  bool by_operator = false;     // sent with the operator token (actor "operator"): operator_commands() only
};

struct CommandResponse {
  nlohmann::json body;    // {"position": N, ...ids created}
  bool replayed = false;  // answered from an earlier request with the same Idempotency-Key
};

struct CommandServiceDeps {
  store::EventStore& log;
  // Seals what is a person's own before it is appended (store/personal_data.h), and forgets the
  // keys EraseAccount destroys.
  store::PersonalData& personal;
  // SignUp's password is hashed here, before its decision, off the threads that decide.
  PasswordHasher& hasher;
  std::function<std::int64_t()> now_ms;
  std::function<std::string()> new_id;
  // Runs a continuation off the store's writer thread (the server's thread pool); returns false
  // when it will not (the server has stopped), and the command service answers unavailable.
  std::function<bool(std::function<void()>)> post;
  // A keyed fingerprint of a request (HMAC with a server secret), stored with its Idempotency-Key.
  // Keyed because a request body may hold a password: an unkeyed hash of it would be a fast
  // offline guessing target in the data directory.
  std::function<std::string(std::string_view)> fingerprint;
  int max_attempts = 5;  // decide-append attempts before answering conflict
  // The organisations where an account holds a staff role, for DowngradeToAthlete; unavailable
  // while the read model that knows them is behind the log.
  std::function<Result<std::vector<std::string>>(const std::string& account_id)> staff_organizations;
  commands::AggregateCacheOptions cache;
};

// What a command would do (POST /v1/commands/{Name}?dry_run=true): the events it would append
// and, for each organisation whose checks they may change, every check they would change.
struct DryRunOrganization {
  std::string organization_id;
  std::vector<domain::PermissionChange> changes;  // domain::permission_changes
};
struct DryRun {
  std::vector<events::DomainEvent> events;
  std::vector<DryRunOrganization> organizations;
};

class CommandService {
 public:
  explicit CommandService(CommandServiceDeps deps);

  // The command names this service knows, in documentation order.
  static const std::vector<std::string>& command_names();

  // Whether the command can be sent without a bearer token (only SignUp).
  static bool is_anonymous(const std::string& name);
  // Whether the command hashes a password (only SignUp): the API limits those per address.
  static bool hashes_a_password(const std::string& name);

  // The commands an operator sends (POST /v1/operator/commands/{name}): DowngradeToAthlete, which
  // only an operator may, ChangeTier and AddCredits on an organisation's behalf, and EraseAccount
  // on a person's.
  static const std::vector<std::string>& operator_commands();

  // Validates, decides and appends. `done` is called exactly once, on any thread, with the
  // response or a typed error: not_found (unknown command), invalid_argument (bad or unknown field),
  // unauthenticated, permission_denied, not_found, already_exists, failed_precondition,
  // idempotency_mismatch, conflict (still refused after max_attempts), unavailable (stopping),
  // internal. On any error nothing was appended. A request whose Idempotency-Key is in flight
  // waits for that one's answer, then answers as a retry of it. An erased account's commands are
  // refused with unauthenticated. What the events hold of a person's own is sealed under their
  // key before it is appended (seal_personal_data); an erasure answers once the keys it destroys
  // are purged from the data directory (EventStore::purge_erased_secrets).
  void execute(CommandRequest request, std::function<void(Result<CommandResponse>)> done);

  // Decides the command as execute() does, on the same state, with the same validation,
  // authorisation and errors, and appends nothing. The organisations reported are those the
  // events are on, and for privacy settings every organisation the account is in (its athlete
  // organisation and, from the permission projection, where it holds a staff role). Errors:
  // execute()'s; invalid_argument for SignUp (an account that does not exist yet has nothing to
  // change); failed_precondition for an organisation of more than domain::kMaxImpactMembers
  // members (its own and a parent's). Thread-safe.
  Result<DryRun> dry_run(const CommandRequest& request);

  // POST /v1/actions: checks a consequential action the client is about to take and records the
  // attempt (domain/actions.h) in one append. The response body has "allowed" and "reason"; a
  // denied attempt is recorded too and is not an error. Errors as execute's, each with nothing
  // appended: invalid_argument, permission_denied (not a member), not_found, conflict, internal.
  void record_action(CommandRequest request, std::function<void(Result<CommandResponse>)> done);

  // A sign-in at the coach console (POST /v1/sessions with "console": true) by request.actor:
  // an athlete account is upgraded and founds its organisation (plan_upgrade_at_console); the
  // body is UpgradeToCoach's answer. Errors as execute's.
  void upgrade_at_console(CommandRequest request, std::function<void(Result<CommandResponse>)> done);

  // Snapshots every aggregate changed since its last snapshot (at shutdown, once the server
  // takes no more commands). Returns the first store error, after trying every aggregate.
  Status write_snapshots();

  commands::AggregateCacheStats cache_stats() const;

 private:
  struct Attempt;
  void admit(std::shared_ptr<Attempt> a, CommandRequest request, std::function<void(Result<CommandResponse>)> done);
  // SignUp: hashes the body's password on the hasher, then runs the attempt on `post`.
  void hash_password_then_run(std::shared_ptr<Attempt> a);
  void run(std::shared_ptr<Attempt> a);
  void attempt(const std::shared_ptr<Attempt>& a);
  void attempt_once(const std::shared_ptr<Attempt>& a);
  void retry(const std::shared_ptr<Attempt>& a);
  void release_key(const std::string& key);
  // EraseAccount: forgets the subjects' keys, purges the store of erased secrets, then answers
  // (or answers the purge's error; a failed purge is retried by a retry of the command and at
  // the next start).
  void answer_after_purge(const std::shared_ptr<Attempt>& a, std::vector<std::string> forget, CommandResponse response);
  commands::PlanContext plan_context(commands::StateReader& state, const CommandRequest& req,
                                     const std::string& password_hash);
  // unauthenticated when the request's actor (an account) was erased.
  static std::optional<Error> refuse_erased_actor(commands::StateReader& state, const CommandRequest& req);

  CommandServiceDeps deps_;
  commands::AggregateCache cache_;
  std::mutex keys_mu_;
  // Idempotency keys in flight -> the requests with the same key waiting for its answer.
  std::unordered_map<std::string, std::vector<std::shared_ptr<Attempt>>> keys_in_flight_;
};

}  // namespace touchline::api
