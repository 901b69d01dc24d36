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

// The database opened directly with every column family, for a test to inspect or tamper with.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    std::vector<std::string> names;
    rocksdb::DBOptions o;
    auto s = rocksdb::DB::ListColumnFamilies(o, path, &names);
    if (!s.ok()) throw std::runtime_error(s.ToString());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    s = rocksdb::DB::Open(o, path, cfs, &handles_, &db_);
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }
  ~RawDb() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close().PermitUncheckedError();
    delete db_;
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  rocksdb::DB* db() { return db_; }
  rocksdb::ColumnFamilyHandle* cf(const std::string& name) {
    for (auto* h : handles_) {
      if (h->GetName() == name) return h;
    }
    throw std::runtime_error("no column family " + name);
  }
  std::string get(const std::string& cf_name, const std::string& key) {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), cf(cf_name), key, &v);
    if (!s.ok()) throw std::runtime_error(s.ToString());
    return v;
  }
  void put(const std::string& cf_name, const std::string& key, const std::string& value) {
    auto s = db_->Put(rocksdb::WriteOptions(), cf(cf_name), key, value);
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }
  void del(const std::string& cf_name, const std::string& key) {
    auto s = db_->Delete(rocksdb::WriteOptions(), cf(cf_name), key);
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }

 private:
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace touchline::store::testing
