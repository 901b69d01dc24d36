// The command service's optimistic-concurrency loop against a real store: a decision whose
// stream moved on is reloaded and retried, a bounded number of times.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "support/test_server.h"
#include "touchline/api/commands.h"
#include "touchline/events/domain_events.h"
#include "touchline/store/event_store.h"

namespace touchline::api {
namespace {

using nlohmann::json;

class CommandServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions o;
    o.path = dir;
    auto s = store::EventStore::open(o);
    ASSERT_TRUE(s.ok());
    log = std::move(*s);
    personal = std::make_unique<store::PersonalData>(*log, std::string(32, 'k'));
    // A coach, and an organisation stream that already exists under the id "taken".
    append(events::AccountRegistered{"coach", "c@x.io", "Coach", "coach"});
    append(events::OrganizationCreated{"taken", "Existing", "athlete-coach", "someone", "head_coach"});
  }
  void TearDown() override {
    log->stop();
    for (auto& t : workers) t.join();
    log.reset();
    std::filesystem::remove_all(dir);
  }

  void append(const events::DomainEvent& e) {
    store::AppendRequest r;
    r.streams.push_back({events::stream_of(e), store::ExpectedVersion::any(),
                         {{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)}}});
    r.metadata = {"test", "c", "c", "c"};
    ASSERT_TRUE(log->append(std::move(r)).ok());
  }

  // Runs one command as `actor` with ids drawn from `ids` (the first is the command id).
  Result<CommandResponse> run(const std::string& name, const json& body, std::vector<std::string> ids,
                              const std::string& actor = "coach") {
    auto next = std::make_shared<std::size_t>(0);
    auto list = std::make_shared<std::vector<std::string>>(std::move(ids));
    // The service outlives the answer: its bookkeeping runs after `done`, on the writer.
    service = std::make_unique<CommandService>(CommandServiceDeps{
        *log, *personal, hasher, [] { return std::int64_t{0}; },
        [this, next, list] {
          ++ids_used;
          std::string id = (*list)[std::min(*next, list->size() - 1)];
          ++*next;
          return id;
        },
        [this](std::function<void()> fn) {
          if (refuse_posts) return false;
          std::lock_guard lock(mu);
          workers.emplace_back(std::move(fn));
          return true;
        },
        [](std::string_view s) { return std::string(s.substr(0, 8)); }, 5, {}, {}});
    std::promise<Result<CommandResponse>> answer;
    service->execute(CommandRequest{name, body, actor, "", "", ""},
                    [&](Result<CommandResponse> r) { answer.set_value(std::move(r)); });
    return answer.get_future().get();
  }

  std::string dir = testing::make_temp_dir("touchline-commands");
  PasswordHasher hasher{{}};
  std::unique_ptr<store::EventStore> log;
  std::unique_ptr<store::PersonalData> personal;
  std::unique_ptr<CommandService> service;  // destroyed after the store's writer and the workers stop
  std::mutex mu;
  std::vector<std::thread> workers;
  std::atomic<int> ids_used{0};
  bool refuse_posts = false;  // as a stopped server's pool does
};

TEST_F(CommandServiceTest, AConflictEveryTimeIsAnsweredConflictAfterFiveAttempts) {
  const auto head = log->head_position();
  auto r = run("CreateOrganization", {{"name", "Club"}}, {"command-1", "taken"});  // always the taken id
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  EXPECT_NE(r.error().message.find("5 times"), std::string::npos);
  EXPECT_EQ(ids_used.load(), 1 + 5);  // the command id, then one organisation id per attempt
  EXPECT_EQ(log->head_position(), head);
}

TEST_F(CommandServiceTest, AConflictOnceIsRetriedAndSucceeds) {
  auto r = run("CreateOrganization", {{"name", "Club"}}, {"command-1", "taken", "fresh"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body["organization_id"], "fresh");
  EXPECT_EQ(ids_used.load(), 1 + 2);
  EXPECT_EQ(log->stream_version("organization-fresh").value(), 1u);
}

TEST_F(CommandServiceTest, ARetryThePoolRefusesIsAnsweredUnavailable) {
  refuse_posts = true;
  auto r = run("CreateOrganization", {{"name", "Club"}}, {"command-1", "taken"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::unavailable);
  EXPECT_EQ(ids_used.load(), 1 + 1);  // one attempt, no retry
}

TEST_F(CommandServiceTest, ACommandThatThrowsIsAnsweredAndTheNextIsDecided) {
  // An organisation whose role model this build does not have: deciding on it throws.
  append(events::OrganizationCreated{"retired", "Old Club", "retired-model", "coach", "head_coach"});
  const json body{{"organization_id", "retired"}, {"athlete_id", "a"}, {"coach_id", "b"}};
  auto first = run("AssignAthlete", body, {"command-1"});
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, ErrorCode::internal);
  auto second = run("AssignAthlete", body, {"command-2"});  // same organisation: must not hang
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::internal);
}

}  // namespace
}  // namespace touchline::api
