// decode_event meets whatever a log holds: a payload number or boolean its member cannot hold
// exactly is refused with the member named, never cut, wrapped, converted or (for a huge double)
// undefined behaviour.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "touchline/events/domain_events.h"

namespace touchline::events {
namespace {

nlohmann::json invite_payload() {
  InviteIssued invite;
  invite.organization_id = "org-1";
  invite.invite_id = "inv-1";
  invite.role = "coach";
  invite.max_uses = 3;
  invite.expires_at_ms = 1'700'000'000'000;
  invite.code_digest = "d";
  invite.issued_by = "acc-1";
  return event_payload(DomainEvent{invite});
}

Result<DomainEvent> decode_invite(const nlohmann::json& payload) {
  return decode_event(InviteIssued::kType, InviteIssued::kSchema, payload);
}

TEST(DecodeEvent, ReadsWholeNumbersInRange) {
  auto event = decode_invite(invite_payload());
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(std::get<InviteIssued>(*event).max_uses, 3);
  EXPECT_EQ(std::get<InviteIssued>(*event).expires_at_ms, 1'700'000'000'000);
}

TEST(DecodeEvent, RefusesAFractionNamingTheMember) {
  auto payload = invite_payload();
  payload["max_uses"] = 2.5;
  auto event = decode_invite(payload);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(event.error().field, "max_uses");
}

TEST(DecodeEvent, RefusesADoubleBeyondAnyInteger) {
  // The input the events fuzzer found: 1e300 into an int member.
  auto payload = invite_payload();
  payload["max_uses"] = 1e300;
  auto event = decode_invite(payload);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().field, "max_uses");
}

TEST(DecodeEvent, RefusesAnIntegerBeyondTheMembersRange) {
  auto payload = invite_payload();
  payload["max_uses"] = std::int64_t{1} << 40;  // an int member would wrap
  EXPECT_EQ(decode_invite(payload).error().field, "max_uses");

  payload = invite_payload();
  payload["expires_at_ms"] = std::uint64_t{1} << 63;  // one past the int64 member's range
  EXPECT_EQ(decode_invite(payload).error().field, "expires_at_ms");
}

TEST(DecodeEvent, RefusesABooleanForANumber) {
  auto payload = invite_payload();
  payload["max_uses"] = true;  // nlohmann alone would read 1
  EXPECT_EQ(decode_invite(payload).error().field, "max_uses");
}

TEST(DecodeEvent, ReadsNegativeNumbersAMemberHolds) {
  auto payload = invite_payload();
  payload["expires_at_ms"] = -5;
  auto event = decode_invite(payload);
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(std::get<InviteIssued>(*event).expires_at_ms, -5);
}

}  // namespace
}  // namespace touchline::events
