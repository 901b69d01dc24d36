// A Touchline data directory opened with RocksDB directly, every column family, for tests that
// inspect or tamper with what the store keeps (the store's own API never gives such access).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <rocksdb/db.h>

namespace touchline::testing {

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
  const std::vector<rocksdb::ColumnFamilyHandle*>& column_families() const { return handles_; }
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

}  // namespace touchline::testing
