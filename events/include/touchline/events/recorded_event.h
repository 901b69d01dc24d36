// An event as the read side folds it: the envelope's facts with its payload decoded, without the
// hash chain's fields (which only `touchline verify` reads). Projections fold these; a replay
// decodes a log's stored text straight into them, with no JSON tree in between.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "touchline/events/domain_events.h"
#include "touchline/events/envelope.h"
#include "touchline/events/result.h"

namespace touchline::events {

struct RecordedEvent {
  std::uint64_t position = 0;
  std::string stream;
  std::uint64_t stream_version = 0;
  std::int64_t recorded_at_ms = 0;
  std::string actor;
  std::string command_id;
  std::string correlation_id;
  std::string causation_id;
  DomainEvent event;  // the payload, decoded; its type and schema are the envelope's

  bool operator==(const RecordedEvent&) const = default;
};

// e with its payload decoded, or decode_event's invalid_argument when the payload does not
// decode (an unknown type or schema, a missing or mistyped field).
Result<RecordedEvent> recorded_event(const Envelope& e);

// When `text` is an envelope whose objects have their keys sorted and unrepeated at every depth
// and whose numbers are all integers (as the store writes it; whitespace and the spelling of
// escapes do not matter), with every member envelope_from_json reads, of its type, and a payload
// holding every member of its type's struct, of its type and in its range: the event it holds,
// decoded straight from the text. For any other text, nullopt, whether or not it decodes: the
// caller then decodes it the slow way (parse_json, envelope_from_json, recorded_event), which has
// the last word. Whenever this gives an event, the slow way gives the same one (the fuzz target
// `fuzz_json` holds it to that). Thread-safe: each thread parses with a parser of its own.
std::optional<RecordedEvent> read_recorded_text(std::string_view text);

// read_recorded_text into an event the caller already has, reusing the memory its strings hold
// (a replay decodes a batch into the events of the batch before it): true with `out` the event
// the text holds, or false with `out` valid but unspecified, where read_recorded_text would give
// nullopt. Thread-safe for distinct `out`s.
bool read_recorded_text_into(std::string_view text, RecordedEvent& out);

}  // namespace touchline::events
