// The one strict reader of JSON request bodies, for every command and for the endpoints that take
// a body (checks, sign-in): a missing, mistyped or unknown field is invalid_argument naming it.
// Read the fields the request knows, then call finish(): it reports the first problem, including
// a field the request does not know. A string (or a string map's value) in the form of sealed
// personal data ("sealed:1:", store/personal_data.h) is invalid_argument too: only the server
// seals. Not thread-safe; one per request.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/container/small_vector.hpp>
#include <nlohmann/json.hpp>

#include "touchline/events/result.h"

namespace touchline::api::commands {

class Body {
 public:
  // `body` must outlive the reader. A body that is not a JSON object is reported by finish().
  explicit Body(const nlohmann::json& body);
  explicit Body(nlohmann::json&&) = delete;  // it would not outlive the reader

  std::string required(const char* name);  // a string
  std::string optional(const char* name);  // a string, or empty when absent or null
  // An id that will be part of a stream name: 1..64 of [A-Za-z0-9_-] (touchline/api/ids.h).
  std::string required_id(const char* name);
  std::string optional_id(const char* name);  // empty when absent
  bool required_bool(const char* name);
  bool optional_bool(const char* name, bool fallback);
  // A non-negative integer up to 1,000,000 (counts, hours, amounts), or `fallback` when absent.
  int optional_count(const char* name, int fallback);
  // A log position (any non-negative integer), or 0 when absent.
  std::uint64_t optional_position(const char* name);
  // The same, or nullopt when absent or null (where position 0 means something: at_position).
  std::optional<std::uint64_t> maybe_position(const char* name);
  // A time (domain::parse_time's forms), or nullopt when absent or null.
  std::optional<std::int64_t> maybe_time(const char* name);
  // An object of string values, e.g. {"athletes.view": "assigned"}.
  std::map<std::string, std::string> required_string_map(const char* name);
  std::map<std::string, std::string> optional_string_map(const char* name);  // empty when absent
  // An object of true/false values, e.g. {"share_pace_data": false}.
  std::map<std::string, bool> required_bool_map(const char* name);

  // A JSON array, or nullptr (the problem recorded) when absent or not an array.
  const nlohmann::json* required_array(const char* name);
  // The first problem, or nullopt when every field read was valid and there were no others.
  std::optional<Error> finish() const;

 private:
  const nlohmann::json* field(const char* name);  // marks it seen; nullptr when absent
  void fail(const char* name, const std::string& message);
  std::string read_string(const char* name, bool required);
  template <typename Value>  // std::string or bool
  std::map<std::string, Value> required_map(const char* name, const char* values, const char* one_value);

  const nlohmann::json& body_;
  // The body's fields read so far (each once): a handful, so a small vector, searched in turn.
  boost::container::small_vector<const nlohmann::json*, 8> seen_;
  std::optional<Error> error_;
};

}  // namespace touchline::api::commands
