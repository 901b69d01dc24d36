// A small organisation under the athlete-coach model (version 2), shared by the decider and check tests:
// head (head_coach), asst (assistant_coach), gen (coach), ath1 and ath2 (athletes); ath1 is
// assigned to asst.
#pragma once

#include <vector>

#include "given.h"
#include "touchline/domain/account.h"
#include "touchline/domain/organization.h"

namespace touchline::domain::testing {

inline std::vector<events::DomainEvent> club_history() {
  return {
      events::OrganizationCreated{"org", "Harbour Runners", "athlete-coach", "head", "head_coach", 2},
      events::MemberAdded{"org", "asst", "assistant_coach"},
      events::MemberAdded{"org", "gen", "coach"},
      events::MemberAdded{"org", "ath1", "athlete"},
      events::MemberAdded{"org", "ath2", "athlete"},
      events::AthleteAssigned{"org", "ath1", "asst", ""},
  };
}

inline OrganizationState club() { return given<OrganizationState>(club_history()); }

inline AccountState athlete_account(const std::string& id, const std::string& org = "") {
  std::vector<events::DomainEvent> h{events::AccountRegistered{id, id + "@x.io", id, "athlete"}};
  if (!org.empty()) h.push_back(events::AthleteJoinedOrganization{id, org});
  return given<AccountState>(h);
}

inline AccountState coach_account(const std::string& id) {
  return given<AccountState>({events::AccountRegistered{id, id + "@x.io", id, "coach"}});
}

}  // namespace touchline::domain::testing
