// Personal data in the log, kept so that a person can be forgotten (crypto-shredding).
//
// What is a person's own in an event payload (an account's email and display name, an invite's
// address, a recorded action's client address and details, a credential's document reference,
// the name of an organisation named after its founder) is stored as sealed text: encrypted under a
// key of that person's, which the store keeps with the other secrets and never in the log.
// Destroying the key (EraseAccount) leaves every copy unreadable, wherever it went (the log, its
// exports, projections, snapshots); the log's hashes are over the sealed text, so it still
// verifies. Emails name their claim streams by a keyed digest, the claim key, never by the address.
//
// Sealed text, byte for byte (docs/LOG_FORMAT.md, "Personal data"):
//   "sealed:1:" subject ":" base64url-without-padding(nonce ‖ ciphertext)
// subject: the stream of the person the key belongs to ("account-<id>", or "email-<claim key>"
// for an address with no account yet); the cipher XChaCha20-Poly1305 (IETF), a random 24-byte
// nonce, the subject's bytes as associated data; the key the secret "personal_key/<subject>".
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "touchline/events/domain_events.h"
#include "touchline/events/result.h"
#include "touchline/store/event_store.h"

namespace touchline::store {

class PersonalData {
 public:
  // claim_secret: the server secret "email_claim_key" (at least 32 bytes). Throws
  // std::invalid_argument on a shorter one, std::runtime_error when libsodium cannot start.
  PersonalData(const EventStore& log, std::string claim_secret);
  ~PersonalData();
  PersonalData(const PersonalData&) = delete;
  PersonalData& operator=(const PersonalData&) = delete;

  // The claim key of a lower-cased address: 64 lowercase hex digits of HMAC-SHA-256 under the
  // claim secret. Thread-safe, like every member.
  std::string claim_key(std::string_view normalized_email) const;

  // `plaintext` sealed under the subject's key (empty text stays empty: there is nothing to
  // hide). A subject without a key gets a new one, whose SecretWrite is added to `secrets` for the
  // caller to write in the same append as the sealed text; so is the key of every append sealing
  // under it until written() hears that one of them was written. Errors: failed_precondition when
  // the subject's key was destroyed for good (an erased account: nothing more is recorded of
  // them), internal when the key could not be read.
  Result<std::string> seal(const std::string& subject, std::string_view plaintext, std::vector<SecretWrite>& secrets);

  // Seals, in place, what `event` holds of a person's own under that person's key: an account's
  // email and display name (the account's), an invite's email (its address's: "email-<email_key>"),
  // a recorded action's client_ip and details values (the actor's: `actor` is the envelope's), a
  // credential's document (its holder's), and, when `organization_named_after_founder`, a founded
  // organisation's name (its founder's). Text already sealed under the right subject that opens
  // (a credential's document an edit keeps) is left as it is. New keys are added to `secrets`, as
  // seal() does. Errors: internal when a key cannot be read.
  Status seal_fields(events::DomainEvent& event, const std::string& actor, bool organization_named_after_founder,
                     std::vector<SecretWrite>& secrets);

  // The plaintext of sealed text; nullopt when its key was destroyed (the person was erased).
  // Text that is not sealed (a log from before sealing, or text that was never personal) comes
  // back as it is. Errors: internal when the key could not be read, or (with reason kDamaged) the
  // text names a key it does not open under (damaged, or not sealed by Touchline).
  Result<std::optional<std::string>> open(std::string_view text) const;
  static constexpr std::string_view kDamaged = "sealed_text_damaged";

  static bool is_sealed(std::string_view text);
  // The subject sealed text names; empty for any other text.
  static std::string_view subject_of(std::string_view text);

  // The secret names of a subject's key.
  static std::string key_name(std::string_view subject);

  // An append holding `secrets` was written: the keys among them made by seal() are durable.
  void written(const std::vector<SecretWrite>& secrets);

  // 32 random bytes, for a new server secret (email_claim_key).
  static std::string new_key();

  // The SecretWrite that destroys the subject's key, for the caller to append with the erasure.
  // for_good: the key's value becomes empty, a mark that seal() refuses the subject from then on
  // (an account); otherwise the key is deleted, and a later seal makes a new one (an address,
  // which may be invited again once it is released).
  static SecretWrite destroy(std::string_view subject, bool for_good);
  // Forgets what it holds of the subject's key (call once its destruction is durable): the next
  // seal makes a new key, and open() reads the store again.
  void forget(const std::string& subject);

 private:
  struct Key {
    std::string bytes;  // empty: the subject has none (or had one, destroyed)
    bool written = true;
    bool destroyed = false;  // destroyed for good: seal() refuses the subject
  };
  // The subject's key as cached or read; nullopt-bytes when it has none. Holds mu_.
  Result<Key> key_locked(const std::string& subject) const;

  const EventStore& log_;
  std::string claim_secret_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, Key> keys_;
};

}  // namespace touchline::store
