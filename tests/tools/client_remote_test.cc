// The touchline tool against a live touchlined, as a newcomer uses it: every client command, in
// its table and in JSON, and how it says what went wrong.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "support/run_tool.h"
#include "support/server_process.h"

namespace touchline {
namespace client_remote_test {

using nlohmann::json;
using testing::ServerProcess;
using testing::ToolRun;

constexpr const char* kOperatorToken = "client-test-operator-token";
constexpr const char* kPassword = "correct horse battery";

class TouchlineClient : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (std::filesystem::temp_directory_path() / "touchline-client-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    server_ = std::make_unique<ServerProcess>(
        TOUCHLINED_PATH, std::vector<std::string>{"--data", dir_ + "/data", "--port", "0", "--operator-token",
                                                  kOperatorToken});
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  // `touchline --server URL [--token T] ARGS`, stdout and stderr together.
  ToolRun touchline(const std::string& args, const std::string& token = "") const {
    return testing::run_tool(TOUCHLINE_CLI_PATH,
                             "--server " + url_ + (token.empty() ? "" : " --token " + token) + " " + args);
  }

  // A command through the tool, its JSON answer (the test fails on anything else).
  json command(const std::string& name, const json& body, const std::string& token = "") const {
    auto run = touchline("--output json command " + name + " --json '" + body.dump() + "'", token);
    EXPECT_EQ(run.exit_code, 0) << name << ": " << run.output;
    return json::parse(run.output, nullptr, false);
  }

  std::string sign_in(const std::string& email) const {
    auto run = touchline("sign-in --email " + email + " --password '" + kPassword + "'");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    return run.output.substr(0, run.output.find('\n'));
  }

  // A coach's organisation with one athlete, assigned to the coach and consenting.
  void coach_and_athlete() {
    const json coach = command("SignUp", {{"email", "hana@example.com"}, {"password", kPassword},
                                          {"display_name", "Hana"}, {"membership_role", "coach"},
                                          {"organization_name", "Harbour Runners"}});
    coach_id_ = coach.value("account_id", "");
    org_ = coach.value("organization_id", "");
    athlete_id_ = command("SignUp", {{"email", "ada@example.com"}, {"password", kPassword}, {"display_name", "Ada"}})
                      .value("account_id", "");
    coach_token_ = sign_in("hana@example.com");
    athlete_token_ = sign_in("ada@example.com");
    command("AddMember", {{"organization_id", org_}, {"account_id", athlete_id_}, {"role", "athlete"}}, coach_token_);
    command("AcceptMembership", {{"organization_id", org_}}, athlete_token_);
    command("AssignAthlete", {{"organization_id", org_}, {"athlete_id", athlete_id_}, {"coach_id", coach_id_}},
            coach_token_);
    position_ = command("GiveConsent", {{"organization_id", org_}}, athlete_token_).value("position", 0);
    ASSERT_GT(position_, 0u);
  }

  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string at_head() const { return " --min-position " + std::to_string(position_); }

  std::unique_ptr<ServerProcess> server_;
  std::string dir_, url_, org_, coach_id_, athlete_id_, coach_token_, athlete_token_;
  std::uint64_t position_ = 0;
};

TEST_F(TouchlineClient, SignInPrintsTheTokenAloneForAShellVariable) {
  coach_and_athlete();
  EXPECT_EQ(coach_token_.find(' '), std::string::npos);
  EXPECT_GT(coach_token_.size(), 20u);
}

TEST_F(TouchlineClient, CheckAnswersAsATableAndAsJson) {
  coach_and_athlete();
  const std::string args = "check --organization " + org_ + " --subject " + coach_id_ +
                           " --permission athletes.view_activities --target " + athlete_id_ + at_head();
  auto table = touchline(args, coach_token_);
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("allowed   yes\n"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("reason    "), std::string::npos) << table.output;

  auto as_json = touchline("--output json " + args, coach_token_);
  ASSERT_EQ(as_json.exit_code, 0) << as_json.output;
  const json answer = json::parse(as_json.output);
  EXPECT_TRUE(answer["allowed"].get<bool>());
  EXPECT_GE(answer["position"].get<std::uint64_t>(), position_);

  // The past, before the athlete's consent: denied.
  auto before = touchline("--output json check --organization " + org_ + " --subject " + coach_id_ +
                              " --permission athletes.view_activities --target " + athlete_id_ +
                              " --at-position " + std::to_string(position_ - 1),
                          coach_token_);
  ASSERT_EQ(before.exit_code, 0) << before.output;
  EXPECT_FALSE(json::parse(before.output)["allowed"].get<bool>());
}

TEST_F(TouchlineClient, ChecksAndLookupsListEveryAnswer) {
  coach_and_athlete();
  const json body{{"checks",
                   {{{"organization_id", org_}, {"subject", coach_id_}, {"permission", "athletes.view_activities"},
                     {"target", athlete_id_}},
                    {{"organization_id", org_}, {"subject", athlete_id_}, {"permission", "plans.assign"},
                     {"target", coach_id_}}}},
                  {"min_position", position_}};
  auto checks = touchline("checks --json '" + body.dump() + "'", coach_token_);
  ASSERT_EQ(checks.exit_code, 0) << checks.output;
  EXPECT_NE(checks.output.find("#  subject"), std::string::npos) << checks.output;
  EXPECT_NE(checks.output.find("0  " + coach_id_), std::string::npos) << checks.output;
  EXPECT_NE(checks.output.find("1  " + athlete_id_), std::string::npos) << checks.output;

  auto subjects = touchline("--output json lookup subjects --organization " + org_ +
                                " --permission athletes.view_activities --target " + athlete_id_,
                            coach_token_);
  ASSERT_EQ(subjects.exit_code, 0) << subjects.output;
  const json who = json::parse(subjects.output)["subjects"];
  ASSERT_FALSE(who.empty());
  EXPECT_EQ(who[0]["account_id"], coach_id_);

  auto targets = touchline("lookup targets --organization " + org_ + " --subject " + coach_id_ +
                               " --permission athletes.view_activities",
                           coach_token_);
  ASSERT_EQ(targets.exit_code, 0) << targets.output;
  EXPECT_NE(targets.output.find(athlete_id_), std::string::npos) << targets.output;
}

TEST_F(TouchlineClient, MembersOrganizationAndAuditReadAsTables) {
  coach_and_athlete();
  auto members = touchline("members --organization " + org_ + at_head(), coach_token_);
  ASSERT_EQ(members.exit_code, 0) << members.output;
  EXPECT_EQ(members.output.rfind("account_id", 0), 0u) << members.output;
  EXPECT_NE(members.output.find(athlete_id_), std::string::npos) << members.output;
  EXPECT_NE(members.output.find("head_coach"), std::string::npos) << members.output;

  auto as_json = touchline("--output json members --organization " + org_ + at_head(), coach_token_);
  ASSERT_EQ(as_json.exit_code, 0) << as_json.output;
  EXPECT_EQ(json::parse(as_json.output)["members"].size(), 2u);

  auto org = touchline("organization --organization " + org_ + at_head(), coach_token_);
  ASSERT_EQ(org.exit_code, 0) << org.output;
  EXPECT_NE(org.output.find("Harbour Runners"), std::string::npos) << org.output;

  auto audit = touchline("--output json audit --organization " + org_ + at_head(), coach_token_);
  ASSERT_EQ(audit.exit_code, 0) << audit.output;
  const json entries = json::parse(audit.output)["entries"];
  ASSERT_GE(entries.size(), 4u);
  EXPECT_GT(entries[0]["position"].get<std::uint64_t>(), entries[1]["position"].get<std::uint64_t>())
      << "newest first";
  auto table = touchline("audit --organization " + org_ + " --limit 2" + at_head(), coach_token_);
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(table.output.rfind("position", 0), 0u) << table.output;
  EXPECT_NE(table.output.find("(more before position"), std::string::npos) << table.output;
}

TEST_F(TouchlineClient, WatchFollowsTheAuditLogAndTheWholeLogInOrder) {
  coach_and_athlete();
  auto audit = touchline("--output json watch --organization " + org_ + " --count 3", coach_token_);
  ASSERT_EQ(audit.exit_code, 0) << audit.output;
  std::vector<std::uint64_t> positions;
  for (std::size_t at = 0, end; (end = audit.output.find('\n', at)) != std::string::npos; at = end + 1) {
    positions.push_back(json::parse(audit.output.substr(at, end - at))["position"].get<std::uint64_t>());
  }
  ASSERT_EQ(positions.size(), 3u) << audit.output;
  EXPECT_LT(positions[0], positions[1]);
  EXPECT_LT(positions[1], positions[2]);

  auto log = touchline("watch --after 1 --count 2", kOperatorToken);
  ASSERT_EQ(log.exit_code, 0) << log.output;
  EXPECT_EQ(log.output.rfind("2  ", 0), 0u) << "the event after position 1 first: " << log.output;
}

TEST_F(TouchlineClient, DryRunDecidesAndAppendsNothing) {
  coach_and_athlete();
  const std::string body = json{{"organization_id", org_}, {"account_id", athlete_id_}}.dump();
  auto dry = touchline("--output json command RemoveMember --dry-run --json '" + body + "'", coach_token_);
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_FALSE(json::parse(dry.output)["events"].empty()) << dry.output;
  auto members = touchline("--output json members --organization " + org_ + at_head(), coach_token_);
  EXPECT_EQ(json::parse(members.output)["members"].size(), 2u) << "still a member";
}

TEST_F(TouchlineClient, SaysWhatWentWrongWithAnExitCode) {
  coach_and_athlete();
  auto refused = touchline("check --organization " + org_ + " --subject " + coach_id_ + " --permission no.such",
                           coach_token_);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("400 invalid_argument"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("request id "), std::string::npos) << refused.output;

  auto no_token = touchline("members --organization " + org_);
  EXPECT_EQ(no_token.exit_code, 1) << no_token.output;
  EXPECT_NE(no_token.output.find("401"), std::string::npos) << no_token.output;

  auto not_json = touchline("command AddMember --json '{not json'", coach_token_);
  EXPECT_EQ(not_json.exit_code, 2) << not_json.output;

  auto no_server = testing::run_tool(TOUCHLINE_CLI_PATH, "members --organization " + org_);
  EXPECT_EQ(no_server.exit_code, 2) << no_server.output;
  EXPECT_NE(no_server.output.find("--server"), std::string::npos) << no_server.output;

  auto bad_url = testing::run_tool(TOUCHLINE_CLI_PATH, "--server localhost:8080 members --organization x");
  EXPECT_EQ(bad_url.exit_code, 2) << bad_url.output;

  auto unknown = testing::run_tool(TOUCHLINE_CLI_PATH, "--server " + url_ + " members --organisation x");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;

  auto unreachable = testing::run_tool(TOUCHLINE_CLI_PATH, "--server http://127.0.0.1:1 members --organization x");
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.output;
  EXPECT_NE(unreachable.output.find("cannot connect"), std::string::npos) << unreachable.output;
}

}  // namespace client_remote_test
}  // namespace touchline
