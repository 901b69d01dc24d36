// The write side seals what its plans' events hold of a person's own before they are appended or
// folded into its states, so that no plain copy of it reaches the data directory.
#include "touchline/api/commands/planners.h"

namespace touchline::api::commands {

Status seal_personal_data(Plan& plan, const std::string& actor, store::PersonalData& personal) {
  for (auto& event : plan.events) {
    Status sealed = personal.seal_fields(event, actor, plan.organization_named_after_founder, plan.secrets);
    if (!sealed.ok()) return sealed;
  }
  return ok_status();
}

}  // namespace touchline::api::commands
