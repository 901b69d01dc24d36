// Why a check answered as it did, gate by gate, and which event established each fact a gate
// looked at. The gates are the check's own (check() records them as it applies them when given a
// trace), so an explanation never disagrees with the answer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "touchline/events/domain_events.h"

namespace touchline::domain {

// One gate of a check, in the order the check applies them:
//   organization         the organisation exists
//   permission           the permission is known and may be held at all
//   membership           the subject is a member (else, for a sub-organisation, parent_organization)
//   parent_organization  a non-member manages the sub-organisation from its parent (suborgs.manage
//                        there), and holds the permission there (with scope all, for a target)
//   deactivation         the subject is not deactivated
//   tier                 the organisation's tier: the role model's, custom roles', the permission's
//   role                 the subject's role (a model's or a custom role) holds the permission
//   setting              the organisation setting the role's permission depends on is on
//   grant                a member grant the model offers for the permission (e.g. billing delegation)
//   not_on_self          the permission is used on someone else, when it may not be used on oneself
//   target               the target is a member
//   scope                the scope held reaches the target (own, assigned: the assignment, all)
//   own_privacy          the subject's own privacy setting the permission honours is on
//   consent              an athlete target has accepted coaching by the organisation
//   privacy              the target shares the data (their privacy setting)
// A check stops at the first gate that does not pass; gates that do not apply (no target, no
// setting, no grant for the permission) are left out.
struct Gate {
  std::string_view name;
  bool passed = false;
  std::string detail;        // what the gate found, in a sentence
  std::string organization;  // the organisation whose facts decided it (the parent's, for parent_organization)
  std::vector<std::string> facts;  // the facts that decided it (keys of facts_of); the latest to change is cited
  bool operator==(const Gate&) const = default;
};

// Facts are named by keys:
//   "organization"             its founding (OrganizationCreated, SubOrganizationCreated)
//   "tier"                     its tier
//   "role_model"               the role model version it is on (what roles give, tiers, setting defaults)
//   "member/<account>"         the account's membership
//   "role/<account>"           the member's role
//   "deactivated/<account>"    the member's deactivation
//   "assignment/<athlete>"     the athlete's coach
//   "grant/<grant>/<account>"  a member grant
//   "custom_role/<role>"       a custom role's definition
//   "setting/<setting>"        an organisation setting
//   "consent/<athlete>"        the athlete's consent
//   "privacy/<account>"        the account's privacy settings (on the account's own stream)
// The facts an event establishes or changes (what it last touched, for an explanation); none for
// events no check reads (credits, invites, credentials, actions, ...).
std::vector<std::string> facts_of(const events::DomainEvent& event);

// An organisation's facts, each with the position of the event that last established or changed
// it (projections keep one map per organisation, and a position per account's privacy settings;
// who recorded the event, and what it was, is in the log at that position).
using Sources = std::map<std::string, std::uint64_t>;

// Records the event at `position` as the source of every fact it touches.
void record_sources(Sources& sources, const events::DomainEvent& event, std::uint64_t position);

}  // namespace touchline::domain
