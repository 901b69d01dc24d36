#include <gtest/gtest.h>

#include "touchline/api/router.h"

namespace touchline::api {
namespace {

using Outcome = RouteMatch::Outcome;

TEST(Router, MatchesEachEndpoint) {
  EXPECT_EQ(route("GET", "/healthz").endpoint, Endpoint::health);
  EXPECT_EQ(route("GET", "/readyz").endpoint, Endpoint::ready);
  EXPECT_EQ(route("POST", "/v1/sessions").endpoint, Endpoint::sign_in);
  EXPECT_EQ(route("POST", "/v1/check").endpoint, Endpoint::check);
  EXPECT_EQ(route("POST", "/v1/actions").endpoint, Endpoint::action);
  EXPECT_EQ(route("GET", "/v1/events?after=3").endpoint, Endpoint::events);
  EXPECT_EQ(route("GET", "/v1/events/stream?after=3").endpoint, Endpoint::event_stream);
  EXPECT_EQ(route("GET", "/v1/log/head").endpoint, Endpoint::log_head);
  EXPECT_EQ(route("GET", "/v1/log/public-key").endpoint, Endpoint::log_public_key);
  EXPECT_EQ(route("GET", "/v1/log/proof/inclusion?position=1&size=2").endpoint, Endpoint::log_inclusion);
  EXPECT_EQ(route("GET", "/v1/log/proof/consistency?from=1&to=2").endpoint, Endpoint::log_consistency);
  EXPECT_EQ(route("POST", "/v1/log/head").outcome, RouteMatch::Outcome::method_not_allowed);
  EXPECT_EQ(route("POST", "/v1/checks").endpoint, Endpoint::checks);
  EXPECT_EQ(route("POST", "/v1/lookup/subjects").endpoint, Endpoint::lookup_subjects);
  EXPECT_EQ(route("POST", "/v1/lookup/targets").endpoint, Endpoint::lookup_targets);
  EXPECT_EQ(route("GET", "/v1/organizations/o1/members?role=athlete").endpoint, Endpoint::members);
  EXPECT_EQ(route("GET", "/v1/organizations/o1/audit/stream").endpoint, Endpoint::audit_stream);
  EXPECT_EQ(route("GET", "/v1/lookup/subjects").outcome, Outcome::method_not_allowed);

  auto cmd = route("POST", "/v1/commands/SignUp");
  EXPECT_EQ(cmd.outcome, Outcome::matched);
  EXPECT_EQ(cmd.endpoint, Endpoint::command);
  EXPECT_EQ(cmd.params.at("name"), "SignUp");

  auto perms = route("GET", "/v1/organizations/o1/members/a%2D2/permissions?min_position=7");
  EXPECT_EQ(perms.endpoint, Endpoint::member_permissions);
  EXPECT_EQ(perms.params.at("organization_id"), "o1");
  EXPECT_EQ(perms.params.at("account_id"), "a-2");
  EXPECT_EQ(perms.query.at("min_position"), "7");

  auto audit = route("GET", "/v1/organizations/o1/audit?before=10&limit=5");
  EXPECT_EQ(audit.endpoint, Endpoint::audit);
  EXPECT_EQ(audit.query.at("before"), "10");
  EXPECT_EQ(audit.query.at("limit"), "5");

  auto compliance = route("GET", "/v1/organizations/o1/compliance");
  EXPECT_EQ(compliance.endpoint, Endpoint::compliance);
  EXPECT_EQ(compliance.params.at("organization_id"), "o1");
  EXPECT_EQ(route("GET", "/v1/organizations/o1").endpoint, Endpoint::organization);
}

TEST(Router, UnknownPathsAreNotFound) {
  EXPECT_EQ(route("GET", "/").outcome, Outcome::not_found);
  EXPECT_EQ(route("GET", "/v1/nothing").outcome, Outcome::not_found);
  EXPECT_EQ(route("POST", "/v1/commands/").outcome, Outcome::not_found);
  EXPECT_EQ(route("POST", "/v1/commands/SignUp/extra").outcome, Outcome::not_found);
  EXPECT_EQ(route("GET", "no-leading-slash").outcome, Outcome::not_found);
}

TEST(Router, WrongMethodIsMethodNotAllowedWithAllow) {
  auto m = route("GET", "/v1/commands/SignUp");
  EXPECT_EQ(m.outcome, Outcome::method_not_allowed);
  EXPECT_EQ(m.allow, "POST");
  EXPECT_EQ(route("DELETE", "/healthz").allow, "GET");
}

TEST(Router, QueryDecoding) {
  auto m = route("GET", "/v1/events?after=1&x=a+b%20c&after=2&flag");
  EXPECT_EQ(m.query.at("after"), "1");  // the first occurrence wins
  EXPECT_EQ(m.query.at("x"), "a b c");
  EXPECT_EQ(m.query.at("flag"), "");
  EXPECT_EQ(percent_decode("%zz%4", false), "%zz%4");  // malformed escapes stay as they are
}

}  // namespace
}  // namespace touchline::api
