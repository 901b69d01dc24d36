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

// True when s holds a control character: C0 (below U+0020: NUL, newline, tab, escape...), DEL, or
// C1 (U+0080-U+009F, encoded 0xC2 0x80-0x9F). Names are shown in lists, logs and audit entries,
// where such characters forge lines or hide text, so no name may hold one.
inline bool has_control_characters(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;
  }
  return false;
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
