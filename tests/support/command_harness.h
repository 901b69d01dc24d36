// The write side without HTTP: a real EventStore in a fresh directory, a CommandService over it
// and a small pool for its continuations, as the server wires them. For tests that drive
// commands directly, reopen the store as a restarted server would, and count what it reads.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "support/test_server.h"
#include "touchline/api/auth.h"
#include "touchline/api/commands.h"
#include "touchline/events/domain_events.h"
#include "touchline/store/event_store.h"

namespace touchline::testing {

// Runs posted continuations on two threads, like the server's pool; stop() drains and joins.
class WorkPool {
 public:
  WorkPool() {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { run(); });
  }
  ~WorkPool() { stop(); }

  bool post(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
      queue_.push_back(std::move(fn));
    }
    cv_.notify_one();
    return true;
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class CommandHarness {
 public:
  using StaffOrganizations = std::function<Result<std::vector<std::string>>(const std::string& account_id)>;

  // `sync`: whether appends wait for fsync (tests of durability only need it).
  // `staff_organizations`: DowngradeToAthlete's read (default: the account is on no staff).
  explicit CommandHarness(api::commands::AggregateCacheOptions cache = {}, bool sync = false,
                          StaffOrganizations staff_organizations = {})
      : dir_(make_temp_dir("touchline-commands")),
        sync_(sync),
        cache_(std::move(cache)),
        staff_organizations_(std::move(staff_organizations)) {
    if (!staff_organizations_) {
      staff_organizations_ = [](const std::string&) -> Result<std::vector<std::string>> {
        return std::vector<std::string>{};
      };
    }
    open();
  }
  ~CommandHarness() {
    close();
    std::filesystem::remove_all(dir_);
  }

  // Stops as a killed server would: nothing written at shutdown beyond what is durable.
  void close() {
    if (!log_) return;
    pool_->stop();
    log_->stop();
    service_.reset();
    pool_.reset();
    log_.reset();
  }
  // Stops as a server does on SIGTERM: the cache's snapshots are written last.
  void close_cleanly() {
    pool_->stop();
    log_->stop();
    ASSERT_TRUE(service_->write_snapshots().ok());
    close();
  }
  void reopen() {
    close();
    open();
  }

  store::EventStore& log() { return *log_; }
  store::PersonalData& personal() { return *personal_; }
  api::CommandService& service() { return *service_; }
  const std::string& dir() const { return dir_; }

  Result<api::CommandResponse> run(const std::string& name, nlohmann::json body, const std::string& actor,
                                   const std::string& key = "", const std::string& correlation = "") {
    std::promise<Result<api::CommandResponse>> answer;
    auto done = [&](Result<api::CommandResponse> r) { answer.set_value(std::move(r)); };
    api::CommandRequest req{name, std::move(body), actor, correlation, key, "192.0.2.1"};
    if (name == "RecordAction") {
      service_->record_action(std::move(req), done);
    } else {
      service_->execute(std::move(req), done);
    }
    return answer.get_future().get();
  }

  // Appends events as they are, behind the command service's back (setup, or another writer).
  void append(const std::vector<events::DomainEvent>& history) {
    for (const auto& e : history) {
      store::AppendRequest r;
      r.streams.push_back({events::stream_of(e), store::ExpectedVersion::any(),
                           {{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)}}});
      r.metadata = {"setup", "setup", "setup", "setup"};
      ASSERT_TRUE(log_->append(std::move(r)).ok());
    }
  }

 private:
  void open() {
    store::StoreOptions o;
    o.path = dir_;
    o.sync = sync_;
    auto s = store::EventStore::open(o);
    if (!s.ok()) throw std::runtime_error("cannot open the store: " + s.error().message);
    log_ = std::move(*s);
    pool_ = std::make_unique<WorkPool>();
    personal_ = std::make_unique<store::PersonalData>(*log_, std::string(32, 'k'));
    api::CommandServiceDeps deps{
        .log = *log_,
        .personal = *personal_,
        .hasher = hasher_,
        .now_ms = [] { return std::int64_t{1'700'000'000'000}; },
        .new_id = api::random_id,
        .post = [pool = pool_.get()](std::function<void()> fn) { return pool->post(std::move(fn)); },
        .fingerprint = [](std::string_view s) { return api::sha256_hex(s); },
        .staff_organizations = staff_organizations_,
        .cache = cache_,
    };
    service_ = std::make_unique<api::CommandService>(std::move(deps));
  }

  std::string dir_;
  bool sync_;
  api::commands::AggregateCacheOptions cache_;
  StaffOrganizations staff_organizations_;
  api::PasswordHasher hasher_{{}};
  std::unique_ptr<store::EventStore> log_;
  std::unique_ptr<store::PersonalData> personal_;
  std::unique_ptr<WorkPool> pool_;
  std::unique_ptr<api::CommandService> service_;
};

}  // namespace touchline::testing
