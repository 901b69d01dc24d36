// read_canonical_text: the hash chain's view of a stored envelope, for `touchline verify`, which
// would otherwise build two JSON trees and a dump per event only to learn that the text it read
// was already the canonical one. The text is checked to be exactly what dump() writes; anything
// else is declined, and the caller decodes it the slow way.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <simdjson.h>

#include "touchline/events/envelope.h"
#include "stored_text.h"

namespace touchline::events {
namespace {

// to_json(e)'s members, in the order dump() writes them (sorted).
constexpr std::array<std::string_view, 13> kMembers = {
    "actor",   "causation_id", "command_id",     "correlation_id", "hash",           "payload", "position",
    "prev_hash", "recorded_at_ms", "schema_version", "stream",       "stream_version", "type"};
constexpr std::size_t kHashMember = 4;
constexpr std::size_t kPrevHashMember = 7;
constexpr std::size_t kHashLength = 64;

constexpr std::array<bool, 256> kLowerHexDigits = [] {
  std::array<bool, 256> digits{};
  for (char c : std::string_view("0123456789abcdef")) digits[static_cast<unsigned char>(c)] = true;
  return digits;
}();

bool is_lower_hex_digit(char c) { return kLowerHexDigits[static_cast<unsigned char>(c)]; }

// Without an early exit: hash digits are random, and a branch per digit is mispredicted half
// the time.
bool is_lower_hex(std::string_view s) {
  if (s.size() != kHashLength) return false;
  bool all = true;
  for (char c : s) all &= is_lower_hex_digit(c);
  return all;
}

// The offset of the first '"' or '\\' in t at or after i, or t.size(): eight bytes at a time,
// since most of an envelope's bytes are inside strings.
std::size_t next_quote_or_backslash(std::string_view t, std::size_t i) {
  static_assert(std::endian::native == std::endian::little, "the byte found first is the lowest");
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  // The high bit of each byte of w that equals c (exact for the lowest such byte, which is
  // the only one used).
  auto bytes_equal = [](std::uint64_t w, unsigned char c) {
    const std::uint64_t x = w ^ (kOnes * c);
    return (x - kOnes) & ~x & kHighs;
  };
  for (; i + 8 <= t.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, t.data() + i, 8);
    if (const std::uint64_t hits = bytes_equal(w, '"') | bytes_equal(w, '\\')) {
      return i + static_cast<std::size_t>(std::countr_zero(hits)) / 8;
    }
  }
  while (i < t.size() && t[i] != '"' && t[i] != '\\') ++i;
  return i;
}

// The escape starting at t[i] (a backslash) is one dump() writes: \" \\ \b \f \n \r \t, or
// \u00xx in lowercase hex for another character below 0x20. On success i is left on the
// escape's last character.
bool canonical_escape(std::string_view t, std::size_t& i) {
  if (i + 1 >= t.size()) return false;
  switch (t[i + 1]) {
    case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
      i += 1;
      return true;
    case 'u': {
      if (i + 5 >= t.size() || t[i + 2] != '0' || t[i + 3] != '0') return false;
      const char hi = t[i + 4];
      const char lo = t[i + 5];
      if ((hi != '0' && hi != '1') || !is_lower_hex_digit(lo)) return false;
      const int code = (hi - '0') * 16 + (lo <= '9' ? lo - '0' : lo - 'a' + 10);
      if (code == 0x08 || code == 0x09 || code == 0x0a || code == 0x0c || code == 0x0d) return false;
      i += 5;
      return true;
    }
    default:
      return false;
  }
}

// Whether valid JSON text `t` is spelled as dump() spells the values it holds (no whitespace
// between tokens, no -0, strings escaped as dump() escapes them), with exactly commas.size()
// commas at the top level, whose offsets are recorded. Key order and number kinds are for the
// parsed tree to tell (canonical_tree).
bool canonical_spelling(std::string_view t, std::array<std::size_t, kMembers.size() - 1>& commas) {
  std::size_t depth = 0;
  std::size_t top_commas = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    switch (t[i]) {
      case '"':
        for (i = next_quote_or_backslash(t, i + 1); i < t.size() && t[i] != '"';
             i = next_quote_or_backslash(t, i + 1)) {
          if (!canonical_escape(t, i)) return false;
        }
        break;
      case '{': case '[':
        ++depth;
        break;
      case '}': case ']':
        --depth;
        break;
      case ',':
        if (depth == 1) {
          if (top_commas == commas.size()) return false;
          commas[top_commas++] = i;
        }
        break;
      case '-':
        if (i + 1 < t.size() && t[i + 1] == '0') return false;  // dump() writes -0 as 0
        break;
      case ' ': case '\t': case '\n': case '\r':
        return false;
      default:
        break;
    }
  }
  return top_commas == commas.size();
}

// Whether each member has the type envelope_from_json reads it as, with a value that survives
// the round trip through Envelope.
bool members_decode(simdjson::dom::object root, std::uint64_t& position) {
  std::size_t i = 0;
  for (auto [key, value] : root) {
    if (i == kMembers.size() || key != kMembers[i]) return false;
    const std::string_view name = kMembers[i++];
    if (name == "payload") {
      if (value.type() != simdjson::dom::element_type::OBJECT) return false;
    } else if (name == "position" || name == "stream_version") {
      auto v = detail::unsigned_member<std::uint64_t>(value);
      if (!v) return false;
      if (name == "position") position = *v;
    } else if (name == "schema_version") {
      if (!detail::unsigned_member<std::uint32_t>(value)) return false;
    } else if (name == "recorded_at_ms") {
      if (value.type() != simdjson::dom::element_type::INT64) return false;
    } else if (value.type() != simdjson::dom::element_type::STRING) {
      return false;
    }
  }
  return i == kMembers.size();
}

// The value of the string member that runs from just after the comma at `from` to the comma at
// `to`: `"name":"value"`, so the value is what lies between the third quote and the last.
std::string_view string_member_value(std::string_view t, std::size_t from, std::size_t to, std::string_view name) {
  const std::size_t value_at = from + 1 + name.size() + 4;  // past ,"name":"
  if (to < value_at + 1) return {};
  return t.substr(value_at, to - 1 - value_at);
}

}  // namespace

std::optional<CanonicalText> read_canonical_text(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  if (root.type() != simdjson::dom::element_type::OBJECT) return std::nullopt;
  CanonicalText out;
  if (!members_decode(simdjson::dom::object(root), out.position)) return std::nullopt;
  if (!detail::canonical_tree(root)) return std::nullopt;
  std::array<std::size_t, kMembers.size() - 1> commas{};
  if (!canonical_spelling(text, commas)) return std::nullopt;
  // commas[k] is the comma before member k + 1: member m runs from commas[m - 1] to commas[m].
  out.hash = string_member_value(text, commas[kHashMember - 1], commas[kHashMember], kMembers[kHashMember]);
  out.prev_hash =
      string_member_value(text, commas[kPrevHashMember - 1], commas[kPrevHashMember], kMembers[kPrevHashMember]);
  if (!is_lower_hex(out.hash) || !is_lower_hex(out.prev_hash)) return std::nullopt;
  out.canonical_pieces = {
      text.substr(0, commas[kHashMember - 1]),
      text.substr(commas[kHashMember], commas[kPrevHashMember - 1] - commas[kHashMember]),
      text.substr(commas[kPrevHashMember]),
  };
  return out;
}

namespace detail {

bool canonical_tree(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      bool first = true;
      std::string_view previous;
      for (auto [key, value] : simdjson::dom::object(e)) {
        if (!first && !(previous < key)) return false;
        first = false;
        previous = key;
        if (!canonical_tree(value)) return false;
      }
      return true;
    }
    case simdjson::dom::element_type::ARRAY:
      for (auto value : simdjson::dom::array(e)) {
        if (!canonical_tree(value)) return false;
      }
      return true;
    case simdjson::dom::element_type::DOUBLE:
      return false;
    default:
      return true;
  }
}

}  // namespace detail

}  // namespace touchline::events
