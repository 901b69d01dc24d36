// Drives one projection: loads its state, catches up from its checkpoint, then follows the live
// log, committing state and checkpoint together after each batch of events.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "touchline/events/result.h"
#include "touchline/projections/projection.h"
#include "touchline/store/event_store.h"
#include "touchline/store/state_store.h"

namespace touchline::projections {

struct RunnerOptions {
  std::size_t batch_size = 512;                  // events per commit
  std::chrono::milliseconds idle_poll{100};      // how often an idle runner checks for stop()
  std::function<void(const std::string&)> log;   // one line per notable event; may be empty
};

class ProjectionRunner {
 public:
  // `log` and `projection` must outlive the runner.
  ProjectionRunner(store::EventStore& log, Projection& projection, RunnerOptions options = {});
  ~ProjectionRunner();  // calls stop()

  // Loads the projection's state and starts the worker thread, which catches up and then
  // follows the log. Call once.
  //
  // State stored in another format than the projection's state_format() (an older or newer
  // build wrote it, or it predates formats) is never loaded: start() clears it, reset()s the
  // projection, logs one line and records the new format, and the worker then replays the log
  // from position 0. A new projection (no state, no checkpoint) just has its format recorded.
  // If the store refuses those writes, the worker is not started and failure() says why.
  void start();

  // Stops the worker thread and waits for it. Pending when_reached callbacks are dropped
  // (each caller has its own timeout). Idempotent.
  void stop();

  // The position of the last event whose effects are committed; thread-safe.
  std::uint64_t position() const;

  // Set when the worker stopped on an error (an undecodable event, a storage failure).
  std::optional<std::string> failure() const;

  // Blocks until position() >= target or the timeout passes; returns whether it was reached.
  bool wait_for(std::uint64_t target, std::chrono::milliseconds timeout) const;

  // Calls fn once position() >= target: at once on the calling thread if already there (and
  // returns 0), else later on the worker thread (fn must not block) unless cancelled first.
  // Returns a ticket for cancel().
  std::uint64_t when_reached(std::uint64_t target, std::function<void()> fn);

  // Forgets a pending when_reached callback (a caller that gave up waiting). Returns whether it
  // was still pending; false if it already ran or the ticket is unknown.
  bool cancel(std::uint64_t ticket);

  // Clears the projection's state, records its state_format(), and replays the whole log into
  // it, returning when done: the calling thread folds each batch while another reads and decodes
  // the next (on every core). Only
  // while the runner is not started (an operator rebuild on a stopped server): otherwise
  // failed_precondition. `progress(done, total)` is called after each batch. Returns the store's
  // error, or the decode error at the first bad event.
  Status rebuild(const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

  // rebuild() for several runners over one log at once: each batch of events (the first
  // runner's batch_size) is read and decoded once and folded into every runner's projection,
  // each committing its own state and checkpoint per batch.
  // invalid_argument when the runners do not share one log or one appears twice; otherwise as
  // rebuild(), stopping at the first error, which failure() then gives: every runner's for a
  // read or decode error, the runner's own for a fold (the runners before it in `runners` have
  // then folded the batch that failed, the others not).
  static Status rebuild_together(std::span<ProjectionRunner* const> runners,
                                 const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

 private:
  void run();
  // At start: clears state stored in another format than the projection's and records its
  // format. Returns the store's error.
  Status adopt_state_format();
  // Applies events after position() until the log head; returns false on failure.
  bool catch_up_once(bool& applied_any);
  // Folds a read and decoded batch into the projection and commits what changed with the
  // checkpoint; returns false, with failure() set, when that failed.
  bool fold(const std::vector<events::RecordedEvent>& batch);
  // Before a rebuild: clears the state and records the format. Returns the store's error.
  Status start_over();
  void advance_to(std::uint64_t position);

  store::EventStore& log_;
  Projection& projection_;
  store::StateStore state_;
  RunnerOptions options_;

  mutable std::mutex mu_;
  mutable std::condition_variable advanced_;
  std::uint64_t position_ = 0;
  std::optional<std::string> failure_;
  struct Waiter {
    std::uint64_t ticket;
    std::function<void()> fn;
  };
  std::multimap<std::uint64_t, Waiter> waiters_;  // by target position
  std::uint64_t next_ticket_ = 1;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace touchline::projections
