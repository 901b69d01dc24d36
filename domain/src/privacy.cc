#include "touchline/domain/privacy.h"

namespace touchline::domain {

const std::vector<PrivacySettingInfo>& privacy_settings() {
  static const std::vector<PrivacySettingInfo> all = {
      {std::string(kPrivacyMasterSwitch), "Share my activity at all: when off, nothing below is shared", true},
      {"share_activity_with_coach", "Share activity data with my coaches", true},
      {"share_activity_with_group", "Share activity data with my training group", true},
      {"share_pace_data", "Share pace data", true},
      {"share_race_goals", "Share race goals", true},
      {"share_profile_info", "Share profile info", true},
      {"participate_in_leaderboard", "Appear on the organisation's leaderboard", true},
      // From the same product's other pages (seeds README): a public audience, off by default,
      // and further per-field flags, on by default.
      {"share_activity_with_public", "Share activity data publicly", false},
      {"share_map_data", "Share maps of my activities", true},
      {"share_race_history", "Share my race history", true},
      {"share_personal_bests", "Share my personal bests", true},
      {"share_training_data", "Share my training data", true},
  };
  return all;
}

const PrivacySettingInfo* find_privacy_setting(std::string_view name) {
  for (const auto& s : privacy_settings()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool Privacy::value(std::string_view setting) const {
  if (auto it = changed.find(std::string(setting)); it != changed.end()) return it->second;
  const PrivacySettingInfo* info = find_privacy_setting(setting);
  return info && info->default_value;
}

bool Privacy::shares(std::string_view setting) const {
  return value(kPrivacyMasterSwitch) && value(setting);
}

}  // namespace touchline::domain
