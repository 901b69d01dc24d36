// What the service says when it cannot read its own state: an error, never an answer built on
// "absent". (Reads failed by the disk are injected below the store, in
// tests/store/state_store_test.cc and tests/projections/state_format_test.cc.)
#include <gtest/gtest.h>

#include <string>

#include "support/raw_db.h"
#include "support/test_server.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/projections/runner.h"
#include "touchline/store/event_store.h"

namespace touchline::api {
namespace {

using testing::TestServer;

// A projection whose checkpoint cannot be read stops, and /healthz says so (503, degraded, with
// the reason), instead of replaying the log over the state it has; after the operator's rebuild
// the server is healthy again.
TEST(ReadErrorsTest, HealthzReportsAProjectionThatCannotReadItsCheckpoint) {
  TestServer server;
  auto coach = server.account("coach@example.com", "coach", "Club");
  ASSERT_EQ(server.http().get("/healthz").status, 200);
  server.stop();
  // Damaged, as by a failing disk or a stray tool: a checkpoint of 3 bytes, not 8.
  testing::RawDb(server.data_dir()).put("projections", std::string("permissions/\0checkpoint", 23), "abc");

  server.start();
  auto health = server.http().get("/healthz");
  EXPECT_EQ(health.status, 503) << health.body;
  auto body = health.json();
  EXPECT_EQ(body["status"], "degraded");
  const auto& permissions = body["projections"]["permissions"];
  ASSERT_TRUE(permissions.contains("failure")) << health.body;
  EXPECT_NE(permissions["failure"].get<std::string>().find("checkpoint of projection permissions"),
            std::string::npos)
      << health.body;
  EXPECT_EQ(permissions["position"], 0) << health.body;
  EXPECT_FALSE(body["projections"]["audit"].contains("failure")) << health.body;
  auto ready = server.http().get("/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(ready.json()["ready"], false) << ready.body;
  EXPECT_NE(ready.json()["reason"].get<std::string>().find("projection permissions stopped"), std::string::npos)
      << ready.body;
  server.stop();

  // What docs/OPERATIONS.md tells the operator to do: rebuild the projection.
  {
    store::StoreOptions o;
    o.path = server.data_dir();
    auto log = store::EventStore::open(o);
    ASSERT_TRUE(log.ok()) << log.error().message;
    projections::PermissionProjection projection;
    auto rebuilt = projections::ProjectionRunner(**log, projection).rebuild();
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  }
  server.start();
  health = server.http().get("/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  ready = server.http().get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json()["ready"], true) << ready.body;
  auto check = server.check(coach["token"], {{"organization_id", coach["organization_id"]},
                                             {"subject", coach["account_id"]},
                                             {"permission", "athletes.view_activities"},
                                             {"target", coach["account_id"]}});
  EXPECT_EQ(check.status, 200) << check.body;
  EXPECT_EQ(check.json()["allowed"], true) << check.body;
}

}  // namespace
}  // namespace touchline::api
