// Checks, batches of them, and the two lookups, which are checks turned around: each answers from
// one view, and a lookup lists exactly the accounts the check allows.
#include <algorithm>

#include "touchline/api/queries.h"

namespace touchline::api::queries {

namespace {

Error unknown_organization(const std::string& id) {
  return Error::make(ErrorCode::not_found, "organisation " + id + " not found", "organization_id");
}

// Whether the caller may ask about `subject`'s permissions: their own always, anyone's with
// members.view.
std::optional<Error> may_ask_about(const PermissionView& view, const domain::OrganizationState& org,
                                   const std::string& caller, const std::string& subject, const char* what) {
  if (caller == subject || view.check(org, caller, "members.view").allowed) return std::nullopt;
  return Error::make(ErrorCode::permission_denied, std::string("you may ") + what +
                                                       " only your own permissions in an organisation whose "
                                                       "members you cannot view");
}

// A page's `next`: the last account given, when more follow.
template <typename Item>
std::string next_after(const std::vector<Item>& items, bool more) {
  return more && !items.empty() ? items.back().account_id : std::string();
}

}  // namespace

Result<domain::Decision> check(const PermissionView& view, const std::string& caller, const CheckQuery& q) {
  const domain::OrganizationState* org = view.organization(q.organization_id);
  if (!org) return unknown_organization(q.organization_id);
  if (auto denied = may_ask_about(view, *org, caller, q.subject, "check")) return *denied;
  return view.check(*org, q.subject, q.permission, q.target);
}

std::optional<Error> may_see_who(const PermissionView& view, const domain::OrganizationState& org,
                                 const std::string& caller) {
  if (view.check(org, caller, "members.view").allowed) return std::nullopt;
  return Error::make(ErrorCode::permission_denied,
                     "explanations and suggestions name who did what and who may do it: they are for those who may "
                     "view the organisation's members");
}

Result<Explained> explain(const PermissionView& view, const std::string& caller, const CheckQuery& q) {
  const domain::OrganizationState* org = view.organization(q.organization_id);
  if (!org) return unknown_organization(q.organization_id);
  if (auto denied = may_ask_about(view, *org, caller, q.subject, "check")) return *denied;
  if (auto denied = may_see_who(view, *org, caller)) return *denied;
  std::vector<domain::Gate> gates;
  Explained out{view.check(*org, q.subject, q.permission, q.target, &gates), {}};
  out.gates.reserve(gates.size());
  for (auto& gate : gates) {
    // The latest event to change any of the gate's facts.
    std::uint64_t source = 0;
    const domain::Sources* sources = view.sources(gate.organization);
    for (const auto& fact : gate.facts) {
      if (fact.starts_with("privacy/")) {
        source = std::max(source, view.privacy_source(fact.substr(std::string_view("privacy/").size())));
      } else if (sources) {
        if (auto it = sources->find(fact); it != sources->end()) source = std::max(source, it->second);
      }
    }
    out.gates.push_back({std::move(gate), source});
  }
  return out;
}

std::vector<BatchAnswer> check_many(const PermissionView& view, const std::string& caller,
                                    const std::vector<CheckQuery>& queries) {
  std::vector<BatchAnswer> out;
  out.reserve(queries.size());
  for (const auto& q : queries) {
    auto answer = check(view, caller, q);
    if (answer.ok()) {
      out.push_back({std::move(*answer), ""});
    } else {
      const bool unknown = answer.error().code == ErrorCode::not_found;
      out.push_back({{false, answer.error().message}, unknown ? "organization_not_found" : "denied_to_caller"});
    }
  }
  return out;
}

Result<SubjectsPage> lookup_subjects(const PermissionView& view, const std::string& caller,
                                     const std::string& organization_id, const std::string& permission,
                                     const std::string& target, const PageRequest& page) {
  const domain::OrganizationState* org = view.organization(organization_id);
  if (!org) return unknown_organization(organization_id);
  if (!view.check(*org, caller, "members.view").allowed) {
    return Error::make(ErrorCode::permission_denied,
                       "only those who may view the organisation's members may ask who holds a permission");
  }
  // Who check() could allow: the members, and for a sub-organisation the parent's members (only
  // its managers are allowed anything, which check() itself decides).
  std::vector<std::pair<std::string, const domain::OrganizationState*>> candidates;  // account, where their role is
  for (const auto& [account, role] : org->members) candidates.emplace_back(account, org);
  if (const domain::OrganizationState* parent = view.parent_of(*org)) {
    for (const auto& [account, role] : parent->members) {
      if (!org->members.contains(account)) candidates.emplace_back(account, parent);
    }
    std::sort(candidates.begin(), candidates.end());
  }
  SubjectsPage out;
  bool more = false;
  for (const auto& [account, where] : candidates) {
    if (!page.after.empty() && account <= page.after) continue;
    domain::Decision d = view.check(*org, account, permission, target);
    if (!d.allowed) continue;
    if (out.subjects.size() == page.limit) {
      more = true;
      break;
    }
    const domain::Role* role = where->role_of(account);
    out.subjects.push_back({account, role ? role->name : std::string(), std::string(d.grant), d.from_parent,
                            std::move(d.reason)});
  }
  out.next = next_after(out.subjects, more);
  return out;
}

Result<TargetsPage> lookup_targets(const PermissionView& view, const std::string& caller,
                                   const std::string& organization_id, const std::string& subject,
                                   const std::string& permission, const PageRequest& page) {
  const domain::OrganizationState* org = view.organization(organization_id);
  if (!org) return unknown_organization(organization_id);
  if (auto denied = may_ask_about(view, *org, caller, subject, "look up")) return *denied;
  TargetsPage out;
  out.without_target = view.check(*org, subject, permission);
  out.all = true;
  bool more = false;
  // Whom check() could allow it on: the members, and the subject themself (a parent's manager
  // is no member of the sub-organisation). Every member is checked (for `all`); the page takes
  // those after `after`.
  std::vector<std::string> candidates;
  candidates.reserve(org->members.size() + 1);
  for (const auto& [account, role] : org->members) candidates.push_back(account);
  if (!org->members.contains(subject)) {
    candidates.insert(std::lower_bound(candidates.begin(), candidates.end(), subject), subject);
  }
  for (const auto& account : candidates) {
    domain::Decision d = view.check(*org, subject, permission, account);
    if (!d.allowed) {
      if (account != subject || org->members.contains(subject)) out.all = false;
      continue;
    }
    if (!page.after.empty() && account <= page.after) continue;
    if (out.targets.size() == page.limit) {
      more = true;
      continue;
    }
    out.targets.push_back({account, std::move(d.reason)});
  }
  out.next = next_after(out.targets, more);
  return out;
}

}  // namespace touchline::api::queries
