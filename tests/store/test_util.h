// Helpers shared by the store tests: temporary directories, requests, and raw access to the
// RocksDB database behind a closed store (for tampering with stored bytes).
#pragma once

#include <stdlib.h>  // mkdtemp

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "support/raw_db.h"
#include "touchline/store/event_store.h"

namespace touchline::store::testing {

class TempDir {
 public:
  TempDir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "touchline-store-test-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline constexpr std::int64_t kFixedNow = 1'700'000'000'000;

inline StoreOptions options_for(const std::string& path, bool sync = true) {
  StoreOptions o;
  o.path = path;
  o.sync = sync;
  o.now_ms = [] { return kFixedNow; };
  return o;
}

inline std::unique_ptr<EventStore> open_store(const StoreOptions& o) {
  auto r = EventStore::open(o);
  if (!r.ok()) {
    ADD_FAILURE() << "open failed: " << r.error().message;
    return nullptr;
  }
  return std::move(r).value();
}

inline NewEvent ev(const std::string& type, nlohmann::json payload = nlohmann::json::object()) {
  return NewEvent{type, 1, std::move(payload)};
}

inline AppendRequest one(const std::string& stream, ExpectedVersion expected,
                         std::vector<NewEvent> events) {
  AppendRequest r;
  r.streams.push_back(StreamAppend{stream, expected, std::move(events)});
  r.metadata.actor = "tester";
  r.metadata.command_id = "cmd";
  return r;
}

// The position encoding of docs/LOG_FORMAT.md, written out independently of the store.
inline std::string be64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

using touchline::testing::RawDb;

}  // namespace touchline::store::testing
