// The reference evaluator against the answers the build that wrote tests/golden/log_v1 gave
// (docs/ROLE_MODELS.md "Versions"): if it disagrees with them, it is the reference that misreads the
// docs, and a differential test built on it would blame the product for it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "reference_model.h"

namespace touchline::model_test {
namespace {

const std::string kRoot = TOUCHLINE_SOURCE_DIR;

// log_*.ndjson: one envelope per line (docs/LOG_FORMAT.md), in position order.
std::vector<std::pair<std::int64_t, LoggedEvent>> read_log(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<std::pair<std::int64_t, LoggedEvent>> events;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto envelope = nlohmann::json::parse(line);
    events.emplace_back(envelope.at("position").get<std::int64_t>(),
                        LoggedEvent{envelope.at("type").get<std::string>(), envelope.at("payload"),
                                    envelope.at("stream").get<std::string>(), envelope.at("actor").get<std::string>(),
                                    envelope.at("recorded_at_ms").get<std::int64_t>()});
  }
  return events;
}

TEST(ReferenceModel, AgreesWithTheGoldenLogsAnswers) {
  ReferenceModel model(kRoot + "/domain/models");
  const auto events = read_log(kRoot + "/tests/golden/log_v1.ndjson");
  std::ifstream answers(kRoot + "/tests/golden/log_v1.answers");
  ASSERT_TRUE(answers) << "cannot read log_v1.answers";
  const auto permissions = model.permissions();
  std::size_t next = 0, asked = 0, agreed = 0;
  // Each line: <position> <org> <subject> <permission> <target or -> <allow|deny>, after folding up to position.
  for (std::string line; std::getline(answers, line);) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::int64_t position = 0;
    std::string organization, subject, permission, target, expected;
    ASSERT_TRUE(fields >> position >> organization >> subject >> permission >> target >> expected) << line;
    while (next < events.size() && events[next].first <= position) model.apply(events[next++].second);
    const auto known = model.organizations();
    ASSERT_NE(std::find(known.begin(), known.end(), organization), known.end()) << line;
    ASSERT_NE(std::find(permissions.begin(), permissions.end(), permission), permissions.end()) << line;
    const auto answer = model.check(organization, subject, permission, target == "-" ? "" : target);
    ++asked;
    if (answer.allowed == (expected == "allow")) ++agreed;
    else
      ADD_FAILURE() << line << ": the reference answers " << (answer.allowed ? "allow" : "deny") << " ("
                    << answer.why << ")";
  }
  EXPECT_GT(asked, 0u);
  EXPECT_EQ(agreed, asked);
  while (next < events.size()) model.apply(events[next++].second);
  for (const auto& violation : model.invariant_violations()) ADD_FAILURE() << "log_v1: " << violation;
}

// The later golden logs have no answers, but every event type they hold must fold.
TEST(ReferenceModel, FoldsEveryGoldenLog) {
  for (int version = 2; version <= 7; ++version) {
    ReferenceModel model(kRoot + "/domain/models");
    const auto events = read_log(kRoot + "/tests/golden/log_v" + std::to_string(version) + ".ndjson");
    EXPECT_FALSE(events.empty()) << "log_v" << version;
    for (const auto& [position, event] : events)
      EXPECT_NO_THROW(model.apply(event)) << "log_v" << version << " position " << position;
    EXPECT_FALSE(model.organizations().empty()) << "log_v" << version;
  }
}

}  // namespace
}  // namespace touchline::model_test
