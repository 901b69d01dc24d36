// read_recorded_text, a replay's fast path: for the text the store writes it gives the event the
// slow way (parse_json, envelope_from_json, recorded_event) gives; it declines any text on which
// it could differ, which the slow way then decodes or refuses.
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "touchline/events/json_text.h"
#include "touchline/events/recorded_event.h"

namespace touchline::events {
namespace {

Envelope action_recorded() {
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
  e.causation_id = "cause \"quoted\" caf\xc3\xa9";
  e.payload = event_payload(ActionRecorded{"o1", "athlete_data.viewed", "athletes.view_training_data", "acc-ath",
                                           true, "head coaches see every athlete", "10.0.0.1",
                                           {{"list", "weekly"}, {"note", "tab\there"}}});
  e.prev_hash = std::string(64, 'a');
  e.hash = std::string(64, 'b');
  return e;
}

// What the slow way gives for the text, or nullopt when it refuses it.
std::optional<RecordedEvent> slow(const std::string& text) {
  auto j = parse_json(text);
  if (!j) return std::nullopt;
  auto e = envelope_from_json(*j);
  if (!e.ok()) return std::nullopt;
  auto r = recorded_event(*e);
  if (!r.ok()) return std::nullopt;
  return *r;
}

TEST(RecordedText, ReadsWhatTheStoreWritesAsDecodingWould) {
  const std::string text = to_json(action_recorded()).dump();
  auto fast = read_recorded_text(text);
  ASSERT_TRUE(fast.has_value()) << text;
  EXPECT_EQ(*fast, *slow(text));
  EXPECT_EQ(fast->position, 42u);
  EXPECT_EQ(fast->causation_id, "cause \"quoted\" caf\xc3\xa9");
  const auto& event = std::get<ActionRecorded>(fast->event);
  EXPECT_EQ(event.details.at("note"), "tab\there");
  EXPECT_TRUE(event.allowed);
}

TEST(RecordedText, ReadsEveryKindOfMember) {
  // Integers of each width, booleans, maps of booleans.
  Envelope e = action_recorded();
  e.type = "InviteIssued";
  e.payload = event_payload(InviteIssued{"o1", "inv-1", "athlete", "", 0, -5, "digest", "acc-head", ""});
  std::string text = to_json(e).dump();
  ASSERT_TRUE(read_recorded_text(text).has_value()) << text;
  EXPECT_EQ(*read_recorded_text(text), *slow(text));
  e.type = "PrivacySettingsChanged";
  e.payload = event_payload(PrivacySettingsChanged{"acc-ath", {{"share_activity_with_group", false}, {"x", true}}});
  text = to_json(e).dump();
  ASSERT_TRUE(read_recorded_text(text).has_value()) << text;
  EXPECT_EQ(*read_recorded_text(text), *slow(text));
}

TEST(RecordedText, KeepsMembersThatNoStructNames) {
  // As envelope_from_json and from_json do: a member no field names is not read.
  auto j = to_json(action_recorded());
  j["payload"]["zzz_later"] = 1;
  j["aaa_extra"] = "x";
  const std::string text = j.dump();
  ASSERT_TRUE(read_recorded_text(text).has_value());
  EXPECT_EQ(*read_recorded_text(text), *slow(text));
}

// A replay decodes each batch into the events of the one before: what was there must not show.
TEST(RecordedText, ReadIntoAnEventLeavesNothingOfWhatItHeld) {
  RecordedEvent reused;
  ASSERT_TRUE(read_recorded_text_into(to_json(action_recorded()).dump(), reused));

  Envelope smaller = action_recorded();  // the same type: shorter strings, fewer details
  smaller.position = 43;
  smaller.actor = "a";
  smaller.causation_id = "";
  smaller.payload = event_payload(ActionRecorded{"o2", "x", "athletes.view_activities", "t", false, "", "", {}});
  std::string text = to_json(smaller).dump();
  ASSERT_TRUE(read_recorded_text_into(text, reused));
  EXPECT_EQ(reused, *slow(text));

  Envelope other = action_recorded();  // another type
  other.type = "PrivacySettingsChanged";
  other.payload = event_payload(PrivacySettingsChanged{"acc-ath", {{"x", true}}});
  text = to_json(other).dump();
  ASSERT_TRUE(read_recorded_text_into(text, reused));
  EXPECT_EQ(reused, *slow(text));

  text = to_json(action_recorded()).dump();  // and back
  ASSERT_TRUE(read_recorded_text_into(text, reused));
  EXPECT_EQ(reused, *slow(text));

  // Declined: false, as read_recorded_text gives nullopt; then a good text reads as ever.
  EXPECT_FALSE(read_recorded_text_into("{\"position\": 1}", reused));
  ASSERT_TRUE(read_recorded_text_into(text, reused));
  EXPECT_EQ(reused, *slow(text));
}

// Each text decodes the slow way (or is refused by it) but is not what the fast way reads.
TEST(RecordedText, DeclinesWhatItCouldReadDifferently) {
  const auto base = to_json(action_recorded());
  auto declined = [](const std::string& text) {
    EXPECT_FALSE(read_recorded_text(text).has_value()) << text;
  };
  std::string text = base.dump();
  // A repeated key: the slow way keeps the last value, at_key would find the first.
  std::string repeated = text;
  repeated.insert(repeated.find("\"action\":") , "\"action\":\"earlier\",");
  declined(repeated);
  ASSERT_TRUE(slow(repeated).has_value());
  EXPECT_EQ(std::get<ActionRecorded>(slow(repeated)->event).action, "athlete_data.viewed");
  // The same repeated key, spelled with an escape.
  repeated = text;
  repeated.insert(repeated.find("\"action\":"), "\"\\u0061ction\":\"earlier\",");
  declined(repeated);
  // Numbers that are not integers: the slow way refuses them too, in the envelope and in a
  // payload's integer member.
  auto j = base;
  j["recorded_at_ms"] = 1767225601000.0;
  declined(j.dump());
  Envelope invite = action_recorded();
  invite.type = "InviteIssued";
  invite.payload = event_payload(InviteIssued{"o1", "inv-1", "athlete", "", 5, 0, "digest", "acc-head", ""});
  j = to_json(invite);
  ASSERT_TRUE(read_recorded_text(j.dump()).has_value());
  j["payload"]["max_uses"] = 5.0;
  declined(j.dump());
  EXPECT_FALSE(slow(j.dump()).has_value());
  // A boolean and an integer beyond int for an int member: the slow way refuses both.
  j["payload"]["max_uses"] = true;
  declined(j.dump());
  EXPECT_FALSE(slow(j.dump()).has_value());
  j["payload"]["max_uses"] = 4294967301LL;  // 2^32 + 5
  declined(j.dump());
  EXPECT_FALSE(slow(j.dump()).has_value());
  // Members missing or of another type.
  for (const char* member : {"position", "stream", "actor", "payload", "hash", "prev_hash", "type", "schema_version"}) {
    j = base;
    j.erase(member);
    declined(j.dump());
    j = base;
    j[member] = nlohmann::json::array();
    declined(j.dump());
  }
  j = base;
  j["payload"].erase("reason");
  declined(j.dump());
  j = base;
  j["payload"]["allowed"] = 1;
  declined(j.dump());
  j = base;
  j["payload"]["details"]["list"] = 3;
  declined(j.dump());
  // Values beyond what the field holds.
  j = base;
  j["position"] = -1;
  declined(j.dump());
  j = base;
  j["schema_version"] = 4294967297u;  // 2^32 + 1: the slow way keeps its low 32 bits
  declined(j.dump());
  // An unknown type, a schema this build does not decode.
  j = base;
  j["type"] = "FromTheFuture";
  declined(j.dump());
  j = base;
  j["schema_version"] = 2;
  declined(j.dump());
  // Not JSON, not an object.
  declined(text.substr(0, text.size() - 1));
  declined("[]");
}

TEST(RecordedText, DeclinesAnOlderSchemaThatLacksAMember) {
  // OrganizationCreated schema 1 had no role_model_version; the slow way decodes it as version 1.
  Envelope e = action_recorded();
  e.type = "OrganizationCreated";
  e.schema_version = 1;
  e.payload = {{"organization_id", "o1"}, {"name", "Club"}, {"role_model", "athlete-coach"},
               {"created_by", "acc-head"}, {"founder_role", "head_coach"}};
  const std::string text = to_json(e).dump();
  EXPECT_FALSE(read_recorded_text(text).has_value());
  ASSERT_TRUE(slow(text).has_value());
  EXPECT_EQ(std::get<OrganizationCreated>(slow(text)->event).role_model_version, 1);
}

TEST(RecordedText, RecordedEventNamesThePayloadThatDoesNotDecode) {
  Envelope e = action_recorded();
  e.payload.erase("reason");
  auto r = recorded_event(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(r.error().message.find("ActionRecorded"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace touchline::events
