// The organisation's read endpoints: the organisation and its members, a member's effective
// permissions, the compliance dashboard and the audit log. Each decodes, asks the read side's
// queries (touchline/api/queries.h) on one view of the permission projection, and renders.
#include <algorithm>

#include "endpoint_helpers.h"
#include "touchline/api/api.h"
#include "touchline/api/queries.h"
#include "touchline/domain/credentials.h"
#include "touchline/domain/role_model.h"

namespace touchline::api {

using namespace endpoints;

namespace {

Result<std::optional<bool>> parse_optional_bool(const std::map<std::string, std::string>& query, const std::string& name) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return std::optional<bool>();
  if (it->second == "true") return std::optional<bool>(true);
  if (it->second == "false") return std::optional<bool>(false);
  return invalid(name + " must be true or false", name);
}

}  // namespace

void Api::read_permissions(const ReadAt& at, const projections::PastRead& past, Responder respond,
                           PermissionRead read) {
  if (!at.past()) {
    return after_position(deps_.permissions_runner, "permissions", at.min_position, std::move(respond),
                          [read = std::move(read), &permissions = deps_.permissions](Responder respond) {
      HttpResponse answer = [&] {
        const projections::PermissionView view = permissions.read();
        return read(view);
      }();
      respond(std::move(answer));
    });
  }
  // A past read folds at most a history row's distance of each stream it needs (milliseconds),
  // here on the HTTP thread, as the event feed's reads are.
  std::uint64_t position = 0;
  if (at.at_time) {
    auto found = history_.position_at_time(*at.at_time);
    if (!found.ok()) return respond(fail(found.error()));
    position = *found;
  } else {
    position = *at.at_position;
    if (const auto head = deps_.log.head_position(); position > head) {
      return respond(fail(invalid("at_position " + std::to_string(position) + " is beyond the log's head, " +
                                      std::to_string(head),
                                  "at_position")));
    }
  }
  // Who may ask is decided by the organisations and the caller's own settings: refuse on those
  // alone before loading every subject's, target's or member's history.
  if (past.members_privacy || past.accounts.size() > 1) {
    projections::PastRead first{past.organizations, {}, false};
    if (!past.accounts.empty()) first.accounts.push_back(past.accounts.front());
    auto view = history_.at(position, first);
    if (!view.ok()) return respond(fail(view.error()));
    HttpResponse refused = read(*view);
    if (refused.status == 403 || refused.status == 404) return respond(std::move(refused));
  }
  auto view = history_.at(position, past);
  if (!view.ok()) return respond(fail(view.error()));
  respond(read(*view));
}

void Api::member_permissions(const std::string& org_id, const std::string& account,
                             const HttpRequest& req, const ReadAt& at, Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  read_permissions(at, {.organizations = {org_id}, .accounts = {*caller, account}}, std::move(respond),
                   [this, caller = *caller, org_id, account](const projections::PermissionView& view) {
    auto member = queries::member_permissions(view, caller, org_id, account);
    if (!member.ok()) return fail(member.error());
    json permissions = json::array();
    for (const auto& [name, scope] : member->permissions) {
      permissions.push_back({{"permission", name}, {"scope", domain::scope_name(scope)}});
    }
    return json_response(200, {{"organization_id", org_id},
                               {"account_id", account},
                               {"role", member->role->name},
                               {"custom_role", member->role->custom},
                               {"deactivated", member->deactivated},
                               {"role_model", member->organization->role_model},
                               {"role_model_version", member->organization->role_model_version},
                               {"grants", member->grants},
                               {"permissions", permissions},
                               {"position", view.position()}});
  });
}

void Api::members(const std::string& org_id, const std::map<std::string, std::string>& query, const HttpRequest& req,
                  Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  auto limit = parse_count(query, "limit", 100);
  if (!limit.ok()) return respond(fail(limit.error()));
  auto at = read_at(query);
  if (!at.ok()) return respond(fail(at.error()));
  auto deactivated = parse_optional_bool(query, "deactivated");
  if (!deactivated.ok()) return respond(fail(deactivated.error()));
  if (*limit == 0 || *limit > 1000) return respond(fail(invalid("limit must be between 1 and 1000", "limit")));
  queries::MemberFilter filter;
  queries::PageRequest page;
  page.limit = static_cast<std::size_t>(*limit);
  for (auto [field, name] : {std::pair{&filter.role, "role"}, std::pair{&filter.coach, "coach"},
                             std::pair{&page.after, "after"}}) {
    auto it = query.find(name);
    if (it == query.end() || it->second.empty()) continue;
    if (std::string(name) != "role" && !is_valid_id(it->second)) {
      return respond(fail(invalid(std::string(name) + " must be an account id", name)));
    }
    *field = it->second;
  }
  filter.deactivated = *deactivated;
  read_permissions(*at, {.organizations = {org_id}, .accounts = {*caller}}, std::move(respond),
                   [this, caller = *caller, org_id, filter, page](const projections::PermissionView& view) {
    auto found = queries::members(view, caller, org_id, filter, page);
    if (!found.ok()) return fail(found.error());
    json list = json::array();
    for (const auto& m : found->members) {
      json entry{{"account_id", m.account_id}, {"role", m.role}, {"custom_role", m.custom_role},
                 {"deactivated", m.deactivated}, {"coach", m.coach.empty() ? json(nullptr) : json(m.coach)}};
      if (m.athlete) entry["consenting"] = m.consenting;
      list.push_back(std::move(entry));
    }
    return json_response(200, {{"organization_id", org_id},
                               {"members", std::move(list)},
                               {"next", found->next.empty() ? json(nullptr) : json(found->next)},
                               {"position", view.position()}});
  });
}

void Api::organization(const std::string& org_id, const HttpRequest& req, const ReadAt& at, Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  read_permissions(at, {.organizations = {org_id}, .accounts = {*caller}}, std::move(respond),
                   [this, caller = *caller, org_id](const projections::PermissionView& view) {
    auto found = queries::organization(view, caller, org_id);
    if (!found.ok()) return fail(found.error());
    const domain::OrganizationState& org = **found;
    json settings = json::object();
    for (const auto& [name, declared] : org.model().settings) settings[name] = org.setting(name);
    json custom = json::array();
    for (const auto& [name, role] : org.custom_roles) custom.push_back(name);
    json name = org.name;
    if (auto opened = queries::open_personal_data(name, deps_.personal); !opened.ok()) return fail(opened.error());
    return json_response(200, {{"organization_id", org.id},
                               {"name", std::move(name)},
                               {"role_model", org.role_model},
                               {"role_model_version", org.role_model_version},
                               {"tier", org.tier},
                               {"settings", settings},
                               {"credits", org.credits},
                               {"members", org.members.size()},
                               {"custom_roles", custom},
                               {"parent_id", org.parent_id.empty() ? json(nullptr) : json(org.parent_id)},
                               {"sub_organizations", org.children},
                               {"position", view.position()}});
  });
}

void Api::compliance(const std::string& org_id, const HttpRequest& req, std::uint64_t min_position,
                     Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  const std::int64_t today = domain::day_of(deps_.now_ms());
  read_permissions(ReadAt::now(min_position), {}, std::move(respond),
                   [this, caller = *caller, org_id, today](const projections::PermissionView& view) {
    auto dashboard = queries::compliance(view, caller, org_id, today);
    if (!dashboard.ok()) return fail(dashboard.error());
    json staff = json::array();
    for (const auto& row : dashboard->staff) {
      json credentials = json::array();
      for (const auto& c : row.credentials) {
        json entry{{"credential_id", c.credential_id},
                   {"name", c.credential->name},
                   {"expires_on", c.credential->expires_on},
                   {"status", domain::credential_status_name(c.status)},
                   {"verified", c.credential->verified}};
        if (dashboard->documents_shown) entry["document"] = c.credential->document;
        credentials.push_back(std::move(entry));
      }
      staff.push_back({{"account_id", row.account_id},
                       {"role", row.role},
                       {"status", domain::credential_status_name(row.status)},
                       {"credentials", credentials}});
    }
    if (auto opened = queries::open_personal_data(staff, deps_.personal); !opened.ok()) return fail(opened.error());
    return json_response(200, {{"organization_id", org_id},
                               {"as_of", domain::format_day(today)},
                               {"lapsing_within_days", domain::kLapsingWithinDays},
                               {"documents_shown", dashboard->documents_shown},
                               {"staff", staff},
                               {"position", view.position()}});
  });
}

void Api::audit(const std::string& org_id, const std::map<std::string, std::string>& query,
                const HttpRequest& req, Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  auto before = parse_count(query, "before", 0);
  auto limit = parse_count(query, "limit", 50);
  auto min_position = parse_count(query, "min_position", 0);
  auto after = parse_count(query, "after", 0);
  for (const auto* r : {&before, &limit, &min_position, &after}) {
    if (!r->ok()) return respond(fail(r->error()));
  }
  auto wait = parse_wait(query, deps_.max_poll_wait);
  if (!wait.ok()) return respond(fail(wait.error()));
  if (*limit == 0 || *limit > 500) {
    return respond(fail(invalid("limit must be between 1 and 500", "limit")));
  }
  auto filter = parse_audit_filter(query);
  if (!filter.ok()) return respond(fail(filter.error()));
  const bool following = query.contains("after");
  if (following && query.contains("before")) {
    return respond(fail(invalid("give before (newest first) or after (oldest first), not both", "after")));
  }
  // Who may read is decided by the permission projection, what they read by the audit one:
  // both must have reached min_position.
  auto read_page = [this, org_id, caller = *caller, before = *before, limit = *limit, after = *after,
                    following, wait = *wait, filter = std::move(*filter)](Responder respond) mutable {
    if (following) return audit_after(org_id, after, limit, filter, caller, wait, std::move(respond));
    auto readable = [&] {
      const projections::PermissionView view = deps_.permissions.read();
      return queries::audit_filter(view, caller, org_id, std::move(filter));
    }();
    if (!readable.ok()) return respond(fail(readable.error()));
    auto page = deps_.audit.page(org_id, before, limit, *readable);
    if (!page.ok()) return respond(fail(page.error()));
    for (auto& entry : page->entries) {
      if (auto opened = queries::open_personal_data(entry, deps_.personal); !opened.ok()) return respond(fail(opened.error()));
    }
    respond(json_response(200, {{"entries", page->entries},
                                {"next", page->next_before == 0 ? json(nullptr) : json(page->next_before)},
                                {"position", deps_.audit_runner.position()}}));
  };
  after_position(deps_.permissions_runner, "permissions", *min_position, std::move(respond),
                 [this, min = *min_position, read_page](Responder respond) {
    after_position(deps_.audit_runner, "audit", min, std::move(respond), read_page);
  });
}

}  // namespace touchline::api
