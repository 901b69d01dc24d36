// The right to be forgotten, end to end on a real touchlined: a person who used the service
// (signed up, founded an organisation named after them at the coach console, declared a
// credential, recorded an action, was invited by email) erases their account. Afterwards no byte
// of their email, name or other personal data is in the data directory, an export of the log or
// the server's own log, nor is their key; the log and the export still verify; reads show them as
// erased; and their email is free to sign up again.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <rocksdb/db.h>

#include "support/http_client.h"
#include "support/raw_db.h"
#include "support/server_process.h"
#include "support/test_server.h"
#include "touchline/store/event_store.h"
#include "support/run_tool.h"

namespace touchline {
namespace {

using nlohmann::json;
using testing::HttpClient;
using testing::ServerProcess;

constexpr const char* kOperatorToken = "erasure-test-operator-token";

// Distinctive text, so that a match in a compressed table file still shows: the first copy of a
// string in a block is stored literally, and these appear nowhere else.
const std::string kEmail = "erin.zqvforgettable@example.org";
const std::string kName = "Erin Qvzforgettable";
const std::vector<std::string> kPersonal = {
    kEmail, "zqvforgettable",  // the address, and its rarest part
    kName, "Qvzforgettable",   // the name, and the organisation named after it
    "vault://zqv-erin-dbs.pdf",  // a credential's document
    "zqv note about a refund",   // a recorded action's details
};

testing::ToolRun touchline_cli(const std::string& args) { return testing::run_tool(TOUCHLINE_CLI_PATH, args); }

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every file under `dir` holding `needle`, byte for byte.
std::vector<std::string> files_holding(const std::string& dir, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.is_regular_file() && file_bytes(f.path()).find(needle) != std::string::npos) {
      out.push_back(f.path().filename().string());
    }
  }
  return out;
}

class Erasure : public ::testing::Test {
 protected:
  std::string dir = testing::make_temp_dir("touchline-erasure");
  void TearDown() override { std::filesystem::remove_all(dir); }
};

TEST_F(Erasure, LeavesNoByteOfThePersonInTheDataDirectoryTheExportOrTheServerLogAndTheLogStillVerifies) {
  std::string erin, cora, club, erins_org, key_of_erin;
  std::string server_log;
  {
    ServerProcess server(TOUCHLINED_PATH, {"--data", dir, "--port", "0", "--operator-token", kOperatorToken});
    HttpClient http(server.port());
    auto post = [&](const std::string& target, const json& body, const std::string& token = "") {
      std::map<std::string, std::string> headers;
      if (!token.empty()) headers["Authorization"] = "Bearer " + token;
      return http.post(target, body.dump(), headers);
    };
    auto get = [&](const std::string& target, const std::string& token) {
      return http.get(target, {{"Authorization", "Bearer " + token}});
    };
    auto sign_in = [&](const std::string& email, bool console = false) {
      return post("/v1/sessions", {{"email", email}, {"password", "a long password"}, {"console", console}});
    };

    // Cora runs a club; Erin signs up as an athlete, becomes a coach at the console (founding
    // "<her name>'s organisation"), joins Cora's club as a coach and declares a credential there.
    auto up = post("/v1/commands/SignUp", {{"email", "cora@example.org"}, {"password", "a long password"},
                                           {"display_name", "Cora"}, {"membership_role", "coach"},
                                           {"organization_name", "Riverside Club"}, {"role_model", "club"}});
    ASSERT_EQ(up.status, 201) << up.body;
    cora = up.json()["account_id"];
    club = up.json()["organization_id"];
    const std::string cora_token = sign_in("cora@example.org").json()["token"];
    up = post("/v1/commands/SignUp", {{"email", kEmail}, {"password", "a long password"}, {"display_name", kName}});
    ASSERT_EQ(up.status, 201) << up.body;
    erin = up.json()["account_id"];
    auto session = sign_in(kEmail, /*console=*/true);
    ASSERT_EQ(session.status, 201) << session.body;
    const std::string erin_token = session.json()["token"];
    erins_org = session.json()["organization_id"];
    ASSERT_FALSE(erins_org.empty()) << session.body;
    auto org = get("/v1/organizations/" + erins_org + "?min_position=" + std::to_string(session.json()["position"].get<std::uint64_t>()), erin_token);
    EXPECT_EQ(org.json()["name"], kName + "'s organisation") << org.body;

    auto expect_created = [](const testing::HttpResult& r) { EXPECT_EQ(r.status, 201) << r.body; };
    expect_created(post("/v1/commands/ChangeTier", {{"organization_id", club}, {"tier", "club"}}, cora_token));
    expect_created(post("/v1/commands/AddMember", {{"organization_id", club}, {"account_id", erin}, {"role", "coach"}}, cora_token));
    expect_created(post("/v1/commands/AcceptMembership", {{"organization_id", club}}, erin_token));
    auto declared = post("/v1/commands/DeclareCredential", {{"organization_id", club}, {"name", "DBS check"},
                                                             {"expires_on", "2030-01-01"},
                                                             {"document", "vault://zqv-erin-dbs.pdf"}}, erin_token);
    ASSERT_EQ(declared.status, 201) << declared.body;
    auto acted = post("/v1/actions", {{"organization_id", erins_org}, {"action", "refund.issued"}, {"target", erin},
                                      {"details", {{"note", "zqv note about a refund"}}}}, erin_token);
    ASSERT_TRUE(acted.status == 201 || acted.status == 403) << acted.body;
    // An invite to her address, and another to Finn's, who accepts it: bound invites match the
    // joiner by the address's claim key.
    ASSERT_EQ(post("/v1/commands/IssueInvite", {{"organization_id", club}, {"role", "viewer"}, {"email", kEmail}}, cora_token).status, 201);
    ASSERT_EQ(post("/v1/commands/SignUp", {{"email", "finn@example.org"}, {"password", "a long password"},
                                           {"display_name", "Finn"}, {"membership_role", "coach"}}).status, 201);
    const std::string finn_token = sign_in("finn@example.org").json()["token"];
    auto finns_invite = post("/v1/commands/IssueInvite", {{"organization_id", club}, {"role", "viewer"}, {"email", "Finn@Example.org"}}, cora_token);
    ASSERT_EQ(finns_invite.status, 201);
    auto wrong_joiner = post("/v1/commands/AcceptInvite", {{"organization_id", club}, {"code", finns_invite.json()["code"]}}, cora_token);
    EXPECT_EQ(wrong_joiner.status, 403) << wrong_joiner.body;
    auto accepted = post("/v1/commands/AcceptInvite", {{"organization_id", club}, {"code", finns_invite.json()["code"]}}, finn_token);
    ASSERT_EQ(accepted.status, 201) << accepted.body;
    const std::string caught_up = "min_position=" + std::to_string(accepted.json()["position"].get<std::uint64_t>());

    // Before: the club's compliance dashboard and audit log show her data, opened.
    auto compliance = get("/v1/organizations/" + club + "/compliance?" + caught_up, cora_token);
    EXPECT_NE(compliance.body.find("vault://zqv-erin-dbs.pdf"), std::string::npos) << compliance.body;
    auto audit = get("/v1/organizations/" + club + "/audit?limit=500&" + caught_up, cora_token);
    EXPECT_NE(audit.body.find(kEmail), std::string::npos) << audit.body;
    {
      store::StoreOptions o;
      o.path = dir;
      o.read_only = true;
      auto beside = store::EventStore::open(o);
      ASSERT_TRUE(beside.ok()) << beside.error().message;
      auto key = (*beside)->read_secret("personal_key/account-" + erin);
      ASSERT_TRUE(key.ok() && key->has_value());
      key_of_erin = **key;
    }

    // Erin asks to be forgotten.
    auto erased = post("/v1/commands/EraseAccount", json::object(), erin_token);
    ASSERT_EQ(erased.status, 201) << erased.body;
    EXPECT_EQ(erased.json()["erased"], true);

    // After: she cannot sign in or act; reads show her data as erased, and Finn's as it was.
    EXPECT_EQ(sign_in(kEmail).status, 401);
    EXPECT_EQ(post("/v1/commands/UpdatePrivacySettings", {{"settings", {{"share_pace_data", false}}}}, erin_token).status, 401);
    compliance = get("/v1/organizations/" + club + "/compliance?min_position=" + std::to_string(erased.json()["position"].get<std::uint64_t>()), cora_token);
    EXPECT_EQ(compliance.body.find("zqv"), std::string::npos) << compliance.body;
    EXPECT_NE(compliance.body.find("[erased]"), std::string::npos) << compliance.body;
    audit = get("/v1/organizations/" + club + "/audit?limit=500&min_position=" + std::to_string(erased.json()["position"].get<std::uint64_t>()), cora_token);
    EXPECT_EQ(audit.body.find("zqv"), std::string::npos) << audit.body;
    EXPECT_NE(audit.body.find("finn@example.org"), std::string::npos) << audit.body;
    // Nothing more is recorded of her: a credential with a document, recorded on her behalf, is refused.
    auto recorded = post("/v1/commands/RecordCredential", {{"organization_id", club}, {"account_id", erin}, {"name", "First aid"},
                                                            {"expires_on", "2030-01-01"}, {"document", "vault://later.pdf"}}, cora_token);
    EXPECT_EQ(recorded.status, 409) << recorded.body;
    // Only the server seals: text in that form, which could carry her sealed data out of an export
    // into a field a read opens, is refused.
    auto planted = post("/v1/commands/CreateOrganization", {{"name", "sealed:1:account-" + erin + ":AAAA"}}, cora_token);
    EXPECT_EQ(planted.status, 400) << planted.body;
    // Her permissions stay answerable by id: she is still on the club's staff.
    auto check = post("/v1/check", {{"organization_id", club}, {"subject", erin}, {"permission", "team_data.view"}}, cora_token);
    EXPECT_EQ(check.status, 200) << check.body;

    // Her address is free again: a new sign-up makes a new account, which signs in.
    up = post("/v1/commands/SignUp", {{"email", kEmail}, {"password", "another long password"}, {"display_name", "E"}});
    ASSERT_EQ(up.status, 201) << up.body;
    EXPECT_NE(up.json()["account_id"], erin);
    auto again = post("/v1/sessions", {{"email", kEmail}, {"password", "another long password"}});
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(again.json()["account_id"], up.json()["account_id"]);

    EXPECT_EQ(WEXITSTATUS(server.terminate()), 0);
    server_log = server.output();
  }

  // The data directory, byte for byte (its files as they are after a clean stop: write-ahead logs,
  // manifests, RocksDB's own logs, and table files, whose blocks are compressed), and below every
  // key and value RocksDB reads back from it.
  for (const auto& text : kPersonal) {
    EXPECT_EQ(files_holding(dir, text), std::vector<std::string>{}) << "'" << text << "' is still in the data directory";
    EXPECT_EQ(server_log.find(text), std::string::npos) << "'" << text << "' is in the server's log";
  }
  EXPECT_EQ(files_holding(dir, key_of_erin), std::vector<std::string>{}) << "her key is still in the data directory";

  const std::string export_file = dir + "-export.ndjson";
  auto exported = touchline_cli("export --data " + dir + " --to " + export_file);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const std::string exported_bytes = file_bytes(export_file);
  EXPECT_NE(exported_bytes.find("Riverside Club"), std::string::npos);
  for (const auto& text : kPersonal) {
    EXPECT_EQ(exported_bytes.find(text), std::string::npos) << "'" << text << "' is in the export";
  }
  auto verified = touchline_cli("verify --data " + dir);
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  auto verified_file = touchline_cli("verify --file " + export_file);
  EXPECT_EQ(verified_file.exit_code, 0) << verified_file.output;
  std::filesystem::remove(export_file);

  testing::RawDb raw(dir);
  int in_the_clear = 0;  // the same search finds what is not personal: it would have found hers
  for (auto* cf : raw.column_families()) {
    std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string record = it->key().ToString() + "\n" + it->value().ToString();
      if (record.find("Riverside Club") != std::string::npos) ++in_the_clear;
      for (const auto& text : kPersonal) EXPECT_EQ(record.find(text), std::string::npos) << cf->GetName() << ": " << record;
      EXPECT_EQ(record.find(key_of_erin), std::string::npos) << cf->GetName();
    }
    ASSERT_TRUE(it->status().ok());
  }
  EXPECT_GT(in_the_clear, 0);
}

// A log written before sealing (tests/golden/log_v8, by an earlier build) holds its people in the
// clear and claims emails by address. `touchline migrate` copies it into a new directory with all
// of that sealed, and the new log verifies, answers as the old one did, and erases.
TEST_F(Erasure, MigrateSealsAnOlderLogSoThatItsPeopleCanBeErased) {
  const std::string old_dir = dir + "/old", new_dir = dir + "/new";
  std::filesystem::copy(std::string(TOUCHLINE_SOURCE_DIR) + "/tests/golden/log_v8", old_dir,
                        std::filesystem::copy_options::recursive);
  const std::vector<std::string> people = {"head@example.com", "Head@Example.com", "Hana Head", "asst@example.com",
                                           "Ari Assistant", "Ada Athlete", "scans/dbs-head", "203.0.113.7"};
  {
    // Before the migration, such a person cannot be erased: refused, not answered erased.
    ServerProcess server(TOUCHLINED_PATH, {"--data", old_dir, "--port", "0", "--operator-token", kOperatorToken});
    HttpClient http(server.port());
    auto refused = http.post("/v1/operator/commands/EraseAccount", json{{"account_id", "acc-head"}}.dump(),
                             {{"Authorization", std::string("Bearer ") + kOperatorToken}});
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_NE(refused.body.find("recorded_before_sealing"), std::string::npos) << refused.body;
    EXPECT_EQ(WEXITSTATUS(server.terminate()), 0);
  }
  auto migrated = touchline_cli("migrate --data " + old_dir + " --to " + new_dir);
  ASSERT_EQ(migrated.exit_code, 0) << migrated.output;
  EXPECT_NE(migrated.output.find("migrated 60 events (4 email claims renamed"), std::string::npos) << migrated.output;
  auto verified = touchline_cli("verify --data " + new_dir);
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  auto again = touchline_cli("migrate --data " + old_dir + " --to " + new_dir);
  EXPECT_EQ(again.exit_code, 1) << "migrate wrote over an existing directory";
  {
    testing::RawDb raw(new_dir);
    for (auto* cf : raw.column_families()) {
      std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), cf));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const std::string record = it->key().ToString() + "\n" + it->value().ToString();
        for (const auto& text : people) EXPECT_EQ(record.find(text), std::string::npos) << cf->GetName() << ": " << record;
      }
      ASSERT_TRUE(it->status().ok());
    }
  }

  ServerProcess server(TOUCHLINED_PATH, {"--data", new_dir, "--port", "0", "--operator-token", kOperatorToken});
  HttpClient http(server.port());
  const std::map<std::string, std::string> as_operator{{"Authorization", std::string("Bearer ") + kOperatorToken}};
  auto head = [&] { return http.get("/v1/log/head", as_operator).json()["size"].get<std::uint64_t>(); };
  const json sign_up{{"email", "Head@example.com"}, {"password", "a long password"}, {"display_name", "H"}};
  // The address is still taken (its claim renamed, not lost): a sign-up appends nothing.
  const std::uint64_t before = head();
  EXPECT_EQ(http.post("/v1/commands/SignUp", sign_up.dump()).status, 201);
  EXPECT_EQ(head(), before);
  auto erased = http.post("/v1/operator/commands/EraseAccount", json{{"account_id", "acc-head"}}.dump(), as_operator);
  ASSERT_EQ(erased.status, 201) << erased.body;
  EXPECT_EQ(erased.json()["erased"], true);
  // Released with the erasure: the address signs up again.
  EXPECT_EQ(http.post("/v1/commands/SignUp", sign_up.dump()).status, 201);
  EXPECT_GT(head(), erased.json()["position"].get<std::uint64_t>());
  EXPECT_EQ(WEXITSTATUS(server.terminate()), 0);
}

}  // namespace
}  // namespace touchline
