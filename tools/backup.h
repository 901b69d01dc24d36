// `touchline backup` and `touchline restore` (docs/OPERATIONS.md, "Backup and restore").
#pragma once

#include <string>

namespace touchline::tools {

// Copies the log at `data` (a server may be running on it: the directory is opened read-only, as a
// RocksDB secondary) into a new data directory `to` (store/backup.h says what a copy holds), then
// opens the copy and verifies its hash chain. Prints progress to stderr and a summary (events,
// Merkle root) to stdout. Returns the exit code: 0 done and verified; 1 failed, naming why (no
// directory `to` is left behind); 2 when `to` exists.
int backup(const std::string& data, const std::string& to);

// Verifies the backup at `from` (its hash chain, read-only: the backup is never changed) and copies
// it into a new data directory `data`, for a server to open; the server rebuilds its projections
// from the log as it starts. Returns the exit code: 0 restored; 1 when the backup fails
// verification or the copy fails (nothing is left at `data`); 2 when `data` exists.
int restore(const std::string& from, const std::string& data);

}  // namespace touchline::tools
