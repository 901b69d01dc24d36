// IdMap: ordered like std::map, found through its hash index; the two never disagree.
#include "touchline/domain/id_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace touchline::domain {
namespace {

std::vector<std::string> keys(const IdMap<std::string>& m) {
  std::vector<std::string> out;
  for (const auto& [id, value] : m) out.push_back(id);
  return out;
}

TEST(IdMap, IteratesInOrderAndFindsWhatItHolds) {
  IdMap<std::string> m;
  m["b"] = "coach";
  m["a"] = "athlete";
  m["c"] = "athlete";
  EXPECT_EQ(keys(m), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(m.find("b")->second, "coach");
  EXPECT_EQ(m.find("z"), m.end());
  EXPECT_TRUE(m.contains("a"));
  EXPECT_EQ(m.at("c"), "athlete");
  EXPECT_THROW(m.at("z"), std::out_of_range);
  EXPECT_EQ(m.upper_bound("a")->first, "b");
  m["b"] = "head";  // an update keeps one entry
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.erase("b"), 1u);
  EXPECT_EQ(m.erase("b"), 0u);
  EXPECT_FALSE(m.contains("b"));
  EXPECT_EQ(keys(m), (std::vector<std::string>{"a", "c"}));
}

// A copy has an index of its own: lookups in it find its own entries, and changing one of the
// two leaves the other as it was. A moved-to map keeps finding what the moved-from one held.
TEST(IdMap, CopiesAndMovesKeepTheirIndexes) {
  IdMap<std::string> original{{"ath1", "athlete"}, {"asst", "assistant_coach"}};
  IdMap<std::string> copy = original;
  copy["ath1"] = "coach";
  copy.erase("asst");
  EXPECT_EQ(original.find("ath1")->second, "athlete");
  EXPECT_TRUE(original.contains("asst"));
  EXPECT_EQ(copy.find("ath1")->second, "coach");
  EXPECT_FALSE(copy.contains("asst"));
  EXPECT_NE(&original.find("ath1")->second, &copy.find("ath1")->second);

  IdMap<std::string>& same = original;
  original = std::move(same);  // moving onto itself keeps what it holds
  EXPECT_EQ(original.find("asst")->second, "assistant_coach");
  IdMap<std::string> moved = std::move(original);
  EXPECT_EQ(moved.find("asst")->second, "assistant_coach");
  copy = moved;
  EXPECT_EQ(copy.find("asst")->second, "assistant_coach");
  EXPECT_TRUE(copy == moved);
}

// Against std::map as the oracle, through random inserts, updates and erases.
TEST(IdMap, AgreesWithStdMapThroughRandomChanges) {
  std::mt19937 random(20261130);
  IdMap<std::string> m;
  std::map<std::string, std::string> oracle;
  for (int step = 0; step < 20000; ++step) {
    const std::string id = "acc-" + std::to_string(random() % 300);
    if (random() % 3 == 0) {
      EXPECT_EQ(m.erase(id), oracle.erase(id));
    } else {
      m[id] = oracle[id] = std::to_string(step);
    }
    const std::string probe = "acc-" + std::to_string(random() % 300);
    const auto found = m.find(probe);
    const auto expected = oracle.find(probe);
    ASSERT_EQ(found == m.end(), expected == oracle.end()) << probe;
    if (found != m.end()) {
      EXPECT_EQ(found->second, expected->second);
    }
  }
  EXPECT_EQ(m.size(), oracle.size());
  EXPECT_TRUE(std::equal(m.begin(), m.end(), oracle.begin(), oracle.end()));
}

TEST(IdMap, RoundTripsThroughJsonAsAnObject) {
  IdMap<std::string> m{{"b", "2"}, {"a", "1"}};
  const nlohmann::json j = m;
  EXPECT_EQ(j, (nlohmann::json{{"a", "1"}, {"b", "2"}}));
  EXPECT_TRUE(j.get<IdMap<std::string>>() == m);
  EXPECT_EQ(j.get<IdMap<std::string>>().find("b")->second, "2");
  // Anything but an object is refused, as std::map's conversion refuses it.
  for (const auto& bad : {nlohmann::json(nullptr), nlohmann::json::array({"a"}), nlohmann::json("a")}) {
    bool refused = false;
    try {
      (void)bad.get<IdMap<std::string>>();
    } catch (const nlohmann::json::type_error&) {
      refused = true;
    }
    EXPECT_TRUE(refused) << bad.dump();
  }
}

}  // namespace
}  // namespace touchline::domain
