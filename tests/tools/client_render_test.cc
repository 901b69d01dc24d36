// What the touchline tool's client commands print, as the pure functions that print it, and the
// server URLs it accepts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "client.h"
#include "remote.h"

namespace touchline::tools {
namespace {

using nlohmann::json;

TEST(RenderTable, PadsEachColumnToItsWidestCellAndTrimsLineEnds) {
  EXPECT_EQ(render_table({"account_id", "role"}, {{"a1", "head_coach"}, {"account-22", "athlete"}}),
            "account_id  role\n"
            "a1          head_coach\n"
            "account-22  athlete\n");
}

TEST(RenderTable, AnEmptyTableIsItsHeader) { EXPECT_EQ(render_table({"a", "b"}, {}), "a  b\n"); }

TEST(Cell, StringsBareNullAsADashTheRestAsJson) {
  EXPECT_EQ(cell(json("coach")), "coach");
  EXPECT_EQ(cell(json()), "-");
  EXPECT_EQ(cell(json(42)), "42");
  EXPECT_EQ(cell(json(true)), "true");
  EXPECT_EQ(cell(json{{"a", 1}}), R"({"a":1})");
}

TEST(RenderFields, OneAlignedLinePerMember) {
  EXPECT_EQ(render_fields(json{{"allowed", "yes"}, {"position", 12}}),
            "allowed   yes\n"
            "position  12\n");
}

TEST(RenderProblem, NamesStatusCodeDetailFieldAndRequestId) {
  EXPECT_EQ(render_problem(400, R"({"code":"invalid_argument","detail":"permission is unknown","field":"permission"})",
                           "req-1"),
            "400 invalid_argument: permission is unknown (field permission, request id req-1)");
  EXPECT_EQ(render_problem(403, R"({"code":"permission_denied","detail":"no"})", ""), "403 permission_denied: no");
  EXPECT_EQ(render_problem(502, "Bad Gateway", ""), "502: Bad Gateway") << "a proxy's answer, not a problem";
}

TEST(QueryEscape, KeepsUnreservedCharactersAndEncodesTheRest) {
  EXPECT_EQ(query_escape("2026-03-03T12:00:00Z"), "2026-03-03T12%3A00%3A00Z");
  EXPECT_EQ(query_escape("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(query_escape("Az09-._~"), "Az09-._~");
}

TEST(ParseServerUrl, HostAndPortWithDefaults) {
  auto a = parse_server_url("http://127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "8080");
  auto b = parse_server_url("http://touchline.internal/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "touchline.internal");
  EXPECT_EQ(b->port, "80");
  auto c = parse_server_url("http://[::1]:9000");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, "9000");
}

TEST(ParseServerUrl, RefusesWhatItCannotReachNamingTheOption) {
  for (const char* bad : {"127.0.0.1:8080", "https://host", "http://", "http://host:0", "http://host:70000",
                          "http://host:80x", "http://host/v1", "http://:8080"}) {
    auto r = parse_server_url(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "server") << bad;
  }
}

}  // namespace
}  // namespace touchline::tools
