// The check endpoints: one check, a batch of them, and the two lookups. Each decodes its body,
// takes one view of the permission projection, now (after min_position) or in the past
// (at_position, at_time), and answers through the read side's queries (touchline/api/queries.h).
#include <set>

#include "endpoint_helpers.h"
#include "touchline/api/api.h"
#include "touchline/api/commands/body.h"
#include "touchline/api/queries.h"
#include "touchline/domain/role_model.h"

namespace touchline::api {

using namespace endpoints;

namespace {

constexpr std::size_t kMaxBatch = 1000;
// A batch of the past loads each organisation's history before it answers: a bound on that work.
constexpr std::size_t kMaxPastBatchOrganizations = 20;
constexpr std::uint64_t kMaxPage = 1000;

std::optional<Error> unknown_permission(const std::string& permission, const std::string& field) {
  if (domain::find_permission(permission)) return std::nullopt;
  return invalid("'" + permission + "' is not a known permission; GET /v1/permissions lists them", field);
}

// One check's fields; the body's finish() says what was wrong with them.
queries::CheckQuery read_check(commands::Body& body) {
  return {body.required_id("organization_id"), body.required_id("subject"), body.required("permission"),
          body.optional_id("target")};
}

Result<queries::PageRequest> read_page(commands::Body& body) {
  queries::PageRequest page;
  page.after = body.optional_id("after");
  const int limit = body.optional_count("limit", 100);
  if (limit < 1 || static_cast<std::uint64_t>(limit) > kMaxPage) {
    return invalid("limit must be between 1 and " + std::to_string(kMaxPage), "limit");
  }
  page.limit = static_cast<std::size_t>(limit);
  return page;
}

// The answers of a check and of a batch, the most frequent answers there are, written straight
// into their text: what json_response would write for the same values (members in its order),
// without building a json value first.
std::string decision_text(const domain::Decision& decision, std::uint64_t position) {
  std::string out;
  out.reserve(64 + decision.reason.view().size());
  out.append(decision.allowed ? R"({"allowed":true,"position":)" : R"({"allowed":false,"position":)");
  out.append(std::to_string(position)).append(R"(,"reason":)");
  append_json_string(out, decision.reason.view());
  out.push_back('}');
  return out;
}

std::string batch_text(const std::vector<queries::BatchAnswer>& answers, std::uint64_t position) {
  std::string out;
  out.reserve(64 + answers.size() * 96);
  out.append(R"({"position":)").append(std::to_string(position)).append(R"(,"results":[)");
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const auto& a = answers[i];
    if (i > 0) out.push_back(',');
    out.append(a.decision.allowed ? R"({"allowed":true,)" : R"({"allowed":false,)");
    if (!a.not_asked.empty()) {
      out.append(R"("not_asked":)");
      append_json_string(out, a.not_asked);
      out.push_back(',');
    }
    out.append(R"("reason":)");
    append_json_string(out, a.decision.reason.view());
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

json next_json(const std::string& next) { return next.empty() ? json(nullptr) : json(next); }

// What both lookups take: the organisation, the permission, the page and when to read.
struct LookupRequest {
  std::string organization_id, permission;
  queries::PageRequest page;
  ReadAt at;
};

// What a past read of these checks needs loaded: their organisations, and the privacy settings
// of the caller and of every subject and target.
projections::PastRead past_read(const std::string& caller, const std::vector<queries::CheckQuery>& checks) {
  projections::PastRead past;
  past.accounts.push_back(caller);
  for (const auto& q : checks) {
    past.organizations.push_back(q.organization_id);
    past.accounts.push_back(q.subject);
    if (!q.target.empty()) past.accounts.push_back(q.target);
  }
  return past;
}

// Reads a lookup's body: the fields both take, and through `own` the one that differs.
Result<LookupRequest> read_lookup(const std::string& text, const std::function<void(commands::Body&)>& own) {
  auto json_body = parse_json_object(text);
  if (!json_body.ok()) return json_body.error();
  commands::Body body(*json_body);
  LookupRequest q;
  q.organization_id = body.required_id("organization_id");
  own(body);
  q.permission = body.required("permission");
  auto page = read_page(body);
  q.at = read_at(body);
  if (auto err = body.finish()) return *err;
  if (auto err = one_read_time(q.at)) return *err;
  if (!page.ok()) return page.error();
  if (auto err = unknown_permission(q.permission, "permission")) return *err;
  q.page = std::move(*page);
  return q;
}

// An explained check's gates, as /v1/check answers them, with who recorded each source event and
// what it was (read from the log).
Result<json> explanation_json(const store::EventStore& log, const std::vector<queries::ExplainedGate>& gates) {
  std::vector<std::uint64_t> positions;
  for (const auto& g : gates) {
    if (g.established_at != 0) positions.push_back(g.established_at);
  }
  auto origins = projections::event_origins(log, positions);
  if (!origins.ok()) return origins.error();
  json out = json::array();
  for (const auto& g : gates) {
    json entry{{"gate", g.gate.name}, {"passed", g.gate.passed}, {"detail", g.gate.detail},
               {"organization_id", g.gate.organization.empty() ? json(nullptr) : json(g.gate.organization)},
               {"facts", g.gate.facts}, {"established_by", nullptr}};
    if (g.established_at != 0) {
      const auto& origin = origins->at(g.established_at);
      entry["established_by"] = {{"position", g.established_at}, {"actor", origin.actor}, {"event", origin.event}};
    }
    out.push_back(std::move(entry));
  }
  return out;
}

// Suggestions, as /v1/check answers them.
json suggestions_json(const std::vector<queries::Suggestion>& suggestions) {
  json out = json::array();
  for (const auto& suggestion : suggestions) {
    json commands = json::array();
    for (const auto& c : suggestion.commands) {
      commands.push_back({{"command", c.name}, {"body", c.body}, {"senders", c.senders}});
    }
    out.push_back({{"commands", std::move(commands)}});
  }
  return out;
}

}  // namespace

void Api::check(const HttpRequest& req, Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  auto json_body = parse_json_object(req.body);
  if (!json_body.ok()) return respond(fail(json_body.error()));
  commands::Body body(*json_body);
  queries::CheckQuery q = read_check(body);
  const ReadAt at = read_at(body);
  const bool explain = body.optional_bool("explain", false);
  const bool suggest = body.optional_bool("suggest", false);
  if (auto err = body.finish()) return respond(fail(*err));
  if (auto err = one_read_time(at)) return respond(fail(*err));
  if (auto err = unknown_permission(q.permission, "permission")) return respond(fail(*err));
  auto past = at.past() ? past_read(*caller, {q}) : projections::PastRead{};
  read_permissions(at, past, std::move(respond),
                   [this, caller = *caller, q = std::move(q), explain, suggest](const projections::PermissionView& view) {
    auto decision = queries::check(view, caller, q);
    if (!decision.ok()) return fail(decision.error());
    if (!explain && !suggest) return json_text_response(200, decision_text(*decision, view.position()));
    json answer{{"allowed", decision->allowed}, {"reason", decision->reason.view()}, {"position", view.position()}};
    if (explain) {
      auto explained = queries::explain(view, caller, q);
      if (!explained.ok()) return fail(explained.error());
      auto explanation = explanation_json(deps_.log, explained->gates);
      if (!explanation.ok()) return fail(explanation.error());
      answer["explanation"] = std::move(*explanation);
    }
    if (suggest) {
      auto suggestions = queries::suggest(view, caller, q);
      if (!suggestions.ok()) return fail(suggestions.error());
      answer["suggestions"] = suggestions_json(*suggestions);
    }
    return json_response(200, answer);
  });
}

void Api::checks(const HttpRequest& req, Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  auto json_body = parse_json_object(req.body);
  if (!json_body.ok()) return respond(fail(json_body.error()));
  commands::Body body(*json_body);
  const json* items = body.required_array("checks");
  const ReadAt at = read_at(body);
  if (auto err = body.finish()) return respond(fail(*err));
  if (auto err = one_read_time(at)) return respond(fail(*err));
  if (items->empty() || items->size() > kMaxBatch) {
    return respond(fail(invalid("checks must hold 1 to " + std::to_string(kMaxBatch) + " items", "checks")));
  }
  std::vector<queries::CheckQuery> batch;
  batch.reserve(items->size());
  for (std::size_t i = 0; i < items->size(); ++i) {
    commands::Body item((*items)[i]);
    queries::CheckQuery q = read_check(item);
    std::optional<Error> err = item.finish();
    if (!err) err = unknown_permission(q.permission, "permission");
    if (err) {
      const std::string where = "checks[" + std::to_string(i) + "]";
      err->message = where + ": " + err->message;
      err->field = err->field.empty() ? where : where + "." + err->field;
      return respond(fail(*err));
    }
    batch.push_back(std::move(q));
  }
  auto past = at.past() ? past_read(*caller, batch) : projections::PastRead{};
  if (std::set<std::string>(past.organizations.begin(), past.organizations.end()).size() > kMaxPastBatchOrganizations) {
    return respond(fail(invalid("a batch of the past (at_position, at_time) names at most " +
                                    std::to_string(kMaxPastBatchOrganizations) + " organisations",
                                "checks")));
  }
  read_permissions(at, past, std::move(respond),
                   [caller = *caller, batch = std::move(batch)](const projections::PermissionView& view) {
    return json_text_response(200, batch_text(queries::check_many(view, caller, batch), view.position()));
  });
}

void Api::lookup_subjects(const HttpRequest& req, Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  std::string target;
  auto q = read_lookup(req.body, [&](commands::Body& body) { target = body.optional_id("target"); });
  if (!q.ok()) return respond(fail(q.error()));
  projections::PastRead past{.organizations = {q->organization_id}, .accounts = {*caller}, .members_privacy = true};
  if (!target.empty()) past.accounts.push_back(target);
  read_permissions(q->at, past, std::move(respond),
                   [this, caller = *caller, q = *q, target](const projections::PermissionView& view) {
    auto found = queries::lookup_subjects(view, caller, q.organization_id, q.permission, target, q.page);
    if (!found.ok()) return fail(found.error());
    json subjects = json::array();
    for (const auto& s : found->subjects) {
      json entry{{"account_id", s.account_id}, {"role", s.role}, {"reason", s.reason.view()}};
      if (!s.grant.empty()) entry["grant"] = s.grant;
      if (s.from_parent) entry["from_parent"] = true;
      subjects.push_back(std::move(entry));
    }
    return json_response(200, {{"subjects", std::move(subjects)}, {"next", next_json(found->next)},
                               {"position", view.position()}});
  });
}

void Api::lookup_targets(const HttpRequest& req, Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  std::string subject;
  auto q = read_lookup(req.body, [&](commands::Body& body) { subject = body.required_id("subject"); });
  if (!q.ok()) return respond(fail(q.error()));
  projections::PastRead past{.organizations = {q->organization_id}, .accounts = {*caller, subject},
                              .members_privacy = true};
  read_permissions(q->at, past, std::move(respond),
                   [this, caller = *caller, q = *q, subject](const projections::PermissionView& view) {
    auto found = queries::lookup_targets(view, caller, q.organization_id, subject, q.permission, q.page);
    if (!found.ok()) return fail(found.error());
    json targets = json::array();
    for (const auto& t : found->targets) targets.push_back({{"account_id", t.account_id}, {"reason", t.reason.view()}});
    return json_response(200, {{"without_target",
                                {{"allowed", found->without_target.allowed}, {"reason", found->without_target.reason.view()}}},
                               {"all", found->all},
                               {"targets", std::move(targets)},
                               {"next", next_json(found->next)},
                               {"position", view.position()}});
  });
}

}  // namespace touchline::api
