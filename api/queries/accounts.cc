// Sign-in's read: the account holding an email, folded from the email's stream.
#include "touchline/api/queries.h"
#include "touchline/events/domain_events.h"
#include "touchline/store/event_store.h"

namespace touchline::api::queries {

namespace {

template <typename State>
Result<State> fold(const store::EventStore& log, const std::string& stream) {
  auto events = log.read_stream(stream);
  if (!events.ok()) return events.error();
  State state;
  for (const auto& e : *events) {
    auto decoded = events::decode_event(e.type, e.schema_version, e.payload);
    if (!decoded.ok()) {
      return Error::make(ErrorCode::internal, "event at position " + std::to_string(e.position) + " of " + stream +
                                                  ": " + decoded.error().message);
    }
    state = domain::evolve(std::move(state), *decoded);
  }
  return state;
}

}  // namespace

Result<std::string> account_of_email(const store::EventStore& log, const std::string& claim_key,
                                     const std::string& normalized_email) {
  for (const std::string* name : {&claim_key, &normalized_email}) {
    auto claim = fold<domain::EmailClaimState>(log, events::email_stream(*name));
    if (!claim.ok()) return claim.error();
    if (claim->claimed) return claim->account_id;
  }
  return std::string();
}

}  // namespace touchline::api::queries
