// Recorded actions: a client's consequential action is checked and recorded, allowed or denied,
// in one event; requests that are not attempts record nothing. Given past events, when a command,
// then events or a typed error.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "touchline/domain/actions.h"

namespace touchline::domain {
namespace {

using namespace testing;
using Events = std::vector<events::DomainEvent>;

// Seed 002 on custom-roles version 3 at business: owner, asst coaching ath1 (who consents), ath2.
OrganizationState platform() {
  return given<OrganizationState>({
      events::OrganizationCreated{"p", "Valley Tri", "custom-roles", "owner", "owner", 3},
      events::OrganizationTierChanged{"p", "business", "free"},
      events::MemberAdded{"p", "asst", "assistant"},
      events::MemberAdded{"p", "ath1", "athlete"},
      events::MemberAdded{"p", "ath2", "athlete"},
      events::AthleteAssigned{"p", "ath1", "asst", ""},
      events::ConsentGiven{"p", "ath1"},
  });
}

RecordAction action(const std::string& name, const std::string& target, const std::string& permission = "") {
  return RecordAction{"p", name, target, permission, {}, "203.0.113.7"};
}

events::ActionRecorded recorded(const OrganizationState& org, const std::string& actor, const RecordAction& cmd,
                                const Privacy* privacy = nullptr) {
  auto r = decide(org, privacy, actor, cmd);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  EXPECT_EQ(r->size(), 1u);
  return std::get<events::ActionRecorded>(r->at(0));
}

TEST(RecordAction, AnAllowedActionIsRecordedWithItsPermission) {
  RecordAction refund = action("refund.issued", "ath1");
  refund.details = {{"amount", "30.00"}, {"currency", "GBP"}};
  const auto e = recorded(platform(), "owner", refund);
  EXPECT_EQ(e, (events::ActionRecorded{"p", "refund.issued", "billing.refund", "ath1", true, e.reason, "",
                                       {{"amount", "30.00"}, {"currency", "GBP"}}}));
  EXPECT_NE(e.reason.find("owner"), std::string::npos) << e.reason;
}

TEST(RecordAction, ADeniedAttemptIsRecordedAsDenied) {
  // Seed 002: ending org coverage is "a money action reserved for the head coach or org owner".
  auto e = recorded(platform(), "asst", action("org_coverage.ended", "ath1"));
  EXPECT_FALSE(e.allowed);
  EXPECT_NE(e.reason.find("reserved for the head coach"), std::string::npos) << e.reason;
  // "A single toggle lets you grant an assistant that ability."
  auto delegated = evolve(platform(), events::BillingDelegationGranted{"p", "asst"});
  EXPECT_TRUE(recorded(delegated, "asst", action("org_coverage.ended", "ath1")).allowed);
  EXPECT_FALSE(recorded(platform(), "asst", action("refund.issued", "ath1")).allowed);
}

TEST(RecordAction, AthleteAccessKeepsTheClientAddressAndFollowsConsentAndPrivacy) {
  auto viewed = recorded(platform(), "asst", action("athlete_data.viewed", "ath1", "athletes.view"));
  EXPECT_TRUE(viewed.allowed) << viewed.reason;
  EXPECT_EQ(viewed.client_ip, "203.0.113.7");
  // ath2 has not accepted coaching (and is not the assistant's): denied, and recorded.
  EXPECT_FALSE(recorded(platform(), "owner", action("athlete_data.viewed", "ath2", "athletes.view")).allowed);
  // Privacy is the athlete's own and overrides every role (seed 000's head coach here).
  const auto runners = given<OrganizationState>({
      events::OrganizationCreated{"p", "Harbour Runners", "athlete-coach", "head", "head_coach", 3},
      events::MemberAdded{"p", "ath1", "athlete"},
      events::ConsentGiven{"p", "ath1"},
  });
  EXPECT_TRUE(recorded(runners, "head", action("athlete_data.viewed", "ath1", "athletes.view_pace")).allowed);
  Privacy no_pace;
  no_pace.changed["share_pace_data"] = false;
  auto pace = recorded(runners, "head", action("athlete_data.viewed", "ath1", "athletes.view_pace"), &no_pace);
  EXPECT_FALSE(pace.allowed);
  EXPECT_NE(pace.reason.find("share_pace_data"), std::string::npos) << pace.reason;
  // Billing actions are not athlete access: no address kept.
  EXPECT_EQ(recorded(platform(), "owner", action("athlete.covered", "ath1")).client_ip, "");
}

TEST(RecordAction, RequestsThatAreNotAttemptsRecordNothing) {
  auto refused = [](const Result<Events>& r, ErrorCode code, const std::string& field) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_EQ(r.error().field, field) << r.error().message;
  };
  refused(decide(platform(), nullptr, "owner", action("teleport", "ath1")), ErrorCode::invalid_argument, "action");
  refused(decide(platform(), nullptr, "owner", action("refund.issued", "nobody")), ErrorCode::invalid_argument, "target");
  refused(decide(platform(), nullptr, "owner", action("athlete_data.viewed", "ath1")), ErrorCode::invalid_argument,
          "permission");
  refused(decide(platform(), nullptr, "owner", action("athlete_data.viewed", "ath1", "billing.refund")),
          ErrorCode::invalid_argument, "permission");
  refused(decide(platform(), nullptr, "owner", action("refund.issued", "ath1", "athletes.view")),
          ErrorCode::invalid_argument, "permission");
  RecordAction chatty = action("refund.issued", "ath1");
  for (int i = 0; i < 11; ++i) chatty.details["k" + std::to_string(i)] = "v";
  refused(decide(platform(), nullptr, "owner", chatty), ErrorCode::invalid_argument, "details");
  // Outsiders are refused, not recorded.
  refused(decide(platform(), nullptr, "stranger", action("refund.issued", "ath1")), ErrorCode::permission_denied, "");
  refused(decide(OrganizationState{}, nullptr, "owner", action("refund.issued", "ath1")), ErrorCode::not_found,
          "organization_id");
}

}  // namespace
}  // namespace touchline::domain
