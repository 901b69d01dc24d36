// touchline_crashtest: runs touchlined under a mixed load of every command kind from many clients
// over several organisations, SIGKILLs it at a random moment, and checks what survives against
// its own record of what was acknowledged, round after round (RocksDB's db_crashtest, for
// Touchline). After each kill:
//   1. `touchline verify` checks the hash chain of the data directory as the kill left it;
//   2. a copy of the directory has its projections rebuilt from position 0 (`touchline rebuild`);
//   3. touchlined restarts on both; once both have caught up with the log, every organisation's
//      record, audit log and members' permissions must read the same from the two (projections
//      that recovered from a crash equal a rebuild);
//   4. every command acknowledged in the round, and a sample of 1,000 from earlier rounds, is
//      sent again with its Idempotency-Key: each must answer as a replay of the acknowledged
//      answer (nothing acknowledged is missing).
// Any difference fails the run, naming the command or the read. ./dev.sh crashtest runs it;
// --help lists its settings.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/http_client.h"
#include "support/server_process.h"

namespace touchline::crashtest {
namespace {

using nlohmann::json;
using testing::HttpClient;
using testing::HttpResult;
using testing::ServerProcess;
namespace fs = std::filesystem;

constexpr const char* kOperatorToken = "crashtest-operator-token";
constexpr const char* kPassword = "crashtest password";

struct Settings {
  std::string touchlined, touchline, work = "/tmp/touchline-crashtest";
  int rounds = 3;
  int clients = 32;
  int organizations = 8;
  double min_seconds = 1.0, max_seconds = 4.0;  // of load before each kill
  std::uint64_t seed = 0;                         // 0: from the clock
};

[[noreturn]] void usage(int code) {
  std::cerr << "usage: touchline_crashtest --touchlined PATH --touchline PATH [--rounds N] [--clients N]\n"
               "       [--organizations N] [--min-seconds S] [--max-seconds S] [--seed N] [--work DIR]\n"
               "  rounds          kills and restarts [3]\n"
               "  clients         concurrent clients sending commands [32]\n"
               "  organizations   organisations, spread over the four role models [8]\n"
               "  min/max-seconds load before each kill, chosen at random between them [1, 4]\n"
               "  seed            for the load and the kill times; printed, so a run can be repeated [clock]\n"
               "  work            scratch directory, emptied first [/tmp/touchline-crashtest]\n";
  std::exit(code);
}

// A failed check: main_ reports it, after the servers' destructors have killed them.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] void fail(const std::string& why) { throw Failure(why); }

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") usage(0);
    if (i + 1 >= argc) usage(2);
    const std::string value = argv[++i];
    try {
      if (flag == "--touchlined") s.touchlined = value;
      else if (flag == "--touchline") s.touchline = value;
      else if (flag == "--work") s.work = value;
      else if (flag == "--rounds") s.rounds = std::stoi(value);
      else if (flag == "--clients") s.clients = std::stoi(value);
      else if (flag == "--organizations") s.organizations = std::stoi(value);
      else if (flag == "--min-seconds") s.min_seconds = std::stod(value);
      else if (flag == "--max-seconds") s.max_seconds = std::stod(value);
      else if (flag == "--seed") s.seed = std::stoull(value);
      else usage(2);
    } catch (const std::exception&) {
      usage(2);
    }
  }
  if (s.touchlined.empty() || s.touchline.empty() || s.rounds < 1 || s.clients < 1 || s.organizations < 1 ||
      s.min_seconds <= 0 || s.max_seconds < s.min_seconds) {
    usage(2);
  }
  return s;
}

// --- the world the load acts on ------------------------------------------------------------

struct Person {
  std::string id, email, token;
};

struct Organization {
  std::string id, model;
  Person founder;
  std::vector<Person> coaches, athletes;  // accounts signed up for this organisation's load
  std::vector<std::string> roles, grants, settings;  // from GET /v1/role-models/{model}
  // Ids the load learns from answers, for the commands that name them.
  std::mutex mu;
  std::vector<std::string> invite_codes, invite_ids, credential_ids, custom_roles, sub_organizations;
};

struct Request {
  std::string path;  // /v1/commands/X, /v1/operator/commands/X or /v1/actions
  json body;
  std::string token;
};

// A command acknowledged (2xx, or a denied action that was recorded), to be replayed.
struct Ack {
  Request request;
  std::string key;
  int status = 0;
  json answer;
};

std::vector<std::string> server_args(const std::string& data) {
  return {"--data", data, "--port", "0", "--operator-token", kOperatorToken,
          // The load signs up and acts far faster than a person: the limits would refuse it.
          "--password-attempts-per-address", "0", "--sign-in-failures-per-account", "0",
          "--actions-per-member", "0"};
}

HttpResult post(HttpClient& http, const Request& r, const std::string& key = "") {
  std::map<std::string, std::string> headers;
  if (!r.token.empty()) headers["Authorization"] = "Bearer " + r.token;
  if (!key.empty()) {
    headers["Idempotency-Key"] = key;
    headers["X-Correlation-Id"] = key;
  }
  return http.post(r.path, r.body.dump(), headers);
}

Person sign_up(HttpClient& http, const std::string& email, const std::string& role, json extra,
               std::string* organization_id = nullptr) {
  json body{{"email", email}, {"password", kPassword}, {"display_name", email}, {"membership_role", role}};
  if (extra.is_object()) body.update(extra);
  auto up = http.post("/v1/commands/SignUp", body.dump());
  if (up.status != 201) fail("setup: SignUp " + email + " answered " + std::to_string(up.status) + ": " + up.body);
  if (organization_id) *organization_id = up.json()["organization_id"];
  auto in = http.post("/v1/sessions", json{{"email", email}, {"password", kPassword}}.dump());
  if (in.status != 201) fail("setup: sign-in " + email + " answered " + std::to_string(in.status));
  return Person{up.json()["account_id"], email, in.json()["token"]};
}

std::vector<std::string> names_of(const json& j) {
  std::vector<std::string> out;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) out.push_back(k);
  }
  return out;
}

std::vector<std::unique_ptr<Organization>> set_up(HttpClient& http, int count) {
  static const char* models[] = {"athlete-coach", "head-assistant", "club", "custom-roles"};
  std::vector<std::unique_ptr<Organization>> orgs;
  for (int i = 0; i < count; ++i) {
    auto org = std::make_unique<Organization>();
    org->model = models[i % 4];
    const std::string tag = "o" + std::to_string(i);
    org->founder = sign_up(http, tag + "-founder@crash.test", "coach",
                           {{"organization_name", "Crash " + tag}, {"role_model", org->model}}, &org->id);
    for (int c = 0; c < 2; ++c) org->coaches.push_back(sign_up(http, tag + "-coach" + std::to_string(c) + "@crash.test", "coach", {}));
    for (int a = 0; a < 3; ++a) org->athletes.push_back(sign_up(http, tag + "-athlete" + std::to_string(a) + "@crash.test", "athlete", {}));
    auto model = http.get("/v1/role-models/" + org->model).json();
    for (const auto& r : model["roles"]) org->roles.push_back(r["name"]);
    org->grants = names_of(model["member_grants"]);
    org->settings = names_of(model["settings"]);
    // A tier on which every model's roles and features hold (club needs club; custom roles and
    // sub-organisations need business). The load changes it again at random.
    auto tier = http.post("/v1/operator/commands/ChangeTier", json{{"organization_id", org->id}, {"tier", "business"}}.dump(),
                          {{"Authorization", std::string("Bearer ") + kOperatorToken}});
    if (tier.status != 201) fail("setup: ChangeTier answered " + tier.body);
    orgs.push_back(std::move(org));
  }
  return orgs;
}

// --- the load ------------------------------------------------------------------------------

class Load {
 public:
  Load(std::vector<std::unique_ptr<Organization>>& orgs, std::uint64_t seed) : orgs_(orgs), seed_(seed) {}

  // One request of a kind chosen at random, on a random organisation, by someone who may or may
  // not be allowed to send it: refusals are part of the load.
  Request next(std::mt19937_64& rng) {
    Organization& o = *orgs_[pick(rng, orgs_.size())];
    const auto any_member = [&]() -> const Person& {
      const auto n = pick(rng, 1 + o.coaches.size() + o.athletes.size());
      if (n == 0) return o.founder;
      if (n <= o.coaches.size()) return o.coaches[n - 1];
      return o.athletes[n - 1 - o.coaches.size()];
    };
    const auto coach = [&]() -> const Person& { return o.coaches[pick(rng, o.coaches.size())]; };
    const auto athlete = [&]() -> const Person& { return o.athletes[pick(rng, o.athletes.size())]; };
    const auto role = [&] { return o.roles[pick(rng, o.roles.size())]; };
    const auto learned = [&](std::vector<std::string>& from, const std::string& fallback) {
      std::lock_guard lock(o.mu);
      return from.empty() ? fallback : from[pick(rng, from.size())];
    };
    const auto by = [&](const Person& p, const std::string& command, json body) {
      body["organization_id"] = o.id;
      return Request{"/v1/commands/" + command, std::move(body), p.token};
    };
    const Person& staff = pick(rng, 4) == 0 ? any_member() : o.founder;  // mostly someone allowed

    switch (pick(rng, 38)) {
      case 0: case 1: case 2:
        return by(staff, "AddMember", {{"account_id", pick(rng, 2) ? athlete().id : coach().id}, {"role", role()}});
      case 3: return by(staff, "RemoveMember", {{"account_id", any_member().id}});
      case 4: return by(staff, "DeactivateMember", {{"account_id", coach().id}});
      case 5: return by(staff, "ReactivateMember", {{"account_id", coach().id}});
      case 6: return by(staff, "ChangeMemberRole", {{"account_id", any_member().id}, {"role", role()}});
      case 7: case 8:
        return by(staff, "AssignAthlete", {{"athlete_id", athlete().id}, {"coach_id", pick(rng, 2) ? coach().id : o.founder.id}});
      case 9: return by(staff, "UnassignAthlete", {{"athlete_id", athlete().id}});
      case 10: return by(staff, "IssueInvite", {{"role", role()}});
      case 11: return by(staff, "RevokeInvite", {{"invite_id", learned(o.invite_ids, "no-such-invite")}});
      case 12: return by(pick(rng, 2) ? athlete() : coach(), "AcceptInvite", {{"code", learned(o.invite_codes, "x.y")}});
      case 13: case 14: return by(athlete(), "GiveConsent", json::object());
      case 15: return by(athlete(), "WithdrawConsent", json::object());
      case 16: {
        const std::string grant = o.grants.empty() ? "billing_delegation" : o.grants[pick(rng, o.grants.size())];
        return by(staff, pick(rng, 2) ? "GrantToMember" : "RevokeFromMember", {{"account_id", coach().id}, {"grant", grant}});
      }
      case 17:
        return by(staff, pick(rng, 2) ? "GrantBillingDelegation" : "RevokeBillingDelegation", {{"account_id", coach().id}});
      case 18: {
        static const char* tiers[] = {"free", "pro", "club", "business", "enterprise"};
        return by(staff, "ChangeTier", {{"tier", tiers[pick(rng, 2) ? 3 : pick(rng, 5)]}});
      }
      case 19: {
        if (o.settings.empty()) return by(staff, "ChangeOrganizationSetting", {{"setting", "none"}, {"enabled", true}});
        return by(staff, "ChangeOrganizationSetting",
                  {{"setting", o.settings[pick(rng, o.settings.size())]}, {"enabled", pick(rng, 2) == 0}});
      }
      case 20: return by(staff, "AdoptRoleModelVersion", json::object());
      case 21: {
        const std::string name = "custom_" + std::to_string(pick(rng, 4));
        return by(staff, pick(rng, 3) ? "DefineRole" : "UpdateRole",
                  {{"role", name}, {"permissions", {{"athletes.view", pick(rng, 2) ? "assigned" : "all"}}}});
      }
      case 22: return by(staff, "DeleteRole", {{"role", learned(o.custom_roles, "custom_0")}});
      case 23: return by(pick(rng, 2) ? coach() : o.founder, "DeclareCredential",
                         {{"name", "DBS check"}, {"expires_on", "2031-0" + std::to_string(1 + pick(rng, 9)) + "-01"}});
      case 24: return by(staff, "RecordCredential", {{"account_id", coach().id}, {"name", "First aid"}, {"expires_on", "2030-12-31"}});
      case 25: return by(staff, pick(rng, 2) ? "VerifyCredential" : "EditCredential",
                         {{"credential_id", learned(o.credential_ids, "no-such-credential")}});
      case 26: return by(staff, "CreateSubOrganization", {{"name", "Crash sub"}, {"admin_id", coach().id}});
      case 27: return by(staff, "MoveMember", {{"to_organization_id", learned(o.sub_organizations, o.id)},
                                               {"account_id", pick(rng, 2) ? athlete().id : coach().id}});
      case 28: return by(staff, "AddCredits", {{"amount", 1 + pick(rng, 100)}});
      case 29: return by(any_member(), "SpendCredits", {{"amount", 1 + pick(rng, 20)}});
      case 30: {
        const Person& who = any_member();
        json body{{"organization_id", o.id}, {"action", pick(rng, 2) ? "refund.issued" : "setup.changed"},
                  {"target", athlete().id}};
        return Request{"/v1/actions", std::move(body), who.token};
      }
      case 31: {
        json body{{"settings", {{"share_pace_data", pick(rng, 2) == 0}}}};
        return Request{"/v1/commands/UpdatePrivacySettings", std::move(body), athlete().token};
      }
      case 32: {
        // New accounts and organisations, outside the tracked ones: the account and email streams.
        const std::string email = "new-" + std::to_string(seed_) + "-" + std::to_string(counter_++) + "@crash.test";
        if (pick(rng, 2)) {
          return Request{"/v1/commands/SignUp",
                         {{"email", email}, {"password", kPassword}, {"display_name", "New"}, {"membership_role", "coach"}},
                         ""};
        }
        return Request{"/v1/commands/CreateOrganization", {{"name", "Crash extra"}}, coach().token};
      }
      case 34: case 35:  // AddMember offers; the account accepts or declines
        return by(pick(rng, 2) ? athlete() : coach(), "AcceptMembership", json::object());
      case 36: return by(pick(rng, 2) ? athlete() : coach(), "DeclineMembership", json::object());
      case 37: return by(any_member(), "LeaveOrganization", json::object());
      default: {
        if (pick(rng, 2)) return Request{"/v1/commands/UpgradeToCoach", json::object(), athlete().token};
        return Request{"/v1/operator/commands/DowngradeToAthlete", {{"account_id", coach().id}}, kOperatorToken};
      }
    }
  }

  // Keeps what later commands can name.
  void learn(const Request& r, const json& answer) {
    for (auto& o : orgs_) {
      if (r.body.value("organization_id", "") != o->id) continue;
      std::lock_guard lock(o->mu);
      if (answer.contains("code")) o->invite_codes.push_back(answer["code"]);
      if (answer.contains("invite_id")) o->invite_ids.push_back(answer["invite_id"]);
      if (answer.contains("credential_id")) o->credential_ids.push_back(answer["credential_id"]);
      if (r.path.ends_with("/DefineRole")) o->custom_roles.push_back(r.body["role"]);
      if (r.path.ends_with("/CreateSubOrganization") && answer.contains("organization_id")) {
        o->sub_organizations.push_back(answer["organization_id"]);
      }
    }
  }

 private:
  static std::size_t pick(std::mt19937_64& rng, std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }

  std::vector<std::unique_ptr<Organization>>& orgs_;
  std::uint64_t seed_;
  std::atomic<std::uint64_t> counter_{0};
};

// Runs the load from `clients` threads until the server is killed; returns what was acknowledged.
std::vector<Ack> load_until_killed(ServerProcess& server, Load& load, const Settings& s, int round,
                                   std::mt19937_64& rng, std::map<std::string, int>& counts) {
  std::mutex mu;
  std::vector<Ack> acks;
  std::vector<std::thread> clients;
  std::vector<std::string> errors;
  for (int c = 0; c < s.clients; ++c) {
    clients.emplace_back([&, c, seed = rng()] {
      std::mt19937_64 local(seed);
      HttpClient http(server.port());
      for (int i = 0;; ++i) {
        Request r = load.next(local);
        const std::string key = "crash-" + std::to_string(round) + "-" + std::to_string(c) + "-" + std::to_string(i);
        HttpResult answer;
        try {
          answer = post(http, r, key);
        } catch (const std::exception&) {
          return;  // killed: whatever was in flight was never acknowledged
        }
        const bool recorded_denial = answer.status == 403 && r.path == "/v1/actions" &&
                                     answer.body.find("\"recorded\":true") != std::string::npos;
        std::lock_guard lock(mu);
        ++counts[r.path.substr(r.path.rfind('/') + 1) + (answer.status < 300 ? " ok" : " refused")];
        if (answer.status >= 500) {
          errors.push_back(r.path + " " + r.body.dump() + " answered " + std::to_string(answer.status) + ": " + answer.body);
        }
        if (answer.status < 300 || recorded_denial) {
          const json body = answer.json();
          load.learn(r, body);
          acks.push_back(Ack{std::move(r), key, answer.status, body});
        }
      }
    });
  }
  std::uniform_real_distribution<double> seconds(s.min_seconds, s.max_seconds);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds(rng)));
  server.kill_now();
  for (auto& t : clients) t.join();
  // 503s while projections catch up are not expected here (no command reads them but
  // DowngradeToAthlete, which may answer 503 by design); anything else 5xx is a bug.
  for (const auto& e : errors) {
    if (e.find("DowngradeToAthlete") == std::string::npos || e.find("answered 503") == std::string::npos) fail(e);
  }
  return acks;
}

// --- the checks ----------------------------------------------------------------------------

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// Waits until the server's projections are at the log's head; returns the head.
std::uint64_t caught_up(HttpClient& http) {
  for (int i = 0; i < 600; ++i) {
    auto health = http.get("/healthz");
    if (health.status == 200) {
      const json h = health.json();
      const std::uint64_t head = h["log_position"];
      bool all = true;
      for (const auto& [name, p] : h["projections"].items()) all = all && p["position"].get<std::uint64_t>() == head;
      if (all) return head;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  fail("the projections did not catch up with the log within 60 s");
}

// A refusal names the request that got it, which a replay or a second asking does not share.
json without_request_id(json answer) {
  if (answer.is_object()) answer.erase("request_id");
  return answer;
}

// What an organisation reads as, through its founder: its record, every audit page and each
// tracked person's permissions. Answers are compared whole, refusals included, all but the
// request id a refusal names.
std::vector<std::string> reads_of(HttpClient& http, const Organization& o, std::uint64_t head) {
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + o.founder.token}};
  const std::string at = "min_position=" + std::to_string(head);
  std::vector<std::string> out;
  const auto read = [&](const std::string& target) {
    auto r = http.get(target, auth);
    out.push_back(target + " -> " + std::to_string(r.status) + " " +
                  without_request_id(json::parse(r.body, nullptr, false)).dump());
    return r;
  };
  read("/v1/organizations/" + o.id + "?" + at);
  std::string before;
  for (int page = 0; page < 1000; ++page) {
    auto r = read("/v1/organizations/" + o.id + "/audit?limit=200&" + at + (before.empty() ? "" : "&before=" + before));
    if (r.status != 200) break;
    const json next = r.json()["next"];
    if (next.is_null()) break;
    before = next.is_string() ? next.get<std::string>() : next.dump();
  }
  std::vector<const Person*> people{&o.founder};
  for (const auto& p : o.coaches) people.push_back(&p);
  for (const auto& p : o.athletes) people.push_back(&p);
  for (const Person* p : people) read("/v1/organizations/" + o.id + "/members/" + p->id + "/permissions?" + at);
  return out;
}

// A copy of the data directory as the kill left it, with both projections rebuilt from position
// 0. Made before anything reopens the original: a running server's RocksDB deletes and renames
// files under a copy in progress.
std::string rebuilt_copy(const Settings& s, const std::string& data, int round) {
  const std::string rebuilt = s.work + "/rebuilt";
  fs::remove_all(rebuilt);
  fs::copy(data, rebuilt, fs::copy_options::recursive);
  if (run(s.touchline + " rebuild --data " + rebuilt + " --projection all > " + s.work + "/rebuild.log 2>&1") != 0) {
    fail("round " + std::to_string(round) + ": touchline rebuild failed; see " + s.work + "/rebuild.log");
  }
  return rebuilt;
}

void compare_with_rebuild(const Settings& s, const std::string& rebuilt, int round,
                          std::vector<std::unique_ptr<Organization>>& orgs, ServerProcess& live) {
  ServerProcess fresh(s.touchlined, server_args(rebuilt));
  HttpClient live_http(live.port()), fresh_http(fresh.port());
  const std::uint64_t head = caught_up(live_http);
  if (caught_up(fresh_http) != head) fail("the rebuilt copy has another log head");
  for (auto& o : orgs) {
    auto a = reads_of(live_http, *o, head);
    auto b = reads_of(fresh_http, *o, head);
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      const std::string x = i < a.size() ? a[i] : "(nothing)", y = i < b.size() ? b[i] : "(nothing)";
      if (x != y) fail("round " + std::to_string(round) + ": recovered and rebuilt projections differ:\n  recovered: " + x + "\n  rebuilt:   " + y);
    }
  }
  fresh.terminate();
  fs::remove_all(rebuilt);
}

void replay_acknowledged(HttpClient& http, const std::vector<Ack>& acks, const std::vector<std::size_t>& which) {
  for (std::size_t i : which) {
    const Ack& a = acks[i];
    auto r = post(http, a.request, a.key);
    const bool replayed = r.headers.count("idempotent-replayed") && r.headers.at("idempotent-replayed") == "true";
    const int expected_status = a.status == 201 ? 200 : a.status;
    if (r.status != expected_status || !replayed || without_request_id(r.json()) != without_request_id(a.answer)) {
      fail("acknowledged command lost or changed: " + a.request.path + " " + a.request.body.dump() + " (key " + a.key +
           ") was answered " + std::to_string(a.status) + " " + a.answer.dump() + "; after the crash " +
           std::to_string(r.status) + " " + r.body);
    }
  }
}

int main_(int argc, char** argv) {
  Settings s = parse(argc, argv);
  if (s.seed == 0) s.seed = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  std::mt19937_64 rng(s.seed);
  fs::remove_all(s.work);
  fs::create_directories(s.work);
  const std::string data = s.work + "/data";
  std::cout << "crashtest: seed " << s.seed << ", " << s.rounds << " rounds, " << s.clients << " clients, "
            << s.organizations << " organisations, data in " << data << std::endl;

  std::vector<std::unique_ptr<Organization>> orgs;
  std::vector<Ack> acknowledged;
  std::map<std::string, int> counts;
  const auto started = std::chrono::steady_clock::now();
  {
    ServerProcess server(s.touchlined, server_args(data));
    HttpClient http(server.port());
    orgs = set_up(http, s.organizations);
    server.terminate();
  }
  Load load(orgs, s.seed);
  for (int round = 1; round <= s.rounds; ++round) {
    ServerProcess server(s.touchlined, server_args(data));
    auto acks = load_until_killed(server, load, s, round, rng, counts);
    const std::size_t this_round = acks.size();
    // To replay: all of this round's, and up to 1,000 of the earlier rounds' (each replayed in
    // full after its own round), so that a long run stays linear.
    std::vector<std::size_t> earlier(acknowledged.size()), to_replay;
    std::iota(earlier.begin(), earlier.end(), 0);
    std::sample(earlier.begin(), earlier.end(), std::back_inserter(to_replay), 1000, rng);
    acknowledged.insert(acknowledged.end(), std::make_move_iterator(acks.begin()), std::make_move_iterator(acks.end()));
    for (std::size_t i = acknowledged.size() - this_round; i < acknowledged.size(); ++i) to_replay.push_back(i);
    if (run(s.touchline + " verify --data " + data + " > " + s.work + "/verify.log 2>&1") != 0) {
      fail("round " + std::to_string(round) + ": touchline verify failed; see " + s.work + "/verify.log");
    }
    const std::string rebuilt = rebuilt_copy(s, data, round);
    ServerProcess restarted(s.touchlined, server_args(data));
    compare_with_rebuild(s, rebuilt, round, orgs, restarted);
    HttpClient http(restarted.port());
    replay_acknowledged(http, acknowledged, to_replay);
    const std::uint64_t head = caught_up(http);
    restarted.terminate();
    std::cout << "round " << round << ": killed after " << this_round << " acknowledged commands; chain verified, "
              << "projections equal a rebuild, " << to_replay.size() << " acknowledged commands replayed (this round's and "
              << "a sample of earlier ones), all present (log head " << head << ")" << std::endl;
  }
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "crashtest: passed: " << s.rounds << " rounds, " << acknowledged.size()
            << " acknowledged commands, 0 lost, in " << static_cast<int>(seconds) << " s\n  answers by command:";
  for (const auto& [name, n] : counts) std::cout << " " << name << " " << n << ";";
  std::cout << std::endl;
  fs::remove_all(s.work);
  return 0;
}

}  // namespace
}  // namespace touchline::crashtest

int main(int argc, char** argv) {
  try {
    return touchline::crashtest::main_(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "crashtest: FAILED: " << e.what() << "\n";
    return 1;
  }
}
