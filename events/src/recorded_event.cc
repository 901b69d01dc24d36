#include "touchline/events/recorded_event.h"

#include <array>

#include <simdjson.h>

#include "stored_text.h"

namespace touchline::events {

Result<RecordedEvent> recorded_event(const Envelope& e) {
  auto decoded = decode_event(e.type, e.schema_version, e.payload);
  if (!decoded.ok()) return decoded.error();
  return RecordedEvent{e.position,       e.stream,         e.stream_version, e.recorded_at_ms,
                       e.actor,          e.command_id,     e.correlation_id, e.causation_id,
                       std::move(decoded).value()};
}

namespace {

// A string member's value, or nullopt when it is not a string.
std::optional<std::string_view> string_of(simdjson::dom::element e) {
  std::string_view v;
  if (e.get_string().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

}  // namespace

std::optional<RecordedEvent> read_recorded_text(std::string_view text) {
  std::optional<RecordedEvent> out(std::in_place);
  if (!read_recorded_text_into(text, *out)) return std::nullopt;
  return out;
}

bool read_recorded_text_into(std::string_view text, RecordedEvent& out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return false;
  simdjson::dom::object members;
  if (root.get_object().get(members) != simdjson::SUCCESS) return false;
  // No repeated key anywhere: the slow way keeps a repeated key's last value, at_key its first.
  if (!detail::canonical_tree(root)) return false;

  std::string_view type;
  std::uint32_t schema = 0;
  std::optional<simdjson::dom::object> payload;
  // Every member envelope_from_json requires, with the type it requires; others are ignored, as
  // there. Keys are sorted, so each is met at most once.
  constexpr std::size_t kRequired = 13;
  std::size_t seen = 0;
  for (auto [key, value] : members) {
    std::optional<std::string_view> s;
    if (key == "actor" || key == "causation_id" || key == "command_id" || key == "correlation_id" ||
        key == "hash" || key == "prev_hash" || key == "stream" || key == "type") {
      s = string_of(value);
      if (!s) return false;
      if (key == "actor") out.actor.assign(*s);
      else if (key == "causation_id") out.causation_id.assign(*s);
      else if (key == "command_id") out.command_id.assign(*s);
      else if (key == "correlation_id") out.correlation_id.assign(*s);
      else if (key == "stream") out.stream.assign(*s);
      else if (key == "type") type = *s;
    } else if (key == "position" || key == "stream_version") {
      auto v = detail::unsigned_member<std::uint64_t>(value);
      if (!v) return false;
      (key == "position" ? out.position : out.stream_version) = *v;
    } else if (key == "schema_version") {
      auto v = detail::unsigned_member<std::uint32_t>(value);
      if (!v) return false;
      schema = *v;
    } else if (key == "recorded_at_ms") {
      if (value.get_int64().get(out.recorded_at_ms) != simdjson::SUCCESS) return false;
    } else if (key == "payload") {
      simdjson::dom::object p;
      if (value.get_object().get(p) != simdjson::SUCCESS) return false;
      payload = p;
    } else {
      continue;
    }
    ++seen;
  }
  if (seen != kRequired) return false;
  return detail::read_payload_object(type, schema, *payload, out.event);
}

}  // namespace touchline::events
