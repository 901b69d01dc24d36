#include "touchline/events/json_text.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include <simdjson.h>

namespace touchline {

namespace {

nlohmann::json to_nlohmann(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      nlohmann::json out = nlohmann::json::object();
      auto& fields = out.get_ref<nlohmann::json::object_t&>();
      for (auto [key, value] : simdjson::dom::object(e)) fields[std::string(key)] = to_nlohmann(value);
      return out;
    }
    case simdjson::dom::element_type::ARRAY: {
      nlohmann::json out = nlohmann::json::array();
      auto& items = out.get_ref<nlohmann::json::array_t&>();
      for (auto value : simdjson::dom::array(e)) items.push_back(to_nlohmann(value));
      return out;
    }
    case simdjson::dom::element_type::STRING: return std::string(std::string_view(e));
    case simdjson::dom::element_type::INT64: {
      const std::int64_t v = std::int64_t(e);
      if (v >= 0) return static_cast<std::uint64_t>(v);
      return v;
    }
    case simdjson::dom::element_type::UINT64: return std::uint64_t(e);
    case simdjson::dom::element_type::DOUBLE: return double(e);
    case simdjson::dom::element_type::BOOL: return bool(e);
    case simdjson::dom::element_type::NULL_VALUE: return nullptr;
  }
  return nullptr;  // unreachable: every element type is handled above
}

}  // namespace

std::optional<nlohmann::json> parse_json(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) == simdjson::SUCCESS) return to_nlohmann(root);
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

void append_json_string(std::string& out, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) {
    out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace touchline
