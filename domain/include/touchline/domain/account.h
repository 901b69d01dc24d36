// The Account aggregate (one per person) and the email claim that keeps emails unique. Pure:
// decide functions read state and a command and return events or a typed error.
#pragma once

#include <string>
#include <vector>

#include "touchline/domain/privacy.h"
#include "touchline/events/domain_events.h"
#include "touchline/events/result.h"

namespace touchline::domain {

struct AccountState {
  bool exists = false;
  bool erased = false;  // AccountErased: it keeps its id and history, and does nothing more
  std::string id;
  std::string email;         // sealed (plain text in older logs); empty once erased
  std::string display_name;  // the same
  std::string membership_role;          // "athlete" or "coach"
  std::string athlete_organization_id;  // the one organisation this athlete belongs to, if any
  Privacy privacy;
  bool operator==(const AccountState&) const = default;
};

// An email's claim stream: claimed until the account holding it is erased (EmailReleased).
struct EmailClaimState {
  bool claimed = false;
  std::string account_id;
  bool operator==(const EmailClaimState&) const = default;
};

AccountState evolve(AccountState state, const events::DomainEvent& event);
EmailClaimState evolve(EmailClaimState state, const events::DomainEvent& event);

// Lower-cases ASCII letters: emails are unique compared case-insensitively.
std::string normalize_email(std::string_view email);

// One @, something before it, a dotted domain after it, no spaces or controls, at most 254 bytes:
// what SignUp and email-bound invites accept.
bool is_plausible_email(std::string_view email);

struct SignUp {
  std::string email;
  std::string password;  // validated here; hashed and stored outside the log by the caller
  std::string display_name;
  std::string membership_role;    // empty: "athlete"
  std::string organization_name;  // coaches only: creates this organisation with them as head
  std::string role_model;         // for that organisation; empty: kDefaultRoleModel
  std::string new_account_id;       // injected by the caller
  std::string new_organization_id;  // injected by the caller; used only with organization_name
  std::string email_key;            // injected by the caller: the claim key of the lower-cased email
};

// An athlete becomes a coach, keeping their account (seed 000: signing in at the coach console
// upgrades instead of creating a second account). With an organisation name, they also found their
// head-coach organisation in the same step.
struct UpgradeToCoach {
  std::string organization_name;    // empty: no organisation
  std::string role_model;           // for that organisation; empty: kDefaultRoleModel
  std::string new_organization_id;  // injected by the caller; used only with organization_name
};

// Coach -> athlete, by an operator only (seed 000: the user contacts support).
struct DowngradeToAthlete {
  std::string account_id;
};

// Forgetting a person (crypto-shredding): the account itself, or an operator, erases it. The
// caller destroys the account's key in the same batch; the events say so.
struct EraseAccount {
  std::string account_id;
  // Injected by the caller: the claim key of the account's email, whose claim is released; empty
  // when the account's email is in plain text (an older log, whose claim stream names the address:
  // it stays claimed until the log is migrated, docs/OPERATIONS.md).
  std::string email_key;
};

struct UpdatePrivacySettings {
  std::string account_id;  // whose settings: only the signed-in account's own
  std::map<std::string, bool> settings;  // setting name -> on/off (domain/privacy.h)
};

// Errors: invalid_argument naming the field (malformed email, password under 10 characters,
// display name missing, membership_role not athlete/coach, organization_name for an athlete),
// already_exists (the email is claimed).
Result<std::vector<events::DomainEvent>> decide(const EmailClaimState& claim, const SignUp& cmd);

// `account` is the signed-in account. An account that is already a coach gets an empty list (and
// founds nothing: coaches use CreateOrganization). Errors: not_found (no such account),
// invalid_argument (organisation name or role model, named).
Result<std::vector<events::DomainEvent>> decide(const AccountState& account, const UpgradeToCoach&);

// The caller is an operator. `staff_in`: the organisations where the account holds a staff role;
// the account must hold none (its memberships are the organisations' to end, and a staff role
// needs a coach account). An athlete account gets an empty list. Errors: not_found,
// failed_precondition (still on a staff, naming the organisations).
Result<std::vector<events::DomainEvent>> decide(const AccountState& account, const std::vector<std::string>& staff_in,
                                                const DowngradeToAthlete& cmd);

// Only the account itself (actor == account_id) or an operator (by_operator) erases it. `claim`
// is the state of the claim stream of cmd.email_key: released when it is this account's. An
// account already erased gets an empty list. Errors: not_found (no such account), permission_denied
// (someone else's account).
Result<std::vector<events::DomainEvent>> decide(const AccountState& account, const EmailClaimState& claim,
                                                const std::string& actor, bool by_operator, const EraseAccount& cmd);

// Only the account itself changes its privacy settings: no coach, owner or operator does. Values
// it already has are left out of the event; nothing changed succeeds with no events. Errors:
// not_found (no such account), permission_denied (another account's settings), invalid_argument
// (no settings, or an unknown setting, named).
Result<std::vector<events::DomainEvent>> decide(const AccountState& account, const std::string& actor,
                                                const UpdatePrivacySettings& cmd);

}  // namespace touchline::domain
