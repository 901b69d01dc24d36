// The password hasher's pool: answers, refusals when full or stopped, and where answers run.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "touchline/api/auth.h"
#include "touchline/api/password_hasher.h"

namespace touchline::api {
namespace {

TEST(PasswordHasher, HashesAndVerifiesOnItsOwnThreads) {
  PasswordHasher hasher({.threads = 1, .max_queued = 4, .cost = {}});
  std::promise<Result<std::string>> hashed;
  std::thread::id hashed_on;
  hasher.hash("correct horse battery", [&](Result<std::string> r) {
    hashed_on = std::this_thread::get_id();
    hashed.set_value(std::move(r));
  });
  auto hash = hashed.get_future().get();
  ASSERT_TRUE(hash.ok());
  EXPECT_NE(hashed_on, std::this_thread::get_id());
  EXPECT_TRUE(verify_password(*hash, "correct horse battery"));

  for (const auto& [password, expected] : {std::pair{"correct horse battery", true}, {"wrong horse", false}}) {
    std::promise<Result<bool>> checked;
    hasher.verify(*hash, password, [&](Result<bool> r) { checked.set_value(std::move(r)); });
    auto r = checked.get_future().get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, expected) << password;
  }
}

// The cost is written into the hash: the service's own by default, libsodium's minimum when
// asked (as the in-process test servers ask), and each hash verified at its own cost.
TEST(PasswordHasher, HashesAtItsCostAndVerifiesAHashAtTheCostWrittenInIt) {
  const auto hash_with = [](PasswordHasher& hasher) {
    std::promise<Result<std::string>> hashed;
    hasher.hash("correct horse battery", [&](Result<std::string> r) { hashed.set_value(std::move(r)); });
    return hashed.get_future().get();
  };
  PasswordHasher service({});
  PasswordHasher cheapest({.cost = PasswordCost::cheapest()});
  auto costly = hash_with(service);
  auto cheap = hash_with(cheapest);
  ASSERT_TRUE(costly.ok());
  ASSERT_TRUE(cheap.ok());
  EXPECT_NE(costly->find("$m=65536,t=2,"), std::string::npos) << *costly;
  EXPECT_NE(cheap->find("$m=8,t=1,"), std::string::npos) << *cheap;
  for (const auto& hash : {*costly, *cheap}) {
    std::promise<Result<bool>> checked;
    cheapest.verify(hash, "correct horse battery", [&](Result<bool> r) { checked.set_value(std::move(r)); });
    auto r = checked.get_future().get();
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(*r) << hash;
  }
}

TEST(PasswordHasher, NoAccountsHashIsAMismatchAfterARealCheck) {
  PasswordHasher hasher({});
  std::promise<Result<bool>> checked;
  hasher.verify("", "any password", [&](Result<bool> r) { checked.set_value(std::move(r)); });
  auto r = checked.get_future().get();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

TEST(PasswordHasher, AFullQueueIsRefusedAtOnceOnTheCallersThread) {
  PasswordHasher hasher({.threads = 1, .max_queued = 1, .cost = {}});
  std::promise<void> running, release;
  auto released = release.get_future().share();
  hasher.hash("first", [&](Result<std::string>) {
    running.set_value();
    released.wait();  // holds the only thread
  });
  running.get_future().wait();
  std::promise<Result<std::string>> second;
  hasher.hash("second", [&](Result<std::string> r) { second.set_value(std::move(r)); });  // queued

  bool refused = false;
  hasher.hash("third", [&](Result<std::string> r) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::unavailable);
    refused = true;
  });
  EXPECT_TRUE(refused);  // before hash() returned
  release.set_value();
  EXPECT_TRUE(second.get_future().get().ok());
}

TEST(PasswordHasher, StopFinishesWhatIsQueuedAndRefusesTheRest) {
  PasswordHasher hasher({.threads = 1, .max_queued = 8, .cost = PasswordCost::cheapest()});
  std::atomic<int> answered{0};
  for (int i = 0; i < 3; ++i) hasher.hash("password " + std::to_string(i), [&](Result<std::string> r) {
    EXPECT_TRUE(r.ok());
    ++answered;
  });
  hasher.stop();
  EXPECT_EQ(answered.load(), 3);
  bool refused = false;
  hasher.verify("x", "y", [&](Result<bool> r) { refused = !r.ok() && r.error().code == ErrorCode::unavailable; });
  EXPECT_TRUE(refused);
}

}  // namespace
}  // namespace touchline::api
