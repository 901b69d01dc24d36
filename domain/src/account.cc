#include "touchline/domain/account.h"

#include <algorithm>
#include <stdexcept>

#include "text.h"
#include "touchline/domain/organization.h"
#include "touchline/domain/role_model.h"

namespace touchline::domain {

using events::DomainEvent;

AccountState evolve(AccountState state, const DomainEvent& event) {
  if (const auto* e = std::get_if<events::AccountRegistered>(&event)) {
    state.exists = true;
    state.id = e->account_id;
    state.email = e->email;
    state.display_name = e->display_name;
    state.membership_role = e->membership_role;
  } else if (std::holds_alternative<events::AccountUpgradedToCoach>(event)) {
    state.membership_role = "coach";
  } else if (std::holds_alternative<events::AccountDowngradedToAthlete>(event)) {
    state.membership_role = "athlete";
  } else if (const auto* e = std::get_if<events::AthleteJoinedOrganization>(&event)) {
    state.athlete_organization_id = e->organization_id;
  } else if (std::holds_alternative<events::AthleteLeftOrganization>(event)) {
    state.athlete_organization_id.clear();
  } else if (std::holds_alternative<events::AccountErased>(event)) {
    state.erased = true;
    state.email.clear();
    state.display_name.clear();
  } else if (const auto* e = std::get_if<events::PrivacySettingsChanged>(&event)) {
    for (const auto& [setting, on] : e->settings) {
      const PrivacySettingInfo* info = find_privacy_setting(setting);
      // Recorded settings were validated when decided; a build that dropped one cannot read them.
      if (!info) throw std::runtime_error("privacy setting '" + setting + "' is unknown to this build");
      if (on == info->default_value) {
        state.privacy.changed.erase(setting);
      } else {
        state.privacy.changed[setting] = on;
      }
    }
  }
  return state;
}

EmailClaimState evolve(EmailClaimState state, const DomainEvent& event) {
  if (const auto* e = std::get_if<events::EmailClaimed>(&event)) {
    state.claimed = true;
    state.account_id = e->account_id;
  } else if (std::holds_alternative<events::EmailReleased>(event)) {
    state.claimed = false;
    state.account_id.clear();
  }
  return state;
}

std::string normalize_email(std::string_view email) {
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  return out;
}

constexpr std::size_t kMaxEmailBytes = 254;

bool is_plausible_email(std::string_view email) {
  if (email.empty() || email.size() > kMaxEmailBytes) return false;
  for (char c : email) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;  // spaces, controls
  }
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  auto domain = email.substr(at + 1);
  auto dot = domain.find('.');
  return dot != std::string_view::npos && dot != 0 && domain.back() != '.';
}

namespace {

constexpr std::size_t kMinPasswordChars = 10;

Error invalid(std::string message, std::string field) {
  return Error::make(ErrorCode::invalid_argument, std::move(message), std::move(field));
}

}  // namespace

Result<std::vector<DomainEvent>> decide(const EmailClaimState& claim, const SignUp& cmd) {
  if (!is_plausible_email(cmd.email)) {
    return invalid("email must be an address like name@example.com", "email");
  }
  if (utf8_length(cmd.password) < kMinPasswordChars) {
    return invalid("password must be at least 10 characters long", "password");
  }
  auto name_length = utf8_length(cmd.display_name);
  if (name_length == 0 || name_length > kMaxNameChars) {
    return invalid("display_name is required and at most 100 characters", "display_name");
  }
  if (has_control_characters(cmd.display_name)) {
    return invalid("display_name must not contain control characters", "display_name");
  }
  const std::string role = cmd.membership_role.empty() ? "athlete" : cmd.membership_role;
  if (role == "head_coach" || role == "assistant_coach") {
    return invalid("membership_role '" + role +
                       "' cannot be chosen at sign-up: head_coach and assistant_coach are assigned "
                       "by the platform after sign-up. Valid values are athlete and coach.",
                   "membership_role");
  }
  if (role != "athlete" && role != "coach") {
    return invalid("membership_role must be athlete or coach", "membership_role");
  }
  if (!cmd.organization_name.empty() && role != "coach") {
    return invalid("organization_name is only for coach sign-ups (membership_role coach)",
                   "organization_name");
  }
  if (utf8_length(cmd.organization_name) > kMaxNameChars) {
    return invalid("organization_name is at most 100 characters", "organization_name");
  }
  if (has_control_characters(cmd.organization_name)) {
    return invalid("organization_name must not contain control characters", "organization_name");
  }
  const std::string model_id = cmd.role_model.empty() ? std::string(kDefaultRoleModel) : cmd.role_model;
  const RoleModel* model = find_role_model(model_id);
  if (!model) {
    return invalid("role_model '" + model_id + "' is not a built-in role model", "role_model");
  }
  if (claim.claimed) {
    return Error::make(ErrorCode::already_exists,
                       "an account with this email already exists; sign in instead (at the coach "
                       "console, an athlete account becomes a coach account)",
                       "email");
  }

  std::vector<DomainEvent> out;
  out.push_back(events::AccountRegistered{cmd.new_account_id, cmd.email, cmd.display_name, role});
  if (cmd.email_key.empty()) {
    throw std::logic_error("SignUp decided without the email's claim key: the address would name its stream");
  }
  out.push_back(events::EmailClaimed{cmd.email_key, cmd.new_account_id});
  if (!cmd.organization_name.empty()) {
    out.push_back(founding_event(*model, cmd.new_organization_id, cmd.organization_name,
                                 cmd.new_account_id));
  }
  return out;
}

Result<std::vector<DomainEvent>> decide(const AccountState& account, const UpgradeToCoach& cmd) {
  if (!account.exists) return Error::make(ErrorCode::not_found, "account not found");
  if (account.membership_role == "coach") return std::vector<DomainEvent>{};
  std::vector<DomainEvent> out{events::AccountUpgradedToCoach{account.id}};
  if (cmd.organization_name.empty()) return out;
  if (utf8_length(cmd.organization_name) > kMaxNameChars) {
    return invalid("organization_name is at most 100 characters", "organization_name");
  }
  if (has_control_characters(cmd.organization_name)) {
    return invalid("organization_name must not contain control characters", "organization_name");
  }
  const std::string model_id = cmd.role_model.empty() ? std::string(kDefaultRoleModel) : cmd.role_model;
  const RoleModel* model = find_role_model(model_id);
  if (!model) return invalid("role_model '" + model_id + "' is not a built-in role model", "role_model");
  out.push_back(founding_event(*model, cmd.new_organization_id, cmd.organization_name, account.id));
  return out;
}

Result<std::vector<DomainEvent>> decide(const AccountState& account, const std::vector<std::string>& staff_in,
                                        const DowngradeToAthlete& cmd) {
  if (!account.exists) return Error::make(ErrorCode::not_found, "account " + cmd.account_id + " not found", "account_id");
  if (account.membership_role != "coach") return std::vector<DomainEvent>{};
  if (!staff_in.empty()) {
    return Error::make(ErrorCode::failed_precondition,
                       "the account is on the staff of " + join_names(staff_in) +
                           "; remove it from those organisations first",
                       "account_id");
  }
  return std::vector<DomainEvent>{events::AccountDowngradedToAthlete{account.id}};
}

Result<std::vector<DomainEvent>> decide(const AccountState& account, const EmailClaimState& claim,
                                        const std::string& actor, bool by_operator, const EraseAccount& cmd) {
  if (!account.exists) return Error::make(ErrorCode::not_found, "account " + cmd.account_id + " not found", "account_id");
  if (!by_operator && account.id != actor) {
    return Error::make(ErrorCode::permission_denied, "only the account itself or an operator erases an account",
                       "account_id");
  }
  if (account.erased) return std::vector<DomainEvent>{};
  std::vector<DomainEvent> out{events::AccountErased{account.id}};
  if (!cmd.email_key.empty() && claim.claimed && claim.account_id == account.id) {
    out.push_back(events::EmailReleased{cmd.email_key, account.id});
  }
  return out;
}

Result<std::vector<DomainEvent>> decide(const AccountState& account, const std::string& actor,
                                        const UpdatePrivacySettings& cmd) {
  if (!account.exists) return Error::make(ErrorCode::not_found, "account not found", "account_id");
  if (account.id != actor) {
    return Error::make(ErrorCode::permission_denied,
                       "only the athlete changes their own privacy settings; no role can override them",
                       "account_id");
  }
  if (cmd.settings.empty()) {
    return Error::make(ErrorCode::invalid_argument, "settings must name at least one setting", "settings");
  }
  std::map<std::string, bool> changes;
  for (const auto& [setting, on] : cmd.settings) {
    if (!find_privacy_setting(setting)) {
      const std::string valid = join_names(privacy_settings(), [](const auto& s) { return s.name; });
      return Error::make(ErrorCode::invalid_argument,
                         "unknown privacy setting '" + setting + "'; settings: " + valid, "settings");
    }
    if (account.privacy.value(setting) != on) changes[setting] = on;
  }
  if (changes.empty()) return std::vector<DomainEvent>{};
  return std::vector<DomainEvent>{events::PrivacySettingsChanged{account.id, std::move(changes)}};
}

}  // namespace touchline::domain
