#include "migrate.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "touchline/events/domain_events.h"
#include "touchline/store/merkle.h"
#include "touchline/store/personal_data.h"

namespace touchline::tools {
namespace {

constexpr std::size_t kBatch = 4096;

// The subjects sealed text in `j` names.
void sealed_subjects(const nlohmann::json& j, std::set<std::string>& out) {
  if (j.is_object() || j.is_array()) {
    for (const auto& item : j) sealed_subjects(item, out);
  } else if (j.is_string()) {
    const auto subject = store::PersonalData::subject_of(j.get_ref<const std::string&>());
    if (!subject.empty()) out.emplace(subject);
  }
}

int fail(const std::string& what) {
  std::cerr << "touchline: migrate: " << what << "\n";
  return 1;
}

}  // namespace

int migrate(store::EventStore& from, const std::string& to) {
  if (std::filesystem::exists(to)) return fail(to + " exists; migrate writes a new data directory");
  std::int64_t clock = 0;  // each append is recorded at the time its events were recorded in `from`
  store::StoreOptions options;
  options.path = to;
  options.now_ms = [&clock] { return clock; };
  auto opened = store::EventStore::open(options);
  if (!opened.ok()) return fail("cannot create " + to + ": " + opened.error().message);
  store::EventStore& log = **opened;

  // The server keys, so that tokens, idempotency fingerprints and tree heads stay the server's;
  // a log from before claim keys gets its first email_claim_key.
  store::AppendRequest keys;
  keys.metadata.actor = "touchline migrate";
  std::string claim_secret;
  for (const char* name : {"token_signing_key", "request_fingerprint_key", "tree_head_signing_key", "email_claim_key"}) {
    auto value = from.read_secret(name);
    if (!value.ok()) return fail(value.error().message);
    if (*value) keys.secrets.push_back({name, **value});
    if (std::string(name) == "email_claim_key") {
      if (!*value) keys.secrets.push_back({name, store::PersonalData::new_key()});
      claim_secret = keys.secrets.back().value;
    }
  }
  // The keys of text `from` sealed already (a log partly written by a sealing build), every one
  // of them before anything is sealed here, so that nothing seals under a new key what an old one
  // already holds. A key destroyed for good is copied as destroyed; one deleted stays deleted.
  const std::uint64_t total = from.head_position();
  {
    std::set<std::string> subjects;
    for (std::uint64_t at = 0; at < total;) {
      auto batch = from.read_all(at, kBatch);
      if (!batch.ok()) return fail(batch.error().message);
      if (batch->empty()) break;
      for (const auto& e : *batch) sealed_subjects(e.payload, subjects);
      at = batch->back().position;
    }
    for (const auto& subject : subjects) {
      auto key = from.read_secret(store::PersonalData::key_name(subject));
      if (!key.ok()) return fail(key.error().message);
      if (*key) keys.secrets.push_back({store::PersonalData::key_name(subject), **key});
    }
  }
  if (auto r = log.append(std::move(keys)); !r.ok()) return fail(r.error().message);
  store::PersonalData personal(log, claim_secret);

  std::map<std::string, std::string> names;    // account -> display name, where it is plain text
  std::map<std::string, std::string> holders;  // organisation/credential -> holder
  std::uint64_t claims_renamed = 0;
  std::uint64_t after = 0;
  std::string last_command;
  store::AppendRequest pending;
  auto flush = [&]() -> Status {
    if (pending.streams.empty() && pending.secrets.empty()) return ok_status();
    const auto secrets = pending.secrets;
    auto r = log.append(std::move(pending));
    pending = store::AppendRequest{};
    if (!r.ok()) return r.error();
    personal.written(secrets);
    return ok_status();
  };
  while (after < total) {
    auto batch = from.read_recorded(after, kBatch);
    if (!batch.ok()) return fail(batch.error().message);
    if (batch->empty()) break;
    for (auto& r : *batch) {
      // One command's events were appended together: so they are again.
      if (r.command_id != last_command || r.recorded_at_ms != clock) {
        if (auto s = flush(); !s.ok()) return fail("at position " + std::to_string(r.position) + ": " + s.error().message);
        last_command = r.command_id;
        clock = r.recorded_at_ms;
        pending.metadata = {r.actor, r.command_id, r.correlation_id, r.causation_id};
      }
      events::DomainEvent& e = r.event;
      bool named_after_founder = false;
      if (auto* registered = std::get_if<events::AccountRegistered>(&e)) {
        if (!store::PersonalData::is_sealed(registered->display_name)) names[registered->account_id] = registered->display_name;
        else names.emplace(registered->account_id, "");
      } else if (auto* claim = std::get_if<events::EmailClaimed>(&e); claim && claim->email.find('@') != std::string::npos) {
        claim->email = personal.claim_key(claim->email);  // schema 1 named the address
        ++claims_renamed;
      } else if (auto* invite = std::get_if<events::InviteIssued>(&e); invite && invite->email_key.empty() && !invite->email.empty()) {
        invite->email_key = personal.claim_key(invite->email);
      } else if (auto* declared = std::get_if<events::CredentialDeclared>(&e)) {
        holders[declared->organization_id + "/" + declared->credential_id] = declared->holder_id;
      } else if (auto* recorded = std::get_if<events::CredentialRecorded>(&e)) {
        holders[recorded->organization_id + "/" + recorded->credential_id] = recorded->holder_id;
      } else if (auto* edited = std::get_if<events::CredentialEdited>(&e); edited && edited->holder_id.empty()) {
        edited->holder_id = holders[edited->organization_id + "/" + edited->credential_id];
      } else if (auto* created = std::get_if<events::OrganizationCreated>(&e)) {
        // The coach console names an organisation after its founder: that name is theirs.
        auto founder = names.find(created->created_by);
        named_after_founder = founder != names.end() && !founder->second.empty() &&
                              created->name == founder->second + "'s organisation";
      }
      if (auto s = personal.seal_fields(e, r.actor, named_after_founder, pending.secrets); !s.ok()) {
        return fail("at position " + std::to_string(r.position) + ": " + s.error().message);
      }
      const std::string stream = events::stream_of(e);
      store::NewEvent event{std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)};
      if (pending.streams.empty() || pending.streams.back().stream != stream) {
        pending.streams.push_back({stream, store::ExpectedVersion::any(), {}});
      }
      pending.streams.back().events.push_back(std::move(event));
      after = r.position;
    }
    std::cerr << "migrated " << after << " of " << total << " events\n";
  }
  if (auto s = flush(); !s.ok()) return fail(s.error().message);

  // Password hashes, for every account that still has one (an erased account has none).
  store::AppendRequest passwords;
  passwords.metadata.actor = "touchline migrate";
  for (const auto& [account, name] : names) {
    auto hash = from.read_secret("password/" + account);
    if (!hash.ok()) return fail(hash.error().message);
    if (*hash) passwords.secrets.push_back({"password/" + account, **hash});
  }
  if (auto r = log.append(std::move(passwords)); !r.ok()) return fail(r.error().message);

  if (log.head_position() != total) {
    return fail("the new log holds " + std::to_string(log.head_position()) + " events, not " + std::to_string(total));
  }
  // What ties the two logs together in the operator's records: each one's last hash.
  auto last_hash = [](const store::EventStore& l) -> Result<std::string> {
    if (l.head_position() == 0) return std::string(64, '0');
    auto last = l.read_all(l.head_position() - 1, 1);
    if (!last.ok()) return last.error();
    if (last->empty()) return Error::make(ErrorCode::internal, "the last event cannot be read");
    return last->front().hash;
  };
  auto old_hash = last_hash(from);
  auto new_hash = last_hash(log);
  auto new_root = log.merkle_root(log.head_position());
  if (!old_hash.ok()) return fail(old_hash.error().message);
  if (!new_hash.ok()) return fail(new_hash.error().message);
  if (!new_root.ok()) return fail(new_root.error().message);
  std::cout << "migrated " << total << " events (" << claims_renamed << " email claims renamed to claim keys) to " << to
            << "\n  old log: " << total << " events, last hash " << *old_hash << "\n  new log: " << log.head_position()
            << " events, last hash " << *new_hash << ", Merkle root " << store::digest_hex(*new_root) << "\n";
  log.stop();
  return 0;
}

}  // namespace touchline::tools
