// touchline: operator tool over a Touchline data directory.
//
//   touchline dump    --data DIR [--after N] [--limit N]   the log as NDJSON, one envelope a line
//   touchline verify  --data DIR                           check the hash chain; exit 1 at a bad event
//   touchline export  --data DIR --to FILE                 the log and a signed tree head, in one file
//   touchline verify  --file FILE [--public-key HEX]       check an export, offline: chain, tree, signature
//   touchline check   --file FILE [--at-position N | --at-time T] --organization ORG --subject ACCOUNT
//                     --permission P [--target ACCOUNT]     a check, offline, as the log stood then
//   touchline organization --file FILE [--at-position N | --at-time T] --organization ORG
//                                                          an organisation's state, offline, as it stood then
//   touchline rebuild --data DIR --projection NAME|all     replay a projection from position 0
//   touchline drop-snapshots --data DIR                    delete the write side's snapshots
//   touchline rebuild-merkle --data DIR                    delete the log's Merkle tree and build it again
//   touchline migrate --data DIR --to NEW                  copy a log from before sealing, sealing
//                                                          its personal data (docs/OPERATIONS.md)
//   touchline backup  --data DIR --to NEW                  copy the log (beside a running server) and verify the copy
//   touchline restore --from BACKUP --data NEW             verify a backup and copy it into a new data directory
//   touchline roles-doc                                    docs/roles.md, from the role models
//
// dump, verify, export, migrate and backup open the directory read-only and work beside a running server. rebuild,
// drop-snapshots and rebuild-merkle write, so they need the server stopped (RocksDB's lock says so if it is not).
// verify --file, check and organization read only the file (run verify --file on it first: they
// answer from what the file says). Times (--at-time) are Unix milliseconds or RFC 3339 in UTC.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backup.h"
#include "migrate.h"
#include "progress.h"
#include "touchline/domain/role_model.h"
#include "touchline/domain/times.h"
#include "touchline/projections/permission_history.h"
#include "touchline/projections/audit_projection.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/projections/runner.h"
#include "touchline/store/event_store.h"
#include "touchline/store/export.h"
#include "touchline/store/hash_chain.h"
#include "touchline/store/state_store.h"

namespace {

using namespace touchline;

int usage() {
  std::cerr << "usage:\n"
               "  touchline dump    --data DIR [--after N] [--limit N]\n"
               "  touchline verify  --data DIR\n"
               "  touchline export  --data DIR --to FILE\n"
               "  touchline verify  --file FILE [--public-key HEX]\n"
               "  touchline check   --file FILE [--at-position N | --at-time T] --organization ORG --subject ACCOUNT\n"
               "                    --permission P [--target ACCOUNT]\n"
               "  touchline organization --file FILE [--at-position N | --at-time T] --organization ORG\n"
               "  touchline rebuild --data DIR --projection permissions|audit|all\n"
               "  touchline drop-snapshots --data DIR\n"
               "  touchline rebuild-merkle --data DIR\n"
               "  touchline migrate --data DIR --to NEW\n"
               "  touchline backup  --data DIR --to NEW\n"
               "  touchline restore --from BACKUP --data NEW\n"
               "  touchline roles-doc\n";
  return 2;
}

std::unique_ptr<store::EventStore> open_store(const std::string& dir, bool read_only,
                                              bool rebuild_merkle_tree = false) {
  store::StoreOptions o;
  o.path = dir;
  o.read_only = read_only;
  o.rebuild_merkle_tree = rebuild_merkle_tree;
  o.create_if_missing = false;  // a mistyped path is an error, not a new empty log
  o.notice = [](const std::string& line) { std::cerr << "touchline: " << line << "\n"; };
  auto s = store::EventStore::open(o);
  if (!s.ok()) {
    std::cerr << "touchline: cannot open " << dir << ": " << s.error().message << "\n";
    if (!read_only) std::cerr << "touchline: this command writes; stop the server using " << dir << " first\n";
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
  tools::Progress progress("verify", "events", log.head_position());
  auto report = store::verify_log(log, [&](std::uint64_t done) { progress.update(done); });
  progress.finish(report.events_checked);
  if (report.ok) {
    std::cout << "ok: " << report.events_checked << " events, hash chain intact\n";
    return 0;
  }
  std::cout << "BAD at position " << report.first_bad_position << ": " << report.problem << " ("
            << report.events_checked << " events checked before it)\n";
  return 1;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int export_file(store::EventStore& log, const std::string& to) {
  auto seed = log.read_secret("tree_head_signing_key");
  if (!seed.ok()) {
    std::cerr << "touchline: " << seed.error().message << "\n";
    return 1;
  }
  if (!*seed) {
    std::cerr << "touchline: the data directory has no tree head signing key yet: start touchlined on it once\n";
    return 1;
  }
  const store::TreeHeadSigner signer(**seed);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::cerr << "touchline: cannot write " << to << "\n";
    return 1;
  }
  tools::Progress progress("export", "events", log.head_position());
  auto head = store::export_log(log, signer, now_ms(), out, [&](std::uint64_t done) { progress.update(done); });
  if (head.ok()) progress.finish(head->head.size);
  if (!head.ok()) {
    std::cerr << "touchline: " << head.error().message << "\n";
    return 1;
  }
  std::cout << "exported " << head->head.size << " events to " << to << ", Merkle root "
            << store::digest_hex(head->head.root) << ", signed by " << store::public_key_hex(signer.public_key())
            << "\n";
  return 0;
}

int verify_file(const std::string& path, const std::optional<std::string>& public_key) {
  std::optional<store::Ed25519PublicKey> key;
  if (public_key) {
    store::Ed25519PublicKey k{};
    if (!store::parse_public_key_hex(*public_key, k)) {
      std::cerr << "touchline: --public-key must be 64 hex digits\n";
      return 2;
    }
    key = k;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "touchline: cannot read " << path << "\n";
    return 1;
  }
  tools::Progress progress("verify " + path, "events", 0);
  auto report = store::verify_export(in, key, [&](std::uint64_t done) { progress.update(done); });
  progress.finish(report.events_checked);
  if (!report.ok) {
    std::cout << "BAD at position " << report.first_bad_position << ": " << report.problem << " ("
              << report.events_checked << " events checked before it)\n";
    return 1;
  }
  std::cout << "ok: " << report.events_checked << " events, hash chain intact, Merkle root "
            << store::digest_hex(report.head->head.root) << " signed at " << report.head->head.timestamp_ms
            << " by " << store::public_key_hex(report.public_key)
            << (report.key_from_file ? " (the key the file names: pass --public-key to check it is the one you hold)"
                                     : "")
            << "\n";
  return 0;
}

int rebuild(store::EventStore& log, const std::string& which) {
  if (which != "permissions" && which != "audit" && which != "all") return usage();
  projections::PermissionProjection permissions;
  store::StateStore audit_state(log, projections::AuditProjection::kName);
  projections::AuditProjection audit(audit_state, log);
  // Every projection asked for, rebuilt in one pass over the log (each event read and decoded once).
  std::vector<std::unique_ptr<projections::ProjectionRunner>> runners;
  std::vector<projections::ProjectionRunner*> chosen;
  std::vector<std::string> chosen_names;
  std::string names;
  for (projections::Projection* p :
       {static_cast<projections::Projection*>(&permissions), static_cast<projections::Projection*>(&audit)}) {
    if (which != "all" && which != p->name()) continue;
    projections::RunnerOptions options;
    options.batch_size = 4096;  // larger than a live runner's: fewer commits, each read ahead worth a thread
    runners.push_back(std::make_unique<projections::ProjectionRunner>(log, *p, options));
    chosen.push_back(runners.back().get());
    chosen_names.push_back(p->name());
    names += (names.empty() ? "" : " and ") + p->name();
  }
  const auto started = std::chrono::steady_clock::now();
  tools::Progress progress("rebuild " + names, "events", log.head_position());
  auto st = projections::ProjectionRunner::rebuild_together(chosen, [&](std::uint64_t done, std::uint64_t) {
    progress.update(done);
  });
  if (st.ok()) progress.finish(log.head_position());
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (!st.ok()) {
    std::cerr << "touchline: rebuilding " << names << " failed: " << st.error().message << "\n";
    return 1;
  }
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    std::cout << "rebuilt " << chosen_names[i] << " to position " << chosen[i]->position() << "\n";
  }
  std::cout << "in " << ms << " ms, in one pass over the log\n";
  return 0;
}

// docs/roles.md: each built-in model's matrix, rendered from the same description the API serves.
int roles_doc() {
  std::cout << "# Touchline's role models\n\n"
               "Generated by `touchline roles-doc` from `domain/models/*.json`; do not edit by hand (the\n"
               "`roles_doc_is_fresh` test fails when this file and the models disagree). The same data is\n"
               "served by `GET /v1/role-models/{id}`.\n\n"
               "A cell is the scope a role holds the permission with: `own` (on themself), `assigned` (on\n"
               "themself and the athletes assigned to them), `all` (on any member); `-` where the role lacks it.\n";
  for (const auto& id : domain::role_model_ids()) {
    const nlohmann::json m = domain::describe_role_model(*domain::find_role_model(id));
    std::cout << "\n## `" << id << "` (version " << m["version"].get<int>() << ")\n\n"
              << m["label"].get<std::string>() << "\n\n";
    std::cout << "Roles:";
    const char* separator = " ";
    for (const auto& r : m["roles"]) {
      std::cout << separator << "`" << r["name"].get<std::string>() << "` (" << r["label"].get<std::string>();
      separator = ", ";
      if (r["founder"].get<bool>()) std::cout << "; the creator's role";
      if (r["unique"].get<bool>()) std::cout << "; one per organisation";
      std::cout << ")";
    }
    std::cout << ".\n";
    if (m["min_tier"] != "free") {
      std::cout << "\nNeeds the `" << m["min_tier"].get<std::string>()
                << "` tier or above: below it, no role holds anything.\n";
    }
    for (const auto& [name, s] : m["settings"].items()) {
      std::cout << "\nSetting `" << name << "` (default " << (s["default"].get<bool>() ? "on" : "off")
                << (s.contains("min_tier") ? "; `" + s["min_tier"].get<std::string>() + "` tier and above" : "")
                << "): " << s["description"].get<std::string>() << ".\n";
    }
    for (const auto& [name, g] : m["member_grants"].items()) {
      std::cout << "\nGrant `" << name << "`: " << g["description"].get<std::string>() << ". Gives `"
                << g["permission"].get<std::string>() << "` (" << g["scope"].get<std::string>()
                << ") to a member holding";
      const char* separator = " ";
      for (const auto& r : g["to_roles"]) {
        std::cout << separator << "`" << r.get<std::string>() << "`";
        separator = " or ";
      }
      std::cout << "; given by whoever holds `" << g["granted_with"].get<std::string>() << "`.\n";
    }
    if (!m["custom_roles"].is_null()) {
      std::cout << "\nCustom roles: defined with `" << m["custom_roles"]["defined_with"].get<std::string>()
                << "`, given to members with `" << m["custom_roles"]["given_with"].get<std::string>()
                << "`; a custom role holds only what its author holds.\n";
    }
    if (m.contains("athlete_consent")) {
      std::cout << "\nAthlete consent: a permission marked (consent) reaches an athlete member's data only "
                   "after they accept coaching (`GiveConsent`); `WithdrawConsent` ends it at once.\n";
    }
    if (m.contains("invites")) {
      const auto& inv = m["invites"];
      std::cout << "\nInvites: every invite makes `" << inv["role"].get<std::string>() << "`, is used "
                << inv["max_uses"].get<int>() << " time(s) and is valid for " << inv["valid_hours"].get<int>()
                << " hours.\n";
    }
    if (m.contains("staff_seats")) {
      std::cout << "\nStaff seats besides the `" << m["founder_role"].get<std::string>() << "`:";
      const char* separator = " ";
      for (const auto& [tier, seats] : m["staff_seats"].items()) {
        std::cout << separator << "`" << tier << "` " << seats.get<int>();
        separator = ", ";
      }
      std::cout << "; other tiers unlimited.\n";
    }
    std::cout << "\n| permission |";
    for (const auto& r : m["roles"]) std::cout << " " << r["name"].get<std::string>() << " |";
    std::cout << "\n|---|";
    for (std::size_t i = 0; i < m["roles"].size(); ++i) std::cout << "---|";
    std::cout << "\n";
    for (const auto& p : m["permissions"]) {
      std::cout << "| `" << p["permission"].get<std::string>() << "` " << p["description"].get<std::string>()
                << (p.contains("not_on_self") ? " (never on oneself)" : "")
                << (p.contains("needs_athlete_consent") ? " (consent)" : "")
                << (p.contains("min_tier") ? " (`" + p["min_tier"].get<std::string>() + "` tier and above)" : "")
                << " |";
      for (const auto& r : m["roles"]) {
        const std::string role = r["name"].get<std::string>();
        const auto& cell = p["scopes"][role];
        std::string text = cell.is_null() ? "-" : cell.get<std::string>();
        for (const auto& grant_name : p.value("member_grants", nlohmann::json::array())) {
          const auto& grant = m["member_grants"][grant_name.get<std::string>()];
          const auto& to = grant["to_roles"];
          if (std::find(to.begin(), to.end(), role) == to.end()) continue;
          text += " (" + grant["scope"].get<std::string>() + " if granted `" + grant_name.get<std::string>() + "`)";
        }
        if (p.contains("only_when_setting") && p["only_when_setting"].contains(r["name"].get<std::string>())) {
          text += " if `" + p["only_when_setting"][r["name"].get<std::string>()].get<std::string>() + "`";
        }
        std::cout << " " << text << " |";
      }
      std::cout << "\n";
    }
  }
  return 0;
}

// A non-negative integer written in full, or nullopt.
std::optional<std::uint64_t> whole_number(const std::string& v) {
  char* end = nullptr;
  errno = 0;
  const auto n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || v[0] == '-' || v[0] == '+' || std::isspace(static_cast<unsigned char>(v[0])) || *end != '\0' ||
      errno == ERANGE) {
    return std::nullopt;
  }
  return n;
}

// `check` and `organization` on an exported file: the permission projection folded from the file
// up to --at-position, or the position at --at-time, or all of it; the answer as JSON.
int answer_offline(const std::string& command, std::map<std::string, std::string>& opts) {
  const std::string file = opts["file"];
  for (const auto& [flag, value] : opts) {
    static const std::set<std::string> known{"file", "at-position", "at-time", "organization", "subject", "permission", "target"};
    if (!known.contains(flag) || (command == "organization" && (flag == "subject" || flag == "permission" || flag == "target"))) {
      std::cerr << "touchline: " << command << " takes no --" << flag << "\n";
      return usage();
    }
  }
  if (!opts.count("organization") || (command == "check" && (!opts.count("subject") || !opts.count("permission")))) {
    return usage();
  }
  if (opts.count("at-position") && opts.count("at-time")) {
    std::cerr << "touchline: give --at-position or --at-time, not both\n";
    return 2;
  }
  if (command == "check" && !domain::find_permission(opts["permission"])) {
    std::cerr << "touchline: '" << opts["permission"] << "' is not a known permission\n";
    return 2;
  }
  auto fail = [](const Error& e) {
    std::cerr << "touchline: " << e.message << "\n";
    return e.code == ErrorCode::invalid_argument ? 2 : 1;
  };
  std::optional<std::uint64_t> position;
  if (opts.count("at-position")) {
    position = whole_number(opts["at-position"]);
    if (!position) {
      std::cerr << "touchline: --at-position must be a non-negative integer\n";
      return 2;
    }
  }
  if (opts.count("at-time")) {
    const auto t = domain::parse_time(opts["at-time"]);
    if (!t) {
      std::cerr << "touchline: --at-time must be Unix milliseconds or an RFC 3339 UTC time (2026-03-03T12:00:00Z)\n";
      return 2;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(Error::make(ErrorCode::invalid_argument, "cannot read " + file));
    auto found = projections::export_position_at_time(in, *t);
    if (!found.ok()) return fail(found.error());
    position = *found;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(Error::make(ErrorCode::invalid_argument, "cannot read " + file));
  auto projection = std::make_unique<projections::PermissionProjection>();
  auto folded = projections::fold_export(in, position, *projection);
  if (!folded.ok()) return fail(folded.error());
  const projections::PermissionView view = projection->read();
  const domain::OrganizationState* org = view.organization(opts["organization"]);
  if (!org) {
    std::cerr << "touchline: organisation " << opts["organization"] << " not found at position " << *folded << "\n";
    return 1;
  }
  nlohmann::json answer;
  if (command == "check") {
    const auto decision = view.check(*org, opts["subject"], opts["permission"], opts.count("target") ? opts["target"] : "");
    answer = {{"allowed", decision.allowed}, {"reason", decision.reason.view()}};
  } else {
    answer = {{"organization", projections::organization_to_json(*org)}};
  }
  answer["position"] = *folded;
  std::cout << answer.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string command = argv[1];
  if (command == "roles-doc") return argc == 2 ? roles_doc() : usage();
  std::map<std::string, std::string> opts;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0) return usage();
    opts[flag.substr(2)] = argv[i + 1];
  }
  if ((argc - 2) % 2 != 0) return usage();
  if (command == "restore") {
    if (!opts.count("from") || !opts.count("data") || opts.size() != 2) return usage();
    return tools::restore(opts["from"], opts["data"]);
  }
  if (command == "verify" && opts.count("file")) {
    if (opts.count("data")) return usage();
    return verify_file(opts["file"], opts.count("public-key") ? std::optional(opts["public-key"]) : std::nullopt);
  }
  if ((command == "check" || command == "organization") && opts.count("file")) return answer_offline(command, opts);
  if (!opts.count("data")) return usage();
  auto number = [&](const char* key, std::uint64_t fallback) -> std::uint64_t {
    if (!opts.count(key)) return fallback;
    const auto n = whole_number(opts[key]);
    if (!n) {
      std::cerr << "touchline: --" << key << " must be a non-negative integer, not '" << opts[key] << "'\n";
      std::exit(2);
    }
    return *n;
  };

  if (command == "dump") {
    auto log = open_store(opts["data"], true);
    return dump(*log, number("after", 0), number("limit", UINT64_MAX));
  }
  if (command == "verify") {
    auto log = open_store(opts["data"], true);
    return verify(*log);
  }
  if (command == "export") {
    if (!opts.count("to")) return usage();
    auto log = open_store(opts["data"], true);
    return export_file(*log, opts["to"]);
  }
  if (command == "migrate") {
    if (!opts.count("to")) return usage();
    auto log = open_store(opts["data"], true);
    return tools::migrate(*log, opts["to"]);
  }
  if (command == "backup") {
    if (!opts.count("to")) return usage();
    return tools::backup(opts["data"], opts["to"]);
  }
  if (command == "rebuild") {
    if (!opts.count("projection")) return usage();
    auto log = open_store(opts["data"], false);
    return rebuild(*log, opts["projection"]);
  }
  if (command == "drop-snapshots") {
    // Derived data only: the next server folds each aggregate from its events once more.
    auto log = open_store(opts["data"], false);
    if (auto st = log->drop_snapshots(); !st.ok()) {
      std::cerr << "touchline: " << st.error().message << "\n";
      return 1;
    }
    std::cerr << "dropped the write side's snapshots; the log is untouched\n";
    return 0;
  }
  if (command == "rebuild-merkle") {
    // Derived data only: built again from the log as the store opens.
    auto log = open_store(opts["data"], false, true);
    auto root = log->merkle_root(log->head_position());
    if (!root.ok()) {
      std::cerr << "touchline: " << root.error().message << "\n";
      return 1;
    }
    std::cout << "rebuilt the Merkle tree over " << log->head_position() << " events, root " << store::digest_hex(*root)
              << "\n";
    return 0;
  }
  return usage();
}
