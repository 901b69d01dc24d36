#include "touchline/api/commands/aggregate_cache.h"

#include <map>

#include "touchline/domain/snapshot.h"

namespace touchline::api::commands {

namespace {

using AnyState = std::variant<domain::AccountState, domain::OrganizationState, domain::EmailClaimState>;

// The cache whose lock this thread holds, so that a store callback run inline by a decision's
// submit (a stopped store answers at once) settles without locking it a second time.
thread_local const AggregateCache* t_holding = nullptr;

// Rough sizes of the states' parts on a 64-bit build: a tree node with one or two short strings.
// An estimate keeps the budget meaningful without walking every string.
constexpr std::size_t kPairNode = 128;
constexpr std::size_t kSetNode = 80;
constexpr std::size_t kRecordNode = 256;  // an invite or a credential

std::size_t approximate_bytes(const domain::AccountState& s) {
  return sizeof(s) + s.email.size() + s.display_name.size() + s.privacy.changed.size() * kSetNode;
}

std::size_t approximate_bytes(const domain::EmailClaimState& s) { return sizeof(s) + s.account_id.size(); }

std::size_t approximate_bytes(const domain::OrganizationState& o) {
  std::size_t n = sizeof(o) + o.name.size();
  n += (o.members.size() + o.assignments.size() + o.settings.size()) * kPairNode;
  n += (o.consenting.size() + o.deactivated.size() + o.children.size()) * kSetNode;
  n += (o.invites.size() + o.credentials.size()) * kRecordNode;
  for (const auto& [grant, holders] : o.grants) n += kPairNode + holders.size() * kSetNode;
  for (const auto& [name, role] : o.custom_roles) n += kRecordNode + role.permissions.size() * kPairNode;
  return n;
}

std::size_t approximate_bytes(const AnyState& s) {
  return std::visit([](const auto& state) { return approximate_bytes(state); }, s);
}

template <typename State>
Result<State> from_snapshot(const nlohmann::json& j) {
  if constexpr (std::is_same_v<State, domain::AccountState>) {
    return domain::account_from_snapshot(j);
  } else if constexpr (std::is_same_v<State, domain::OrganizationState>) {
    return domain::organization_from_snapshot(j);
  } else {
    return domain::email_claim_from_snapshot(j);
  }
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// The state kind of a stream, from its name (events/domain_events.h names them).
std::optional<AnyState> empty_state_of(const std::string& stream) {
  static const std::string account = events::account_stream("");
  static const std::string organization = events::organization_stream("");
  static const std::string email = events::email_stream("");
  if (starts_with(stream, organization)) return AnyState{domain::OrganizationState{}};
  if (starts_with(stream, account)) return AnyState{domain::AccountState{}};
  if (starts_with(stream, email)) return AnyState{domain::EmailClaimState{}};
  return std::nullopt;
}

}  // namespace

struct AggregateCache::Entry {
  AnyState state;
  std::uint64_t version = 0;           // the last version folded, durable or not
  std::uint64_t snapshot_version = 0;  // of the snapshot kept in the store (0: none known)
  // The newest append decided on this state that the store has not settled yet.
  std::shared_ptr<store::AppendTicket> undurable;
  // How many appends had been sealed when this state was read from the store: it holds the
  // events of those sealed after, and of no earlier one still in flight.
  std::uint64_t loaded_at = 0;
  // Its state was lost while `undurable` was in flight (an exception while applying a later
  // decision): until that append settles, the store does not hold what this entry held, so it
  // is neither used nor read again.
  bool held_back = false;
  std::size_t bytes = 0;
  std::list<std::string>::iterator recency;
};

AggregateCache::AggregateCache(store::EventStore& log, AggregateCacheOptions options)
    : log_(log), options_(std::move(options)) {
  if (!options_.log) options_.log = [](const std::string&) {};
}

AggregateCache::~AggregateCache() = default;

std::unique_lock<std::mutex> AggregateCache::lock_unless_held() {
  if (t_holding == this) return {};
  return std::unique_lock(mu_);
}

void AggregateCache::touch(Entry& e) { recency_.splice(recency_.begin(), recency_, e.recency); }

void AggregateCache::evict_over_budget() {
  for (auto it = recency_.end(); stats_.bytes > options_.budget_bytes && it != recency_.begin();) {
    --it;
    auto found = entries_.find(*it);
    if (found->second->undurable) continue;  // its state is ahead of the store: keep it
    stats_.bytes -= found->second->bytes;
    ++stats_.evictions;
    entries_.erase(found);
    it = recency_.erase(it);
  }
  stats_.entries = entries_.size();
}

void AggregateCache::maybe_snapshot(const std::string& stream, Entry& e) {
  if (e.undurable || e.version < e.snapshot_version + options_.snapshot_every) return;
  // Only time is lost when a snapshot is not written: the stream is folded from its previous
  // snapshot next time. So nothing here may fail the command whose settlement triggered it.
  try {
    store::Snapshot snapshot{e.version,
                             std::visit([](const auto& s) { return domain::snapshot_json(s); }, e.state).dump()};
    if (auto st = log_.write_snapshot(stream, domain::kSnapshotFormat, snapshot); !st.ok()) {
      options_.log("cannot write the snapshot of " + stream + ": " + st.error().message);
      return;
    }
  } catch (const std::exception& ex) {
    options_.log("cannot write the snapshot of " + stream + ": " + ex.what());
    return;
  }
  e.snapshot_version = e.version;
  ++stats_.snapshots_written;
}

void AggregateCache::drop(const std::string& stream) {
  auto it = entries_.find(stream);
  if (it == entries_.end()) return;
  stats_.bytes -= it->second->bytes;
  recency_.erase(it->second->recency);
  entries_.erase(it);
  stats_.entries = entries_.size();
}

void AggregateCache::settle(const std::vector<std::string>& streams,
                            const std::shared_ptr<store::AppendTicket>& ticket, std::uint64_t sequence,
                            bool applied) noexcept {
  auto lock = lock_unless_held();
  for (const auto& stream : streams) {
    auto it = entries_.find(stream);
    if (it == entries_.end()) continue;
    Entry& e = *it->second;
    if (e.held_back) {
      // Held back for this append: now that it is written or refused, the store holds the truth.
      if (e.undurable == ticket) drop(stream);
      continue;
    }
    if (!applied) {
      // An entry read before this append was sealed holds its events, which were never written
      // (and maybe later decisions on them, which the store refuses in turn): read it again. One
      // read since came from the store and holds none of them.
      if (e.loaded_at < sequence) drop(stream);
      continue;
    }
    if (e.undurable == ticket) {
      e.undurable = nullptr;
      maybe_snapshot(stream, e);
    }
  }
  stats_.entries = entries_.size();
}

Status AggregateCache::write_snapshots() {
  std::lock_guard lock(mu_);
  Status first = ok_status();
  for (auto& [stream, e] : entries_) {
    if (e->undurable || e->held_back || e->version == 0 || e->version == e->snapshot_version) continue;
    store::Snapshot snapshot{e->version,
                             std::visit([](const auto& s) { return domain::snapshot_json(s); }, e->state).dump()};
    auto st = log_.write_snapshot(stream, domain::kSnapshotFormat, snapshot);
    if (!st.ok()) {
      if (first.ok()) first = st;
      continue;
    }
    e->snapshot_version = e->version;
    ++stats_.snapshots_written;
  }
  return first;
}

AggregateCacheStats AggregateCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

// ---------------------------------------------------------------------------------------------
// Decision

AggregateCache::Decision::Decision(AggregateCache& cache) : cache_(cache) {}

AggregateCache::Decision::~Decision() { release(); }

void AggregateCache::Decision::detach_parents() {
  // The parent pointers lent to this decision's sub-organisations point into the cache, whose
  // entries may go once the decision is submitted (its store callback may drop them) or released.
  for (Entry* org : attached_parents_) std::get<domain::OrganizationState>(org->state).parent.reset();
  attached_parents_.clear();
}

void AggregateCache::Decision::release() {
  if (!lock_.owns_lock()) return;
  detach_parents();
  cache_.evict_over_budget();
  t_holding = nullptr;
  lock_.unlock();
}

template <typename State>
Result<AggregateCache::Entry*> AggregateCache::Decision::read(const std::string& stream) {
  if (!lock_.owns_lock()) {
    lock_ = std::unique_lock(cache_.mu_);
    t_holding = &cache_;
  }
  Entry* e = nullptr;
  if (auto it = cache_.entries_.find(stream); it != cache_.entries_.end()) {
    e = it->second.get();
    if (e->held_back) {
      return Error::make(ErrorCode::unavailable,
                         "the state of " + stream + " is being re-read after a failed command; retry shortly");
    }
    if (!std::holds_alternative<State>(e->state)) {
      return Error::make(ErrorCode::internal, "stream " + stream + " is cached as another kind of aggregate");
    }
    cache_.touch(*e);
    ++cache_.stats_.hits;
  } else {
    State state;
    std::uint64_t version = 0;
    std::uint64_t snapshot_version = 0;
    auto snapshot = cache_.log_.read_snapshot(stream, domain::kSnapshotFormat);
    if (!snapshot.ok()) return snapshot.error();
    if (*snapshot) {
      auto decoded = from_snapshot<State>(nlohmann::json::parse((*snapshot)->state, nullptr, false));
      if (decoded.ok()) {
        state = std::move(*decoded);
        version = snapshot_version = (*snapshot)->version;
        ++cache_.stats_.snapshots_loaded;
      } else {
        // Derived data in this build's format that does not decode: the events still do.
        cache_.options_.log("the snapshot of " + stream + " does not decode (" + decoded.error().message +
                            "); folding its events instead");
      }
    }
    // From the snapshot's own version: that event must be there, or the snapshot is of a log
    // this one is not (restored from an older backup, say) and the events are folded instead.
    auto envelopes = cache_.log_.read_stream(stream, std::max<std::uint64_t>(version, 1));
    if (!envelopes.ok()) return envelopes.error();
    if (version > 0 && (envelopes->empty() || envelopes->front().stream_version != version)) {
      cache_.options_.log("the snapshot of " + stream + " is ahead of its stream; folding its events instead");
      state = State{};
      version = snapshot_version = 0;
      --cache_.stats_.snapshots_loaded;
      envelopes = cache_.log_.read_stream(stream);
      if (!envelopes.ok()) return envelopes.error();
    } else if (version > 0) {
      envelopes->erase(envelopes->begin());  // already in the snapshot
    }
    for (const auto& env : *envelopes) {
      auto decoded = events::decode_event(env.type, env.schema_version, env.payload);
      if (!decoded.ok()) {
        return Error::make(ErrorCode::internal, "stream " + stream + ": " + decoded.error().message);
      }
      state = domain::evolve(std::move(state), *decoded);
      version = env.stream_version;
    }
    auto entry = std::make_unique<Entry>();
    entry->state = std::move(state);
    entry->version = version;
    entry->snapshot_version = snapshot_version;
    entry->loaded_at = cache_.sealed_;
    entry->bytes = approximate_bytes(entry->state);
    cache_.recency_.push_front(stream);
    entry->recency = cache_.recency_.begin();
    e = entry.get();
    cache_.entries_.emplace(stream, std::move(entry));
    cache_.stats_.bytes += e->bytes;
    cache_.stats_.entries = cache_.entries_.size();
    ++cache_.stats_.loads;
  }
  versions_.emplace(stream, e->version);
  if (e->undurable) after_.push_back(e->undurable);
  return e;
}

Result<const domain::AccountState*> AggregateCache::Decision::account(const std::string& account_id) {
  auto e = read<domain::AccountState>(events::account_stream(account_id));
  if (!e.ok()) return e.error();
  return &std::get<domain::AccountState>((*e)->state);
}

Result<const domain::EmailClaimState*> AggregateCache::Decision::email_claim(const std::string& normalized_email) {
  auto e = read<domain::EmailClaimState>(events::email_stream(normalized_email));
  if (!e.ok()) return e.error();
  return &std::get<domain::EmailClaimState>((*e)->state);
}

Result<const domain::OrganizationState*> AggregateCache::Decision::organization(const std::string& organization_id) {
  auto e = read<domain::OrganizationState>(events::organization_stream(organization_id));
  if (!e.ok()) return e.error();
  auto& org = std::get<domain::OrganizationState>((*e)->state);
  if (!org.parent_id.empty()) {
    auto parent = read<domain::OrganizationState>(events::organization_stream(org.parent_id));
    if (!parent.ok()) return parent.error();
    // Lent, not owned: the parent's entry outlives this decision's hold on the cache.
    org.parent = std::shared_ptr<const domain::OrganizationState>(
        std::shared_ptr<const domain::OrganizationState>(), &std::get<domain::OrganizationState>((*parent)->state));
    attached_parents_.push_back(*e);
  }
  return &org;
}

bool AggregateCache::Decision::read_undurable_state() const { return !after_.empty(); }

void AggregateCache::Decision::seal(const std::vector<events::DomainEvent>& decided, store::AppendRequest& request,
                                    const std::function<void(store::AppendRequest&)>& submit) {
  std::map<std::string, std::size_t> index;  // stream -> position in request.streams
  for (const auto& e : decided) {
    std::string stream = events::stream_of(e);
    auto [it, inserted] = index.emplace(stream, request.streams.size());
    if (inserted) {
      // A stream the decision read must not have moved since; one it did not read is new.
      auto seen = versions_.find(stream);
      const std::uint64_t version = seen == versions_.end() ? 0 : seen->second;
      request.streams.push_back(store::StreamAppend{
          stream, version == 0 ? store::ExpectedVersion::no_stream() : store::ExpectedVersion::exact(version), {}});
    }
    request.streams[it->second].events.push_back(
        store::NewEvent{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)});
  }
  request.after = after_;
  detach_parents();
  if (!decided.empty()) {
    if (!lock_.owns_lock()) {  // a decision that read nothing (none does today) still queues in order
      lock_ = std::unique_lock(cache_.mu_);
      t_holding = &cache_;
    }
    request.ticket = std::make_shared<store::AppendTicket>();
    sequence_ = ++cache_.sealed_;
  }
  // The appends in flight on the states this one writes, before it replaces them as undurable.
  std::unordered_map<std::string, std::shared_ptr<store::AppendTicket>> earlier;
  for (const auto& sa : request.streams) {
    if (auto it = cache_.entries_.find(sa.stream); it != cache_.entries_.end() && it->second->undurable) {
      earlier.emplace(sa.stream, it->second->undurable);
    }
  }
  try {
    if (!decided.empty()) apply(decided, request.ticket);
    submit(request);
  } catch (...) {
    if (request.ticket) request.ticket->settle(store::AppendTicket::State::failed);
    forget(request, earlier);
    release();
    throw;
  }
  release();
}

void AggregateCache::Decision::forget(
    const store::AppendRequest& request,
    const std::unordered_map<std::string, std::shared_ptr<store::AppendTicket>>& earlier) {
  for (const auto& sa : request.streams) {
    auto it = cache_.entries_.find(sa.stream);
    if (it == cache_.entries_.end()) continue;
    auto in_flight = earlier.find(sa.stream);
    if (in_flight == earlier.end()) {
      cache_.drop(sa.stream);  // the store holds all it held: read it again
      continue;
    }
    // Read from the store now, it would miss the earlier append's events if that is written:
    // hold the stream back until it settles.
    Entry& e = *it->second;
    e.held_back = true;
    e.undurable = in_flight->second;
  }
}

void AggregateCache::Decision::apply(const std::vector<events::DomainEvent>& decided,
                                     const std::shared_ptr<store::AppendTicket>& ticket) {
    for (const auto& e : decided) {
      const std::string stream = events::stream_of(e);
      auto it = cache_.entries_.find(stream);
      if (it == cache_.entries_.end()) {
        auto empty = empty_state_of(stream);
        if (!empty) continue;
        auto entry = std::make_unique<Entry>();
        entry->state = std::move(*empty);
        entry->loaded_at = sequence_ - 1;  // it holds this append's events
        cache_.recency_.push_front(stream);
        entry->recency = cache_.recency_.begin();
        it = cache_.entries_.emplace(stream, std::move(entry)).first;
      }
      Entry& entry = *it->second;
      std::visit([&](auto& state) { state = domain::evolve(std::move(state), e); }, entry.state);
      ++entry.version;
      entry.undurable = ticket;
      cache_.stats_.bytes -= entry.bytes;
      entry.bytes = approximate_bytes(entry.state);
      cache_.stats_.bytes += entry.bytes;
    }
    cache_.stats_.entries = cache_.entries_.size();
}

}  // namespace touchline::api::commands
