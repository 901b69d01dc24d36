// libFuzzer target: the log's readers, as an auditor's tool or a restarted server meets them.
// Bytes -> JSON -> envelope -> domain event. Whatever the bytes, each step answers a value or a
// typed error (never a crash, an exception or undefined behaviour), and a value it answers
// writes back to bytes that read as the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "touchline/events/domain_events.h"
#include "touchline/events/envelope.h"

using namespace touchline::events;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  auto envelope = envelope_from_json(json);
  if (!envelope.ok()) return 0;

  auto reread = envelope_from_json(to_json(*envelope));
  if (!reread.ok() || !(*reread == *envelope)) std::abort();
  (void)canonical_bytes(*envelope);

  auto event = decode_event(envelope->type, envelope->schema_version, envelope->payload);
  if (!event.ok()) return 0;
  // Old schemas decode into today's event, which writes as today's schema.
  auto redecoded = decode_event(event_type(*event), event_schema(*event), event_payload(*event));
  if (!redecoded.ok() || !(*redecoded == *event)) std::abort();
  (void)stream_of(*event);
  return 0;
}
