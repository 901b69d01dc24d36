// read_canonical_text, verify's fast path: it must give exactly what decoding and re-encoding
// would (the envelope's position, hashes and canonical bytes) for the text the store writes, and
// decline every other text, however small the difference, so that verify decodes it the slow way.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "touchline/events/envelope.h"
#include "touchline/events/json_text.h"

namespace touchline::events {
namespace {

Envelope sample() {
  Envelope e;
  e.position = 42;
  e.stream = "organization-o1";
  e.stream_version = 7;
  e.type = "ActionRecorded";
  e.schema_version = 1;
  e.recorded_at_ms = 1767225601000;
  e.actor = "acc-head";
  e.command_id = "cmd-1";
  e.correlation_id = "corr-1";
  e.causation_id = "";
  e.payload = {{"action", "athlete_data.viewed"},
               {"allowed", true},
               {"details", {{"list", {1, -2, "three", nullptr, false}}, {"nested", nlohmann::json::object()}}},
               {"note", "quote \" backslash \\ newline \n tab \t bell \x07 del \x7f caf\xc3\xa9 -0 ,\"hash\":\"x\""}};
  e.prev_hash = std::string(64, 'a');
  e.hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  return e;
}

std::string joined(const CanonicalText& t) {
  return std::string(t.canonical_pieces[0]) + std::string(t.canonical_pieces[1]) + std::string(t.canonical_pieces[2]);
}

TEST(CanonicalText, ReadsWhatTheStoreWritesAsDecodingWould) {
  const Envelope e = sample();
  const std::string text = to_json(e).dump();
  auto t = read_canonical_text(text);
  ASSERT_TRUE(t.has_value()) << text;
  EXPECT_EQ(t->position, 42u);
  EXPECT_EQ(t->prev_hash, e.prev_hash);
  EXPECT_EQ(t->hash, e.hash);
  EXPECT_EQ(joined(*t), canonical_bytes(e));
}

TEST(CanonicalText, ReadsTheLogFormatExample) {
  // docs/LOG_FORMAT.md's position 1, as stored.
  const std::string text =
      R"({"actor":"3f2a","causation_id":"","command_id":"cmd-1","correlation_id":"corr-1",)"
      R"("hash":"66ebbcaa5ab0d290a95bf119491a2c8a998eea0210a1f24094bc00ffe71ea5e3",)"
      R"("payload":{"account_id":"3f2a","display_name":"Ann","email":"Ann@example.com","membership_role":"athlete"},)"
      R"("position":1,"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",)"
      R"("recorded_at_ms":1700000000000,"schema_version":1,"stream":"account-3f2a","stream_version":1,)"
      R"("type":"AccountRegistered"})";
  auto t = read_canonical_text(text);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->position, 1u);
  const auto e = envelope_from_json(*parse_json(text)).value();
  EXPECT_EQ(joined(*t), canonical_bytes(e));
}

TEST(CanonicalText, ReadsEveryEscapeDumpWrites) {
  Envelope e = sample();
  std::string every;
  for (int c = 0; c < 0x20; ++c) every.push_back(static_cast<char>(c));
  every += "\"\\/";
  e.actor = every;
  e.payload = {{every, every}};
  const std::string text = to_json(e).dump();
  auto t = read_canonical_text(text);
  ASSERT_TRUE(t.has_value()) << text;
  EXPECT_EQ(joined(*t), canonical_bytes(e));
}

// Each text below decodes, or nearly, but is not byte for byte what dump() writes for what it
// holds: the fast path must leave every one to envelope_from_json.
TEST(CanonicalText, DeclinesEveryOtherText) {
  const std::string text = to_json(sample()).dump();
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string out = text;
    const auto at = out.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? out : out.replace(at, from.size(), to);
  };
  const std::vector<std::pair<std::string, std::string>> others = {
      {"whitespace between tokens", replaced(R"("position":42)", R"("position": 42)")},
      {"whitespace at the end", text + " "},
      {"a newline at the start", "\n" + text},
      {"members out of order", replaced(R"("actor":"acc-head","causation_id":"")",
                                        R"("causation_id":"","actor":"acc-head")")},
      {"payload keys out of order", replaced(R"({"action":"athlete_data.viewed","allowed":true)",
                                             R"({"allowed":true,"action":"athlete_data.viewed")")},
      {"a repeated payload key", replaced(R"("allowed":true)", R"("allowed":true,"allowed":false)")},
      {"a repeated member", replaced(R"("command_id":"cmd-1")", R"("command_id":"cmd-1","command_id":"cmd-1")")},
      {"an extra member", replaced(R"("type":"ActionRecorded"})", R"("type":"ActionRecorded","zzz":1})")},
      {"a missing member", replaced(R"("causation_id":"",)", "")},
      {"a fraction", replaced(R"([1,-2,)", R"([1.0,-2,)")},
      {"an exponent", replaced(R"([1,-2,)", R"([1e0,-2,)")},
      {"minus zero", replaced(R"([1,-2,)", R"([-0,-2,)")},
      {"minus zero at the top", replaced(R"("recorded_at_ms":1767225601000)", R"("recorded_at_ms":-0)")},
      {"a hash that is a number", replaced(R"("hash":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")",
                                           R"("hash":1)")},
      {"a prev_hash that is null", replaced(R"("prev_hash":")" + std::string(64, 'a') + "\"", R"("prev_hash":null)")},
      {"an escaped slash", replaced("del", "\\/del")},
      {"a letter escaped", replaced("del", "\\u0064el")},
      {"an upper-case escape", replaced("\\u0007", "\\u0007\\u001F")},
      {"\\u0008 for \\b", replaced("\\u0007", "\\u0008")},
      {"\\u0009 for \\t", replaced("\\u0007", "\\u0009")},
      {"\\u000a for \\n", replaced("\\u0007", "\\u000a")},
      {"\\u000c for \\f", replaced("\\u0007", "\\u000c")},
      {"\\u000d for \\r", replaced("\\u0007", "\\u000d")},
      {"a surrogate pair escaped", replaced("del", "\\ud83d\\ude00del")},
      {"an upper-case hash", replaced("0123456789abcdef", "0123456789ABCDEF")},
      {"a short hash", replaced("0123456789abcdef", "0123456789abcde")},
      {"a prev_hash that is not hex", replaced(std::string(64, 'a'), std::string(63, 'a') + "g")},
      {"a negative position", replaced(R"("position":42)", R"("position":-42)")},
      {"a position beyond 64 bits", replaced(R"("position":42)", R"("position":18446744073709551616)")},
      {"a schema_version beyond 32 bits", replaced(R"("schema_version":1)", R"("schema_version":4294967296)")},
      {"a recorded_at_ms beyond int64", replaced(R"("recorded_at_ms":1767225601000)",
                                                 R"("recorded_at_ms":9223372036854775808)")},
      {"a string position", replaced(R"("position":42)", R"("position":"42")")},
      {"a payload that is not an object", replaced(R"("payload":{)", R"("payload":[{)")
                                              .replace(text.find(R"(,"position")") + 1, 0, "]")},
      {"not JSON", text.substr(0, text.size() - 1)},
      {"an array", "[" + text + "]"},
  };
  for (const auto& [what, other] : others) {
    EXPECT_FALSE(read_canonical_text(other).has_value()) << what << ": " << other;
  }
}

// nlohmann orders keys by their bytes as unsigned: "z" (7a) before "é" (c3 a9). A comparison of
// signed chars would put them the other way round.
TEST(CanonicalText, KeysAreInUnsignedByteOrder) {
  Envelope e = sample();
  e.payload = {{"z", 1}, {"\xc3\xa9", 2}};
  const std::string text = to_json(e).dump();
  ASSERT_LT(text.find("\"z\""), text.find("\"\xc3\xa9\""));
  auto t = read_canonical_text(text);
  ASSERT_TRUE(t.has_value()) << text;
  EXPECT_EQ(joined(*t), canonical_bytes(e));
  const std::string in_order = "{\"z\":1,\"\xc3\xa9\":2}";
  std::string swapped = text;
  ASSERT_NE(swapped.find(in_order), std::string::npos) << text;
  swapped.replace(swapped.find(in_order), in_order.size(), "{\"\xc3\xa9\":2,\"z\":1}");
  EXPECT_FALSE(read_canonical_text(swapped).has_value());
}

TEST(CanonicalText, ViewsPointIntoTheTextGiven) {
  const std::string text = to_json(sample()).dump();
  auto t = read_canonical_text(text);
  ASSERT_TRUE(t.has_value());
  // Reading another text on this thread (which reuses the parser) leaves the views intact.
  ASSERT_TRUE(read_canonical_text(R"({"a":1})") == std::nullopt);
  EXPECT_GE(t->hash.data(), text.data());
  EXPECT_LE(t->hash.data() + t->hash.size(), text.data() + text.size());
  EXPECT_EQ(joined(*t), canonical_bytes(sample()));
}

}  // namespace
}  // namespace touchline::events
