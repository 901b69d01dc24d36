// The fixture the projection tests share: a fresh event store in a temporary directory, a club's
// history appended command by command, and a projection's stored state read back for comparison.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "touchline/events/domain_events.h"
#include "touchline/store/event_store.h"
#include "touchline/store/state_store.h"

namespace touchline::projections::testing {

inline std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "touchline-proj-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  return tmpl;
}

class ProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override {
    log.reset();
    std::filesystem::remove_all(dir);
  }
  void open() {
    store::StoreOptions o;
    o.path = dir;
    o.now_ms = [] { return std::int64_t{1767225600000}; };
    o.env = env;
    auto s = store::EventStore::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    log = std::move(*s);
  }

  void append(const std::vector<events::DomainEvent>& evs, const std::string& actor = "head") {
    store::AppendRequest r;
    for (const auto& e : evs) {
      r.streams.push_back({events::stream_of(e), store::ExpectedVersion::any(),
                           {{std::string(events::event_type(e)), events::event_schema(e),
                             events::event_payload(e)}}});
    }
    r.metadata = {actor, "cmd-" + std::to_string(++commands), "corr", "cmd"};
    auto res = log->append(std::move(r));
    ASSERT_TRUE(res.ok()) << res.error().message;
  }

  // A club built command by command, the way the server would append it.
  void write_history() {
    append({events::AccountRegistered{"head", "h@x.io", "Head", "coach"}, events::EmailClaimed{"h@x.io", "head"},
            events::OrganizationCreated{"org", "Club", "athlete-coach", "head", "head_coach"}}, "head");
    for (int i = 0; i < 30; ++i) {
      const std::string id = "ath" + std::to_string(i);
      append({events::AccountRegistered{id, id + "@x.io", id, "athlete"}}, id);
      append({events::MemberAdded{"org", id, "athlete"}, events::AthleteJoinedOrganization{id, "org"}});
    }
    append({events::AccountRegistered{"asst", "a@x.io", "A", "coach"}}, "asst");
    append({events::MemberAdded{"org", "asst", "assistant_coach"}});
    for (int i = 0; i < 30; i += 3) {
      append({events::AthleteAssigned{"org", "ath" + std::to_string(i), "asst", ""}});
    }
    append({events::BillingDelegationGranted{"org", "asst"}});
  }

  // Every key and value a projection keeps, with its checkpoint and format, for byte-for-byte
  // comparison.
  std::map<std::string, std::string> stored(const std::string& name) {
    std::map<std::string, std::string> out;
    store::StateStore state(*log, name);
    EXPECT_TRUE(state.scan("", [&](std::string_view k, std::string_view v) {
      out.emplace(k, v);
      return true;
    }).ok());
    out["<checkpoint>"] = std::to_string(state.checkpoint().value());
    out["<format>"] = std::to_string(state.format().value());
    return out;
  }

  std::string dir = temp_dir();
  rocksdb::Env* env = nullptr;  // set before open() to inject faults
  std::unique_ptr<store::EventStore> log;
  int commands = 0;
};

}  // namespace touchline::projections::testing
