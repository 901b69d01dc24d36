// A file system that fails on demand, for tests of what the store does when RocksDB's I/O
// fails. RocksDB's own FaultInjectionTestFS is not in Debian's package; this covers what the
// tests need: reads of table files, and writes and syncs of the write-ahead log, that fail from a
// given moment; syncs of the log that take longer than the disk's; and a power loss, after which
// every file holds only what was synced.
//
//   FaultFs faults;                     // wraps the local file system
//   StoreOptions o; o.env = faults.env();
//   ... write, close (state reaches table files), reopen ...
//   faults.fail_table_reads(true);      // every later read of a .sst file is an I/O error
//   faults.fail_reads_of({"000012.sst"}); // or only those files' (by name, any directory)
//   faults.fail_wal_syncs(true);        // every later sync of the WAL (.log) fails
//
//   faults.lose_power();                // every later write and sync fails...
//   store.reset();                      // ...so closing it adds nothing to the disk
//   faults.drop_unsynced_data();        // each file cut back to its last sync: power is back
//
// The power loss is per file, as RocksDB's FaultInjectionTestFS does it: bytes appended since a
// file's last Sync/Fsync are dropped (a file never synced ends up empty). It does not drop files
// whose directory entry was not synced, nor tear a sector in half.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
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

  // The power goes: from now on every write and sync through this file system fails, whatever
  // the process does next (close the store before drop_unsynced_data()).
  void lose_power() { state_->powered = false; }
  // The power is back: each file written through this file system is cut back to the bytes it
  // held at its last sync, and writes work again. Returns how many bytes were dropped.
  std::uint64_t drop_unsynced_data() {
    std::lock_guard lock(state_->mu);
    std::uint64_t dropped = 0;
    for (auto& [name, sizes] : state_->files) {
      std::error_code ec;
      const auto on_disk = std::filesystem::file_size(name, ec);
      if (ec) continue;  // deleted since
      if (on_disk > sizes.synced) {
        dropped += on_disk - sizes.synced;
        std::filesystem::resize_file(name, sizes.synced);
      }
      sizes.written = sizes.synced;
    }
    state_->powered = true;
    return dropped;
  }

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
    std::atomic<bool> powered{true};
    std::mutex mu;
    std::set<std::string> failing_files;  // guarded by mu
    struct Sizes {
      std::uint64_t written = 0, synced = 0;
    };
    std::map<std::string, Sizes> files;  // every file opened for writing, by path; guarded by mu

    void appended(const std::string& file, std::uint64_t bytes) {
      std::lock_guard lock(mu);
      files[file].written += bytes;
    }
    void synced(const std::string& file) {
      std::lock_guard lock(mu);
      auto& sizes = files[file];
      sizes.synced = sizes.written;
    }

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

  // Every file RocksDB writes: its appended and synced bytes are counted for a power loss; the
  // write-ahead log's (.log) also fail or slow down on demand.
  class WrittenFile final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    WrittenFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string path, std::shared_ptr<State> state)
        : FSWritableFileOwnerWrapper(std::move(file)),
          path_(std::move(path)),
          wal_(path_.size() > 4 && path_.compare(path_.size() - 4, 4, ".log") == 0),
          state_(std::move(state)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (auto s = before_write(); !s.ok()) return s;
      auto s = FSWritableFileOwnerWrapper::Append(data, options, dbg);
      if (s.ok()) state_->appended(path_, data.size());
      return s;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) override {
      if (auto s = before_write(); !s.ok()) return s;
      auto s = FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
      if (s.ok()) state_->appended(path_, data.size());
      return s;
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (auto s = before_sync(); !s.ok()) return s;
      auto s = FSWritableFileOwnerWrapper::Sync(options, dbg);
      if (s.ok()) state_->synced(path_);
      return s;
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (auto s = before_sync(); !s.ok()) return s;
      auto s = FSWritableFileOwnerWrapper::Fsync(options, dbg);
      if (s.ok()) state_->synced(path_);
      return s;
    }

   private:
    rocksdb::IOStatus before_write() const {
      if (!state_->powered) return rocksdb::IOStatus::IOError("injected power loss");
      if (wal_ && state_->fail_wal_writes) return rocksdb::IOStatus::IOError("injected WAL write error");
      return rocksdb::IOStatus::OK();
    }
    rocksdb::IOStatus before_sync() const {
      if (!state_->powered) return rocksdb::IOStatus::IOError("injected power loss");
      if (!wal_) return rocksdb::IOStatus::OK();
      if (const auto ms = state_->wal_sync_delay_ms.load(); ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      }
      if (state_->fail_wal_syncs) return rocksdb::IOStatus::IOError("injected WAL sync error");
      return rocksdb::IOStatus::OK();
    }

    std::string path_;
    bool wal_;
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
      if (!state_->powered) return rocksdb::IOStatus::IOError("injected power loss");
      auto s = FileSystemWrapper::NewWritableFile(name, options, result, dbg);
      if (s.ok()) {
        {
          std::lock_guard lock(state_->mu);
          state_->files[name] = {};  // created empty, or truncated to empty
        }
        *result = std::make_unique<WrittenFile>(std::move(*result), name, state_);
      }
      return s;
    }

    // A renamed file keeps what it had synced (RocksDB writes CURRENT as a synced temporary
    // file renamed into place).
    rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to, const rocksdb::IOOptions& options,
                                 rocksdb::IODebugContext* dbg) override {
      if (!state_->powered) return rocksdb::IOStatus::IOError("injected power loss");
      auto s = FileSystemWrapper::RenameFile(from, to, options, dbg);
      if (s.ok()) {
        std::lock_guard lock(state_->mu);
        if (auto it = state_->files.find(from); it != state_->files.end()) {
          state_->files[to] = it->second;
          state_->files.erase(it);
        }
      }
      return s;
    }

    rocksdb::IOStatus DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                                 rocksdb::IODebugContext* dbg) override {
      if (!state_->powered) return rocksdb::IOStatus::IOError("injected power loss");
      auto s = FileSystemWrapper::DeleteFile(name, options, dbg);
      if (s.ok()) {
        std::lock_guard lock(state_->mu);
        state_->files.erase(name);
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
