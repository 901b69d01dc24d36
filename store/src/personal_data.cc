#include "touchline/store/personal_data.h"

#include <sodium.h>

#include <stdexcept>

namespace touchline::store {
namespace {

constexpr std::string_view kPrefix = "sealed:1:";
constexpr int kBase64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
// Keys held in memory at most; past it, those already written are dropped (and read again).
constexpr std::size_t kMaxCachedKeys = 100'000;

Error key_unreadable(const std::string& subject, const Error& e) {
  return Error::make(ErrorCode::internal, "cannot read the personal data key of " + subject + ": " + e.message);
}

}  // namespace

PersonalData::PersonalData(const EventStore& log, std::string claim_secret)
    : log_(log), claim_secret_(std::move(claim_secret)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  if (claim_secret_.size() < crypto_auth_hmacsha256_KEYBYTES) {
    throw std::invalid_argument("the email claim secret is at least 32 bytes");
  }
}

PersonalData::~PersonalData() {
  sodium_memzero(claim_secret_.data(), claim_secret_.size());
  for (auto& [subject, key] : keys_) sodium_memzero(key.bytes.data(), key.bytes.size());
}

std::string PersonalData::claim_key(std::string_view normalized_email) const {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(claim_secret_.data()), claim_secret_.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(normalized_email.data()),
                                normalized_email.size());
  crypto_auth_hmacsha256_final(&st, mac);
  std::string hex(2 * sizeof mac + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), mac, sizeof mac);
  hex.pop_back();
  return hex;
}

std::string PersonalData::key_name(std::string_view subject) { return "personal_key/" + std::string(subject); }

bool PersonalData::is_sealed(std::string_view text) { return !subject_of(text).empty(); }

std::string_view PersonalData::subject_of(std::string_view text) {
  if (!text.starts_with(kPrefix)) return {};
  text.remove_prefix(kPrefix.size());
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  return text.substr(0, colon);
}

Result<PersonalData::Key> PersonalData::key_locked(const std::string& subject) const {
  if (auto it = keys_.find(subject); it != keys_.end()) return it->second;
  auto stored = log_.read_secret(key_name(subject));
  if (!stored.ok()) return key_unreadable(subject, stored.error());
  Key key;
  if (*stored && (*stored)->empty()) {
    key.destroyed = true;
  } else if (*stored) {
    if ((*stored)->size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
      return Error::make(ErrorCode::internal, "the personal data key of " + subject + " is damaged");
    }
    key.bytes = std::move(**stored);
  }
  if (keys_.size() >= kMaxCachedKeys) std::erase_if(keys_, [](const auto& entry) { return entry.second.written; });
  keys_.emplace(subject, key);
  return key;
}

Result<std::string> PersonalData::seal(const std::string& subject, std::string_view plaintext,
                                       std::vector<SecretWrite>& secrets) {
  if (plaintext.empty()) return std::string();
  if (subject.empty() || subject.find(':') != std::string::npos) {
    throw std::invalid_argument("a personal data subject is a stream name without ':'");
  }
  std::string key;
  {
    std::lock_guard lock(mu_);
    auto found = key_locked(subject);
    if (!found.ok()) return found.error();
    if (found->destroyed) {
      return Error::make(ErrorCode::failed_precondition,
                         "nothing more is recorded of " + subject + ": the account was erased");
    }
    if (found->bytes.empty()) {
      found->bytes.resize(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
      crypto_aead_xchacha20poly1305_ietf_keygen(reinterpret_cast<unsigned char*>(found->bytes.data()));
      found->written = false;
      keys_[subject] = *found;
    }
    if (!found->written) {
      const std::string name = key_name(subject);
      bool listed = false;
      for (const auto& s : secrets) listed = listed || s.key == name;
      if (!listed) secrets.push_back({name, found->bytes});
    }
    key = std::move(found->bytes);
  }
  std::string sealed(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plaintext.size() +
                         crypto_aead_xchacha20poly1305_ietf_ABYTES,
                     '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(sealed.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &written,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(subject.data()), subject.size(), nullptr, nonce,
      reinterpret_cast<const unsigned char*>(key.data()));
  sodium_memzero(key.data(), key.size());
  std::string text(kPrefix);
  text += subject;
  text += ':';
  std::string encoded(sodium_base64_encoded_len(sealed.size(), kBase64), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(sealed.data()),
                    sealed.size(), kBase64);
  encoded.pop_back();  // the NUL sodium_bin2base64 writes
  return text + encoded;
}

Result<std::optional<std::string>> PersonalData::open(std::string_view text) const {
  const std::string subject(subject_of(text));
  if (subject.empty()) return std::optional<std::string>(std::string(text));
  const std::string_view encoded = text.substr(kPrefix.size() + subject.size() + 1);
  std::string key;
  {
    std::lock_guard lock(mu_);
    auto found = key_locked(subject);
    if (!found.ok()) return found.error();
    if (found->bytes.empty()) return std::optional<std::string>();
    key = std::move(found->bytes);
  }
  auto damaged = [&subject] {
    return Error::make(ErrorCode::internal, "sealed text of " + subject + " does not open under its key")
        .because(std::string(PersonalData::kDamaged));
  };
  std::string sealed(encoded.size(), '\0');
  std::size_t sealed_len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(sealed.data()), sealed.size(), encoded.data(), encoded.size(),
                        nullptr, &sealed_len, nullptr, kBase64) != 0 ||
      sealed_len < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    sodium_memzero(key.data(), key.size());
    return damaged();
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const std::size_t cipher_len = sealed_len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string plaintext(cipher_len - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long plain_len = 0;
  const int opened = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(plaintext.data()), &plain_len, nullptr,
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, cipher_len,
      reinterpret_cast<const unsigned char*>(subject.data()), subject.size(), nonce,
      reinterpret_cast<const unsigned char*>(key.data()));
  sodium_memzero(key.data(), key.size());
  if (opened != 0) return damaged();
  plaintext.resize(plain_len);
  return std::optional<std::string>(std::move(plaintext));
}

void PersonalData::written(const std::vector<SecretWrite>& secrets) {
  constexpr std::string_view kKeyPrefix = "personal_key/";
  std::lock_guard lock(mu_);
  for (const auto& s : secrets) {
    if (s.erase || !s.key.starts_with(kKeyPrefix)) continue;
    auto it = keys_.find(s.key.substr(kKeyPrefix.size()));
    if (it != keys_.end() && it->second.bytes == s.value) it->second.written = true;
  }
}

Status PersonalData::seal_fields(events::DomainEvent& event, const std::string& actor,
                                 bool organization_named_after_founder, std::vector<SecretWrite>& secrets) {
  auto seal_in_place = [&](const std::string& subject, std::string& value) -> Status {
    if (value.empty()) return ok_status();
    if (subject_of(value) == subject && open(value).ok()) return ok_status();
    auto sealed = seal(subject, value, secrets);
    if (!sealed.ok()) return sealed.error();
    value = std::move(*sealed);
    return ok_status();
  };
  return std::visit(
      [&](auto& e) -> Status {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, events::AccountRegistered>) {
          const std::string subject = events::account_stream(e.account_id);
          if (auto s = seal_in_place(subject, e.email); !s.ok()) return s;
          return seal_in_place(subject, e.display_name);
        } else if constexpr (std::is_same_v<E, events::InviteIssued>) {
          if (e.email_key.empty()) return ok_status();  // a code for anyone
          return seal_in_place(events::email_stream(e.email_key), e.email);
        } else if constexpr (std::is_same_v<E, events::ActionRecorded>) {
          const std::string subject = events::account_stream(actor);
          if (auto s = seal_in_place(subject, e.client_ip); !s.ok()) return s;
          for (auto& [name, text] : e.details) {
            if (auto s = seal_in_place(subject, text); !s.ok()) return s;
          }
          return ok_status();
        } else if constexpr (std::is_same_v<E, events::CredentialDeclared> ||
                             std::is_same_v<E, events::CredentialRecorded> ||
                             std::is_same_v<E, events::CredentialEdited>) {
          if (e.holder_id.empty()) return ok_status();
          return seal_in_place(events::account_stream(e.holder_id), e.document);
        } else if constexpr (std::is_same_v<E, events::OrganizationCreated>) {
          if (!organization_named_after_founder) return ok_status();
          return seal_in_place(events::account_stream(e.created_by), e.name);
        } else {
          return ok_status();
        }
      },
      event);
}

std::string PersonalData::new_key() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

SecretWrite PersonalData::destroy(std::string_view subject, bool for_good) {
  return SecretWrite{key_name(subject), "", !for_good};
}

void PersonalData::forget(const std::string& subject) {
  std::lock_guard lock(mu_);
  if (auto it = keys_.find(subject); it != keys_.end()) {
    sodium_memzero(it->second.bytes.data(), it->second.bytes.size());
    keys_.erase(it);
  }
}

}  // namespace touchline::store
