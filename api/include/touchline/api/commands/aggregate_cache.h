// The write side's aggregates, held in memory at their streams' versions so that deciding a
// command reads no event the service has already folded.
//
// Each entry is one stream's state (account, organisation or email claim) and version, including
// the events of appends decided on it that are not yet durable: the next command on the same
// aggregate is decided against the state the previous decision leaves, without waiting for its
// fsync. Such an append carries a ticket, and every append decided on top of it names that ticket
// (store::AppendRequest::after), so that if it fails, the store refuses those too and they are
// decided again: a decision never outlives the state it was made on. An entry whose append failed
// is dropped and read again from the store.
//
// A stream that is not cached is read from its snapshot (kept in the store's snapshots column
// family, in domain::kSnapshotFormat) plus the events after it, or from version 1 when it has no
// snapshot in this format. Snapshots are written every `snapshot_every` events of a stream and
// at shutdown; they are never needed, only faster.
//
// Memory is bounded by `budget_bytes` (an estimate of each state's size): the least recently used
// entries without an append in flight go first.
//
// Thread-safe. Decisions are serialised: a Decision holds the cache from its first read until it
// is sealed or destroyed, which also keeps appends queued in the order they were decided.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "touchline/api/commands/planners.h"
#include "touchline/domain/account.h"
#include "touchline/domain/organization.h"
#include "touchline/store/event_store.h"

namespace touchline::api::commands {

struct AggregateCacheOptions {
  std::size_t budget_bytes = 256u << 20;  // 256 MiB
  std::uint64_t snapshot_every = 256;      // events of a stream between two snapshots
  std::function<void(const std::string&)> log;  // a line for what an operator should know
};

struct AggregateCacheStats {
  std::size_t entries = 0;
  std::size_t bytes = 0;  // the estimate the budget is held to
  std::uint64_t hits = 0;              // reads answered from memory
  std::uint64_t loads = 0;             // streams read from the store
  std::uint64_t snapshots_loaded = 0;  // of those, from a snapshot
  std::uint64_t snapshots_written = 0;
  std::uint64_t evictions = 0;
};

class AggregateCache {
  struct Entry;

 public:
  AggregateCache(store::EventStore& log, AggregateCacheOptions options);
  ~AggregateCache();
  AggregateCache(const AggregateCache&) = delete;
  AggregateCache& operator=(const AggregateCache&) = delete;

  // One command's reads and, once planned, its append. Not thread-safe itself; one per attempt.
  class Decision final : public StateReader {
   public:
    explicit Decision(AggregateCache& cache);
    ~Decision() override;  // releases the cache if still held
    Decision(const Decision&) = delete;
    Decision& operator=(const Decision&) = delete;

    Result<const domain::AccountState*> account(const std::string& account_id) override;
    Result<const domain::OrganizationState*> organization(const std::string& organization_id) override;
    Result<const domain::EmailClaimState*> email_claim(const std::string& normalized_email) override;

    // Whether a state read was left by an append that is not yet durable: an answer decided on
    // it (a refusal, or a plan with nothing to append) must then still wait for that append.
    bool read_undurable_state() const;

    // Turns the plan's events into `request`'s streams (each stream read is expected at the
    // version read; one not read must be new), names the undurable appends it read in `after`,
    // gives it a ticket, and applies the events to the cached states. Then `submit` is called
    // with the request, still holding the cache, so that appends reach the store in the order
    // they were decided; afterwards the cache is released. With no events, the request only
    // waits for what it read (`after`). Call at most once. If applying or submitting throws,
    // the states it touched are forgotten (or, where an earlier append is still in flight on
    // them, held back until it settles) and the exception propagates.
    void seal(const std::vector<events::DomainEvent>& events, store::AppendRequest& request,
              const std::function<void(store::AppendRequest&)>& submit);

    // The sequence number seal gave the append (0 when it appended nothing), for settle().
    std::uint64_t sequence() const { return sequence_; }

    // Lets go of the cache without sealing (a refusal or a no-op answered at once).
    void release();

   private:
    friend class AggregateCache;
    template <typename State>
    Result<Entry*> read(const std::string& stream);
    // Folds the decided events into their streams' entries, marked undurable under `ticket`.
    void apply(const std::vector<events::DomainEvent>& decided, const std::shared_ptr<store::AppendTicket>& ticket);
    void detach_parents();
    // After an exception in apply or submit: see seal().
    void forget(const store::AppendRequest& request,
                const std::unordered_map<std::string, std::shared_ptr<store::AppendTicket>>& earlier);

    AggregateCache& cache_;
    std::unique_lock<std::mutex> lock_;
    std::unordered_map<std::string, std::uint64_t> versions_;  // stream -> version read
    std::vector<std::shared_ptr<const store::AppendTicket>> after_;
    std::vector<Entry*> attached_parents_;  // organisations whose parent pointer this decision set
    std::uint64_t sequence_ = 0;
  };

  // The outcome of a sealed decision's append (its streams, ticket and sequence), from the
  // store's callback on any thread, including inside submit. Applied: its streams' entries are
  // durable up to it (and may be snapshotted). Not applied: the entries that hold its events
  // (those read before it was sealed) are dropped, to be read again; one read from the store
  // since holds none of them and stays. Does not throw.
  void settle(const std::vector<std::string>& streams, const std::shared_ptr<store::AppendTicket>& ticket,
              std::uint64_t sequence, bool applied) noexcept;

  // Writes a snapshot of every cached stream changed since its last one and durable. For
  // shutdown, once no command is in flight. Returns the first error, after trying them all.
  Status write_snapshots();

  AggregateCacheStats stats() const;

 private:
  void touch(Entry& e);
  void drop(const std::string& stream);
  void evict_over_budget();
  void maybe_snapshot(const std::string& stream, Entry& e);
  std::unique_lock<std::mutex> lock_unless_held();

  store::EventStore& log_;
  AggregateCacheOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
  std::list<std::string> recency_;  // front: most recently used
  std::uint64_t sealed_ = 0;        // appends sealed so far: their sequence numbers
  AggregateCacheStats stats_;
};

}  // namespace touchline::api::commands
