// Runs the seed scenarios (tests/scenarios/*.scenario): each file walks one seed page from top to
// bottom through the HTTP API of a real in-process server, as that product's users would, one
// step a line. The format is described in tests/scenarios/README.md. A failing step is reported
// at its file:line, quoting the step and the page sentence above it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "support/data_files.h"
#include "support/test_server.h"
#include "touchline/domain/role_model.h"
#include "touchline/projections/permission_history.h"
#include "touchline/store/export.h"

namespace touchline::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPassword = "correct horse battery";

// ---------------------------------------------------------------------------------------------
// Reading a file
// ---------------------------------------------------------------------------------------------

struct Step {
  int line = 0;
  std::string text;   // the step as written
  std::string quote;  // the page sentence (or table row) it checks: the last quoting comment block
  std::string note;   // a comment block right above it that quotes nothing, if any
};

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Every step line, with the comment blocks above it. A comment block starts at the first comment
// line after a step; blank lines neither start nor end one. A block quotes the page when one of
// its lines starts with `# "` or `# |`.
std::vector<Step> read_steps(const fs::path& path) {
  std::vector<Step> out;
  std::ifstream in(path);
  std::string raw, block, quote;
  bool after_step = true, quoting = false;
  for (int n = 1; std::getline(in, raw); ++n) {
    const std::string line = trim(raw);
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (after_step) block.clear(), quoting = false;
      after_step = false;
      block += (block.empty() ? "" : "\n  ") + line;
      if (line.starts_with("# \"") || line.starts_with("# |")) quoting = true;
      if (quoting) quote = block;
      continue;
    }
    out.push_back({n, line, quote, after_step || quoting ? "" : block});
    after_step = true;
  }
  return out;
}

// Splits on whitespace, keeping "quoted text", [brackets] and {braces} in one token.
std::vector<std::string> tokens(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      cur += c;
      if (c == '\\' && i + 1 < s.size()) {
        cur += s[++i];
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') quoted = true;
    if (c == '[' || c == '{') ++depth;
    if ((c == ']' || c == '}') && depth > 0) --depth;
    if (std::isspace(static_cast<unsigned char>(c)) && depth == 0) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// What comes before the first "->" outside quoted text, and what comes after it.
std::pair<std::string, std::string> split_arrow(const std::string& s) {
  bool quoted = false;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (quoted && s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && s[i] == '-' && s[i + 1] == '>') {
      return {trim(s.substr(0, i)), trim(s.substr(i + 2))};
    }
  }
  return {trim(s), ""};
}

std::string unquote(const std::string& s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    json j = json::parse(s, nullptr, false);
    if (j.is_string()) return j.get<std::string>();
    return s.substr(1, s.size() - 2);
  }
  return s;
}

// What the part after "->" expects.
struct Assertion {
  std::string path, op, value;  // op: "=", "!=" or "~"
};
struct Expect {
  std::string outcome;  // ok, unchanged, allow, deny, allowed, denied, or a status code; "" = default
  std::string text;     // a substring the answer must contain (detail, reason or code)
  std::vector<std::pair<std::string, std::string>> saves;  // variable <- field path
  std::vector<Assertion> assertions;
};

// The position of the first `ch` outside [brackets] and "quotes", or npos.
std::size_t find_outside(const std::string& s, char ch) {
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    if (quoted) continue;
    if (s[i] == '[') ++depth;
    if (s[i] == ']') --depth;
    if (depth == 0 && s[i] == ch) return i;
  }
  return std::string::npos;
}

std::optional<Expect> parse_expect(const std::string& s, std::string& error) {
  Expect e;
  const auto w = tokens(s);
  std::size_t i = 0;
  static const std::vector<std::string> words{"ok", "unchanged", "allow", "deny", "allowed", "denied"};
  if (i < w.size() && (std::find(words.begin(), words.end(), w[i]) != words.end() ||
                       (w[i].size() == 3 && std::all_of(w[i].begin(), w[i].end(), ::isdigit)))) {
    e.outcome = w[i++];
  }
  if (i < w.size() && w[i].front() == '"') e.text = unquote(w[i++]);
  for (; i < w.size(); ++i) {
    if (w[i] == "save") {
      if (++i == w.size() || w[i].find('=') == std::string::npos) {
        error = "save needs <variable>=<field>";
        return std::nullopt;
      }
      const auto eq = w[i].find('=');
      e.saves.emplace_back(w[i].substr(0, eq), w[i].substr(eq + 1));
      continue;
    }
    const auto tilde = find_outside(w[i], '~');
    const auto eq = find_outside(w[i], '=');
    if (tilde != std::string::npos && (eq == std::string::npos || tilde < eq)) {
      e.assertions.push_back({w[i].substr(0, tilde), "~", unquote(w[i].substr(tilde + 1))});
    } else if (eq != std::string::npos && eq > 0 && w[i][eq - 1] == '!') {
      e.assertions.push_back({w[i].substr(0, eq - 1), "!=", w[i].substr(eq + 1)});
    } else if (eq != std::string::npos) {
      e.assertions.push_back({w[i].substr(0, eq), "=", w[i].substr(eq + 1)});
    } else {
      error = "cannot read '" + w[i] + "' after ->";
      return std::nullopt;
    }
  }
  return e;
}

// A path into a JSON answer: `a.b`, `a[0]`, and `a[key=value]` for the first element of an
// array whose `key` is `value`. nullptr when nothing is there.
const json* resolve(const json& root, const std::string& path) {
  const json* at = &root;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      const auto close = path.find(']', i);
      if (close == std::string::npos) return nullptr;
      const std::string inside = path.substr(i + 1, close - i - 1);
      i = close + 1;
      if (!at->is_array()) return nullptr;
      if (!inside.empty() && std::all_of(inside.begin(), inside.end(), ::isdigit)) {
        const std::size_t index = std::stoul(inside);
        if (index >= at->size()) return nullptr;
        at = &(*at)[index];
        continue;
      }
      const auto eq = inside.find('=');
      if (eq == std::string::npos) return nullptr;
      const std::string key = inside.substr(0, eq), value = unquote(inside.substr(eq + 1));
      const json* found = nullptr;
      for (const auto& element : *at) {
        auto it = element.find(key);
        if (it == element.end()) continue;
        if ((it->is_string() && it->get<std::string>() == value) || (!it->is_string() && it->dump() == value)) {
          found = &element;
          break;
        }
      }
      if (!found) return nullptr;
      at = found;
      continue;
    }
    std::size_t end = i;
    while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
    const std::string name = path.substr(i, end - i);
    i = end;
    if (!at->is_object() || !at->contains(name)) return nullptr;
    at = &(*at)[name];
  }
  return at;
}

bool same_value(const json& actual, const std::string& written) {
  json expected = json::parse(written, nullptr, false);
  if (!expected.is_discarded() && actual == expected) return true;
  return actual.is_string() && actual.get<std::string>() == unquote(written);
}

// YYYY-MM-DD of a day counted from 1970-01-01 (proleptic Gregorian).
std::string format_day(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2);
  char out[64];
  std::snprintf(out, sizeof out, "%04lld-%02lld-%02lld", static_cast<long long>(y), static_cast<long long>(m),
                static_cast<long long>(d));
  return out;
}

// An answer's body, cut short for a failure message.
std::string shorten(const std::string& body) {
  constexpr std::size_t kMax = 400;
  return body.size() <= kMax ? body : body.substr(0, kMax) + "... (" + std::to_string(body.size()) + " bytes)";
}

// Commands that act on no organisation: the others get "organization_id": "$org" when the body
// names none.
bool takes_organization(const std::string& command) {
  return command != "SignUp" && command != "UpgradeToCoach" && command != "CreateOrganization" &&
         command != "UpdatePrivacySettings" && command != "DowngradeToAthlete";
}

// ---------------------------------------------------------------------------------------------
// Running a file
// ---------------------------------------------------------------------------------------------

struct Person {
  std::string email, account_id, token;
};

class ScenarioRun {
 public:
  explicit ScenarioRun(fs::path file) : file_(std::move(file)) {}

  // Runs every step, or up to the first failed step that later steps build on (a person who was
  // not created, a variable that was not saved).
  void run(const std::vector<Step>& steps) {
    for (const auto& s : steps) {
      step_ = &s;
      const bool went_on = execute(s.text);
      if (!skipped_.empty()) return;
      if (!went_on) {
        ADD_FAILURE_AT(file_.string().c_str(), s.line) << "the scenario stops here: later steps build on this one";
        return;
      }
      ++steps_run_;
    }
  }
  int steps_run() const { return steps_run_; }
  const std::string& skipped() const { return skipped_; }

  // Asks every read the run made again, as the log stood when it was made (at_position = the
  // head then, in place of min_position), and expects the very answer it got then: status and
  // body, position included. The readers sign in again first (their old tokens may have
  // expired); who may ask what is judged as it was at that position, like everything else.
  // A problem names the request that got it: the one thing in which two askings differ.
  static json without_request_id(json answer) {
    if (answer.is_object()) answer.erase("request_id");
    return answer;
  }

  void ask_again_in_the_past() {
    for (auto& [name, p] : people_) {
      auto s = server_.http().post("/v1/sessions", json{{"email", p.email}, {"password", kPassword}}.dump());
      if (s.status == 201) p.token = s.json()["token"].get<std::string>();
    }
    for (const auto& asked : asked_) {
      std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
      if (auto p = people_.find(asked.actor); p != people_.end()) headers["Authorization"] = "Bearer " + p->second.token;
      HttpResult r;
      if (asked.method == "GET") {
        r = server_.http().get(asked.path + (asked.path.find('?') == std::string::npos ? "?" : "&") +
                                   "at_position=" + std::to_string(asked.position),
                               headers);
      } else {
        json body = asked.body;
        body.erase("min_position");
        body["at_position"] = asked.position;
        r = server_.http().post(asked.path, body.dump(), headers);
      }
      if (r.status != asked.status || without_request_id(json::parse(r.body, nullptr, false)) !=
                                          without_request_id(asked.answer)) {
        ADD_FAILURE_AT(file_.string().c_str(), asked.line)
            << "step: " << asked.text << "\n  asked again at_position " << asked.position << ": "
            << asked.method << " " << asked.path << "\n  then: " << asked.status << " " << asked.answer.dump()
            << "\n  now:  " << r.status << " " << r.body;
      }
    }
  }
  std::size_t reads_remembered() const { return asked_.size(); }

  // Exports the log (store::export_log, as `touchline export` does) and answers every check the
  // run made from the file, offline, as the log stood then (projections::fold_export, as
  // `touchline check --file --at-position` does): the same decision and reason as the server gave.
  void ask_the_export() {
    std::stringstream file;
    {
      store::StoreOptions o;
      o.path = server_.data_dir();
      o.read_only = true;
      o.create_if_missing = false;
      auto log = store::EventStore::open(o);
      ASSERT_TRUE(log.ok()) << log.error().message;
      auto seed = (*log)->read_secret("tree_head_signing_key");
      ASSERT_TRUE(seed.ok() && *seed);
      ASSERT_TRUE(store::export_log(**log, store::TreeHeadSigner(**seed), 0, file).ok());
    }
    for (const auto& asked : asked_) {
      if (asked.path != "/v1/check" || asked.status != 200) continue;
      file.clear();
      file.seekg(0);
      projections::PermissionProjection folded;
      auto position = projections::fold_export(file, asked.position, folded);
      ASSERT_TRUE(position.ok()) << position.error().message;
      const auto decision = folded.read().check(asked.body["organization_id"].get<std::string>(),
                                                asked.body["subject"].get<std::string>(),
                                                asked.body["permission"].get<std::string>(),
                                                asked.body.value("target", std::string()));
      const json offline = decision ? json{{"allowed", decision->allowed}, {"position", *position},
                                           {"reason", decision->reason.view()}}
                                    : json("organisation not found");
      json then = asked.answer;
      then.erase("explanation");  // offline answers are neither explained nor suggest anything
      then.erase("suggestions");
      if (offline != then) {
        ADD_FAILURE_AT(file_.string().c_str(), asked.line)
            << "step: " << asked.text << "\n  answered from the export at position " << asked.position
            << "\n  server then: " << asked.answer.dump() << "\n  export:      " << offline.dump();
      }
    }
  }

 private:
  // A read this run made and what it answered, to be asked again in the past.
  struct Asked {
    std::string actor, method, path;
    json body;
    std::uint64_t position = 0;
    int status = 0;
    json answer;
    int line = 0;
    std::string text;
  };

  void remember(const std::string& actor, const std::string& method, const std::string& path, const json& body,
                std::uint64_t position, const HttpResult& r) {
    asked_.push_back({actor, method, path, body, position, r.status, json::parse(r.body, nullptr, false), step_->line,
                      step_->text});
  }

  // The GET reads that take at_position: an organisation, its members, a member's permissions.
  static bool answers_in_the_past(const std::string& path) {
    std::vector<std::string> parts;
    std::string segment;
    for (char c : path.substr(0, path.find('?'))) {
      if (c == '/') {
        if (!segment.empty()) parts.push_back(segment);
        segment.clear();
      } else {
        segment += c;
      }
    }
    if (!segment.empty()) parts.push_back(segment);
    if (parts.size() < 3 || parts[0] != "v1" || parts[1] != "organizations") return false;
    return parts.size() == 3 || (parts.size() == 4 && parts[3] == "members") ||
           (parts.size() == 6 && parts[3] == "members" && parts[5] == "permissions");
  }

  // A failed expectation: reported at the step's line, quoting it and the page sentence above it.
  void fail(const std::string& message) {
    ADD_FAILURE_AT(file_.string().c_str(), step_->line)
        << "step: " << step_->text << "\n  " << message
        << (step_->quote.empty() ? "" : "\n  page: " + step_->quote)
        << (step_->note.empty() ? "" : "\n  note: " + step_->note);
  }

  // $name (a person's account id or a saved variable), $today, $today+Nd, $today-Nd.
  std::optional<std::string> substitute(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '$') {
        out += s[i];
        continue;
      }
      std::size_t end = i + 1;
      while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_')) ++end;
      const std::string name = s.substr(i + 1, end - i - 1);
      if (name == "today") {
        std::int64_t offset_days = 0;
        if (end < s.size() && (s[end] == '+' || s[end] == '-')) {
          std::size_t digits = end + 1;
          while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
          if (digits < s.size() && s[digits] == 'd' && digits > end + 1) {
            offset_days = std::stoll(s.substr(end + 1, digits - end - 1)) * (s[end] == '-' ? -1 : 1);
            end = digits + 1;
          }
        }
        out += format_day(today() + offset_days);
      } else if (auto value = lookup(name)) {
        out += *value;
      } else {
        fail("unknown name $" + name + " (neither a person nor a saved variable)");
        return std::nullopt;
      }
      i = end - 1;
    }
    return out;
  }

  std::optional<std::string> lookup(const std::string& name) const {
    if (auto p = people_.find(name); p != people_.end()) return p->second.account_id;
    if (auto v = vars_.find(name); v != vars_.end()) return v->second;
    return std::nullopt;
  }

  std::int64_t today() const {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return (now + clock_offset_ms_) / 86'400'000;
  }

  const Person* person(const std::string& name) {
    auto it = people_.find(name);
    if (it == people_.end()) {
      fail("no person named " + name + " (an `account " + name + " ...` line creates one)");
      return nullptr;
    }
    return &it->second;
  }

  bool execute(const std::string& written) {
    auto text = substitute(written);
    if (!text) return false;
    auto [left, right] = split_arrow(*text);
    std::string error;
    auto expect = parse_expect(right, error);
    if (!expect) {
      fail(error);
      return false;
    }
    const auto w = tokens(left);
    if (w.empty()) return true;
    if (w[0] == "model" && w.size() == 2) return model(w[1]);
    if (w[0] == "account" && w.size() >= 2) return account(w, *expect);
    if (w[0] == "advance" && w.size() == 3) return advance(w[1], w[2]);
    if (w[0] == "check") return check(w, *expect);
    if (w[0].size() > 1 && w[0].back() == ':' && w.size() >= 2) {
      const std::string actor = w[0].substr(0, w[0].size() - 1);
      if (actor == "operator" && w.size() <= 3) return operator_command(w[1], w.size() == 3 ? w[2] : "", *expect);
      std::string token;
      if (actor != "anyone") {
        const Person* p = person(actor);
        if (!p) return false;
        token = p->token;
      }
      if (w[1] == "sign" && w.size() == 3 && w[2] == "in") return sign_in(actor, false, *expect);
      if (w[1] == "sign" && w.size() == 6 && w[2] == "in" && w[3] == "at" && w[4] == "the" && w[5] == "console") {
        return sign_in(actor, true, *expect);
      }
      if (w[1] == "GET" && w.size() == 3) return get(actor, token, w[2], *expect);
      if (w[1] == "POST" && w.size() == 4) return post_read(actor, token, w[2], w[3], *expect);
      if (w[1] == "does") return does(token, w, *expect);
      if (w.size() <= 3) return command(token, w[1], w.size() == 3 ? w[2] : "", *expect);
    }
    fail("cannot read this step (see tests/scenarios/README.md for the format)");
    return false;
  }

  // `model <id>`: the role model organisations founded in this file use unless a step names one.
  bool model(const std::string& id) {
    model_ = id;
    if (!domain::find_role_model(id)) skipped_ = "role model " + id + " is not built in";
    return skipped_.empty();
  }

  // `account <name> [athlete|coach] [{more SignUp fields}]`: signs the person up and in.
  bool account(const std::vector<std::string>& w, const Expect& e) {
    const std::string& name = w[1];
    if (people_.contains(name) || vars_.contains(name)) {
      fail(name + " is already taken");
      return false;
    }
    std::string display = name;
    display[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(display[0])));
    json body{{"email", name + "@example.com"}, {"password", kPassword}, {"display_name", display}};
    std::size_t i = 2;
    if (i < w.size() && w[i].front() != '{') body["membership_role"] = w[i++];
    if (i < w.size()) {
      json more = json::parse(w[i], nullptr, false);
      if (!more.is_object()) {
        fail("the SignUp fields must be a JSON object");
        return false;
      }
      body.update(more);
      ++i;
    }
    if (i != w.size()) {
      fail("cannot read this account line");
      return false;
    }
    with_model("SignUp", body);
    const auto before = server_.head();
    auto r = server_.command("SignUp", body);
    if (!judge(r, e, before, Judged::command)) return false;
    if (r.status != 201) return true;  // an expected refusal: nobody signed up
    Person p{name + "@example.com", r.json()["account_id"].get<std::string>(), ""};
    auto s = server_.http().post("/v1/sessions", json{{"email", p.email}, {"password", kPassword}}.dump());
    if (s.status != 201) {
      fail("signing in after sign-up answered " + std::to_string(s.status) + ": " + s.body);
      return false;
    }
    p.token = s.json()["token"].get<std::string>();
    people_[name] = p;
    return true;
  }

  // `advance <n> hours|days`: the server's clock moves on; everyone signs in again (tokens last
  // 12 hours).
  bool advance(const std::string& amount, const std::string& unit) {
    if (amount.empty() || !std::all_of(amount.begin(), amount.end(), ::isdigit) ||
        (unit != "hours" && unit != "days" && unit != "hour" && unit != "day")) {
      fail("advance <n> hours|days");
      return false;
    }
    const std::int64_t ms = std::stoll(amount) * (unit.starts_with("day") ? 86'400'000 : 3'600'000);
    server_.advance_clock(std::chrono::milliseconds(ms));
    clock_offset_ms_ += ms;
    for (auto& [name, p] : people_) {
      auto s = server_.http().post("/v1/sessions", json{{"email", p.email}, {"password", kPassword}}.dump());
      if (s.status != 201) {
        fail(name + " could not sign in again: " + s.body);
        return false;
      }
      p.token = s.json()["token"].get<std::string>();
    }
    return true;
  }

  // `check <subject> <permission> [on <target>] [in <organisation>] -> allow|deny ["reason"]`,
  // asked by the subject, seeing everything so far.
  bool check(const std::vector<std::string>& w, const Expect& e) {
    if (w.size() < 3 || (e.outcome != "allow" && e.outcome != "deny") || !e.saves.empty() ||
        !e.assertions.empty()) {
      fail("check <subject> <permission> [on <target>] [in <organisation>] -> allow|deny [\"reason\"]");
      return false;
    }
    const Person* subject = person(w[1]);
    if (!subject) return false;
    json body{{"subject", subject->account_id}, {"permission", w[2]}};
    std::string org = "org";
    for (std::size_t i = 3; i < w.size(); i += 2) {
      if (i + 1 >= w.size() || (w[i] != "on" && w[i] != "in")) {
        fail("after the permission: `on <target>` and `in <organisation>`");
        return false;
      }
      if (w[i] == "on") {
        const Person* target = person(w[i + 1]);
        if (!target) return false;
        body["target"] = target->account_id;
      } else {
        org = w[i + 1];
      }
    }
    auto org_id = lookup(org);
    if (!org_id) {
      fail("no organisation saved as " + org);
      return false;
    }
    body["organization_id"] = *org_id;
    const auto before = server_.head();
    body["min_position"] = before;
    auto r = server_.check(subject->token, body);
    remember(w[1], "POST", "/v1/check", body, before, r);
    if (r.status != 200) {
      fail("POST /v1/check answered " + std::to_string(r.status) + ": " + r.body);
      return true;
    }
    const json answer = r.json();
    const bool allowed = answer["allowed"].get<bool>();
    const std::string reason = answer["reason"].get<std::string>();
    if (allowed != (e.outcome == "allow")) {
      fail(std::string("expected ") + e.outcome + ", got " + (allowed ? "allow" : "deny") + ": " + reason);
    } else if (!e.text.empty() && reason.find(e.text) == std::string::npos) {
      fail("the reason should contain \"" + e.text + "\"; it is: " + reason);
    }
    return true;
  }

  // `<name>: sign in [at the console]`: POST /v1/sessions; the new token is theirs from now on.
  bool sign_in(const std::string& actor, bool console, const Expect& e) {
    auto it = people_.find(actor);
    if (it == people_.end()) {
      fail("only a person signs in");
      return false;
    }
    json body{{"email", it->second.email}, {"password", kPassword}};
    if (console) body["console"] = true;
    const auto before = server_.head();
    auto r = server_.http().post("/v1/sessions", body.dump());
    if (!judge(r, e, before, Judged::other)) return false;
    if (r.status == 201) it->second.token = r.json()["token"].get<std::string>();
    return true;
  }

  // `<name>: GET <path>`: organisation paths read with min_position = the log's head, unless the
  // path names when to read.
  bool get(const std::string& actor, const std::string& token, std::string path, const Expect& e) {
    const std::string asked = path;
    if (path.starts_with("/v1/organizations/") && path.find("min_position=") == std::string::npos &&
        path.find("at_position=") == std::string::npos && path.find("at_time=") == std::string::npos) {
      path += (path.find('?') == std::string::npos ? "?" : "&") + std::string("min_position=") +
              std::to_string(server_.head());
    }
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    const auto before = server_.head();
    auto r = server_.http().get(path, headers);
    if (asked != path && answers_in_the_past(asked)) remember(actor, "GET", asked, json(), before, r);
    return judge(r, e, before, Judged::read);
  }

  // `<name>: POST <path> {body}`: a read that takes a body (/v1/checks, /v1/lookup/...), with
  // min_position = the log's head unless the body names when to read. It must append nothing.
  bool post_read(const std::string& actor, const std::string& token, const std::string& path,
                 const std::string& text, const Expect& e) {
    json body = json::parse(text, nullptr, false);
    if (!body.is_object()) {
      fail("the body must be a JSON object");
      return false;
    }
    const bool own_position = body.contains("min_position") || body.contains("at_position") || body.contains("at_time");
    if (!own_position) body["min_position"] = server_.head();
    std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    const auto before = server_.head();
    auto r = server_.http().post(path, body.dump(), headers);
    if (!own_position) remember(actor, "POST", path, body, before, r);
    return judge(r, e, before, Judged::read);
  }

  // `<name>: does <action> to <target> [{more fields}] -> allowed|denied ["reason"]`: POST
  // /v1/actions, which records the attempt either way.
  bool does(const std::string& token, const std::vector<std::string>& w, const Expect& e) {
    if (w.size() < 5 || w[3] != "to" || w.size() > 6) {
      fail("<name>: does <action> to <target> [{fields}]");
      return false;
    }
    const Person* target = person(w[4]);
    if (!target) return false;
    json body{{"action", w[2]}, {"target", target->account_id}};
    if (w.size() == 6) {
      json more = json::parse(w[5], nullptr, false);
      if (!more.is_object()) {
        fail("the extra fields must be a JSON object");
        return false;
      }
      body.update(more);
    }
    if (!with_organization(body)) return false;
    const auto before = server_.head();
    auto r = server_.http().post("/v1/actions", body.dump(), {{"Authorization", "Bearer " + token}});
    return judge(r, e, before, Judged::action);
  }

  // `<name>: <Command> [{fields}]`: POST /v1/commands/<Command>.
  bool command(const std::string& token, const std::string& name, const std::string& fields, const Expect& e) {
    json body = fields.empty() ? json::object() : json::parse(fields, nullptr, false);
    if (!body.is_object()) {
      fail("the command's fields must be a JSON object");
      return false;
    }
    if (takes_organization(name) && !with_organization(body)) return false;
    with_model(name, body);
    const auto before = server_.head();
    return judge(server_.command(name, body, token), e, before, Judged::command);
  }

  // `operator: <Command> {json}`: POST /v1/operator/commands/<Command> with the operator token.
  bool operator_command(const std::string& name, const std::string& fields, const Expect& e) {
    json body = fields.empty() ? json::object() : json::parse(fields, nullptr, false);
    if (!body.is_object()) {
      fail("the command's fields must be a JSON object");
      return false;
    }
    if (takes_organization(name) && !with_organization(body)) return false;
    const auto before = server_.head();
    return judge(server_.http().post("/v1/operator/commands/" + name, body.dump(),
                                     {{"Authorization", std::string("Bearer ") + kOperatorToken}}),
                 e, before, Judged::command);
  }

  bool with_organization(json& body) {
    if (body.contains("organization_id")) return true;
    auto org = lookup("org");
    if (!org) {
      fail("no organization_id given and none saved as org");
      return false;
    }
    body["organization_id"] = *org;
    return true;
  }

  // A body that founds an organisation (SignUp or UpgradeToCoach with organization_name,
  // CreateOrganization) founds one of the file's model unless it names one.
  void with_model(const std::string& command, json& body) {
    const bool founds = command == "CreateOrganization" ||
                        ((command == "SignUp" || command == "UpgradeToCoach") && body.contains("organization_name"));
    if (founds && !model_.empty() && !body.contains("role_model")) body["role_model"] = model_;
  }

  enum class Judged { command, action, read, other };

  // Checks an answer against the expectation; false when a variable to save is missing (later
  // steps would read it).
  bool judge(const HttpResult& r, const Expect& e, std::uint64_t before, Judged kind) {
    const json body = json::parse(r.body, nullptr, false);
    const auto after = server_.head();
    const bool success = r.status >= 200 && r.status < 300;
    std::string problem;  // what the answer says, for substring matches
    if (body.is_object()) {
      for (const char* field : {"detail", "reason", "code"}) {
        if (body.contains(field) && body[field].is_string()) problem += body[field].get<std::string>() + " | ";
      }
    }
    const std::string seen = "got " + std::to_string(r.status) + ": " + shorten(r.body);
    // A wrong outcome: later steps may still run, unless they need a variable this one saves.
    auto wrong = [&](const std::string& message) {
      fail(message);
      return e.saves.empty();
    };
    const std::string& outcome = e.outcome;
    if (outcome.empty() || outcome == "ok" || outcome == "allowed") {
      if (!success) return wrong("expected success, " + seen);
      if (outcome == "allowed" && body.value("allowed", false) != true) return wrong("expected allowed, " + seen);
    } else if (outcome == "unchanged") {
      if (!success) return wrong("expected success with nothing appended, " + seen);
      if (after != before) {
        fail("expected nothing appended, but the log moved from " + std::to_string(before) + " to " +
             std::to_string(after));
      }
    } else if (outcome == "denied") {
      if (r.status != 403 || body.value("reason", "") != "action_denied") {
        return wrong("expected a denied attempt (403, reason action_denied), " + seen);
      }
      if (after != before + 1) fail("a denied attempt is recorded: expected one event appended");
    } else if (outcome == "allow" || outcome == "deny") {
      return wrong("allow and deny are for check lines; a request expects ok, unchanged, a status, allowed or denied");
    } else if (r.status != std::stoi(outcome)) {
      return wrong("expected " + outcome + ", " + seen);
    }
    if (kind == Judged::command && !success && after != before) {
      fail("a refused command appended " + std::to_string(after - before) + " event(s); nothing should be");
    }
    if (!e.text.empty()) {
      const std::string& haystack = success ? r.body : problem;
      if (haystack.find(e.text) == std::string::npos) {
        fail("the answer should contain \"" + e.text + "\"; " + seen);
      }
    }
    for (const auto& a : e.assertions) {
      const json* at = body.is_discarded() ? nullptr : resolve(body, a.path);
      if (a.op == "=" && a.value == "missing") {
        if (at) fail(a.path + " should be missing; it is " + at->dump());
      } else if (!at) {
        fail(a.path + " is missing from the answer: " + shorten(r.body));
      } else if (a.op == "=" && !same_value(*at, a.value)) {
        fail(a.path + " should be " + a.value + "; it is " + at->dump());
      } else if (a.op == "!=" && same_value(*at, a.value)) {
        fail(a.path + " should not be " + a.value);
      } else if (a.op == "~" &&
                 (at->is_string() ? at->get<std::string>() : at->dump()).find(a.value) == std::string::npos) {
        fail(a.path + " should contain \"" + a.value + "\"; it is " + at->dump());
      }
    }
    for (const auto& [var, path] : e.saves) {
      const json* at = body.is_discarded() ? nullptr : resolve(body, path);
      if (!at) {
        fail("nothing at " + path + " to save as " + var + ": " + shorten(r.body));
        return false;
      }
      if (people_.contains(var)) {
        fail(var + " is a person's name; save under another");
        return false;
      }
      vars_[var] = at->is_string() ? at->get<std::string>() : at->dump();
    }
    return true;
  }

  fs::path file_;
  TestServer server_;
  const Step* step_ = nullptr;
  std::string model_, skipped_;
  std::map<std::string, Person> people_;
  std::map<std::string, std::string> vars_;
  std::int64_t clock_offset_ms_ = 0;
  int steps_run_ = 0;
  std::vector<Asked> asked_;
};

class SeedScenarios : public ::testing::TestWithParam<fs::path> {};

TEST_P(SeedScenarios, ThePageHoldsThroughTheApi) {
  const auto steps = read_steps(GetParam());
  ASSERT_FALSE(steps.empty()) << GetParam() << " has no steps";
  ScenarioRun run(GetParam());
  run.run(steps);
  if (!run.skipped().empty()) GTEST_SKIP() << run.skipped();
  run.ask_again_in_the_past();
  run.ask_the_export();
  RecordProperty("asked_again_in_the_past", static_cast<int>(run.reads_remembered()));
  RecordProperty("steps", run.steps_run());
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeedScenarios,
                         ::testing::ValuesIn(data_files(fs::path(TOUCHLINE_SOURCE_DIR) / "tests/scenarios", ".scenario")),
                         [](const auto& info) { return test_name_of(info.param); });

}  // namespace
}  // namespace touchline::testing
