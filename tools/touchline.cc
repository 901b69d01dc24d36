// touchline: the operator's tool over a Touchline data directory or export, and a client of a
// running touchlined. `touchline --help` lists the commands, `touchline COMMAND --help` their
// options (parsed by CLI11).
//
// On a data directory or an export:
//   dump, verify, export, migrate and backup open the directory read-only and work beside a
//   running server. rebuild, drop-snapshots and rebuild-merkle write, so they need the server
//   stopped (RocksDB's lock says so if it is not). verify --file, and check and organization with
//   --file, read only the file (run verify --file on it first: they answer from what the file
//   says). Times (--at-time) are Unix milliseconds or RFC 3339 in UTC.
// On a running server (--server URL, --token T, or TOUCHLINE_SERVER and TOUCHLINE_TOKEN):
//   sign-in, check, checks, lookup, members, organization, audit, watch and command, each a table
//   for people or the server's JSON with --output json (tools/client.h).
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

#include <CLI/CLI.hpp>

#include "backup.h"
#include "client.h"
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

// What an offline check or organization read names (subject and permission empty for the latter).
struct OfflineQuestion {
  std::string organization, subject, permission, target;
};

// `check` and `organization` on an exported file: the permission projection folded from the file
// up to --at-position, or the position at --at-time, or all of it; the answer as JSON.
int answer_offline(const std::string& file, const tools::ReadPoint& at, const OfflineQuestion& q) {
  const bool check = !q.permission.empty();
  if (at.min_position) {
    std::cerr << "touchline: --min-position asks a running server; an export answers as far as it goes\n";
    return 2;
  }
  if (check && !domain::find_permission(q.permission)) {
    std::cerr << "touchline: '" << q.permission << "' is not a known permission\n";
    return 2;
  }
  auto fail = [](const Error& e) {
    std::cerr << "touchline: " << e.message << "\n";
    return e.code == ErrorCode::invalid_argument ? 2 : 1;
  };
  std::optional<std::uint64_t> position = at.at_position;
  if (!at.at_time.empty()) {
    const auto t = domain::parse_time(at.at_time);
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
  const domain::OrganizationState* org = view.organization(q.organization);
  if (!org) {
    std::cerr << "touchline: organisation " << q.organization << " not found at position " << *folded << "\n";
    return 1;
  }
  nlohmann::json answer;
  if (check) {
    const auto decision = view.check(*org, q.subject, q.permission, q.target);
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
  CLI::App app{"touchline: the operator's tool over a Touchline data directory or export, and a client of a "
               "running touchlined (--server). docs/OPERATIONS.md describes every command.",
               "touchline"};
  app.require_subcommand(1);
  app.fallthrough();  // the client's options may come before or after the command
  app.set_help_all_flag("--help-all", "every command's options");

  std::string server_url, token, output = "table";
  unsigned timeout_seconds = 60;
  app.add_option("--server", server_url, "a running touchlined, http://HOST:PORT (the client commands)")
      ->envname("TOUCHLINE_SERVER");
  app.add_option("--token", token, "a bearer token: a session's (sign-in prints one) or the operator token")
      ->envname("TOUCHLINE_TOKEN");
  app.add_option("--output", output, "table (for people) or json (the server's answer)")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_option("--timeout", timeout_seconds, "seconds a request may take [60]")->check(CLI::Range(1u, 3600u));

  // Options several commands share; each command lists those it takes.
  std::string data, to, from, file, public_key, projection, organization, subject, permission, target, at_time;
  std::string role, category, actor, since, until, email, password, json_body, name, kind;
  std::uint64_t after = 0, limit = UINT64_MAX, at_position = 0, count = 0;
  std::uint32_t page = 50;
  bool dry_run = false, as_operator = false;
  const auto data_dir = [&](CLI::App* c) { return c->add_option("--data", data, "the data directory"); };
  // --at-position or --at-time (the past), or --min-position (now, once it includes a write).
  struct ReadOptions {
    CLI::Option* at_position;
    CLI::Option* min_position;
  };
  std::uint64_t min_position = 0;
  const auto past = [&](CLI::App* c) {
    auto* position = c->add_option("--at-position", at_position, "answer as the log stood at this position");
    auto* time = c->add_option("--at-time", at_time, "answer as the log stood at this time (Unix ms or RFC 3339 UTC)")
                     ->excludes(position);
    auto* fresh = c->add_option("--min-position", min_position,
                                "answer once the server has read the log up to this position (a write's)")
                      ->excludes(position)
                      ->excludes(time);
    return ReadOptions{position, fresh};
  };
  const auto read_point = [&](const ReadOptions& o) {
    return tools::ReadPoint{o.at_position->count() ? std::optional(at_position) : std::nullopt, at_time,
                            o.min_position->count() ? std::optional(min_position) : std::nullopt};
  };

  auto* dump_cmd = app.add_subcommand("dump", "the log as NDJSON, one envelope a line");
  data_dir(dump_cmd)->required();
  dump_cmd->add_option("--after", after, "start after this position [0]");
  dump_cmd->add_option("--limit", limit, "at most this many events");

  auto* verify_cmd = app.add_subcommand("verify", "check a data directory's hash chain, or an export's chain, "
                                                  "Merkle tree and signature (offline); exit 1 at a bad event");
  auto* verify_data = data_dir(verify_cmd);
  auto* verify_export = verify_cmd->add_option("--file", file, "an export (touchline export)")->excludes(verify_data);
  verify_cmd->add_option("--public-key", public_key, "the tree-head key you hold, in hex")->needs(verify_export);

  auto* export_cmd = app.add_subcommand("export", "the log and a signed tree head, in one file for auditors");
  data_dir(export_cmd)->required();
  export_cmd->add_option("--to", to, "the file to write")->required();

  auto* check_cmd = app.add_subcommand("check", "a permission check: on a running server, or offline on an export");
  check_cmd->add_option("--file", file, "answer offline from this export");
  check_cmd->add_option("--organization", organization, "the organisation's id")->required();
  check_cmd->add_option("--subject", subject, "the account asking to use the permission")->required();
  check_cmd->add_option("--permission", permission, "e.g. athletes.view")->required();
  check_cmd->add_option("--target", target, "the member it is used on");
  const auto check_at = past(check_cmd);

  auto* org_cmd = app.add_subcommand("organization", "an organisation's state: on a running server, or offline on an export");
  org_cmd->add_option("--file", file, "answer offline from this export");
  org_cmd->add_option("--organization", organization, "the organisation's id")->required();
  const auto org_at = past(org_cmd);

  auto* rebuild_cmd = app.add_subcommand("rebuild", "replay projections from position 0 (the server stopped)");
  data_dir(rebuild_cmd)->required();
  rebuild_cmd->add_option("--projection", projection, "permissions, audit or all")
      ->required()
      ->check(CLI::IsMember({"permissions", "audit", "all"}));

  auto* drop_cmd = app.add_subcommand("drop-snapshots", "delete the write side's snapshots (the server stopped)");
  data_dir(drop_cmd)->required();
  auto* merkle_cmd = app.add_subcommand("rebuild-merkle", "build the log's Merkle tree again (the server stopped)");
  data_dir(merkle_cmd)->required();

  auto* migrate_cmd = app.add_subcommand("migrate", "copy a log from before sealing, sealing its personal data");
  data_dir(migrate_cmd)->required();
  migrate_cmd->add_option("--to", to, "the new data directory")->required();
  auto* backup_cmd = app.add_subcommand("backup", "copy the log (beside a running server) and verify the copy");
  data_dir(backup_cmd)->required();
  backup_cmd->add_option("--to", to, "the backup directory to create")->required();
  auto* restore_cmd = app.add_subcommand("restore", "verify a backup and copy it into a new data directory");
  restore_cmd->add_option("--from", from, "the backup")->required();
  data_dir(restore_cmd)->required();
  auto* roles_cmd = app.add_subcommand("roles-doc", "docs/roles.md, from the role models");

  // The client commands: each needs --server.
  auto* sign_in_cmd = app.add_subcommand("sign-in", "sign in; prints the session's token");
  sign_in_cmd->add_option("--email", email, "the account's email")->required();
  sign_in_cmd->add_option("--password", password, "its password")->required()->envname("TOUCHLINE_PASSWORD");
  auto* checks_cmd = app.add_subcommand("checks", "many checks, answered at one position");
  checks_cmd->add_option("--json", json_body, R"(the body: {"checks": [{"organization_id", "subject", ...}]})")
      ->required();
  auto* lookup_cmd = app.add_subcommand("lookup", "who may use a permission (subjects), or on whom (targets)");
  lookup_cmd->add_option("kind", kind, "subjects or targets")->required()->check(CLI::IsMember({"subjects", "targets"}));
  lookup_cmd->add_option("--organization", organization, "the organisation's id")->required();
  lookup_cmd->add_option("--permission", permission, "e.g. athletes.view")->required();
  lookup_cmd->add_option("--target", target, "subjects: the member it is used on");
  lookup_cmd->add_option("--subject", subject, "targets: the account using it");
  auto* members_cmd = app.add_subcommand("members", "an organisation's members, every page");
  members_cmd->add_option("--organization", organization, "the organisation's id")->required();
  members_cmd->add_option("--role", role, "only this role");
  const auto members_at = past(members_cmd);
  auto* audit_cmd = app.add_subcommand("audit", "an organisation's audit log, newest first");
  audit_cmd->add_option("--organization", organization, "the organisation's id")->required();
  audit_cmd->add_option("--limit", page, "entries [50]")->check(CLI::Range(1u, 500u));
  audit_cmd->add_option("--category", category, "only this category");
  audit_cmd->add_option("--actor", actor, "only entries by this account");
  audit_cmd->add_option("--subject", subject, "only entries about this account");
  audit_cmd->add_option("--since", since, "entries recorded at or after this ISO 8601 time (or a prefix of one)");
  audit_cmd->add_option("--until", until, "entries recorded before it");
  auto* audit_fresh = audit_cmd->add_option("--min-position", min_position,
                                            "answer once the audit log has read the log up to this position");
  auto* watch_cmd = app.add_subcommand("watch", "follow an organisation's audit log, or the whole log with the "
                                                "operator token, as it grows");
  watch_cmd->add_option("--organization", organization, "the organisation (default: the whole log)");
  watch_cmd->add_option("--after", after, "start after this position [0]");
  watch_cmd->add_option("--count", count, "stop after this many entries [0: until interrupted]");
  auto* command_cmd = app.add_subcommand("command", "send a command (docs/API.md lists them)");
  command_cmd->add_option("name", name, "e.g. AssignAthlete")->required();
  command_cmd->add_option("--json", json_body, "the command's body [{}]");
  command_cmd->add_flag("--dry-run", dry_run, "decide it, append nothing, show what would change");
  command_cmd->add_flag("--operator", as_operator, "an operator command (the operator token)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (dump_cmd->parsed()) return dump(*open_store(data, true), after, limit);
  if (verify_cmd->parsed()) {
    if (verify_export->count()) return verify_file(file, public_key.empty() ? std::nullopt : std::optional(public_key));
    if (data.empty()) {
      std::cerr << "touchline: verify needs --data DIR or --file FILE\n";
      return 2;
    }
    return verify(*open_store(data, true));
  }
  if (export_cmd->parsed()) return export_file(*open_store(data, true), to);
  if (migrate_cmd->parsed()) return tools::migrate(*open_store(data, true), to);
  if (backup_cmd->parsed()) return tools::backup(data, to);
  if (restore_cmd->parsed()) return tools::restore(from, data);
  if (rebuild_cmd->parsed()) return rebuild(*open_store(data, false), projection);
  if (roles_cmd->parsed()) return roles_doc();
  if (drop_cmd->parsed()) {
    // Derived data only: the next server folds each aggregate from its events once more.
    auto log = open_store(data, false);
    if (auto st = log->drop_snapshots(); !st.ok()) {
      std::cerr << "touchline: " << st.error().message << "\n";
      return 1;
    }
    std::cerr << "dropped the write side's snapshots; the log is untouched\n";
    return 0;
  }
  if (merkle_cmd->parsed()) {
    // Derived data only: built again from the log as the store opens.
    auto log = open_store(data, false, true);
    auto root = log->merkle_root(log->head_position());
    if (!root.ok()) {
      std::cerr << "touchline: " << root.error().message << "\n";
      return 1;
    }
    std::cout << "rebuilt the Merkle tree over " << log->head_position() << " events, root " << store::digest_hex(*root)
              << "\n";
    return 0;
  }
  if ((check_cmd->parsed() || org_cmd->parsed()) && !file.empty()) {
    return check_cmd->parsed() ? answer_offline(file, read_point(check_at), {organization, subject, permission, target})
                               : answer_offline(file, read_point(org_at), {organization, "", "", ""});
  }

  // A client command.
  if (server_url.empty()) {
    std::cerr << "touchline: " << app.get_subcommands().front()->get_name()
              << " talks to a running server: give --server http://HOST:PORT (or TOUCHLINE_SERVER)"
              << ((check_cmd->parsed() || org_cmd->parsed()) ? ", or --file FILE to answer from an export" : "")
              << "\n";
    return 2;
  }
  auto address = tools::parse_server_url(server_url);
  if (!address.ok()) {
    std::cerr << "touchline: " << address.error().message << "\n";
    return 2;
  }
  const auto out = output == "json" ? tools::Output::json : tools::Output::table;
  // A watch's long poll holds each request up to 30 s.
  const auto timeout = std::chrono::seconds(watch_cmd->parsed() ? std::max(timeout_seconds, 40u) : timeout_seconds);
  const tools::Remote server(*address, token, timeout);
  if (sign_in_cmd->parsed()) return tools::remote_sign_in(server, out, email, password);
  if (check_cmd->parsed()) {
    return tools::remote_check(server, out, {organization, subject, permission, target, read_point(check_at)});
  }
  if (org_cmd->parsed()) return tools::remote_organization(server, out, organization, read_point(org_at));
  if (checks_cmd->parsed()) return tools::remote_checks(server, out, json_body);
  if (lookup_cmd->parsed()) return tools::remote_lookup(server, out, {kind, organization, permission, target, subject});
  if (members_cmd->parsed()) return tools::remote_members(server, out, organization, role, read_point(members_at));
  if (audit_cmd->parsed()) {
    return tools::remote_audit(server, out,
                               {organization, category, actor, subject, since, until, page,
                                audit_fresh->count() ? std::optional(min_position) : std::nullopt});
  }
  if (watch_cmd->parsed()) return tools::remote_watch(server, out, {organization, after, count});
  if (command_cmd->parsed()) {
    return tools::remote_command(server, out, name, json_body.empty() ? "{}" : json_body, dry_run, as_operator);
  }
  return 2;  // unreachable: CLI11 required one command
}
