#include "touchline/store/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <vector>

#include <rocksdb/db.h>

#include "event_store_impl.h"

namespace touchline::store {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBatchBytes = 4 << 20;
constexpr std::uint64_t kProgressEvery = 10'000;

Error copy_error(const std::string& what, const rocksdb::Status& s) {
  return Error::make(ErrorCode::internal, what + ": " + s.ToString());
}

// What a copy holds, in the order it copies them. Every event has one entry in each of the log,
// the stream index and the Merkle tree, so those parts know their size in advance.
struct Part {
  const char* column_family;
  std::string_view name;
  bool one_entry_per_event;
};

constexpr Part kParts[] = {
    {"default", "format version", false},
    {kCfLog, "events", true},
    {kCfStreams, "stream index", true},
    {kCfMerkle, "Merkle tree", true},
    {kCfIdempotency, "idempotency records", false},
    {kCfSecrets, "secrets", false},
};

// The handle `from` opened for `name`: null for the Merkle tree of a log from before it, which a
// read-only open leaves unopened (a primary opening the copy builds it).
rocksdb::ColumnFamilyHandle* source_family(const EventStore::Impl& im, std::string_view name) {
  if (name == "default") return im.cf_default;
  if (name == kCfLog) return im.cf_log;
  if (name == kCfStreams) return im.cf_streams;
  if (name == kCfMerkle) return im.cf_merkle;
  if (name == kCfIdempotency) return im.cf_idempotency;
  return im.cf_secrets;
}

Status sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return Error::make(ErrorCode::internal, "cannot sync the directory " + dir.string());
  }
  ::close(fd);
  return ok_status();
}

// The copy being written: a RocksDB database with every column family a Touchline log has (those
// left out, empty), written without its WAL, since nothing of it counts until it is flushed,
// closed and renamed.
class CopyTarget {
 public:
  // Only after a failure, whose error the caller already has: the partial copy is then removed.
  ~CopyTarget() { (void)close(); }

  Status open(const std::string& path) {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", kCfLog, kCfStreams, kCfIdempotency, kCfSecrets, kCfProjections,
                             kCfSnapshots, kCfMerkle}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    auto s = rocksdb::DB::Open(options, path, families, &handles_, &db_);
    if (!s.ok()) {
      db_ = nullptr;
      return copy_error("cannot create a database at " + path, s);
    }
    return ok_status();
  }

  rocksdb::ColumnFamilyHandle* family(std::string_view name) const {
    for (auto* h : handles_) {
      if (h->GetName() == name) return h;
    }
    return nullptr;
  }

  Status write(rocksdb::WriteBatch& batch) {
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;
    auto s = db_->Write(wo, &batch);
    batch.Clear();
    return s.ok() ? ok_status() : Status(copy_error("cannot write the copy", s));
  }

  // Writes every memtable to table files (RocksDB syncs them and the manifest) and closes.
  Status finish() {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    auto s = db_->Flush(flush, handles_);
    if (!s.ok()) return copy_error("cannot flush the copy", s);
    return close();
  }

  Status close() {
    if (db_ == nullptr) return ok_status();
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    auto s = db_->Close();
    delete db_;
    db_ = nullptr;
    return s.ok() ? ok_status() : Status(copy_error("cannot close the copy", s));
  }

 private:
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace

Result<CopyReport> copy_data_directory(const EventStore& from, const std::string& to,
                                       const std::function<void(const CopyProgress&)>& progress) {
  const fs::path target = fs::absolute(to).lexically_normal();
  const fs::path incomplete = target.string() + ".incomplete";
  std::error_code ec;
  if (fs::exists(target, ec) || ec) {
    return Error::make(ErrorCode::invalid_argument, target.string() + " exists; a copy goes to a new directory", "to");
  }
  if (fs::exists(incomplete, ec) || ec) {
    return Error::make(ErrorCode::invalid_argument,
                       incomplete.string() + " exists: an earlier copy that did not finish; remove it first", "to");
  }
  if (!fs::is_directory(target.parent_path(), ec)) {
    return Error::make(ErrorCode::invalid_argument, "there is no directory " + target.parent_path().string(), "to");
  }

  const auto& im = from.impl();
  struct Cleanup {
    const fs::path& dir;
    bool armed = true;
    ~Cleanup() {
      std::error_code ignored;
      if (armed) fs::remove_all(dir, ignored);
    }
  } cleanup{incomplete};
  auto copied = [&]() -> Result<CopyReport> {
    CopyTarget out;
    if (auto s = out.open(incomplete.string()); !s.ok()) return s.error();

    // A primary keeps writing while we copy: one snapshot holds every part at the same moment.
    // A secondary's view moves only when it catches up, which the caller does not do meanwhile.
    const rocksdb::Snapshot* snapshot = im.options.read_only ? nullptr : im.db->GetSnapshot();
    struct Release {
      rocksdb::DB* db;
      const rocksdb::Snapshot* snapshot;
      ~Release() {
        if (snapshot != nullptr) db->ReleaseSnapshot(snapshot);
      }
    } release{im.db, snapshot};

    CopyReport report;
    std::string head_key;
    for (const Part& part : kParts) {
      rocksdb::ColumnFamilyHandle* source = source_family(im, part.column_family);
      if (source == nullptr) continue;
      rocksdb::ReadOptions ro;
      ro.snapshot = snapshot;
      ro.fill_cache = false;  // a backup passes over the data once; the server's cache stays its own
      ro.readahead_size = 2 << 20;
      std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(ro, source));
      if (part.column_family == std::string_view(kCfLog)) {
        it->SeekToLast();
        if (!it->status().ok()) return copy_error("cannot read the log's head", it->status());
        report.events = it->Valid() ? decode_be64(to_sv(it->key())) : 0;
      }
      const std::uint64_t total = part.one_entry_per_event ? report.events : 0;
      rocksdb::WriteBatch batch;
      std::uint64_t done = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        // In the log, the first key past the head seen above would be an event appended since:
        // with a snapshot or a secondary there is none, but the bound costs nothing.
        if (part.column_family == std::string_view(kCfLog) && decode_be64(to_sv(it->key())) > report.events) break;
        batch.Put(out.family(part.column_family), it->key(), it->value());
        report.bytes += it->key().size() + it->value().size();
        ++done;
        if (batch.GetDataSize() >= kBatchBytes) {
          if (auto s = out.write(batch); !s.ok()) return s.error();
        }
        if (progress && done % kProgressEvery == 0) progress({part.name, done, total});
      }
      if (!it->status().ok()) return copy_error(std::string("cannot read the ") + std::string(part.name), it->status());
      if (batch.Count() > 0) {
        if (auto s = out.write(batch); !s.ok()) return s.error();
      }
      report.entries += done;
      if (progress) progress({part.name, done, total});
    }
    if (auto s = out.finish(); !s.ok()) return s.error();
    return report;
  }();
  if (!copied.ok()) return copied.error();

  if (auto s = sync_directory(incomplete); !s.ok()) return s.error();
  fs::rename(incomplete, target, ec);
  if (ec) {
    return Error::make(ErrorCode::internal, "cannot rename " + incomplete.string() + " to " + target.string() + ": " + ec.message());
  }
  cleanup.armed = false;
  if (auto s = sync_directory(target.parent_path()); !s.ok()) return s.error();
  return copied;
}

}  // namespace touchline::store
