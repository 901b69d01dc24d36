// A projection: a read model folded from the event log. Projections are disposable: their state
// is a cache of the log, rebuilt from position 0 whenever an operator asks, and equal then to the
// one that followed the log live.
#pragma once

#include <cstdint>
#include <string>

#include "touchline/events/domain_events.h"
#include "touchline/events/envelope.h"
#include "touchline/events/recorded_event.h"
#include "touchline/store/state_store.h"

namespace touchline::projections {

// Implementations are driven by one ProjectionRunner thread (load, apply, write_changes, reset)
// and read concurrently by query threads; they guard their own memory.
class Projection {
 public:
  virtual ~Projection() = default;

  virtual const std::string& name() const = 0;

  // The format of the state this projection persists: the shape of the values it writes and
  // load() reads. Bump it whenever that shape changes (a field added, renamed or re-encoded, keys
  // laid out differently): at start the runner rebuilds from position 0 a projection whose stored
  // format differs, rather than have load() parse state it no longer understands. Start at 1
  // (0 is "none recorded").
  virtual std::uint32_t state_format() const = 0;

  // Loads the persisted state into memory, at start. Only ever given state of state_format().
  // Returns ok, or the storage error that stopped it (the projection then holds nothing, and the
  // runner stops rather than serve or extend a partial state).
  virtual Status load(const store::StateStore& state) = 0;

  // Folds one event into memory and remembers what changed (the runner decodes each event once,
  // for every projection it feeds). Events it does not care about are ignored. Throws
  // std::runtime_error when it cannot (a read of its own state failed): the runner stops there.
  virtual void apply(const events::RecordedEvent& e) = 0;

  // Moves everything changed since the last call into `batch`, for one atomic commit with the
  // checkpoint.
  virtual void write_changes(store::StateBatch& batch) = 0;

  // Forgets all state in memory (before a rebuild from position 0).
  virtual void reset() = 0;
};

// Decodes e's payload (events::recorded_event) and folds the event into `projection`. Throws
// std::runtime_error naming the position on an event that cannot be decoded (a log from a newer
// version), and whatever apply throws.
void apply_event(Projection& projection, const events::Envelope& e);

}  // namespace touchline::projections
