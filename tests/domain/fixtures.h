// A small organisation under the athlete-coach model (version 2), shared by the decider and check tests:
// head (head_coach), asst (assistant_coach), gen (coach), ath1 and ath2 (athletes); ath1 is
// assigned to asst.
#pragma once

#include <vector>

#include "given.h"
#include <stdexcept>

#include "touchline/domain/account.h"
#include "touchline/domain/joining.h"
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

// `account` offered `role` by `actor` (AddMember) and accepting (AcceptMembership), both decided
// and folded. Throws, failing the test, when either is refused.
inline OrganizationState add_and_accept(OrganizationState org, const AccountState& account, const std::string& actor,
                                        const std::string& role) {
  auto fold = [&org](const Result<std::vector<events::DomainEvent>>& decided) {
    if (!decided.ok()) throw std::runtime_error("refused: " + decided.error().message);
    for (const auto& e : *decided) org = evolve(org, e);
  };
  fold(decide(org, account, actor, AddMember{org.id, account.id, role}));
  fold(decide(org, account, AcceptMembership{org.id}));
  return org;
}

}  // namespace touchline::domain::testing
