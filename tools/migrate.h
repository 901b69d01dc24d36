// `touchline migrate`: copies a log written before personal data was sealed into a new data
// directory, sealing it on the way (store/personal_data.h), so that its people can be erased.
#pragma once

#include <string>

#include "touchline/store/event_store.h"

namespace touchline::tools {

// Every event of `from`, in order, appended to a new log at `to` (which must not exist yet): the
// same streams, versions, actors, command ids and recorded times, with every field that is a
// person's own sealed under their key, claim streams renamed to their claim keys (EmailClaimed
// schema 2), invites given their address's claim key (InviteIssued schema 3) and schema 1
// credential edits their holder. The server keys, the password hashes and the personal data keys
// of text already sealed are copied; idempotency records, snapshots and projection state are not
// (a client's retry of a command answered before the migration runs it again; the rest is rebuilt
// by the server). Progress and a summary (both logs' heads) go to stderr and stdout. Returns the
// process exit code: 0 done, 1 failed (naming why; `to` is then incomplete and to be deleted).
int migrate(store::EventStore& from, const std::string& to);

}  // namespace touchline::tools
