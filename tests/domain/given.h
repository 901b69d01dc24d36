// Given/when/then helpers for decider tests: fold past events into a state, then decide.
#pragma once

#include <initializer_list>
#include <vector>

#include "touchline/events/domain_events.h"

namespace touchline::domain::testing {

template <typename State>
State given(std::initializer_list<events::DomainEvent> history) {
  State s;
  for (const auto& e : history) s = evolve(std::move(s), e);
  return s;
}

template <typename State>
State given(const std::vector<events::DomainEvent>& history) {
  State s;
  for (const auto& e : history) s = evolve(std::move(s), e);
  return s;
}

// History followed by what a decision added to it.
inline std::vector<events::DomainEvent> concat(std::vector<events::DomainEvent> history,
                                               const std::vector<events::DomainEvent>& more) {
  history.insert(history.end(), more.begin(), more.end());
  return history;
}

}  // namespace touchline::domain::testing
