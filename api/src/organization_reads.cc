// The organisation's read endpoints: the organisation and its members, a member's effective
// permissions, the compliance dashboard and the audit log, each from its projection.
#include <algorithm>
#include <set>

#include "endpoint_helpers.h"
#include "touchline/api/api.h"
#include "touchline/domain/credentials.h"
#include "touchline/domain/role_model.h"

namespace touchline::api {

using namespace endpoints;

void Api::read_organization(const std::string& org_id, const HttpRequest& req, std::uint64_t min_position,
                            Responder respond, OrganizationReader then) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  after_position(deps_.permissions_runner, "permissions", min_position, std::move(respond),
                 [this, org_id, caller = *caller, then = std::move(then)](Responder respond) {
    const std::uint64_t position = deps_.permissions_runner.position();
    auto org = deps_.permissions.organization(org_id);
    if (!org) return respond(fail(Error::make(ErrorCode::not_found, "organisation " + org_id + " not found")));
    then(caller, &*org, position, std::move(respond));
  });
}

void Api::member_permissions(const std::string& org_id, const std::string& account,
                             const HttpRequest& req, std::uint64_t min_position, Responder respond) {
  read_organization(org_id, req, min_position, std::move(respond),
                    [this, org_id, account](const std::string& caller, const domain::OrganizationState* org,
                                            std::uint64_t position, Responder respond) {
    if (caller != account && !deps_.permissions.check(org_id, caller, "members.view", "")->allowed) {
      return respond(fail(Error::make(
          ErrorCode::permission_denied,
          "you may read only your own permissions in an organisation whose members you cannot view")));
    }
    const domain::Role* role = org->role_of(account);
    if (!role) {
      return respond(fail(Error::make(
          ErrorCode::not_found, "account " + account + " is not a member of organisation " + org_id)));
    }
    json permissions = json::array();
    for (const auto& [name, scope] : domain::effective_permissions(*org, account)) {
      permissions.push_back({{"permission", name}, {"scope", domain::scope_name(scope)}});
    }
    json grants = json::array();
    for (const auto& [name, holders] : org->grants) {
      if (holders.contains(account)) grants.push_back(name);
    }
    respond(json_response(200, {{"organization_id", org_id},
                                {"account_id", account},
                                {"role", role->name},
                                {"custom_role", role->custom},
                                {"deactivated", org->deactivated.contains(account)},
                                {"role_model", org->role_model},
                                {"role_model_version", org->role_model_version},
                                {"grants", grants},
                                {"permissions", permissions},
                                {"position", position}}));
  });
}

void Api::organization(const std::string& org_id, const HttpRequest& req, std::uint64_t min_position,
                       Responder respond) {
  read_organization(org_id, req, min_position, std::move(respond),
                    [this, org_id](const std::string& caller, const domain::OrganizationState* org,
                                   std::uint64_t position, Responder respond) {
    // Members, and a sub-organisation's managers in its parent.
    if (!org->role_of(caller) && !deps_.permissions.check(org_id, caller, "suborgs.manage", "")->allowed) {
      return respond(fail(Error::make(ErrorCode::permission_denied,
                                      "only members of an organisation may read it")));
    }
    const auto& model = org->model();
    json settings = json::object();
    for (const auto& [name, declared] : model.settings) settings[name] = org->setting(name);
    json custom = json::array();
    for (const auto& [name, role] : org->custom_roles) custom.push_back(name);
    respond(json_response(200, {{"organization_id", org->id},
                                {"name", org->name},
                                {"role_model", org->role_model},
                                {"role_model_version", org->role_model_version},
                                {"tier", org->tier},
                                {"settings", settings},
                                {"credits", org->credits},
                                {"members", org->members.size()},
                                {"custom_roles", custom},
                                {"parent_id", org->parent_id.empty() ? json(nullptr) : json(org->parent_id)},
                                {"sub_organizations", org->children},
                                {"position", position}}));
  });
}

void Api::compliance(const std::string& org_id, const HttpRequest& req, std::uint64_t min_position,
                     Responder respond) {
  read_organization(org_id, req, min_position, std::move(respond),
                    [this, org_id](const std::string& caller, const domain::OrganizationState* org,
                                   std::uint64_t position, Responder respond) {
    const auto may = deps_.permissions.check(org_id, caller, "safeguarding.view_dashboard", "");
    if (!may->allowed) return respond(fail(Error::make(ErrorCode::permission_denied, may->reason)));
    // Where each scan is kept only for readers of credential documents (club: admins only when
    // the owner turns on admin_document_visibility).
    const bool documents = deps_.permissions.check(org_id, caller, "credentials.view_documents", "")->allowed;
    const std::int64_t today = domain::day_of(deps_.now_ms());
    json staff = json::array();
    for (const auto& row : domain::compliance_dashboard(*org, today)) {
      json credentials = json::array();
      for (const auto& id : row.credential_ids) {
        const auto& c = org->credentials.at(id);
        json entry{{"credential_id", id},
                   {"name", c.name},
                   {"expires_on", c.expires_on},
                   {"status", domain::credential_status_name(domain::credential_status(c, today))},
                   {"verified", c.verified}};
        if (documents) entry["document"] = c.document;
        credentials.push_back(std::move(entry));
      }
      staff.push_back({{"account_id", row.account_id},
                       {"role", row.role},
                       {"status", domain::credential_status_name(row.status)},
                       {"credentials", credentials}});
    }
    respond(json_response(200, {{"organization_id", org->id},
                                {"as_of", domain::format_day(today)},
                                {"lapsing_within_days", domain::kLapsingWithinDays},
                                {"documents_shown", documents},
                                {"staff", staff},
                                {"position", position}}));
  });
}

void Api::audit(const std::string& org_id, const std::map<std::string, std::string>& query,
                const HttpRequest& req, Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  auto before = parse_count(query, "before", 0);
  auto limit = parse_count(query, "limit", 50);
  auto min_position = parse_count(query, "min_position", 0);
  for (const auto* r : {&before, &limit, &min_position}) {
    if (!r->ok()) return respond(fail(r->error()));
  }
  if (*limit == 0 || *limit > 500) {
    return respond(fail(invalid("limit must be between 1 and 500", "limit")));
  }
  projections::AuditFilter filter;
  if (auto it = query.find("category"); it != query.end()) {
    const auto& known = projections::audit_categories();
    if (std::find(known.begin(), known.end(), it->second) == known.end()) {
      std::string valid;
      for (const auto& c : known) valid += (valid.empty() ? "" : ", ") + c;
      return respond(fail(invalid("category must be one of " + valid, "category")));
    }
    filter.categories.insert(it->second);
  }
  for (auto [field, name] : {std::pair{&filter.actor, "actor"}, std::pair{&filter.subject, "subject"},
                             std::pair{&filter.since, "since"}, std::pair{&filter.until, "until"}}) {
    if (auto it = query.find(name); it != query.end()) *field = it->second;
  }
  // Who may read is decided by the permission projection, what they read by the audit one:
  // both must have reached min_position. audit_log.view reads every category; a model's activity
  // log (activity_log.view, club) reads all but athlete access and consent, which need
  // activity_log.view_restricted.
  auto read_page = [this, org_id, caller = *caller, before = *before, limit = *limit,
                    filter = std::move(filter)](Responder respond) mutable {
    auto may = deps_.permissions.check(org_id, caller, "audit_log.view", "");
    if (!may) {
      return respond(fail(Error::make(ErrorCode::not_found, "organisation " + org_id + " not found")));
    }
    if (!may->allowed) {
      auto activity = deps_.permissions.check(org_id, caller, "activity_log.view", "");
      if (!activity->allowed) return respond(fail(Error::make(ErrorCode::permission_denied, may->reason)));
      const bool restricted = deps_.permissions.check(org_id, caller, "activity_log.view_restricted", "")->allowed;
      std::set<std::string> readable;
      for (const auto& c : projections::audit_categories()) {
        if (restricted || (c != "athlete_access" && c != "consent")) readable.insert(c);
      }
      if (filter.categories.empty()) {
        filter.categories = readable;
      } else if (!readable.contains(*filter.categories.begin())) {
        auto denied = deps_.permissions.check(org_id, caller, "activity_log.view_restricted", "");
        return respond(fail(Error::make(ErrorCode::permission_denied, denied->reason)));
      }
    }
    auto page = deps_.audit.page(org_id, before, limit, filter);
    if (!page.ok()) return respond(fail(page.error()));
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
