#include <algorithm>
#include <atomic>
#include <map>
#include <optional>

#include "touchline/api/auth.h"
#include "touchline/api/commands.h"
#include "touchline/api/commands/planners.h"
#include "touchline/domain/account.h"

namespace touchline::api {

namespace {

// Keys are kept per actor. Callers without a token (SignUp) are nobody in particular, so theirs
// are kept per request: the key plus the request's keyed fingerprint. A retry of the same request
// replays; the same key on another request is another request, so that nobody can pre-empt a key
// someone else is going to send.
std::string scoped_idempotency_key(const CommandRequest& r, const std::string& request_hash) {
  if (r.actor.empty()) return "anonymous/" + request_hash + "/" + r.idempotency_key;
  return r.actor + "/" + r.idempotency_key;
}

Error stopping() { return Error::make(ErrorCode::unavailable, "the server is stopping; retry the command"); }

}  // namespace

struct CommandService::Attempt {
  CommandRequest request;
  std::function<void(Result<CommandResponse>)> done;
  commands::Planner planner = nullptr;
  std::string command_id;
  std::string request_hash;
  std::string key;  // the scoped Idempotency-Key, or empty
  std::string password_hash;  // SignUp: made once, before the first attempt
  int attempts = 0;
};

CommandService::CommandService(CommandServiceDeps deps)
    : deps_(std::move(deps)), cache_(deps_.log, deps_.cache) {}

const std::vector<std::string>& CommandService::command_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [n, p] : commands::named_planners()) out.push_back(n);
    return out;
  }();
  return names;
}

bool CommandService::is_anonymous(const std::string& name) { return name == "SignUp"; }

bool CommandService::hashes_a_password(const std::string& name) { return name == "SignUp"; }

const std::vector<std::string>& CommandService::operator_commands() {
  static const std::vector<std::string> names = {"DowngradeToAthlete", "ChangeTier", "AddCredits", "EraseAccount"};
  return names;
}

void CommandService::execute(CommandRequest request, std::function<void(Result<CommandResponse>)> done) {
  commands::Planner planner = commands::find_planner(request.name);
  if (!planner) {
    std::string known;
    for (const auto& n : command_names()) known += (known.empty() ? "" : ", ") + n;
    return done(Error::make(ErrorCode::not_found,
                            "unknown command '" + request.name + "'; known commands: " + known));
  }
  auto a = std::make_shared<Attempt>();
  a->planner = planner;
  admit(std::move(a), std::move(request), std::move(done));
}

Result<DryRun> CommandService::dry_run(const CommandRequest& req) {
  commands::Planner planner = commands::find_planner(req.name);
  if (!planner) {
    std::string known;
    for (const auto& n : command_names()) known += (known.empty() ? "" : ", ") + n;
    return Error::make(ErrorCode::not_found, "unknown command '" + req.name + "'; known commands: " + known);
  }
  if (!req.body.is_object()) return Error::make(ErrorCode::invalid_argument, "the request body must be a JSON object");
  if (is_anonymous(req.name)) {
    return Error::make(ErrorCode::invalid_argument, req.name + " has no dry run: the account it makes has nothing to change");
  }
  if (req.actor.empty()) return Error::make(ErrorCode::unauthenticated, req.name + " needs a bearer token");
  // Where the actor holds a staff role (the organisations their privacy settings reach): asked
  // before the decision holds the cache, since it may wait for the permission projection.
  std::optional<std::vector<std::string>> actor_staff;
  if (req.name == "UpdatePrivacySettings") {
    auto staff = deps_.staff_organizations(req.actor);
    if (!staff.ok()) return staff.error();
    actor_staff = std::move(*staff);
  }
  commands::AggregateCache::Decision decision(cache_);
  if (auto refused = refuse_erased_actor(decision, req)) return *refused;
  commands::PlanContext ctx = plan_context(decision, req, {});
  auto plan = planner(ctx, req.body);
  if (!plan.ok()) return plan.error();
  DryRun out;
  out.events = plan->events;

  // The organisations whose checks the events may change, in the order they are first touched.
  std::vector<std::string> organizations;
  auto touch = [&organizations](const std::string& id) {
    if (std::find(organizations.begin(), organizations.end(), id) == organizations.end()) organizations.push_back(id);
  };
  std::map<std::string, std::vector<const events::DomainEvent*>> privacy_changes;  // account -> its events
  constexpr std::string_view kOrgStream = "organization-";
  for (const auto& e : out.events) {
    const std::string stream = events::stream_of(e);
    if (stream.starts_with(kOrgStream)) touch(stream.substr(kOrgStream.size()));
    if (const auto* changed = std::get_if<events::PrivacySettingsChanged>(&e)) {
      privacy_changes[changed->account_id].push_back(&e);
      auto account = decision.account(changed->account_id);
      if (!account.ok()) return account.error();
      if (!(*account)->athlete_organization_id.empty()) touch((*account)->athlete_organization_id);
      // Only the account's own settings change (UpdatePrivacySettings, by the account).
      if (changed->account_id != req.actor || !actor_staff) {
        return Error::make(ErrorCode::internal, req.name + " changed the privacy settings of another account");
      }
      for (const auto& id : *actor_staff) touch(id);
    }
  }

  std::map<std::string, domain::Privacy> before_privacy, after_privacy;
  for (const auto& id : organizations) {
    auto read = decision.organization(id);
    if (!read.ok()) return read.error();
    const domain::OrganizationState& before = **read;
    domain::OrganizationState after = before;
    const std::string stream = events::organization_stream(id);
    for (const auto& e : out.events) {
      if (events::stream_of(e) == stream) after = domain::evolve(std::move(after), e);
    }
    const domain::OrganizationState* parent = before.parent.get();
    if (!parent && !after.parent_id.empty()) {  // a sub-organisation this command creates
      auto parent_read = decision.organization(after.parent_id);
      if (!parent_read.ok()) return parent_read.error();
      parent = *parent_read;
    }
    const std::size_t people = std::max(before.members.size(), after.members.size()) + (parent ? parent->members.size() : 0);
    if (people > domain::kMaxImpactMembers) {
      return Error::make(ErrorCode::failed_precondition,
                         "a dry run lists the permission changes of organisations of up to " +
                             std::to_string(domain::kMaxImpactMembers) + " members; organisation " + id + " has " +
                             std::to_string(people) + " with its parent's");
    }
    // Every member's privacy settings, before and after the command's changes to them.
    std::vector<std::string> accounts;
    for (const domain::OrganizationState* org : {&before, static_cast<const domain::OrganizationState*>(&after), parent}) {
      if (!org) continue;
      for (const auto& [account, role] : org->members) accounts.push_back(account);
    }
    for (const auto& account : accounts) {
      if (before_privacy.contains(account)) continue;
      auto state = decision.account(account);
      if (!state.ok()) return state.error();
      before_privacy[account] = (*state)->privacy;
      domain::AccountState changed = **state;
      for (const auto* e : privacy_changes[account]) changed = domain::evolve(std::move(changed), *e);
      after_privacy[account] = changed.privacy;
    }
    auto lookup = [](const std::map<std::string, domain::Privacy>& privacy) -> domain::PrivacyLookup {
      return [&privacy](const std::string& account) -> const domain::Privacy* {
        auto it = privacy.find(account);
        return it == privacy.end() ? nullptr : &it->second;
      };
    };
    out.organizations.push_back(
        {id, domain::permission_changes(before, after, lookup(before_privacy), lookup(after_privacy), parent)});
  }
  return out;
}

void CommandService::record_action(CommandRequest request, std::function<void(Result<CommandResponse>)> done) {
  request.name = "RecordAction";
  auto a = std::make_shared<Attempt>();
  a->planner = commands::plan_record_action;
  admit(std::move(a), std::move(request), std::move(done));
}

void CommandService::upgrade_at_console(CommandRequest request, std::function<void(Result<CommandResponse>)> done) {
  request.name = "UpgradeToCoach";
  request.body = nlohmann::json::object();
  auto a = std::make_shared<Attempt>();
  a->planner = commands::plan_upgrade_at_console;
  admit(std::move(a), std::move(request), std::move(done));
}

Status CommandService::write_snapshots() { return cache_.write_snapshots(); }

commands::AggregateCacheStats CommandService::cache_stats() const { return cache_.stats(); }

void CommandService::admit(std::shared_ptr<Attempt> a, CommandRequest request,
                           std::function<void(Result<CommandResponse>)> done) {
  if (!request.body.is_object()) {
    return done(Error::make(ErrorCode::invalid_argument, "the request body must be a JSON object"));
  }
  if (request.actor.empty() && !is_anonymous(request.name)) {
    return done(Error::make(ErrorCode::unauthenticated, request.name + " needs a bearer token"));
  }
  a->command_id = deps_.new_id();
  if (!request.idempotency_key.empty()) {
    a->request_hash = deps_.fingerprint(request.name + "\n" + request.body.dump());
    a->key = scoped_idempotency_key(request, a->request_hash);
  }
  a->request = std::move(request);
  a->done = [this, key = a->key, done = std::move(done),
             answered = std::make_shared<std::atomic<bool>>(false)](Result<CommandResponse> r) {
    if (answered->exchange(true)) return;  // exactly once, even if answering threw
    // The key is released even if answering throws: a key stuck in flight would hold up every
    // later request with it.
    struct ReleaseKey {
      CommandService* service;
      const std::string& key;
      ~ReleaseKey() {
        if (!key.empty()) service->release_key(key);
      }
    } release{this, key};
    done(std::move(r));
  };
  if (hashes_a_password(a->request.name)) return hash_password_then_run(std::move(a));
  run(std::move(a));
}

void CommandService::hash_password_then_run(std::shared_ptr<Attempt> a) {
  const auto password = a->request.body.find("password");
  if (password == a->request.body.end() || !password->is_string()) return run(std::move(a));  // the planner says why
  deps_.hasher.hash(password->get<std::string>(), [this, a](Result<std::string> hash) {
    if (!hash.ok()) return a->done(hash.error());
    a->password_hash = std::move(*hash);
    if (!deps_.post([this, a] { run(a); })) a->done(stopping());
  });
}

void CommandService::run(std::shared_ptr<Attempt> a) {
  if (!a->key.empty()) {
    std::lock_guard lock(keys_mu_);
    auto [it, first] = keys_in_flight_.try_emplace(a->key);
    if (!first) {
      // Decided now, it would be decided on the state the first one leaves; answered after it,
      // it answers as its retry.
      it->second.push_back(std::move(a));
      return;
    }
  }
  attempt(a);
}

void CommandService::release_key(const std::string& key) {
  std::vector<std::shared_ptr<Attempt>> waiting;
  {
    std::lock_guard lock(keys_mu_);
    auto it = keys_in_flight_.find(key);
    if (it == keys_in_flight_.end()) return;
    waiting = std::move(it->second);
    keys_in_flight_.erase(it);
  }
  for (auto& w : waiting) {
    if (!deps_.post([this, w] { run(w); })) w->done(stopping());
  }
}

void CommandService::answer_after_purge(const std::shared_ptr<Attempt>& a, std::vector<std::string> forget,
                                        CommandResponse response) {
  // On the pool: neither the store's writer thread nor a decision may wait for a compaction.
  auto purge = [this, a, forget = std::move(forget), response = std::move(response)]() mutable {
    for (const auto& subject : forget) deps_.personal.forget(subject);
    Status purged = deps_.log.purge_erased_secrets();
    if (!purged.ok()) return a->done(purged.error());
    a->done(std::move(response));
  };
  if (!deps_.post(std::move(purge))) a->done(stopping());
}

commands::PlanContext CommandService::plan_context(commands::StateReader& state, const CommandRequest& req,
                                                  const std::string& password_hash) {
  return commands::PlanContext{
      .state = state,
      .actor = req.actor,
      .now_ms = deps_.now_ms(),
      .client_address = req.client_address,
      .by_operator = req.by_operator,
      .new_id = deps_.new_id,
      .new_secret = random_id,
      .staff_organizations = deps_.staff_organizations,
      .password_hash = password_hash,
      .claim_key = [&personal = deps_.personal](std::string_view email) { return personal.claim_key(email); },
      .open_personal = [&personal = deps_.personal](std::string_view text) { return personal.open(text); },
  };
}

std::optional<Error> CommandService::refuse_erased_actor(commands::StateReader& state, const CommandRequest& req) {
  if (req.actor.empty() || req.by_operator) return std::nullopt;
  auto actor = state.account(req.actor);
  if (!actor.ok()) return actor.error();
  if ((*actor)->erased) return Error::make(ErrorCode::unauthenticated, "this account was erased");
  return std::nullopt;
}

void CommandService::retry(const std::shared_ptr<Attempt>& a) {
  if (!deps_.post([this, a] { attempt(a); })) a->done(stopping());
}

void CommandService::attempt(const std::shared_ptr<Attempt>& a) {
  // Planning may throw on what should not happen (out of memory while hashing, a stored event
  // this build cannot read): answer internal rather than leave the request hanging.
  try {
    attempt_once(a);
  } catch (const std::exception& ex) {
    a->done(Error::make(ErrorCode::internal, std::string("command failed: ") + ex.what()));
  }
}

void CommandService::attempt_once(const std::shared_ptr<Attempt>& a) {
  ++a->attempts;
  const CommandRequest& req = a->request;
  if (!a->key.empty()) {
    auto rec = deps_.log.find_idempotency(a->key);
    if (!rec.ok()) return a->done(rec.error());
    if (*rec) {
      if ((*rec)->request_hash != a->request_hash) {
        return a->done(Error::make(ErrorCode::idempotency_mismatch,
                                   "this Idempotency-Key was already used with a different request"));
      }
      return a->done(CommandResponse{(*rec)->result, true});
    }
  }
  commands::AggregateCache::Decision decision(cache_);
  if (auto refused = refuse_erased_actor(decision, req)) {
    decision.release();
    return a->done(*refused);
  }
  commands::PlanContext ctx = plan_context(decision, req, a->password_hash);
  auto plan = a->planner(ctx, req.body);
  if (plan.ok()) {
    Status sealed = commands::seal_personal_data(*plan, plan->actor.empty() ? req.actor : plan->actor, deps_.personal);
    if (!sealed.ok()) plan = sealed.error();
  }
  if (!plan.ok()) {
    if (!decision.read_undurable_state()) {
      decision.release();
      return a->done(plan.error());
    }
    // Refused on a state an append in flight left: answered once that append is durable, or
    // decided again if it fails (a one-at-a-time run would have decided on what it leaves).
    store::AppendRequest wait;
    store::EventStore::WriteTurn turn;
    decision.seal({}, wait, [&](store::AppendRequest& request) {
      turn = deps_.log.append_taking_turn(
          std::move(request), [this, a, refusal = plan.error()](Result<store::AppendResult> r) {
            if (r.ok()) return a->done(refusal);
            if (r.error().code == ErrorCode::conflict && a->attempts < deps_.max_attempts) return retry(a);
            a->done(r.error());
          });
    });
    return turn.write();  // with the cache unlocked: the answer settles it
  }

  store::AppendRequest append;
  append.secrets = plan->secrets;
  append.metadata = store::AppendMetadata{plan->actor.empty() ? req.actor : plan->actor, a->command_id,
                                          req.correlation_id.empty() ? a->command_id : req.correlation_id,
                                          a->command_id};
  nlohmann::json result = std::move(plan->result);
  if (!a->key.empty()) {
    append.idempotency = store::IdempotencyRecord{a->key, a->request_hash, result};
  } else if (plan->events.empty() && append.secrets.empty() && !decision.read_undurable_state()) {
    // Nothing to record (the state already is what the command asks for), and what it was
    // decided on is durable.
    decision.release();
    result["position"] = deps_.log.head_position();
    CommandResponse response{std::move(result), false};
    if (plan->purge_erased_secrets) return answer_after_purge(a, {}, std::move(response));
    return a->done(std::move(response));
  }

  // Queued in the order decided, under the cache's lock; when no write is in progress, written
  // on this thread once the lock is released (the store's WriteTurn says why).
  store::EventStore::WriteTurn turn;
  decision.seal(plan->events, append, [&](store::AppendRequest& request) {
    std::vector<std::string> streams;
    for (const auto& sa : request.streams) streams.push_back(sa.stream);
    std::shared_ptr<store::AppendTicket> ticket = request.ticket;
    turn = deps_.log.append_taking_turn(
        std::move(request), [this, a, streams = std::move(streams), ticket = std::move(ticket),
                             sequence = decision.sequence(), secrets = std::move(plan->secrets),
                             erased = std::move(plan->erased_subjects), purge = plan->purge_erased_secrets,
                             result = std::move(result)](Result<store::AppendResult> r) mutable {
          cache_.settle(streams, ticket, sequence, r.ok() && !r->replayed);
          if (r.ok() && !r->replayed) deps_.personal.written(secrets);
          if (!r.ok()) {
            if (r.error().code != ErrorCode::conflict) return a->done(r.error());
            if (a->attempts < deps_.max_attempts) return retry(a);
            return a->done(Error::make(ErrorCode::conflict, "the organisation or account changed concurrently " +
                                                                std::to_string(a->attempts) +
                                                                " times; retry the command"));
          }
          CommandResponse response{r->result, r->replayed};
          if (r->result.is_null()) {
            result["position"] = r->last_position;
            response = CommandResponse{std::move(result), false};
          }
          if (!purge) return a->done(std::move(response));
          answer_after_purge(a, std::move(erased), std::move(response));
        });
  });
  turn.write();
}

}  // namespace touchline::api
