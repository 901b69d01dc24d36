// A file system that fails on demand, for tests of what the store does when RocksDB's I/O
// fails. RocksDB's own FaultInjectionTestFS is not in Debian's package; this covers what the
// tests need: reads of table files, and writes and syncs of the write-ahead log, that fail from a
// given moment, and syncs of the log that take longer than the disk's.
//
//   FaultFs faults;                     // wraps the local file system
//   StoreOptions o; o.env = faults.env();
//   ... write, close (state reaches table files), reopen ...
//   faults.fail_table_reads(true);      // every later read of a .sst file is an I/O error
//   faults.fail_reads_of({"000012.sst"}); // or only those files' (by name, any directory)
//   faults.fail_wal_syncs(true);        // every later sync of the WAL (.log) fails
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/metadata.h>

#include "support/raw_db.h"

namespace touchline::testing {

class FaultFs {
 public:
  FaultFs() : fs_(std::make_shared<FileSystem>(rocksdb::FileSystem::Default(), state_)),
              env_(rocksdb::NewCompositeEnv(fs_)) {}

  rocksdb::Env* env() const { return env_.get(); }

  // From now on (true) or no longer (false), every read of a table (.sst) file fails with an I/O
  // error, as a failing disk's would. Files already open are affected too.
  void fail_table_reads(bool on) { state_->fail_table_reads = on; }
  // From now on, reads of the table files with these names (no directory) fail.
  void fail_reads_of(std::set<std::string> file_names) {
    std::lock_guard lock(state_->mu);
    state_->failing_files = std::move(file_names);
  }
  // How many reads failed because of it.
  int failed_reads() const { return state_->failed_reads; }

  // From now on (true) or no longer (false), appends to / syncs of the write-ahead log fail with
  // an I/O error, as a full or failing disk's would.
  void fail_wal_writes(bool on) { state_->fail_wal_writes = on; }
  void fail_wal_syncs(bool on) { state_->fail_wal_syncs = on; }
  // Each sync of the write-ahead log first waits this long (a slow disk), so that appends made
  // meanwhile queue up behind it.
  void delay_wal_syncs(std::chrono::milliseconds by) { state_->wal_sync_delay_ms = by.count(); }

 private:
  struct State {
    std::atomic<bool> fail_wal_writes{false};
    std::atomic<bool> fail_wal_syncs{false};
    std::atomic<long long> wal_sync_delay_ms{0};
    std::atomic<bool> fail_table_reads{false};
    std::atomic<int> failed_reads{0};
    std::mutex mu;
    std::set<std::string> failing_files;  // guarded by mu

    bool fails(const std::string& file) {
      if (fail_table_reads) return true;
      std::lock_guard lock(mu);
      return failing_files.contains(file);
    }
  };

  class TableFile final : public rocksdb::FSRandomAccessFileOwnerWrapper {
   public:
    TableFile(std::unique_ptr<rocksdb::FSRandomAccessFile> file, std::string name, std::shared_ptr<State> state)
        : FSRandomAccessFileOwnerWrapper(std::move(file)), name_(std::move(name)), state_(std::move(state)) {}

    rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                           rocksdb::Slice* result, char* scratch,
                           rocksdb::IODebugContext* dbg) const override {
      if (state_->fails(name_)) {
        ++state_->failed_reads;
        return rocksdb::IOStatus::IOError("injected read error");
      }
      return FSRandomAccessFileOwnerWrapper::Read(offset, n, options, result, scratch, dbg);
    }

    rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                                const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (state_->fails(name_)) {
        ++state_->failed_reads;
        for (size_t i = 0; i < num_reqs; ++i) reqs[i].status = rocksdb::IOStatus::IOError("injected read error");
        return rocksdb::IOStatus::IOError("injected read error");
      }
      return FSRandomAccessFileOwnerWrapper::MultiRead(reqs, num_reqs, options, dbg);
    }

   private:
    std::string name_;
    std::shared_ptr<State> state_;
  };

  class WalFile final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    WalFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<State> state)
        : FSWritableFileOwnerWrapper(std::move(file)), state_(std::move(state)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (state_->fail_wal_writes) return rocksdb::IOStatus::IOError("injected WAL write error");
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) override {
      if (state_->fail_wal_writes) return rocksdb::IOStatus::IOError("injected WAL write error");
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (auto s = before_sync(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (auto s = before_sync(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }

   private:
    rocksdb::IOStatus before_sync() const {
      if (const auto ms = state_->wal_sync_delay_ms.load(); ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      }
      if (state_->fail_wal_syncs) return rocksdb::IOStatus::IOError("injected WAL sync error");
      return rocksdb::IOStatus::OK();
    }

    std::shared_ptr<State> state_;
  };

  class FileSystem final : public rocksdb::FileSystemWrapper {
   public:
    FileSystem(const std::shared_ptr<rocksdb::FileSystem>& target, std::shared_ptr<State> state)
        : FileSystemWrapper(target), state_(std::move(state)) {}

    const char* Name() const override { return "TouchlineFaultFs"; }

    rocksdb::IOStatus NewRandomAccessFile(const std::string& name, const rocksdb::FileOptions& options,
                                          std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                          rocksdb::IODebugContext* dbg) override {
      auto s = FileSystemWrapper::NewRandomAccessFile(name, options, result, dbg);
      if (s.ok() && name.size() > 4 && name.compare(name.size() - 4, 4, ".sst") == 0) {
        *result = std::make_unique<TableFile>(std::move(*result), name.substr(name.find_last_of('/') + 1), state_);
      }
      return s;
    }

    rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
      auto s = FileSystemWrapper::NewWritableFile(name, options, result, dbg);
      if (s.ok() && name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0) {
        *result = std::make_unique<WalFile>(std::move(*result), state_);
      }
      return s;
    }

   private:
    std::shared_ptr<State> state_;
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();  // first: fs_ is built from it
  std::shared_ptr<rocksdb::FileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

// The names of the table files that hold `column_family` in the (closed) database at `path`, to
// fail only its reads. Opening it first recovers whatever its WAL holds into table files.
inline std::set<std::string> table_files_of(const std::string& path, const std::string& column_family) {
  RawDb raw(path);
  std::vector<rocksdb::LiveFileMetaData> files;
  raw.db()->GetLiveFilesMetaData(&files);
  std::set<std::string> out;
  for (const auto& f : files) {
    if (f.column_family_name == column_family) out.insert(f.name.substr(f.name.find_last_of('/') + 1));
  }
  return out;
}

}  // namespace touchline::testing
