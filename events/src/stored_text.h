// What the readers of stored text (read_canonical_text, read_recorded_text) share: checks on
// simdjson's view of a value, and each payload's reader, made from the list of its members in
// domain_events.cc. Internal to the events library: simdjson is not part of its interface.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include <simdjson.h>

#include "touchline/events/domain_events.h"

namespace touchline::events::detail {

// Whether every object under `e` has its keys in strictly increasing byte order (as nlohmann's
// std::map keeps them, and with no key repeated) and every number is an integer (a double's
// spelling is dump()'s own choice, not checked here).
bool canonical_tree(simdjson::dom::element e);

// The unsigned integer envelope_from_json reads as a T from `e`, when it is one that to_json
// writes back the same; otherwise nullopt.
template <typename T>
std::optional<T> unsigned_member(simdjson::dom::element e) {
  std::uint64_t v = 0;
  if (e.type() == simdjson::dom::element_type::UINT64) {
    v = std::uint64_t(e);
  } else if (e.type() == simdjson::dom::element_type::INT64 && std::int64_t(e) >= 0) {
    v = static_cast<std::uint64_t>(std::int64_t(e));
  } else {
    return std::nullopt;
  }
  if (v > std::numeric_limits<T>::max()) return std::nullopt;
  return static_cast<T>(v);
}

// The payload of an event of `type` at `schema`, read from its object into `out` (reusing the
// alternative `out` holds when it is of `type`): true, with `out` what decode_event gives for the
// same object, when the object holds every member of the type's struct with the type the member
// has (and `schema` is one the type decodes); otherwise false, with `out` valid but unspecified.
// The object's keys must be unrepeated (canonical_tree checks that): a repeated key is read here
// as its first value.
bool read_payload_object(std::string_view type, std::uint32_t schema, simdjson::dom::object payload,
                         DomainEvent& out);

}  // namespace touchline::events::detail
