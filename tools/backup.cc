#include "backup.h"

#include <iostream>
#include <memory>

#include "progress.h"
#include "touchline/store/backup.h"
#include "touchline/store/event_store.h"
#include "touchline/store/hash_chain.h"
#include "touchline/store/merkle.h"

namespace touchline::tools {
namespace {

std::unique_ptr<store::EventStore> open_read_only(const std::string& dir) {
  store::StoreOptions o;
  o.path = dir;
  o.read_only = true;
  o.create_if_missing = false;
  auto s = store::EventStore::open(o);
  if (!s.ok()) {
    std::cerr << "touchline: cannot open " << dir << ": " << s.error().message << "\n";
    return nullptr;
  }
  return std::move(*s);
}

bool verified(const store::EventStore& log, const std::string& what) {
  Progress progress("verify " + what, "events", log.head_position());
  const auto report = store::verify_log(log, [&](std::uint64_t done) { progress.update(done); });
  progress.finish(report.events_checked);
  if (!report.ok) {
    std::cerr << "touchline: " << what << " fails verification at position " << report.first_bad_position << ": "
              << report.problem << "\n";
  }
  return report.ok;
}

// Copies `from` to `to`, one progress line per part; the report, or an exit code.
int copy(const store::EventStore& from, const std::string& to, store::CopyReport& report) {
  std::unique_ptr<Progress> progress;
  std::string part;
  auto copied = store::copy_data_directory(from, to, [&](const store::CopyProgress& p) {
    if (p.part != part) {
      part = p.part;
      progress = std::make_unique<Progress>("copy " + part, "entries", p.total);
    }
    progress->update(p.done);
  });
  progress.reset();
  if (!copied.ok()) {
    std::cerr << "touchline: " << copied.error().message << "\n";
    return copied.error().field == "to" ? 2 : 1;
  }
  report = *copied;
  return 0;
}

std::string merkle_root_hex(const store::EventStore& log) {
  auto root = log.merkle_root(log.head_position());
  return root.ok() ? store::digest_hex(*root) : "not built yet (" + root.error().message + ")";
}

}  // namespace

int backup(const std::string& data, const std::string& to) {
  auto from = open_read_only(data);
  if (!from) return 1;
  store::CopyReport report;
  if (int code = copy(*from, to, report); code != 0) return code;
  from.reset();

  auto copy_opened = open_read_only(to);
  if (!copy_opened || !verified(*copy_opened, "the backup")) {
    std::cerr << "touchline: the backup at " << to << " is not usable; delete it and run backup again\n";
    return 1;
  }
  std::cout << "backed up " << report.events << " events (" << report.entries << " entries, " << report.bytes
            << " bytes) to " << to << "; hash chain verified, Merkle root " << merkle_root_hex(*copy_opened) << "\n";
  return 0;
}

int restore(const std::string& from, const std::string& data) {
  auto backup_opened = open_read_only(from);
  if (!backup_opened) return 1;
  if (!verified(*backup_opened, "the backup")) {
    std::cerr << "touchline: nothing restored\n";
    return 1;
  }
  store::CopyReport report;
  if (int code = copy(*backup_opened, data, report); code != 0) return code;
  std::cout << "restored " << report.events << " events into " << data << ", Merkle root "
            << merkle_root_hex(*backup_opened) << "; start touchlined --data " << data
            << " (it rebuilds its projections from the log as it starts)\n";
  return 0;
}

}  // namespace touchline::tools
