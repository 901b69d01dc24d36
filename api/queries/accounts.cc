// Sign-in's reads: an account by its email, and the account itself, folded from their streams.
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

Result<std::string> account_of_email(const store::EventStore& log, const std::string& normalized_email) {
  auto claim = fold<domain::EmailClaimState>(log, events::email_stream(normalized_email));
  if (!claim.ok()) return claim.error();
  return claim->claimed ? claim->account_id : std::string();
}

Result<domain::AccountState> account(const store::EventStore& log, const std::string& account_id) {
  return fold<domain::AccountState>(log, events::account_stream(account_id));
}

}  // namespace touchline::api::queries
