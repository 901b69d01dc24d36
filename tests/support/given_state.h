// A StateReader over given events, folded per stream as the write side would: the planners'
// tests and the command fuzzer decide on it without a store.
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "touchline/api/commands/planners.h"
#include "touchline/domain/account.h"
#include "touchline/domain/organization.h"
#include "touchline/events/domain_events.h"

namespace touchline::testing {

class GivenState final : public api::commands::StateReader {
 public:
  GivenState(std::initializer_list<events::DomainEvent> history) {
    for (const auto& e : history) streams_[events::stream_of(e)].push_back(e);
  }

  Result<const domain::AccountState*> account(const std::string& id) override {
    return &fold(accounts_, events::account_stream(id));
  }
  Result<const domain::EmailClaimState*> email_claim(const std::string& email) override {
    return &fold(claims_, events::email_stream(email));
  }
  Result<const domain::OrganizationState*> organization(const std::string& id) override {
    auto& org = fold(orgs_, events::organization_stream(id));
    if (!org.parent_id.empty()) {
      org.parent = std::make_shared<const domain::OrganizationState>(
          fold(orgs_, events::organization_stream(org.parent_id)));
    }
    return &org;
  }

  std::vector<std::string> streams_read;

 private:
  template <typename State>
  State& fold(std::map<std::string, State>& states, const std::string& stream) {
    streams_read.push_back(stream);
    State s;
    for (const auto& e : streams_[stream]) s = domain::evolve(std::move(s), e);
    return states[stream] = std::move(s);
  }

  std::map<std::string, std::vector<events::DomainEvent>> streams_;
  std::map<std::string, domain::AccountState> accounts_;
  std::map<std::string, domain::EmailClaimState> claims_;
  std::map<std::string, domain::OrganizationState> orgs_;
};

}  // namespace touchline::testing
