#include "touchline/domain/explain.h"

#include <type_traits>

#include "touchline/domain/role_model.h"

namespace touchline::domain {
namespace {

// Calls fact(parts...) for each fact the event touches; the fact's key is its parts joined. One
// list for facts_of and record_sources, which builds each key without allocating for facts it
// already holds (it runs on every event a projection folds).
template <typename Fact>
void for_each_fact(const events::DomainEvent& event, Fact&& fact) {
  using std::string_view;
  std::visit(
      [&fact](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, events::OrganizationCreated> ||
                      std::is_same_v<E, events::SubOrganizationCreated>) {
          const std::string& founder = [&]() -> const std::string& {
            if constexpr (std::is_same_v<E, events::OrganizationCreated>) return e.created_by;
            else return e.admin_id;
          }();
          fact(string_view("organization"));
          fact(string_view("tier"));
          fact(string_view("role_model"));
          fact(string_view("member/"), string_view(founder));
          fact(string_view("role/"), string_view(founder));
        } else if constexpr (std::is_same_v<E, events::RoleModelVersionAdopted>) {
          fact(string_view("role_model"));
        } else if constexpr (std::is_same_v<E, events::OrganizationTierChanged>) {
          fact(string_view("tier"));
        } else if constexpr (std::is_same_v<E, events::OrganizationSettingChanged>) {
          fact(string_view("setting/"), string_view(e.setting));
        } else if constexpr (std::is_same_v<E, events::MemberAdded>) {
          fact(string_view("member/"), string_view(e.account_id));
          fact(string_view("role/"), string_view(e.account_id));
        } else if constexpr (std::is_same_v<E, events::MemberRoleChanged>) {
          fact(string_view("role/"), string_view(e.account_id));
        } else if constexpr (std::is_same_v<E, events::MemberRemoved> || std::is_same_v<E, events::MemberLeft>) {
          // Leaving ends the membership and everything kept with it.
          for (string_view kind : {"member/", "role/", "deactivated/", "consent/"}) fact(kind, string_view(e.account_id));
        } else if constexpr (std::is_same_v<E, events::MemberDeactivated> ||
                             std::is_same_v<E, events::MemberReactivated>) {
          fact(string_view("deactivated/"), string_view(e.account_id));
        } else if constexpr (std::is_same_v<E, events::AthleteAssigned> ||
                             std::is_same_v<E, events::AthleteUnassigned>) {
          fact(string_view("assignment/"), string_view(e.athlete_id));
        } else if constexpr (std::is_same_v<E, events::BillingDelegationGranted> ||
                             std::is_same_v<E, events::BillingDelegationRevoked>) {
          fact(string_view("grant/"), kBillingDelegationGrant, string_view("/"), string_view(e.account_id));
        } else if constexpr (std::is_same_v<E, events::MemberGranted> ||
                             std::is_same_v<E, events::MemberGrantRevoked>) {
          fact(string_view("grant/"), string_view(e.grant), string_view("/"), string_view(e.account_id));
        } else if constexpr (std::is_same_v<E, events::RoleDefined> || std::is_same_v<E, events::RoleUpdated> ||
                             std::is_same_v<E, events::RoleDeleted>) {
          fact(string_view("custom_role/"), string_view(e.role));
        } else if constexpr (std::is_same_v<E, events::ConsentGiven> ||
                             std::is_same_v<E, events::ConsentWithdrawn>) {
          fact(string_view("consent/"), string_view(e.athlete_id));
        } else if constexpr (std::is_same_v<E, events::PrivacySettingsChanged>) {
          fact(string_view("privacy/"), string_view(e.account_id));
        }
      },
      event);
}

}  // namespace

std::vector<std::string> facts_of(const events::DomainEvent& event) {
  std::vector<std::string> out;
  for_each_fact(event, [&out](auto... parts) { out.push_back((std::string(parts) + ...)); });
  return out;
}

void record_sources(Sources& sources, const events::DomainEvent& event, std::uint64_t position) {
  // Reused across calls: most keys (member/<32-character id>) are too long for a string's own
  // buffer, and this runs on every event a projection folds.
  thread_local std::string key;
  for_each_fact(event, [&](auto... parts) {
    key.clear();
    (key.append(parts), ...);
    if (auto it = sources.find(key); it != sources.end()) {
      it->second = position;
    } else {
      sources.emplace(key, position);
    }
  });
}

}  // namespace touchline::domain
