// The audit log's entries are part of the API (GET /v1/organizations/{id}/audit and the platform's
// list): every event of the newest golden log, which holds one of every type, renders as the
// golden file says, byte for byte (null for an event the audit log does not show). The file was
// written by the build before entries were rendered from RecordedEvents, and is rewritten only
// when the entries change on purpose:
//   TOUCHLINE_UPDATE_GOLDEN=1 build/tests/golden/golden_tests --gtest_filter='GoldenAudit.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "touchline/events/json_text.h"
#include "touchline/events/recorded_event.h"
#include "touchline/projections/audit_projection.h"

namespace touchline {
namespace audit_entries_test {

namespace fs = std::filesystem;

const fs::path kGolden = fs::path(TOUCHLINE_SOURCE_DIR) / "tests/golden";
const std::string kLog = "log_v8";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One line per event of the log: its entry, or null.
std::string entries_of(const std::string& ndjson) {
  std::istringstream lines(ndjson);
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto envelope = events::envelope_from_json(*parse_json(line));
    if (!envelope.ok()) throw std::runtime_error(envelope.error().message);
    auto recorded = events::recorded_event(*envelope);
    if (!recorded.ok()) throw std::runtime_error(recorded.error().message);
    out += projections::AuditProjection::entry_for(*recorded).dump() + "\n";
  }
  return out;
}

TEST(GoldenAudit, EveryEventRendersAsTheGoldenFileSays) {
  const std::string entries = entries_of(read_file(kGolden / (kLog + ".ndjson")));
  const fs::path golden = kGolden / (kLog + ".audit");  // one JSON value a line
  if (std::getenv("TOUCHLINE_UPDATE_GOLDEN")) std::ofstream(golden, std::ios::binary) << entries;
  EXPECT_EQ(entries, read_file(golden));
}

}  // namespace audit_entries_test
}  // namespace touchline
