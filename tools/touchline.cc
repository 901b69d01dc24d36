// touchline: operator tool over a Touchline data directory.
//
//   touchline dump    --data DIR [--after N] [--limit N]   the log as NDJSON, one envelope a line
//   touchline verify  --data DIR                           check the hash chain; exit 1 at a bad event
//   touchline rebuild --data DIR --projection NAME|all     replay a projection from position 0
//
// dump and verify open the directory read-only and work beside a running server. rebuild writes
// projection state, so it needs the server stopped (RocksDB's lock says so if it is not).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "touchline/projections/audit_projection.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/projections/runner.h"
#include "touchline/store/event_store.h"
#include "touchline/store/hash_chain.h"
#include "touchline/store/state_store.h"

namespace {

using namespace touchline;

int usage() {
  std::cerr << "usage:\n"
               "  touchline dump    --data DIR [--after N] [--limit N]\n"
               "  touchline verify  --data DIR\n"
               "  touchline rebuild --data DIR --projection permissions|audit|all\n";
  return 2;
}

std::unique_ptr<store::EventStore> open_store(const std::string& dir, bool read_only) {
  store::StoreOptions o;
  o.path = dir;
  o.read_only = read_only;
  o.create_if_missing = false;  // a mistyped path is an error, not a new empty log
  auto s = store::EventStore::open(o);
  if (!s.ok()) {
    std::cerr << "touchline: cannot open " << dir << ": " << s.error().message << "\n";
    if (!read_only) std::cerr << "touchline: rebuild writes; stop the server using " << dir << " first\n";
    std::exit(1);
  }
  return std::move(*s);
}

int dump(store::EventStore& log, std::uint64_t after, std::uint64_t limit) {
  std::uint64_t written = 0;
  while (written < limit) {
    auto page = log.read_all(after, std::min<std::uint64_t>(1000, limit - written));
    if (!page.ok()) {
      std::cerr << "touchline: " << page.error().message << "\n";
      return 1;
    }
    if (page->empty()) break;
    for (const auto& e : *page) std::cout << events::to_json(e).dump() << "\n";
    written += page->size();
    after = page->back().position;
  }
  std::cerr << "dumped " << written << " events\n";
  return 0;
}

int verify(store::EventStore& log) {
  const std::uint64_t total = log.head_position();
  auto report = store::verify_log(log, [total](std::uint64_t done) {
    std::cerr << "verified " << done << " of " << total << " events\n";
  });
  if (report.ok) {
    std::cout << "ok: " << report.events_checked << " events, hash chain intact\n";
    return 0;
  }
  std::cout << "BAD at position " << report.first_bad_position << ": " << report.problem << " ("
            << report.events_checked << " events checked before it)\n";
  return 1;
}

int rebuild(store::EventStore& log, const std::string& which) {
  if (which != "permissions" && which != "audit" && which != "all") return usage();
  projections::PermissionProjection permissions;
  store::StateStore audit_state(log, projections::AuditProjection::kName);
  projections::AuditProjection audit(audit_state);
  int rc = 0;
  for (projections::Projection* p :
       {static_cast<projections::Projection*>(&permissions), static_cast<projections::Projection*>(&audit)}) {
    if (which != "all" && which != p->name()) continue;
    projections::ProjectionRunner runner(log, *p);
    const auto started = std::chrono::steady_clock::now();
    auto st = runner.rebuild([&](std::uint64_t done, std::uint64_t total) {
      std::cerr << "rebuilding " << p->name() << ": " << done << " of " << total << " events\n";
    });
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started).count();
    if (!st.ok()) {
      std::cerr << "touchline: rebuilding " << p->name() << " failed: " << st.error().message << "\n";
      rc = 1;
    } else {
      std::cout << "rebuilt " << p->name() << " to position " << runner.position() << " in " << ms
                << " ms\n";
    }
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string command = argv[1];
  std::map<std::string, std::string> opts;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0) return usage();
    opts[flag.substr(2)] = argv[i + 1];
  }
  if ((argc - 2) % 2 != 0 || !opts.count("data")) return usage();
  auto number = [&](const char* key, std::uint64_t fallback) -> std::uint64_t {
    if (!opts.count(key)) return fallback;
    const std::string& v = opts[key];
    char* end = nullptr;
    const auto n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || v[0] == '-' || *end != '\0') {
      std::cerr << "touchline: --" << key << " must be a non-negative integer, not '" << v << "'\n";
      std::exit(2);
    }
    return n;
  };

  if (command == "dump") {
    auto log = open_store(opts["data"], true);
    return dump(*log, number("after", 0), number("limit", UINT64_MAX));
  }
  if (command == "verify") {
    auto log = open_store(opts["data"], true);
    return verify(*log);
  }
  if (command == "rebuild") {
    if (!opts.count("projection")) return usage();
    auto log = open_store(opts["data"], false);
    return rebuild(*log, opts["projection"]);
  }
  return usage();
}
