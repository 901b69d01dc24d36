// JSON text to nlohmann::json, read by simdjson: the same values nlohmann's own parser gives,
// several times faster on the request bodies and stored events Touchline reads most. And a JSON
// string written straight into text, for answers of a fixed shape written without a json value.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace touchline {

// The value the text holds: what nlohmann::json::parse(text) gives (objects keep the last of a
// repeated key, non-negative integers are unsigned, negative ones signed, the rest doubles; only
// -0 differs, an unsigned 0 here where nlohmann keeps a signed one: the same number), or
// nullopt when the text is not valid JSON (nlohmann's parser has the last word on what is: text
// simdjson refuses, e.g. an integer beyond 64 bits, which nlohmann reads as a double, is handed to
// it). Thread-safe: each thread parses with a parser of its own, kept between calls.
std::optional<nlohmann::json> parse_json(std::string_view text);

// Appends `text` to `out` as a JSON string, quoted and escaped: byte for byte what
// nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) writes
// (UTF-8 kept as it is, bytes that are not UTF-8 written as U+FFFD). Printable ASCII without a
// quote or a backslash, the common case, is copied as it is; anything else is left to nlohmann.
void append_json_string(std::string& out, std::string_view text);

}  // namespace touchline
