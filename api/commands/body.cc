#include "touchline/api/commands/body.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "touchline/api/ids.h"
#include "touchline/domain/times.h"
#include "touchline/store/personal_data.h"

namespace touchline::api::commands {

using nlohmann::json;

namespace {

// Only the server seals text: a client's text in that form could carry someone's sealed data from
// an export into a field a read opens.
constexpr const char* sealed_text_refused = " must not start with \"sealed:1:\" (the form of sealed personal data)";

}  // namespace

Body::Body(const json& body) : body_(body) {
  if (!body_.is_object()) {
    error_ = Error::make(ErrorCode::invalid_argument, "the request body must be a JSON object");
  }
}

const json* Body::field(const char* name) {
  if (error_) return nullptr;
  auto it = body_.find(name);
  if (it == body_.end()) return nullptr;
  const json* value = &*it;
  if (std::find(seen_.begin(), seen_.end(), value) == seen_.end()) seen_.push_back(value);
  return value;
}

void Body::fail(const char* name, const std::string& message) {
  if (!error_) error_ = Error::make(ErrorCode::invalid_argument, message, name);
}

std::string Body::read_string(const char* name, bool required) {
  const json* v = field(name);
  if (!v || (!required && v->is_null())) {
    if (required) fail(name, std::string(name) + " is required");
    return {};
  }
  if (!v->is_string()) {
    fail(name, std::string(name) + " must be a string");
    return {};
  }
  if (store::PersonalData::is_sealed(v->get_ref<const std::string&>())) {
    fail(name, std::string(name) + sealed_text_refused);
    return {};
  }
  return v->get<std::string>();
}

std::string Body::required(const char* name) { return read_string(name, true); }
std::string Body::optional(const char* name) { return read_string(name, false); }

std::string Body::required_id(const char* name) {
  std::string v = read_string(name, true);
  if (!error_ && !is_valid_id(v)) fail(name, std::string(name) + " must be an id of 1 to 64 letters, digits, - or _");
  return v;
}

std::string Body::optional_id(const char* name) {
  std::string v = read_string(name, false);
  if (!error_ && !v.empty() && !is_valid_id(v)) {
    fail(name, std::string(name) + " must be an id of 1 to 64 letters, digits, - or _");
  }
  return v;
}

const json* Body::required_array(const char* name) {
  const json* v = field(name);
  if (error_) return nullptr;
  if (!v || !v->is_array()) {
    fail(name, std::string(name) + " is required: an array");
    return nullptr;
  }
  return v;
}

bool Body::required_bool(const char* name) {
  const json* v = field(name);
  if (error_) return false;
  if (!v || !v->is_boolean()) {
    fail(name, std::string(name) + " is required: true or false");
    return false;
  }
  return v->get<bool>();
}

bool Body::optional_bool(const char* name, bool fallback) {
  const json* v = field(name);
  if (!v || v->is_null()) return fallback;
  if (!v->is_boolean()) {
    fail(name, std::string(name) + " must be true or false");
    return fallback;
  }
  return v->get<bool>();
}

namespace {

// JSON parsed from text holds a non-negative integer as unsigned; one built in C++ may hold it
// as signed. Both are the same number to a client.
bool is_non_negative_integer(const json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
}

}  // namespace

int Body::optional_count(const char* name, int fallback) {
  const json* v = field(name);
  if (!v || v->is_null()) return fallback;
  if (!is_non_negative_integer(*v) || v->get<std::uint64_t>() > 1'000'000) {
    fail(name, std::string(name) + " must be a non-negative integer");
    return fallback;
  }
  return v->get<int>();
}

std::uint64_t Body::optional_position(const char* name) {
  const json* v = field(name);
  if (!v || v->is_null()) return 0;
  if (!is_non_negative_integer(*v)) {
    fail(name, std::string(name) + " must be a non-negative integer");
    return 0;
  }
  return v->get<std::uint64_t>();
}

std::optional<std::uint64_t> Body::maybe_position(const char* name) {
  const json* v = field(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!is_non_negative_integer(*v)) {
    fail(name, std::string(name) + " must be a non-negative integer");
    return std::nullopt;
  }
  return v->get<std::uint64_t>();
}

std::optional<std::int64_t> Body::maybe_time(const char* name) {
  const json* v = field(name);
  if (!v || v->is_null()) return std::nullopt;
  std::optional<std::int64_t> t;
  if (is_non_negative_integer(*v) && v->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) {
    t = v->get<std::int64_t>();
  } else if (v->is_string()) {
    t = domain::parse_time(v->get_ref<const std::string&>());
  }
  if (!t) fail(name, std::string(name) + " must be Unix milliseconds or an RFC 3339 UTC time (2026-03-03T12:00:00Z)");
  return t;
}

template <typename Value>
std::map<std::string, Value> Body::required_map(const char* name, const char* values, const char* one_value) {
  const json* v = field(name);
  if (error_) return {};
  if (!v || !v->is_object()) {
    fail(name, std::string(name) + " is required: an object of " + values);
    return {};
  }
  std::map<std::string, Value> out;
  for (const auto& [key, value] : v->items()) {
    const bool fits = std::is_same_v<Value, bool> ? value.is_boolean() : value.is_string();
    if (!fits) {
      fail(name, std::string(name) + "." + key + " must be " + one_value);
      return {};
    }
    if (value.is_string() && store::PersonalData::is_sealed(value.template get_ref<const std::string&>())) {
      fail(name, std::string(name) + "." + key + sealed_text_refused);
      return {};
    }
    out[key] = value.template get<Value>();
  }
  return out;
}

std::map<std::string, std::string> Body::required_string_map(const char* name) {
  return required_map<std::string>(name, "strings", "a string");
}

std::map<std::string, std::string> Body::optional_string_map(const char* name) {
  if (body_.is_object() && !body_.contains(name)) return {};
  return required_string_map(name);
}

std::map<std::string, bool> Body::required_bool_map(const char* name) {
  return required_map<bool>(name, "true/false values", "true or false");
}

std::optional<Error> Body::finish() const {
  if (error_) return error_;
  if (seen_.size() == body_.size()) return std::nullopt;
  for (const auto& [key, value] : body_.items()) {
    if (std::find(seen_.begin(), seen_.end(), &value) == seen_.end()) {
      return Error::make(ErrorCode::invalid_argument, "unknown field '" + key + "'", key);
    }
  }
  return std::nullopt;
}

}  // namespace touchline::api::commands
