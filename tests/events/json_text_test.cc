// parse_json must give what nlohmann's parser gives, value for value and type for type, and
// refuse what it refuses: clients' bodies and stored events mean the same either way.
#include "touchline/events/json_text.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace touchline {
namespace {

using nlohmann::json;

// Same value, same number types all the way down (json's == calls 1u and 1 equal), but for -0:
// nlohmann keeps it a signed 0, parse_json an unsigned one (the same number, dumped the same).
void expect_same(const json& got, const json& want, const std::string& where = "$") {
  const bool zero = want.is_number_integer() && want == 0;
  if (zero) {
    EXPECT_TRUE(got.is_number_integer() && got == 0) << where;
    return;
  }
  ASSERT_EQ(got.type(), want.type()) << where;
  if (want.is_object()) {
    ASSERT_EQ(got.size(), want.size()) << where;
    for (const auto& [key, value] : want.items()) {
      ASSERT_TRUE(got.contains(key)) << where << "." << key;
      expect_same(got.at(key), value, where + "." + key);
    }
  } else if (want.is_array()) {
    ASSERT_EQ(got.size(), want.size()) << where;
    for (std::size_t i = 0; i < want.size(); ++i) expect_same(got[i], want[i], where + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(got, want) << where;
    EXPECT_EQ(got.dump(), want.dump()) << where;
  }
}

void expect_as_nlohmann(const std::string& text) {
  SCOPED_TRACE(text);
  auto want = json::parse(text, nullptr, false);
  auto got = parse_json(text);
  if (want.is_discarded()) {
    EXPECT_FALSE(got.has_value());
    return;
  }
  ASSERT_TRUE(got.has_value());
  expect_same(*got, want);
}

TEST(ParseJson, GivesWhatNlohmannGivesForEveryKindOfValue) {
  for (const char* text : {
           R"({"organization_id":"o1","subject":"a-b_c","permission":"plans.assign","min_position":12})",
           R"({"checks":[{"a":1},{"b":[true,false,null]}],"n":-5,"x":1.5,"y":-0.25,"z":1e3})",
           R"([0, -0, 1, -1, 9223372036854775807, 9223372036854775808, 18446744073709551615, -9223372036854775808])",
           R"("caf\u00e9 \ud83d\ude00 \"quoted\" \\ \n\t")", "true", "null", "  {}  ", "[]",
           R"({"a":1,"a":2})",                   // a repeated key: the last one stays
           R"({"big":100000000000000000000000})",  // beyond 64 bits: a double, as nlohmann reads it
           R"({"deep":[[[[[[[[[[{"k":"v"}]]]]]]]]]]})",
       }) {
    expect_as_nlohmann(text);
  }
}

TEST(ParseJson, RefusesWhatNlohmannRefuses) {
  for (const char* text : {"", "{", "{\"a\":}", "[1,]", "{\"a\":1,}", "nul", "'x'", "{\"a\" 1}", "01", "1.",
                           "\"\xff\"", "\"\\x\"", "\"\\ud800\"", "{} {}", "[1] x", "\"a\nb\""}) {
    expect_as_nlohmann(text);
  }
}

TEST(ParseJson, EachThreadParsesOnItsOwn) {
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &wrong] {
      for (int i = 0; i < 2000; ++i) {
        const std::string text = R"({"thread":)" + std::to_string(t) + R"(,"i":)" + std::to_string(i) + "}";
        auto j = parse_json(text);
        if (!j || (*j)["thread"] != t || (*j)["i"] != i) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

TEST(AppendJsonString, WritesWhatNlohmannWrites) {
  const std::string every_byte = [] {
    std::string s;
    for (int c = 0; c < 256; ++c) s.push_back(static_cast<char>(c));
    return s;
  }();
  for (const std::string& text : {std::string(), std::string("role head_coach holds plans.assign (scope all)"),
                                 std::string("a \"quoted\" role"), std::string("back\\slash"), std::string("tab\there"),
                                 std::string("caf\xc3\xa9 \xf0\x9f\x98\x80"), std::string("not UTF-8: \xff\xfe"),
                                 std::string("nul \0 inside", 12), std::string("del \x7f"), every_byte}) {
    SCOPED_TRACE(json(text).dump(-1, ' ', true, json::error_handler_t::replace));
    std::string out = "prefix:";
    append_json_string(out, text);
    EXPECT_EQ(out, "prefix:" + json(text).dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

}  // namespace
}  // namespace touchline
