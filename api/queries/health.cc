#include "touchline/api/queries.h"

namespace touchline::api::queries {

Readiness readiness(std::uint64_t head_at_start, const std::vector<ProjectionStatus>& projections) {
  for (const auto& p : projections) {
    if (p.failure) return {false, "projection " + p.name + " stopped: " + *p.failure};
  }
  for (const auto& p : projections) {
    if (p.position < head_at_start) {
      return {false, "projection " + p.name + " is catching up: position " + std::to_string(p.position) + " of " +
                         std::to_string(head_at_start)};
    }
  }
  return {true, ""};
}

}  // namespace touchline::api::queries
