// Text rules shared by the aggregates.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace touchline::domain {

// Names (display names, organisation names) are limited in characters, not bytes.
inline constexpr std::size_t kMaxNameChars = 100;

// Counts code points, not bytes: "10 characters" means what a person typing it sees.
inline std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// "a, b, c": the names of `items` (as `name_of` gives them), for messages that list what is valid.
template <typename Items, typename NameOf>
std::string join_names(const Items& items, NameOf name_of) {
  std::string out;
  for (const auto& item : items) {
    out += out.empty() ? "" : ", ";
    out += name_of(item);
  }
  return out;
}

template <typename Items>
std::string join_names(const Items& items) {
  return join_names(items, [](const auto& name) -> const auto& { return name; });
}

}  // namespace touchline::domain
