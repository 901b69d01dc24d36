// Role models are versioned with the log: replaying a log written before a model changed gives
// the answers that held when it was written.
//
// tests/golden/log_v1.answers holds every check's answer after each organisation event of log_v1,
// computed by replay_answers.h with the domain library of the build that wrote log_v1 (commit
// 4d59f3f, athlete-coach version 1), before athlete-coach version 2 gave head coaches
// roles.manage. tests/golden/models/<id>.v<N>.json freezes what each built-in model version
// grants; a released version is never edited (see docs/ROLE_MODELS.md).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "replay_answers.h"
#include "touchline/domain/authorizer.h"
#include "touchline/domain/organization.h"
#include "touchline/domain/role_model.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/projections/runner.h"
#include "touchline/store/event_store.h"

namespace touchline {
namespace model_versions_test {

namespace fs = std::filesystem;
using domain::check;
using domain::OrganizationState;

const fs::path kGolden = fs::path(TOUCHLINE_SOURCE_DIR) / "tests/golden";

TEST(ModelVersions, ReplayingLogV1GivesTheAnswersOfTheBuildThatWroteIt) {
  std::ifstream dump(kGolden / "log_v1.ndjson");
  ASSERT_TRUE(dump) << "log_v1.ndjson";
  std::map<std::uint64_t, OrganizationState> at;
  for (auto& s : golden::organisation_snapshots(dump)) at[s.position] = std::move(s.org);

  std::ifstream answers(kGolden / "log_v1.answers");
  ASSERT_TRUE(answers) << "log_v1.answers";
  int compared = 0, allowed = 0;
  for (std::string line; std::getline(answers, line);) {
    std::istringstream words(line);
    std::uint64_t position = 0;
    std::string org, subject, permission, target, answer;
    ASSERT_TRUE(words >> position >> org >> subject >> permission >> target >> answer) << line;
    ASSERT_TRUE(at.contains(position)) << line;
    const auto& state = at.at(position);
    ASSERT_EQ(state.id, org) << line;
    const bool now = check(state, subject, permission, target == "-" ? "" : target).allowed;
    EXPECT_EQ(now, answer == "allow") << line;
    ++compared;
    allowed += answer == "allow";
  }
  EXPECT_EQ(compared, 2968);
  EXPECT_EQ(allowed, 726);
}

// The same, the way an operator meets it: `touchline rebuild` of the permission projection over the
// committed RocksDB directory, then the projection answers as log_v1's build did at its end.
TEST(ModelVersions, ARebuiltProjectionOfLogV1AnswersAsItsBuildDid) {
  std::string dir = (fs::temp_directory_path() / "touchline-versions-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  fs::copy(kGolden / "log_v1", dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  {
    store::StoreOptions options;
    options.path = dir;
    auto log = store::EventStore::open(options);
    ASSERT_TRUE(log.ok()) << log.error().message;
    projections::PermissionProjection permissions;
    projections::ProjectionRunner runner(**log, permissions);
    ASSERT_TRUE(runner.rebuild().ok());
    const auto org = permissions.organization("org-1");
    ASSERT_TRUE(org.has_value());
    EXPECT_EQ(org->role_model_version, 1);

    std::ifstream answers(kGolden / "log_v1.answers");
    std::vector<std::string> lines;
    std::uint64_t last = 0;
    for (std::string line; std::getline(answers, line);) {
      lines.push_back(line);
      last = std::max<std::uint64_t>(last, std::stoull(line));
    }
    int compared = 0;
    for (const auto& line : lines) {
      std::istringstream words(line);
      std::uint64_t position = 0;
      std::string id, subject, permission, target, answer;
      words >> position >> id >> subject >> permission >> target >> answer;
      if (position != last) continue;
      EXPECT_EQ(check(*org, subject, permission, target == "-" ? "" : target).allowed, answer == "allow") << line;
      ++compared;
    }
    EXPECT_GT(compared, 0);
  }
  fs::remove_all(dir);
}

// Without versions the tests above could pass by accident; this shows the model did change.
TEST(ModelVersions, AthleteCoachVersion2GivesHeadCoachesRolesManage) {
  const auto* v1 = domain::find_role_model("athlete-coach", 1);
  const auto* v2 = domain::find_role_model("athlete-coach", 2);
  ASSERT_NE(v1, nullptr);
  ASSERT_NE(v2, nullptr);
  // New organisations get the newest version.
  for (const auto* m : domain::all_role_model_versions()) {
    if (m->id == "athlete-coach") {
      EXPECT_LE(m->version, domain::find_role_model("athlete-coach")->version);
    }
  }
  EXPECT_FALSE(v1->find_role("head_coach")->permissions.contains("roles.manage"));
  EXPECT_TRUE(v2->find_role("head_coach")->permissions.contains("roles.manage"));

  auto org_on = [](int version) {
    OrganizationState org;
    org = domain::evolve(org, events::OrganizationCreated{"o", "Club", "athlete-coach", "head", "head_coach", version});
    org = domain::evolve(org, events::MemberAdded{"o", "c", "coach"});
    return org;
  };
  EXPECT_FALSE(check(org_on(1), "head", "roles.manage", "c").allowed);
  EXPECT_TRUE(check(org_on(2), "head", "roles.manage", "c").allowed);

  // Adopting version 2 changes the answers from that event on, and only from there.
  OrganizationState org = org_on(1);
  auto adopted = domain::decide(org, "head", domain::AdoptRoleModelVersion{"o", 2});
  ASSERT_TRUE(adopted.ok()) << adopted.error().message;
  ASSERT_EQ(adopted->size(), 1u);
  EXPECT_EQ(std::get<events::RoleModelVersionAdopted>((*adopted)[0]).version, 2);
  org = domain::evolve(org, (*adopted)[0]);
  EXPECT_TRUE(check(org, "head", "roles.manage", "c").allowed);
  // Versions only move forward.
  auto back = domain::decide(org, "head", domain::AdoptRoleModelVersion{"o", 1});
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, ErrorCode::failed_precondition);
  auto missing = domain::decide(org, "head", domain::AdoptRoleModelVersion{"o", 99});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::invalid_argument);
}

// What a version grants, without its wording (labels, descriptions and denials may be improved).
nlohmann::json semantics(nlohmann::json j) {
  if (j.is_object()) {
    for (const char* key : {"label", "description", "denial", "changes"}) j.erase(key);
    for (auto& [k, v] : j.items()) v = semantics(v);
  } else if (j.is_array()) {
    for (auto& v : j) v = semantics(v);
  }
  return j;
}

TEST(ModelVersions, ReleasedVersionsAreNeverEdited) {
  const bool update = std::getenv("TOUCHLINE_UPDATE_GOLDEN") != nullptr;
  for (const auto* model : domain::all_role_model_versions()) {
    const fs::path frozen = kGolden / "models" / (model->id + ".v" + std::to_string(model->version) + ".json");
    const nlohmann::json now = semantics(domain::describe_role_model(*model));
    if (!fs::exists(frozen)) {
      if (update) {
        fs::create_directories(frozen.parent_path());
        std::ofstream(frozen) << now.dump(2) << "\n";
        continue;
      }
      ADD_FAILURE() << frozen << " is missing: a new model version is frozen with TOUCHLINE_UPDATE_GOLDEN=1 "
                    << "build/tests/golden/golden_tests --gtest_filter='ModelVersions.*'";
      continue;
    }
    std::ifstream in(frozen);
    EXPECT_EQ(now, nlohmann::json::parse(in))
        << model->id << " version " << model->version
        << " changed after release. Organisations on it would answer differently on replay: put the "
           "change in a new version instead (docs/ROLE_MODELS.md).";
  }
}

}  // namespace model_versions_test
}  // namespace touchline
