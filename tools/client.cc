#include "client.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>

namespace touchline::tools {
namespace {

using nlohmann::json;

// The answer's JSON when the server answered 2xx with JSON; otherwise prints why not (to stderr)
// and answers nullopt.
std::optional<json> ask(const Result<Answer>& answer) {
  if (!answer.ok()) {
    std::cerr << "touchline: " << answer.error().message << "\n";
    return std::nullopt;
  }
  if (answer->status < 200 || answer->status > 299) {
    std::cerr << "touchline: " << render_problem(answer->status, answer->body, answer->request_id) << "\n";
    return std::nullopt;
  }
  json body = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    std::cerr << "touchline: the server answered " << answer->status << " with a body that is not JSON\n";
    return std::nullopt;
  }
  return body;
}

std::optional<json> parse_body(const std::string& text) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    std::cerr << "touchline: --json must be a JSON object\n";
    return std::nullopt;
  }
  return body;
}

void add_read_point(json& body, const ReadPoint& at) {
  if (at.at_position) body["at_position"] = *at.at_position;
  if (!at.at_time.empty()) body["at_time"] = at.at_time;
  if (at.min_position) body["min_position"] = *at.min_position;
}

// "?a=1&b=2" from the pairs with a value.
std::string query(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (value.empty()) continue;
    out += (out.empty() ? "?" : "&") + name + "=" + query_escape(value);
  }
  return out;
}

// The read point as query pairs, for query().
std::vector<std::pair<std::string, std::string>> read_point_query(const ReadPoint& at) {
  return {{"at_position", at.at_position ? std::to_string(*at.at_position) : ""},
          {"at_time", at.at_time},
          {"min_position", at.min_position ? std::to_string(*at.min_position) : ""}};
}

void print(Output out, const json& answer, const std::string& table) {
  std::cout << (out == Output::json ? answer.dump() + "\n" : table);
}

std::string yes_no(const json& v) { return v.is_boolean() ? (v.get<bool>() ? "yes" : "no") : cell(v); }

std::string audit_line(const json& e) {
  return cell(e.value("position", json())) + "  " + cell(e.value("recorded_at", json())) + "  " +
         cell(e.value("actor", json())) + "  " + cell(e.value("action", json())) + "  " +
         cell(e.value("subject", json()));
}

}  // namespace

std::string cell(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  return value.dump();
}

std::string render_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(headers.size());
  for (std::size_t c = 0; c < headers.size(); ++c) width[c] = headers[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < width.size(); ++c) {
      const std::string& v = c < cells.size() ? cells[c] : std::string();
      text += v;
      if (c + 1 < width.size()) text += std::string(width[c] - v.size() + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  line(headers);
  for (const auto& row : rows) line(row);
  return out;
}

std::string render_fields(const json& object) {
  std::size_t width = 0;
  for (const auto& [name, value] : object.items()) width = std::max(width, name.size());
  std::string out;
  for (const auto& [name, value] : object.items()) {
    out += name + std::string(width - name.size() + 2, ' ') + cell(value) + "\n";
  }
  return out;
}

std::string render_problem(int status, const std::string& body, const std::string& request_id) {
  const json problem = json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string out = std::to_string(status);
  if (problem.is_object()) {
    out += " " + problem.value("code", std::string("error")) + ": " + problem.value("detail", std::string());
  } else if (!body.empty()) {
    out += ": " + body.substr(0, 200);
  }
  std::string notes;
  if (problem.is_object() && problem.contains("field")) notes += "field " + cell(problem["field"]);
  if (!request_id.empty()) notes += (notes.empty() ? "" : ", ") + std::string("request id ") + request_id;
  return notes.empty() ? out : out + " (" + notes + ")";
}

std::string query_escape(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

int remote_sign_in(const Remote& server, Output out, const std::string& email, const std::string& password) {
  auto answer = ask(server.post("/v1/sessions", json{{"email", email}, {"password", password}}.dump()));
  if (!answer) return 1;
  // The token alone, so that `export TOUCHLINE_TOKEN=$(touchline ... sign-in ...)` works.
  std::cout << (out == Output::json ? answer->dump() : cell(answer->value("token", json()))) << "\n";
  return 0;
}

int remote_check(const Remote& server, Output out, const CheckRequest& check) {
  json body{{"organization_id", check.organization}, {"subject", check.subject}, {"permission", check.permission}};
  if (!check.target.empty()) body["target"] = check.target;
  add_read_point(body, check.at);
  auto answer = ask(server.post("/v1/check", body.dump()));
  if (!answer) return 1;
  print(out, *answer,
        render_fields(json{{"allowed", yes_no(answer->value("allowed", json()))},
                           {"reason", answer->value("reason", json())},
                           {"position", answer->value("position", json())}}));
  return 0;
}

int remote_checks(const Remote& server, Output out, const std::string& json_body) {
  auto body = parse_body(json_body);
  if (!body) return 2;
  auto answer = ask(server.post("/v1/checks", body->dump()));
  if (!answer) return 1;
  std::vector<std::vector<std::string>> rows;
  const json asked = body->value("checks", json::array());
  const json results = answer->value("results", json::array());
  for (std::size_t i = 0; i < results.size(); ++i) {
    const json item = i < asked.size() ? asked[i] : json::object();
    rows.push_back({std::to_string(i), cell(item.value("subject", json())), cell(item.value("permission", json())),
                    cell(item.value("target", json())), yes_no(results[i].value("allowed", json())),
                    cell(results[i].value("reason", json()))});
  }
  print(out, *answer,
        render_table({"#", "subject", "permission", "target", "allowed", "reason"}, rows) +
            "position " + cell(answer->value("position", json())) + "\n");
  return 0;
}

int remote_lookup(const Remote& server, Output out, const LookupRequest& lookup) {
  json body{{"organization_id", lookup.organization}, {"permission", lookup.permission}};
  if (lookup.kind == "subjects" && !lookup.target.empty()) body["target"] = lookup.target;
  if (lookup.kind == "targets") body["subject"] = lookup.subject;
  std::vector<std::vector<std::string>> rows;
  json all = json::array();
  json last;
  for (std::string after;;) {  // every page
    if (!after.empty()) body["after"] = after;
    auto answer = ask(server.post("/v1/lookup/" + lookup.kind, body.dump()));
    if (!answer) return 1;
    for (const auto& item : answer->value(lookup.kind, json::array())) {
      all.push_back(item);
      if (lookup.kind == "subjects") {
        rows.push_back({cell(item.value("account_id", json())), cell(item.value("role", json())),
                        cell(item.value("reason", json()))});
      } else {
        rows.push_back({cell(item.value("account_id", json())), cell(item.value("reason", json()))});
      }
    }
    last = *answer;
    const json next = answer->value("next", json());
    if (!next.is_string()) break;
    after = next.get<std::string>();
  }
  last[lookup.kind] = all;
  last["next"] = nullptr;
  const auto headers = lookup.kind == "subjects" ? std::vector<std::string>{"account_id", "role", "reason"}
                                                 : std::vector<std::string>{"account_id", "reason"};
  print(out, last, render_table(headers, rows) + "position " + cell(last.value("position", json())) + "\n");
  return 0;
}

int remote_members(const Remote& server, Output out, const std::string& organization, const std::string& role,
                   const ReadPoint& at) {
  std::vector<std::vector<std::string>> rows;
  json all = json::array();
  json last;
  std::string after;
  for (;;) {  // every page
    auto pairs = read_point_query(at);
    pairs.insert(pairs.end(), {{"role", role}, {"after", after}, {"limit", "500"}});
    const std::string target = "/v1/organizations/" + query_escape(organization) + "/members" + query(pairs);
    auto answer = ask(server.get(target));
    if (!answer) return 1;
    for (const auto& m : answer->value("members", json::array())) {
      all.push_back(m);
      rows.push_back({cell(m.value("account_id", json())), cell(m.value("role", json())),
                      cell(m.value("custom_role", json())), cell(m.value("coach", json())),
                      m.value("deactivated", false) ? "deactivated" : "active",
                      m.contains("consenting") ? yes_no(m["consenting"]) : "-"});
    }
    last = *answer;
    const json next = answer->value("next", json());
    if (!next.is_string()) break;
    after = next.get<std::string>();
  }
  last["members"] = all;
  last["next"] = nullptr;
  print(out, last,
        render_table({"account_id", "role", "custom_role", "coach", "status", "consenting"}, rows) + "position " +
            cell(last.value("position", json())) + "\n");
  return 0;
}

int remote_organization(const Remote& server, Output out, const std::string& organization, const ReadPoint& at) {
  auto answer = ask(server.get("/v1/organizations/" + query_escape(organization) + query(read_point_query(at))));
  if (!answer) return 1;
  print(out, *answer, render_fields(*answer));
  return 0;
}

int remote_audit(const Remote& server, Output out, const AuditRequest& audit) {
  const std::string target = "/v1/organizations/" + query_escape(audit.organization) + "/audit" +
                             query({{"limit", std::to_string(audit.limit)},
                                    {"category", audit.category},
                                    {"actor", audit.actor},
                                    {"subject", audit.subject},
                                    {"since", audit.since},
                                    {"until", audit.until},
                                    {"min_position", audit.min_position ? std::to_string(*audit.min_position) : ""}});
  auto answer = ask(server.get(target));
  if (!answer) return 1;
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : answer->value("entries", json::array())) {
    rows.push_back({cell(e.value("position", json())), cell(e.value("recorded_at", json())),
                    cell(e.value("actor", json())), cell(e.value("action", json())), cell(e.value("subject", json())),
                    cell(e.value("category", json()))});
  }
  std::string table = render_table({"position", "recorded_at", "actor", "action", "subject", "category"}, rows);
  if (answer->value("next", json()).is_null()) {
    table += "(the whole log)\n";
  } else {
    table += "(more before position " + cell((*answer)["next"]) + ")\n";
  }
  print(out, *answer, table);
  return 0;
}

int remote_watch(const Remote& server, Output out, const WatchRequest& watch) {
  std::uint64_t after = watch.after;
  std::uint64_t seen = 0;
  for (;;) {
    // A long poll: the answer waits up to 30 s for the next entry, then comes back empty.
    const bool whole_log = watch.organization.empty();
    const std::string target =
        whole_log ? "/v1/events?after=" + std::to_string(after) + "&limit=100&wait=30"
                  : "/v1/organizations/" + query_escape(watch.organization) + "/audit?after=" + std::to_string(after) +
                        "&limit=100&wait=30";
    auto answer = ask(server.get(target));
    if (!answer) return 1;
    for (const auto& item : answer->value(whole_log ? "events" : "entries", json::array())) {
      if (out == Output::json) {
        std::cout << item.dump() << "\n";
      } else if (whole_log) {
        std::cout << cell(item.value("position", json())) << "  " << cell(item.value("type", json())) << "  "
                  << cell(item.value("stream", json())) << "  " << cell(item.value("actor", json())) << "\n";
      } else {
        std::cout << audit_line(item) << "\n";
      }
      std::cout.flush();
      if (watch.count != 0 && ++seen == watch.count) return 0;
    }
    // The page says where it read to: the last event's position, or the log's end for an audit
    // page whose filters or rights skipped a stretch.
    const json next = answer->value(whole_log ? "next" : "after", json());
    if (next.is_number_unsigned()) {
      after = next.get<std::uint64_t>();
    } else if (whole_log && !(*answer)["events"].empty()) {
      after = (*answer)["events"].back().value("position", after);
    }
  }
}

int remote_command(const Remote& server, Output out, const std::string& name, const std::string& json_body,
                   bool dry_run, bool as_operator) {
  auto body = parse_body(json_body);
  if (!body) return 2;
  const std::string target = std::string(as_operator ? "/v1/operator/commands/" : "/v1/commands/") +
                             query_escape(name) + (dry_run ? "?dry_run=true" : "");
  auto answer = ask(server.post(target, body->dump()));
  if (!answer) return 1;
  print(out, *answer, render_fields(*answer));
  return 0;
}

}  // namespace touchline::tools
