// Backup and restore as an operator does them: `touchline backup` beside a running touchlined that
// keeps taking commands, `touchline restore` into a new directory, a second touchlined on it. The
// restored server answers every check, the organisation and the audit log as the first answered
// them at the backup's position; its chain verifies; passwords, tokens and erasures carry over.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <regex>
#include <thread>

#include "support/http_client.h"
#include "support/raw_db.h"
#include "support/run_tool.h"
#include "support/server_process.h"

namespace touchline {
namespace backup_restore_test {

using nlohmann::json;
using testing::HttpClient;
using testing::HttpResult;
using testing::ServerProcess;
namespace fs = std::filesystem;

constexpr const char* kOperatorToken = "backup-test-operator-token";
constexpr const char* kPassword = "correct horse battery";

testing::ToolRun touchline_cli(const std::string& args) { return testing::run_tool(TOUCHLINE_CLI_PATH, args); }

std::string make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "touchline-backup-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

class Client {
 public:
  explicit Client(std::uint16_t port) : http_(port) {}
  HttpResult post(const std::string& target, const json& body, const std::string& token = "") {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return http_.post(target, body.dump(), headers);
  }
  HttpResult get(const std::string& target, const std::string& token) {
    return http_.get(target, {{"Authorization", "Bearer " + token}});
  }
  std::string sign_in(const std::string& email) {
    auto r = post("/v1/sessions", {{"email", email}, {"password", kPassword}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json()["token"].get<std::string>() : "";
  }

 private:
  HttpClient http_;
};

class BackupRestore : public ::testing::Test {
 protected:
  std::string dir = make_temp_dir();
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(BackupRestore, ARestoredServerAnswersAsTheRunningOneDidAtTheBackupsPosition) {
  const std::string data = dir + "/data", backup = dir + "/backup", restored = dir + "/restored";
  ServerProcess server(TOUCHLINED_PATH, {"--data", data, "--port", "0", "--operator-token", kOperatorToken,
                                         "--actions-per-member", "0"});
  Client live(server.port());

  // A coach's organisation with two athletes, one of whom then erases her account.
  auto up = live.post("/v1/commands/SignUp", {{"email", "hana@example.com"}, {"password", kPassword},
                                              {"display_name", "Hana"}, {"membership_role", "coach"},
                                              {"organization_name", "Harbour Runners"}});
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string coach = up.json()["account_id"], org = up.json()["organization_id"];
  const std::string coach_token = live.sign_in("hana@example.com");
  std::vector<std::string> athletes;
  for (const char* email : {"ada@example.com", "eve@example.com"}) {
    up = live.post("/v1/commands/SignUp", {{"email", email}, {"password", kPassword}, {"display_name", "Athlete"}});
    ASSERT_EQ(up.status, 201) << up.body;
    athletes.push_back(up.json()["account_id"]);
    const std::string token = live.sign_in(email);
    for (const auto& [command, body, as] :
         {std::tuple{"AddMember", json{{"organization_id", org}, {"account_id", athletes.back()}, {"role", "athlete"}}, coach_token},
          std::tuple{"AcceptMembership", json{{"organization_id", org}}, token},
          std::tuple{"AssignAthlete", json{{"organization_id", org}, {"athlete_id", athletes.back()}, {"coach_id", coach}}, coach_token},
          std::tuple{"GiveConsent", json{{"organization_id", org}}, token}}) {
      auto r = live.post(std::string("/v1/commands/") + command, body, as);
      ASSERT_EQ(r.status, 201) << command << ": " << r.body;
    }
  }
  auto erased = live.post("/v1/commands/EraseAccount", json::object(), live.sign_in("eve@example.com"));
  ASSERT_EQ(erased.status, 201) << erased.body;

  // The service keeps taking commands (recorded actions) while the backup is taken.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread busy([&] {
    Client client(server.port());
    while (!stop) {
      auto r = client.post("/v1/actions", {{"organization_id", org}, {"action", "athlete_data.viewed"},
                                           {"permission", "athletes.view_activities"}, {"target", athletes[0]}},
                           coach_token);
      if (r.status == 201) ++written;
    }
  });
  while (written < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto backed_up = touchline_cli("backup --data " + data + " --to " + backup);
  const int written_during = written;
  while (written < written_during + 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  busy.join();
  ASSERT_EQ(backed_up.exit_code, 0) << backed_up.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(backed_up.output, m, std::regex(R"(backed up (\d+) events .* Merkle root ([0-9a-f]{64}))")))
      << backed_up.output;
  const std::uint64_t position = std::stoull(m[1]);
  const std::string root = m[2];

  // The checks, the organisation and the audit log, as the live server answers them at the backup's position.
  std::vector<json> checks;
  for (const auto& subject : {coach, athletes[0], athletes[1]}) {
    for (const auto& target : {coach, athletes[0], athletes[1]}) {
      for (const char* permission : {"athletes.view_activities", "plans.assign", "members.manage"}) {
        checks.push_back({{"organization_id", org}, {"subject", subject}, {"permission", permission}, {"target", target}});
      }
    }
  }
  // `when` is "at_position" (the live server, reading its past) or "min_position" (the restored
  // one, whose present is that past).
  auto answers = [&](Client& client, const std::string& token, const std::string& when) {
    json out = json::array();
    for (auto check : checks) {
      check[when] = position;
      auto r = client.post("/v1/check", check, token);
      EXPECT_EQ(r.status, 200) << r.body;
      out.push_back({{"allowed", r.json()["allowed"]}, {"reason", r.json()["reason"]}});
    }
    auto organization = client.get("/v1/organizations/" + org + "?" + when + "=" + std::to_string(position), token);
    EXPECT_EQ(organization.status, 200) << organization.body;
    out.push_back(organization.json());
    return out;
  };
  const json then = answers(live, coach_token, "at_position");
  const int status = server.terminate();
  EXPECT_EQ(status, 0);

  auto restored_run = touchline_cli("restore --from " + backup + " --data " + restored);
  ASSERT_EQ(restored_run.exit_code, 0) << restored_run.output;
  EXPECT_NE(restored_run.output.find("restored " + std::to_string(position) + " events"), std::string::npos)
      << restored_run.output;
  auto verified = touchline_cli("verify --data " + restored);
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find("ok: " + std::to_string(position) + " events"), std::string::npos) << verified.output;

  ServerProcess second(TOUCHLINED_PATH, {"--data", restored, "--port", "0", "--operator-token", kOperatorToken});
  Client again(second.port());
  // The coach's token from the first server still signs her in: the token key was backed up.
  const json now = answers(again, coach_token, "min_position");
  EXPECT_EQ(now, then);
  auto head = again.get("/v1/log/head", kOperatorToken);
  ASSERT_EQ(head.status, 200) << head.body;
  EXPECT_EQ(head.json()["size"], position);
  EXPECT_EQ(head.json()["root"], root);
  // Passwords came along; the erased athlete stays erased.
  EXPECT_FALSE(again.sign_in("ada@example.com").empty());
  auto eve = again.post("/v1/sessions", {{"email", "eve@example.com"}, {"password", kPassword}});
  EXPECT_EQ(eve.status, 401) << eve.body;
}

TEST_F(BackupRestore, RefusesToOverwriteAndRestoresNothingFromADamagedBackup) {
  const std::string data = dir + "/data", backup = dir + "/backup";
  {
    ServerProcess server(TOUCHLINED_PATH, {"--data", data, "--port", "0"});
    Client client(server.port());
    for (const char* email : {"a@example.com", "b@example.com", "c@example.com"}) {
      auto up = client.post("/v1/commands/SignUp", {{"email", email}, {"password", kPassword}, {"display_name", "X"}});
      ASSERT_EQ(up.status, 201) << up.body;
    }
  }
  auto first = touchline_cli("backup --data " + data + " --to " + backup);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto again = touchline_cli("backup --data " + data + " --to " + backup);
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("exists"), std::string::npos) << again.output;
  auto over = touchline_cli("restore --from " + backup + " --data " + data);
  EXPECT_EQ(over.exit_code, 2) << over.output;
  EXPECT_EQ(touchline_cli("verify --data " + data).exit_code, 0) << "the live directory is untouched";

  // One byte of the second event changed in the backup: restore refuses it and writes nothing.
  {
    testing::RawDb raw(backup);
    std::string key(8, '\0');
    key[7] = 2;
    std::string value = raw.get("log", key);
    ASSERT_FALSE(value.empty());
    value[value.size() / 2] ^= 0x01;
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.cf("log"), key, value).ok());
  }
  auto damaged = touchline_cli("restore --from " + backup + " --data " + dir + "/restored");
  EXPECT_EQ(damaged.exit_code, 1) << damaged.output;
  EXPECT_NE(damaged.output.find("fails verification at position 2"), std::string::npos) << damaged.output;
  EXPECT_FALSE(fs::exists(dir + "/restored"));
  EXPECT_FALSE(fs::exists(dir + "/restored.incomplete"));
}

}  // namespace backup_restore_test
}  // namespace touchline
