// Recorded actions: consequential things that happen in a client's own product (covering an
// athlete, issuing a refund, changing a Setup, opening a credential document, viewing an
// athlete's data). The client asks Touchline before doing one; Touchline checks it and records the
// attempt, allowed or denied, in the same step, so the audit log shows who did what to whom.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "touchline/domain/organization.h"
#include "touchline/domain/privacy.h"
#include "touchline/events/domain_events.h"
#include "touchline/events/result.h"

namespace touchline::domain {

struct RecordableAction {
  std::string_view name;        // e.g. "athlete.covered"; the audit log's action
  std::string_view permission;  // the permission it needs; empty: the request names one
  std::string_view category;    // the audit category
  std::string_view description;
};

// Every action a client may record, in documentation order.
const std::vector<RecordableAction>& recordable_actions();
const RecordableAction* find_recordable_action(std::string_view name);

// A request may carry up to this many details of up to this many characters each (e.g. a
// refund's amount), recorded as given.
inline constexpr std::size_t kMaxActionDetails = 10;
inline constexpr std::size_t kMaxActionDetailChars = 200;

struct RecordAction {
  std::string organization_id;
  std::string action;      // a recordable action's name
  std::string target;      // the member it is done to
  std::string permission;  // athlete_data.viewed only: the athlete-data permission used (athlete_data)
  std::map<std::string, std::string> details;
  std::string client_ip;   // where the request came from; kept for athlete-access actions
};

// One ActionRecorded event, allowed or denied as check() answers for the actor on the target
// (`target_privacy`: the target's privacy settings, nullptr for their defaults). Nothing is
// recorded for a request that is not an attempt, checked in this order: not_found (organisation),
// permission_denied (the actor is not a member, nor for a sub-organisation an owner or admin of
// its parent), invalid_argument (unknown action; a permission
// that is not an athlete-data one, or not the action's own; target missing or not a member; too
// many or too long details).
Result<std::vector<events::DomainEvent>> decide(const OrganizationState& org, const Privacy* target_privacy,
                                                const std::string& actor, const RecordAction& cmd);

}  // namespace touchline::domain
