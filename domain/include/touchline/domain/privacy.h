// Athlete privacy (seed 000 "Privacy and visibility"; seeds README): settings each account keeps
// for itself, on by default except sharing publicly, and a master switch. Privacy overrides every role: a check of a
// privacy-gated permission on a member who does not share that data is denied, whatever role,
// custom role or grant the viewer holds. Pure data and functions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace touchline::domain {

struct PrivacySettingInfo {
  std::string name;
  std::string description;
  bool default_value = true;
};

// The settings, in the order the seed lists them, master switch first. Every permission's
// catalogue `privacy` names one of them.
const std::vector<PrivacySettingInfo>& privacy_settings();
const PrivacySettingInfo* find_privacy_setting(std::string_view name);

// When off, nothing of the account's data is shared, whatever the other settings say.
inline constexpr std::string_view kPrivacyMasterSwitch = "share_activity_in_profile";

// One account's settings: only those changed from their defaults are kept.
struct Privacy {
  std::map<std::string, bool> changed;

  // The setting's value (its default when unchanged; false for an unknown name).
  bool value(std::string_view setting) const;
  // Whether data gated by `setting` is shared: the master switch and the setting both on.
  bool shares(std::string_view setting) const;
  bool operator==(const Privacy&) const = default;
};

}  // namespace touchline::domain
