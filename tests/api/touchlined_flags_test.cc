// touchlined's operator token, as an operator gives it: from a file or the environment without a
// word, on the command line (where every user of the machine sees it in ps) with a warning.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/test_server.h"

namespace touchline::testing {
namespace {

constexpr const char* kWarning = "WARNING: --operator-token on the command line";

int events_status(std::uint16_t port, const std::string& token) {
  return HttpClient(port).get("/v1/events?after=0&limit=1", {{"Authorization", "Bearer " + token}}).status;
}

TEST(TouchlinedFlags, TheOperatorTokenComesFromAFileWithoutAWarning) {
  const std::string dir = make_temp_dir("touchline-flags");
  const std::string token_file = dir + "/operator-token";
  std::ofstream(token_file) << "a-token-from-a-file\n";
  {
    ServerProcess server(TOUCHLINED_PATH, {"--data", dir + "/data", "--port", "0", "--operator-token-file", token_file});
    EXPECT_EQ(events_status(server.port(), "a-token-from-a-file"), 200);
    EXPECT_EQ(events_status(server.port(), "a-token-from-a-fil"), 403);  // not the operator token
    EXPECT_EQ(server.startup_output().find(kWarning), std::string::npos) << server.startup_output();
  }
  std::filesystem::remove_all(dir);
}

TEST(TouchlinedFlags, TheOperatorTokenOnTheCommandLineWorksWithAWarning) {
  const std::string dir = make_temp_dir("touchline-flags");
  {
    ServerProcess server(TOUCHLINED_PATH, {"--data", dir + "/data", "--port", "0", "--operator-token", "seen-in-ps"});
    EXPECT_EQ(events_status(server.port(), "seen-in-ps"), 200);
    EXPECT_NE(server.startup_output().find(kWarning), std::string::npos) << server.startup_output();
  }
  std::filesystem::remove_all(dir);
}

TEST(TouchlinedFlags, AnEmptyOrMissingTokenFileOrTwoTokensRefuseToStart) {
  const std::string dir = make_temp_dir("touchline-flags");
  std::ofstream(dir + "/empty") << "\n";
  EXPECT_THROW(ServerProcess(TOUCHLINED_PATH, {"--data", dir + "/data", "--port", "0", "--operator-token-file", dir + "/empty"}),
               std::runtime_error);
  EXPECT_THROW(ServerProcess(TOUCHLINED_PATH, {"--data", dir + "/data", "--port", "0", "--operator-token-file", dir + "/none"}),
               std::runtime_error);
  std::ofstream(dir + "/token") << "t\n";
  EXPECT_THROW(ServerProcess(TOUCHLINED_PATH, {"--data", dir + "/data", "--port", "0", "--operator-token", "t",
                                               "--operator-token-file", dir + "/token"}),
               std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace touchline::testing
