// Suggestions for a denied check: commands that would allow it, found by deciding candidates with
// the domain's own deciders on a copy of the organisation and checking again.
#include <algorithm>
#include <functional>
#include <memory>

#include "touchline/api/queries.h"
#include "touchline/domain/account.h"
#include "touchline/domain/joining.h"
#include "touchline/domain/organization.h"

namespace touchline::api::queries {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxCommands = 3;    // the longest suggestion looked for
constexpr std::size_t kMaxFrontier = 64;   // partial suggestions carried from one length to the next

// What the check reads, as suggested commands change it.
struct World {
  domain::OrganizationState org;
  std::map<std::string, domain::Privacy> privacy;  // accounts whose settings a suggestion changed
};

// A candidate command and what it would do.
struct Step {
  SuggestedCommand command;  // with the one sender the search found
  std::vector<events::DomainEvent> events;  // on the organisation
  std::optional<std::pair<std::string, domain::Privacy>> privacy;  // an account's new settings
  // For an organisation command: every member it may be sent by, on the organisation it was decided on.
  std::function<std::vector<std::string>(const domain::OrganizationState&)> all_senders;
  std::shared_ptr<const World> decided_on;
};

class Suggester {
 public:
  Suggester(const PermissionView& view, const domain::OrganizationState& org, const CheckQuery& q)
      : view_(view), q_(q), parent_(view.parent_of(org)), start_{org, {}} {}

  std::vector<Suggestion> run() const {
    using Path = std::vector<const Step*>;
    std::vector<std::pair<Path, std::shared_ptr<const World>>> frontier{{{}, std::make_shared<World>(start_)}};
    std::vector<std::unique_ptr<Step>> steps;  // owns every step the paths point to
    for (std::size_t length = 1; length <= kMaxCommands && !frontier.empty(); ++length) {
      std::vector<Path> found;
      std::vector<std::pair<Path, std::shared_ptr<const World>>> next;
      for (const auto& [path, world] : frontier) {
        std::vector<domain::Gate> gates;
        if (check(*world, &gates).allowed || gates.empty()) continue;
        for (auto& step : candidates(*world, gates.back())) {
          step.decided_on = world;
          steps.push_back(std::make_unique<Step>(std::move(step)));
          Path longer = path;
          longer.push_back(steps.back().get());
          auto after = std::make_shared<World>(apply(*world, *steps.back()));
          if (check(*after, nullptr).allowed) {
            found.push_back(std::move(longer));
          } else if (next.size() < kMaxFrontier) {
            next.emplace_back(std::move(longer), std::move(after));
          }
        }
      }
      if (!found.empty()) return suggestions(found);
      frontier = std::move(next);
    }
    return {};
  }

 private:
  // The suggestions for the paths found, each command with every member who may send it.
  static std::vector<Suggestion> suggestions(const std::vector<std::vector<const Step*>>& found) {
    std::vector<Suggestion> out;
    for (const auto& path : found) {
      Suggestion s;
      for (const Step* step : path) {
        SuggestedCommand command = step->command;
        if (step->all_senders) command.senders = step->all_senders(step->decided_on->org);
        s.commands.push_back(std::move(command));
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  const domain::Privacy* privacy_of(const World& w, const std::string& account) const {
    if (auto it = w.privacy.find(account); it != w.privacy.end()) return &it->second;
    return view_.privacy(account);
  }

  domain::Decision check(const World& w, std::vector<domain::Gate>* trace) const {
    return domain::check(w.org, q_.subject, q_.permission, q_.target,
                         {.subject = privacy_of(w, q_.subject), .target = q_.target.empty() ? nullptr : privacy_of(w, q_.target)},
                         parent_, trace);
  }

  static World apply(World w, const Step& step) {
    // Only this organisation's events (ChangeTier also records its sub-organisations' tiers).
    for (const auto& e : step.events) {
      if (events::stream_of(e) == events::organization_stream(w.org.id)) w.org = domain::evolve(std::move(w.org), e);
    }
    if (step.privacy) w.privacy[step.privacy->first] = step.privacy->second;
    return w;
  }

  // An organisation command, sent by a member its decider accepts it from (a command that
  // changes nothing, or that nobody may send, is no candidate). The search needs one sender;
  // every sender is listed for the suggestions it returns (all_senders).
  template <typename Command>
  static void org_command(const World& w, std::string name, json body, const Command& cmd, std::vector<Step>& out) {
    Step step{{std::move(name), std::move(body), {}}, {}, std::nullopt, {}, nullptr};
    for (const auto& [member, role] : w.org.members) {
      auto decided = domain::decide(w.org, member, cmd);
      if (!decided.ok() || decided->empty()) continue;
      step.command.senders.push_back(member);
      step.events = std::move(decided).value();
      step.all_senders = [cmd](const domain::OrganizationState& org) {
        std::vector<std::string> senders;
        for (const auto& [candidate, held] : org.members) {
          auto again = domain::decide(org, candidate, cmd);
          if (again.ok() && !again->empty()) senders.push_back(candidate);
        }
        return senders;
      };
      out.push_back(std::move(step));
      return;
    }
  }

  // The account's own privacy settings with `settings` turned on (and the master switch, which
  // every other setting needs), sent by the account itself.
  void privacy_on(const World& w, const std::string& account, const std::string& setting, std::vector<Step>& out) const {
    const domain::Privacy* current = privacy_of(w, account);
    std::map<std::string, bool> settings{{setting, true}};
    if (current && !current->value(domain::kPrivacyMasterSwitch)) settings[std::string(domain::kPrivacyMasterSwitch)] = true;
    domain::AccountState state;
    if (current) state.privacy = *current;
    const domain::Privacy after = domain::evolve(std::move(state), events::PrivacySettingsChanged{account, settings}).privacy;
    out.push_back(Step{{"UpdatePrivacySettings", json{{"account_id", account}, {"settings", settings}}, {account}},
                       {},
                       std::make_pair(account, after),
                       {},
                       nullptr});
  }

  // ChangeMemberRole of the subject to each other role that holds the permission.
  void other_roles(const World& w, std::vector<Step>& out) const {
    const domain::Role* current = w.org.role_of(q_.subject);
    std::vector<const domain::Role*> roles;
    for (const auto& role : w.org.model().roles) roles.push_back(&role);
    for (const auto& [name, role] : w.org.custom_roles) roles.push_back(&role);
    for (const domain::Role* role : roles) {
      if (role == current || !role->permissions.contains(q_.permission)) continue;
      org_command(w, "ChangeMemberRole",
                  json{{"organization_id", w.org.id}, {"account_id", q_.subject}, {"role", role->name}},
                  domain::ChangeMemberRole{w.org.id, q_.subject, role->name}, out);
    }
  }

  std::vector<Step> candidates(const World& w, const domain::Gate& denied) const {
    std::vector<Step> out;
    const std::string& org_id = w.org.id;
    if (denied.name == "deactivation") {
      org_command(w, "ReactivateMember", json{{"organization_id", org_id}, {"account_id", q_.subject}},
                  domain::ReactivateMember{org_id, q_.subject}, out);
    } else if (denied.name == "tier") {
      const domain::Role* role = w.org.role_of(q_.subject);
      std::string_view tier = w.org.missing_model_tier();
      if (tier.empty() && role && role->custom) tier = w.org.custom_roles_missing_tier();
      if (tier.empty()) tier = w.org.missing_tier(q_.permission);
      if (!tier.empty()) {
        org_command(w, "ChangeTier", json{{"organization_id", org_id}, {"tier", tier}},
                    domain::ChangeTier{org_id, std::string(tier), false}, out);
      }
    } else if (denied.name == "setting") {
      const std::string setting = denied.facts.front().substr(std::string_view("setting/").size());
      org_command(w, "ChangeOrganizationSetting",
                  json{{"organization_id", org_id}, {"setting", setting}, {"enabled", true}},
                  domain::ChangeOrganizationSetting{org_id, setting, true}, out);
    } else if (denied.name == "role") {
      other_roles(w, out);
      const domain::Role* current = w.org.role_of(q_.subject);
      for (const auto& [name, grant] : w.org.model().grants) {
        if (grant.permission != q_.permission || !current || !grant.may_receive(current->name)) continue;
        if (name == domain::kBillingDelegationGrant) {
          org_command(w, "GrantBillingDelegation", json{{"organization_id", org_id}, {"account_id", q_.subject}},
                      domain::GrantBillingDelegation{org_id, q_.subject}, out);
        } else {
          org_command(w, "GrantToMember", json{{"organization_id", org_id}, {"account_id", q_.subject}, {"grant", name}},
                      domain::GrantToMember{org_id, q_.subject, name}, out);
        }
      }
    } else if (denied.name == "scope") {
      if (denied.facts.front().starts_with("assignment/")) {
        org_command(w, "AssignAthlete", json{{"organization_id", org_id}, {"athlete_id", q_.target}, {"coach_id", q_.subject}},
                    domain::AssignAthlete{org_id, q_.target, q_.subject}, out);
      }
      other_roles(w, out);
    } else if (denied.name == "consent") {
      auto decided = domain::decide(w.org, q_.target, domain::GiveConsent{org_id});
      if (decided.ok() && !decided->empty()) {
        out.push_back(Step{{"GiveConsent", json{{"organization_id", org_id}}, {q_.target}}, std::move(decided).value(),
                           std::nullopt, {}, nullptr});
      }
    } else if (denied.name == "privacy" || denied.name == "own_privacy") {
      const domain::PermissionInfo* info = domain::find_permission(q_.permission);
      const bool own = denied.name == "own_privacy";
      if (info) privacy_on(w, own ? q_.subject : q_.target, own ? info->own_privacy : info->privacy, out);
    }
    return out;
  }

  const PermissionView& view_;
  const CheckQuery& q_;
  const domain::OrganizationState* parent_;
  World start_;
};

}  // namespace

Result<std::vector<Suggestion>> suggest(const PermissionView& view, const std::string& caller, const CheckQuery& q) {
  auto decision = check(view, caller, q);  // the same authorisation and errors
  if (!decision.ok()) return decision.error();
  const domain::OrganizationState& org = *view.organization(q.organization_id);
  if (auto denied = may_see_who(view, org, caller)) return *denied;
  if (decision->allowed) return std::vector<Suggestion>{};
  if (org.members.size() > kMaxSuggestionMembers) {
    return Error::make(ErrorCode::failed_precondition,
                       "suggestions are searched for in organisations of up to " + std::to_string(kMaxSuggestionMembers) +
                           " members; this one has " + std::to_string(org.members.size()));
  }
  return Suggester(view, org, q).run();
}

}  // namespace touchline::api::queries
