// The organisation's reads: the organisation itself, its members, a member's permissions, the
// compliance dashboard and what of the audit log a caller may read.
#include "touchline/api/queries.h"

namespace touchline::api::queries {

namespace {

Error unknown_organization(const std::string& id) {
  return Error::make(ErrorCode::not_found, "organisation " + id + " not found", "organization_id");
}

}  // namespace

Result<const domain::OrganizationState*> organization(const PermissionView& view, const std::string& caller,
                                                      const std::string& organization_id) {
  const domain::OrganizationState* org = view.organization(organization_id);
  if (!org) return unknown_organization(organization_id);
  // Members, and a sub-organisation's managers in its parent.
  if (!org->role_of(caller) && !view.check(*org, caller, "suborgs.manage").allowed) {
    return Error::make(ErrorCode::permission_denied, "only members of an organisation may read it");
  }
  return org;
}

Result<MembersPage> members(const PermissionView& view, const std::string& caller, const std::string& organization_id,
                            const MemberFilter& filter, const PageRequest& page) {
  const domain::OrganizationState* org = view.organization(organization_id);
  if (!org) return unknown_organization(organization_id);
  const bool own_athletes = !filter.coach.empty() && filter.coach == caller && org->role_of(caller) &&
                            !org->deactivated.contains(caller);
  if (!own_athletes) {
    const domain::Decision may = view.check(*org, caller, "members.view");
    if (!may.allowed) {
      return Error::make(ErrorCode::permission_denied,
                         may.reason.str() + "; without members.view a member lists only the athletes assigned to them "
                                      "(coach=<their own id>)");
    }
  }
  if (!filter.role.empty() && !org->find_role(filter.role)) {
    return Error::make(ErrorCode::invalid_argument,
                       "organisation " + org->id + " has no role '" + filter.role + "'", "role");
  }
  MembersPage out;
  auto it = page.after.empty() ? org->members.begin() : org->members.upper_bound(page.after);
  for (; it != org->members.end(); ++it) {
    const auto& [account, role_name] = *it;
    if (!filter.role.empty() && role_name != filter.role) continue;
    const bool deactivated = org->deactivated.contains(account);
    if (filter.deactivated && *filter.deactivated != deactivated) continue;
    auto assigned = org->assignments.find(account);
    const std::string coach = assigned == org->assignments.end() ? std::string() : assigned->second;
    if (!filter.coach.empty() && coach != filter.coach) continue;
    if (out.members.size() == page.limit) {
      out.next = out.members.back().account_id;
      break;
    }
    const domain::Role* role = org->role_of(account);
    out.members.push_back({account, role_name, role && role->custom, deactivated, coach, role && role->athlete,
                           org->consenting.contains(account)});
  }
  return out;
}

Result<MemberPermissions> member_permissions(const PermissionView& view, const std::string& caller,
                                             const std::string& organization_id, const std::string& account_id) {
  const domain::OrganizationState* org = view.organization(organization_id);
  if (!org) return unknown_organization(organization_id);
  if (caller != account_id && !view.check(*org, caller, "members.view").allowed) {
    return Error::make(ErrorCode::permission_denied,
                       "you may read only your own permissions in an organisation whose members you cannot view");
  }
  const domain::Role* role = org->role_of(account_id);
  if (!role) {
    return Error::make(ErrorCode::not_found,
                       "account " + account_id + " is not a member of organisation " + organization_id);
  }
  MemberPermissions out{org, role, org->deactivated.contains(account_id), {},
                        domain::effective_permissions(*org, account_id)};
  for (const auto& [name, holders] : org->grants) {
    if (holders.contains(account_id)) out.grants.push_back(name);
  }
  return out;
}

Result<Compliance> compliance(const PermissionView& view, const std::string& caller, const std::string& organization_id,
                              std::int64_t today) {
  const domain::OrganizationState* org = view.organization(organization_id);
  if (!org) return unknown_organization(organization_id);
  const domain::Decision may = view.check(*org, caller, "safeguarding.view_dashboard");
  if (!may.allowed) return Error::make(ErrorCode::permission_denied, may.reason.str());
  // Where each scan is kept only for readers of credential documents (club: admins only when
  // the owner turns on admin_document_visibility).
  Compliance out{org, view.check(*org, caller, "credentials.view_documents").allowed, {}};
  for (const auto& row : domain::compliance_dashboard(*org, today)) {
    ComplianceStaff staff{row.account_id, row.role, row.status, {}};
    for (const auto& id : row.credential_ids) {
      const domain::Credential& c = org->credentials.at(id);
      staff.credentials.push_back({&c, id, domain::credential_status(c, today)});
    }
    out.staff.push_back(std::move(staff));
  }
  return out;
}

Result<projections::AuditFilter> audit_filter(const PermissionView& view, const std::string& caller,
                                              const std::string& organization_id,
                                              projections::AuditFilter requested) {
  const domain::OrganizationState* org = view.organization(organization_id);
  if (!org) return unknown_organization(organization_id);
  const domain::Decision full = view.check(*org, caller, "audit_log.view");
  if (full.allowed) return requested;
  // A model's activity log (club) reads all but athlete access and consent, which need
  // activity_log.view_restricted.
  if (!view.check(*org, caller, "activity_log.view").allowed) {
    return Error::make(ErrorCode::permission_denied, full.reason.str());
  }
  const domain::Decision restricted = view.check(*org, caller, "activity_log.view_restricted");
  std::set<std::string> readable;
  for (const auto& c : projections::audit_categories()) {
    if (restricted.allowed || (c != "athlete_access" && c != "consent")) readable.insert(c);
  }
  if (requested.categories.empty()) {
    requested.categories = std::move(readable);
    return requested;
  }
  for (const auto& c : requested.categories) {
    if (!readable.contains(c)) return Error::make(ErrorCode::permission_denied, restricted.reason.str());
  }
  return requested;
}

Result<domain::Privacy> own_privacy(const PermissionView& view, const std::string& caller,
                                    const std::string& account_id) {
  if (caller != account_id) {
    return Error::make(ErrorCode::permission_denied, "an account reads only its own privacy settings");
  }
  const domain::Privacy* privacy = view.privacy(account_id);
  return privacy ? *privacy : domain::Privacy{};
}

}  // namespace touchline::api::queries
