// EventStore::read_recorded, what projections fold: the events read_all gives, each with its
// payload decoded, whether a stored value is in the form the store writes (decoded straight from
// the text) or not (decoded the slow way).
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"
#include "touchline/events/domain_events.h"
#include "touchline/events/recorded_event.h"
#include "touchline/store/event_store.h"

namespace touchline::store {
namespace {

using testing::be64;
using testing::one;
using testing::open_store;
using testing::options_for;
using testing::RawDb;
using testing::TempDir;

NewEvent domain_event(const events::DomainEvent& e) {
  return NewEvent{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)};
}

// 600 events: enough for a read that decodes on every core.
void fill(const std::string& path) {
  auto store = open_store(options_for(path, /*sync=*/false));
  ASSERT_TRUE(store);
  for (int i = 0; i < 600; ++i) {
    const events::DomainEvent e =
        i % 2 ? events::DomainEvent{events::ActionRecorded{"org", "athlete_data.viewed", "athletes.view",
                                                           "ath" + std::to_string(i), i % 3 == 0, "a reason", "",
                                                           {{"n", std::to_string(i)}}}}
              : events::DomainEvent{events::AthleteAssigned{"org", "ath" + std::to_string(i), "coach", ""}};
    ASSERT_TRUE(store->append(one("organization-org", ExpectedVersion::any(), {domain_event(e)})).ok());
  }
}

// What read_all gives, decoded the slow way.
std::vector<events::RecordedEvent> decoded_slowly(const EventStore& store, std::uint64_t after, std::size_t limit) {
  auto read = store.read_all(after, limit);
  EXPECT_TRUE(read.ok()) << read.error().message;
  std::vector<events::RecordedEvent> out;
  if (!read.ok()) return out;
  for (const auto& e : *read) out.push_back(events::recorded_event(e).value());
  return out;
}

TEST(ReadRecorded, GivesWhatReadAllGivesDecoded) {
  TempDir dir;
  fill(dir.path());
  {
    // Values no longer as the store wrote them: the same contents indented or re-escaped (read
    // straight from the text all the same), and with a repeated key (read the slow way, which
    // keeps the key's last value).
    RawDb raw(dir.path());
    raw.put("log", be64(11), nlohmann::json::parse(raw.get("log", be64(11))).dump(2));
    std::string respelled = raw.get("log", be64(10));
    respelled.replace(respelled.find("a reason"), 8, "a re\\u0061son");
    raw.put("log", be64(10), respelled);
    std::string repeated = raw.get("log", be64(13));
    repeated.insert(repeated.find("\"coach_id\""), "\"coach_id\":\"someone else\",");
    raw.put("log", be64(13), repeated);
    ASSERT_FALSE(events::read_recorded_text(repeated).has_value());
  }
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  const auto all = store->read_recorded(0, SIZE_MAX);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 600u);
  EXPECT_EQ(*all, decoded_slowly(*store, 0, SIZE_MAX));
  EXPECT_EQ(std::get<events::ActionRecorded>((*all)[9].event).reason, "a reason");
  EXPECT_EQ(std::get<events::AthleteAssigned>((*all)[12].event).coach_id, "coach");
  for (const auto& [after, limit] : {std::pair<std::uint64_t, std::size_t>{0, 1}, {9, 3}, {300, 256}, {599, 10}, {600, 5}}) {
    EXPECT_EQ(store->read_recorded(after, limit).value(), decoded_slowly(*store, after, limit)) << after;
  }
}

TEST(ReadRecorded, NamesTheFirstEventWhosePayloadDoesNotDecode) {
  TempDir dir;
  fill(dir.path());
  {
    RawDb raw(dir.path());
    for (std::uint64_t position : {401, 501}) {  // AthleteAssigned events
      auto j = nlohmann::json::parse(raw.get("log", be64(position)));
      j["payload"].erase("athlete_id");
      raw.put("log", be64(position), j.dump());
    }
  }
  auto store = open_store(options_for(dir.path()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->read_all(0, SIZE_MAX).ok());  // the envelopes decode; the payloads do not
  auto read = store->read_recorded(0, SIZE_MAX);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, ErrorCode::internal);
  EXPECT_NE(read.error().message.find("the event at position 401 cannot be decoded"), std::string::npos)
      << read.error().message;
  EXPECT_TRUE(store->read_recorded(0, 400).ok());
}

}  // namespace
}  // namespace touchline::store
