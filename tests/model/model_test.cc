// The model-based test of authorization. A seeded generator sends random commands (every command,
// every role model, tiers, settings, grants, custom roles, sub-organisations, offers, invites,
// consent and privacy) to the real write side (CommandService over an EventStore); every event it
// appends is folded by the real permission projection and by the reference evaluator
// (reference_model.h), which was written from the role-model data and the documents alone. After
// every step, every check of every organisation the step touched (each member, the parent's
// members and an outsider, as subject; no target, each member and the outsider, as target; every
// permission of the catalogue) must get the same answer from both, the read side's lookups must
// list exactly whom and what the reference allows (who holds each permission, with no target and
// on each target; whom each subject may use it on), a refused command must append nothing, and the
// reference's invariants must hold. Before each command, its dry run (CommandService::dry_run)
// must predict it: refused alike, the same events, and in each organisation exactly the checks
// the projection then finds changed.
//
//   TOUCHLINE_MODEL_STEPS   steps to run (default 2,000; the suite runs 5,000, 1,000 under the sanitizers)
//   TOUCHLINE_MODEL_SEED    the generator's seed (default 20261130); a failure names it
//
// docs/OPERATIONS.md has the long run; docs/RELIABILITY.md its figures.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "model/reference_model.h"
#include "support/command_harness.h"
#include "touchline/api/queries.h"
#include "touchline/domain/impact.h"
#include "touchline/domain/privacy.h"
#include "touchline/domain/role_model.h"
#include "touchline/projections/permission_projection.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoull(v) : fallback;
}

// One organisation as the generator knows it: enough to aim commands, never to judge them.
struct Org {
  std::string id;
  std::string model;
  std::string founder;  // who created it (a sub-organisation: its admin)
  std::string parent;   // empty for a top-level organisation
  std::vector<std::string> invite_codes, invite_ids, credential_ids;
  std::set<std::string> offered;  // accounts with an offer to answer (MembershipOffered)
};

struct Sent {
  std::string name;
  json body;
  std::string actor;
  bool by_operator = false;
  bool is_action = false;  // POST /v1/actions
};

std::string describe(const Sent& s) {
  return (s.by_operator ? "operator" : s.actor) + ": " + s.name + " " + s.body.dump();
}

class ModelRun {
 public:
  explicit ModelRun(std::uint64_t seed)
      : rng_(seed),
        harness_({}, false,
                 [this](const std::string& account) -> Result<std::vector<std::string>> {
                   return projection_.staff_organizations(account);
                 }),
        reference_(std::filesystem::path(TOUCHLINE_SOURCE_DIR) / "domain/models") {
    for (const auto& [name, info] : domain::permission_catalogue()) permissions_.push_back(name);
  }

  // Accounts and one organisation of each model, through commands like everything else.
  void set_up() {
    for (int i = 0; i < 6; ++i) coaches_.push_back(sign_up("coach" + std::to_string(i), "coach"));
    for (int i = 0; i < 6; ++i) athletes_.push_back(sign_up("athlete" + std::to_string(i), "athlete"));
    accounts_ = coaches_;
    accounts_.insert(accounts_.end(), athletes_.begin(), athletes_.end());
    models_ = domain::role_model_ids();
    for (std::size_t i = 0; i < models_.size(); ++i) {
      auto r = send({"CreateOrganization", {{"name", "Org " + models_[i]}, {"role_model", models_[i]}}, coaches_[i]});
      if (!r.ok()) throw std::runtime_error("set-up: " + r.error().message);
      orgs_.push_back(Org{r->body["organization_id"], models_[i], coaches_[i], "", {}, {}, {}, {}});
    }
    catch_up();
  }

  // One random command, then the comparison. Returns the disagreements and broken invariants.
  std::vector<std::string> step(std::uint64_t n) {
    const Sent sent = next();
    const std::uint64_t before = harness_.log().head_position();
    // The dry run first: decided on the same state, it must predict what the command then does.
    std::optional<Result<api::DryRun>> dry;
    std::map<std::string, OrgSnapshot> before_states;
    if (!sent.is_action && sent.name != "SignUp") {
      dry = harness_.service().dry_run(request_of(sent));
      if (dry->ok()) {
        for (const auto& org : (*dry)->organizations) before_states[org.organization_id] = snapshot(org.organization_id);
      }
    }
    auto answer = send(sent);
    learn(sent, answer);
    std::vector<std::string> problems;
    if (!answer.ok() && harness_.log().head_position() != before) {
      problems.push_back("refused (" + answer.error().message + ") but appended");
    }
    const std::set<std::string> touched = catch_up();
    if (dry) compare_dry_run(*dry, answer, before, before_states, problems);
    for (const auto& org : n % 100 == 0 ? all_org_ids() : touched) compare(org, problems);
    for (const auto& v : reference_.invariant_violations()) problems.push_back("invariant: " + v);
    for (auto& p : problems) p = "step " + std::to_string(n) + " after " + describe(sent) + ": " + p;
    return problems;
  }

  std::uint64_t checks() const { return checks_; }
  std::uint64_t lookups() const { return lookups_; }
  std::uint64_t acknowledged() const { return acknowledged_; }
  std::uint64_t refused() const { return refused_; }
  std::uint64_t dry_runs() const { return dry_runs_; }
  std::uint64_t predicted_changes() const { return predicted_changes_; }
  const std::map<std::string, std::uint64_t>& acknowledged_by_kind() const { return by_kind_; }

 private:
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n); }
  bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }
  template <typename T>
  const T& any(const std::vector<T>& from) { return from[pick(from.size())]; }

  std::string sign_up(const std::string& name, const std::string& role) {
    auto r = send({"SignUp", {{"email", name + "@model.test"}, {"password", "a long password"},
                              {"display_name", name}, {"membership_role", role}}, ""});
    if (!r.ok()) throw std::runtime_error("set-up: " + r.error().message);
    return r->body["account_id"];
  }

  static api::CommandRequest request_of(const Sent& s) {
    return {s.name, s.body, s.by_operator ? "operator" : s.actor, "", "", "192.0.2.7", s.by_operator};
  }

  // An organisation as the projection holds it, with its parent and its people's privacy settings.
  struct OrgSnapshot {
    std::optional<domain::OrganizationState> org, parent;
    std::map<std::string, domain::Privacy> privacy;
  };
  OrgSnapshot snapshot(const std::string& id) const {
    OrgSnapshot out;
    out.org = projection_.organization(id);
    if (out.org && !out.org->parent_id.empty()) out.parent = projection_.organization(out.org->parent_id);
    for (const auto* org : {&out.org, &out.parent}) {
      if (!*org) continue;
      for (const auto& [account, role] : (*org)->members) out.privacy[account] = projection_.privacy(account);
    }
    return out;
  }

  // A dry run predicts what the command then did: refused alike (the same code), or the same
  // events (by type and stream, ids the command makes aside) and, in each organisation that
  // existed before, exactly the checks that changed between the projection before and after.
  void compare_dry_run(const Result<api::DryRun>& dry, const Result<api::CommandResponse>& answer, std::uint64_t before,
                       const std::map<std::string, OrgSnapshot>& before_states, std::vector<std::string>& problems) {
    if (!dry.ok() || !answer.ok()) {
      if (dry.ok() != answer.ok() || (!dry.ok() && dry.error().code != answer.error().code)) {
        problems.push_back("dry run answered " + (dry.ok() ? std::string("ok") : dry.error().message) + ", the command " +
                           (answer.ok() ? std::string("ok") : answer.error().message));
      }
      return;
    }
    auto appended = harness_.log().read_recorded(before, SIZE_MAX);
    if (!appended.ok()) throw std::runtime_error("read_recorded: " + appended.error().message);
    std::vector<std::string> predicted, actual;
    for (const auto& e : dry->events) predicted.push_back(std::string(events::event_type(e)));
    for (const auto& e : *appended) actual.push_back(std::string(events::event_type(e.event)));
    if (predicted != actual) problems.push_back("dry run predicted other events than were appended");
    ++dry_runs_;
    for (const auto& org : dry->organizations) {
      auto was = before_states.find(org.organization_id);
      if (was == before_states.end() || !was->second.org) continue;  // made by this command: its ids differ
      const OrgSnapshot now = snapshot(org.organization_id);
      auto lookup = [](const OrgSnapshot& s) -> domain::PrivacyLookup {
        return [&s](const std::string& account) -> const domain::Privacy* {
          auto it = s.privacy.find(account);
          return it == s.privacy.end() ? nullptr : &it->second;
        };
      };
      const auto changed = domain::permission_changes(*was->second.org, now.org.value_or(domain::OrganizationState{}),
                                                      lookup(was->second), lookup(now),
                                                      was->second.parent ? &*was->second.parent : nullptr);
      if (changed != org.changes) {
        problems.push_back("dry run predicted " + std::to_string(org.changes.size()) + " permission changes in " +
                           org.organization_id + "; the command made " + std::to_string(changed.size()));
      }
      predicted_changes_ += changed.size();
    }
  }

  Result<api::CommandResponse> send(const Sent& s) {
    std::promise<Result<api::CommandResponse>> answer;
    auto done = [&](Result<api::CommandResponse> r) { answer.set_value(std::move(r)); };
    api::CommandRequest req = request_of(s);
    if (s.is_action) {
      harness_.service().record_action(std::move(req), done);
    } else {
      harness_.service().execute(std::move(req), done);
    }
    return answer.get_future().get();
  }

  // Folds what the log gained into the projection and the reference; returns the organisations
  // whose checks may have changed.
  std::set<std::string> catch_up() {
    auto fresh = harness_.log().read_all(position_, SIZE_MAX);
    if (!fresh.ok()) throw std::runtime_error("read_all: " + fresh.error().message);
    std::set<std::string> touched;
    bool account_changed = false;
    for (const auto& e : *fresh) {
      projections::apply_event(projection_, e);
      reference_.apply(model_test::LoggedEvent{e.type, e.payload, e.stream, e.actor, e.recorded_at_ms});
      position_ = e.position;
      if (e.stream.rfind("organization-", 0) == 0) {
        touched.insert(e.stream.substr(13));
        if (Org* org = find_org(e.stream.substr(13))) {
          if (e.type == "MembershipOffered") org->offered.insert(e.payload["account_id"].get<std::string>());
          if (e.type == "MembershipDeclined" || e.type == "MemberAdded") {
            org->offered.erase(e.payload["account_id"].get<std::string>());
          }
        }
      } else {
        account_changed = true;  // privacy settings reach every organisation the account is in
      }
    }
    if (account_changed) return all_org_ids();
    for (const auto& org : orgs_) {  // a parent's holders hold their rights in its sub-organisations
      if (!org.parent.empty() && touched.contains(org.parent)) touched.insert(org.id);
    }
    return touched;
  }

  std::set<std::string> all_org_ids() const {
    std::set<std::string> out;
    for (const auto& o : orgs_) out.insert(o.id);
    return out;
  }

  void compare(const std::string& org_id, std::vector<std::string>& problems) {
    const Org* org = find_org(org_id);
    if (!org) return;  // an organisation outside the generator's world (none today)
    std::set<std::string> members;
    for (const auto& m : reference_.members(org_id)) members.insert(m);
    if (auto state = projection_.organization(org_id)) {
      for (const auto& [m, role] : state->members) members.insert(m);
    }
    std::set<std::string> subjects = members;
    if (!org->parent.empty()) {
      for (const auto& m : reference_.members(org->parent)) subjects.insert(m);
    }
    std::set<std::string> targets = members;
    targets.insert("");
    for (const auto& a : accounts_) {  // one outsider, as subject and as target
      if (!members.contains(a)) {
        subjects.insert(a);
        targets.insert(a);
        break;
      }
    }
    for (const auto& subject : subjects) {
      for (const auto& permission : permissions_) {
        for (const auto& target : targets) {
          ++checks_;
          const auto service = projection_.check(org_id, subject, permission, target);
          const auto expected = reference_.check(org_id, subject, permission, target);
          const bool allowed = service && service->allowed;
          if (allowed == expected.allowed) continue;
          problems.push_back("check " + subject + " " + permission + (target.empty() ? "" : " on " + target) + " in " +
                             org_id + " (" + org->model + "): service " + (allowed ? "allows" : "denies") + " (" +
                             (service ? service->reason.str() : std::string("unknown organisation")) + "), reference " +
                             (expected.allowed ? "allows" : "denies") + " (" + expected.why + ")");
          if (problems.size() >= 10) return;
        }
      }
    }
    compare_lookups(org_id, subjects, targets, problems);
  }

  // The lookups agree with the reference's checks: for every permission, the subjects listed
  // (with no target, and on each target) are exactly those the reference allows, and the targets
  // listed for each subject exactly the members it allows them on.
  void compare_lookups(const std::string& org_id, const std::set<std::string>& subjects,
                       const std::set<std::string>& targets, std::vector<std::string>& problems) {
    const projections::PermissionView view = projection_.read();
    if (!view.organization(org_id)) return;
    std::string asker;  // someone who may ask who holds what
    for (const auto& s : subjects) {
      if (view.check(org_id, s, "members.view")->allowed) {
        asker = s;
        break;
      }
    }
    const api::queries::PageRequest everything{"", SIZE_MAX};
    auto report = [&](const std::string& what, bool listed, bool allowed) {
      problems.push_back(what + " in " + org_id + ": the lookup " + (listed ? "lists" : "leaves out") +
                         " what the reference " + (allowed ? "allows" : "denies"));
    };
    for (const auto& permission : permissions_) {
      if (!asker.empty()) {
        for (const auto& target : targets) {
          ++lookups_;
          auto found = api::queries::lookup_subjects(view, asker, org_id, permission, target, everything);
          if (!found.ok()) {
            problems.push_back("lookup_subjects failed: " + found.error().message);
            return;
          }
          std::set<std::string> listed;
          for (const auto& h : found->subjects) listed.insert(h.account_id);
          for (const auto& subject : subjects) {
            const bool allowed = reference_.check(org_id, subject, permission, target).allowed;
            if (listed.contains(subject) != allowed) {
              report("subjects of " + permission + (target.empty() ? "" : " on " + target) + ": " + subject,
                     listed.contains(subject), allowed);
            }
            listed.erase(subject);
          }
          if (!listed.empty()) problems.push_back("lookup_subjects lists " + *listed.begin() + ", who is no subject");
          if (problems.size() >= 10) return;
        }
      }
      for (const auto& subject : subjects) {
        ++lookups_;
        auto found = api::queries::lookup_targets(view, subject, org_id, subject, permission, everything);
        if (!found.ok()) {
          problems.push_back("lookup_targets failed: " + found.error().message);
          return;
        }
        std::set<std::string> listed;
        for (const auto& t : found->targets) listed.insert(t.account_id);
        for (const auto& target : targets) {
          if (target.empty()) continue;
          const bool allowed = reference_.check(org_id, subject, permission, target).allowed;
          if (listed.contains(target) != allowed) {
            report("targets of " + subject + " for " + permission + ": " + target, listed.contains(target), allowed);
          }
        }
        if (problems.size() >= 10) return;
      }
    }
  }

  Org* find_org(const std::string& id) {
    for (auto& o : orgs_) {
      if (o.id == id) return &o;
    }
    return nullptr;
  }

  // What the generator learns from an answer: ids it may aim later commands at.
  void learn(const Sent& s, const Result<api::CommandResponse>& answer) {
    if (!answer.ok()) {
      ++refused_;
      return;
    }
    ++acknowledged_;
    ++by_kind_[s.name];
    const json& body = answer->body;
    Org* org = nullptr;
    for (auto& o : orgs_) {
      if (s.body.contains("organization_id") && o.id == s.body["organization_id"]) org = &o;
    }
    if (!org) return;
    if (s.name == "IssueInvite") {
      org->invite_codes.push_back(body["code"]);
      org->invite_ids.push_back(body["invite_id"]);
    } else if (s.name == "CreateSubOrganization" && body.contains("organization_id")) {
      orgs_.push_back(Org{body["organization_id"], org->model, s.body["admin_id"], org->id, {}, {}, {}, {}});
    } else if ((s.name == "DeclareCredential" || s.name == "RecordCredential") && body.contains("credential_id")) {
      org->credential_ids.push_back(body["credential_id"]);
    }
  }

  // --- the generator ---------------------------------------------------------------------------

  Sent next() {
    Org& o = orgs_[pick(orgs_.size())];
    const domain::RoleModel& model = *domain::find_role_model(o.model);
    const std::vector<std::string> members = reference_.members(o.id);
    const auto member = [&]() -> std::string { return members.empty() ? any(accounts_) : any(members); };
    // Mostly someone who may send it (the founder, or a member); sometimes anyone at all.
    const auto staff = [&]() -> std::string {
      if (chance(55)) return o.founder;
      if (chance(60)) return member();
      return any(accounts_);
    };
    const auto role = [&]() -> std::string {
      if (chance(15)) return "custom_" + std::to_string(pick(3));
      return model.roles[pick(model.roles.size())].name;
    };
    const auto in = [&](std::string name, json body, std::string actor) {
      body["organization_id"] = o.id;
      return Sent{std::move(name), std::move(body), std::move(actor)};
    };
    const auto account = [&] { return any(accounts_); };
    const auto learned = [&](const std::vector<std::string>& from, const std::string& fallback) {
      return from.empty() || chance(10) ? fallback : any(from);
    };

    switch (pick(46)) {
      case 0: case 1: case 2: case 3:
        return in("AddMember", {{"account_id", chance(50) ? any(athletes_) : any(coaches_)}, {"role", role()}}, staff());
      case 4: case 5: case 6: case 7: {
        const std::vector<std::string> offered(o.offered.begin(), o.offered.end());
        return in("AcceptMembership", json::object(), learned(offered, account()));
      }
      case 8: {
        const std::vector<std::string> offered(o.offered.begin(), o.offered.end());
        return in("DeclineMembership", json::object(), learned(offered, account()));
      }
      case 9: return in("LeaveOrganization", json::object(), chance(80) ? member() : account());
      case 10: return in("RemoveMember", {{"account_id", member()}}, staff());
      case 11: return in("DeactivateMember", {{"account_id", member()}}, staff());
      case 12: return in("ReactivateMember", {{"account_id", member()}}, staff());
      case 13: case 14: return in("ChangeMemberRole", {{"account_id", member()}, {"role", role()}}, staff());
      case 15: case 16: case 17:
        return in("AssignAthlete", {{"athlete_id", member()}, {"coach_id", chance(30) ? o.founder : member()}}, staff());
      case 18: return in("UnassignAthlete", {{"athlete_id", member()}}, staff());
      case 19: case 20: {
        std::string grant = "billing_delegation";
        if (!model.grants.empty() && chance(80)) grant = std::next(model.grants.begin(), pick(model.grants.size()))->first;
        return in(chance(60) ? "GrantToMember" : "RevokeFromMember", {{"account_id", member()}, {"grant", grant}}, staff());
      }
      case 21:
        return in(chance(60) ? "GrantBillingDelegation" : "RevokeBillingDelegation", {{"account_id", member()}}, staff());
      case 22: case 23: {
        const auto& tiers = domain::tier_names();
        // Mostly up to business, where every model's roles, custom roles and sub-organisations hold.
        const std::string tier = chance(50) ? "business" : any(tiers);
        Sent s = in("ChangeTier", {{"tier", tier}}, staff());
        s.by_operator = chance(30);
        return s;
      }
      case 24: {
        if (model.settings.empty()) return in("ChangeOrganizationSetting", {{"setting", "none"}, {"enabled", true}}, staff());
        const auto& setting = std::next(model.settings.begin(), pick(model.settings.size()))->first;
        return in("ChangeOrganizationSetting", {{"setting", setting}, {"enabled", chance(50)}}, staff());
      }
      case 25: return in("AdoptRoleModelVersion", {{"version", pick(5)}}, staff());
      case 26: case 27: {
        // Mostly what the founding role holds (a custom role holds nothing its author lacks).
        const auto& founder_holds = model.find_role(model.founder_role)->permissions;
        json permissions = json::object();
        for (std::size_t i = 0, n = 1 + pick(3); i < n; ++i) {
          static const char* scopes[] = {"own", "assigned", "all"};
          const std::string permission = chance(80) && !founder_holds.empty()
                                             ? std::next(founder_holds.begin(), pick(founder_holds.size()))->first
                                             : any(permissions_);
          permissions[permission] = scopes[pick(3)];
        }
        return in(chance(60) ? "DefineRole" : "UpdateRole",
                  {{"role", "custom_" + std::to_string(pick(3))}, {"permissions", permissions}}, staff());
      }
      case 28: return in("DeleteRole", {{"role", "custom_" + std::to_string(pick(3))}}, staff());
      case 29: case 30: return in("GiveConsent", json::object(), member());
      case 31: return in("WithdrawConsent", json::object(), member());
      case 32: case 33: {
        const auto& settings = domain::privacy_settings();
        json changed{{any(settings).name, chance(50)}};
        return Sent{"UpdatePrivacySettings", {{"settings", changed}}, account()};
      }
      case 34: {
        // At most four sub-organisations; only custom-roles has them, so aim there.
        const Org& parent = orgs_[std::find(models_.begin(), models_.end(), "custom-roles") - models_.begin()];
        Sent s{"CreateSubOrganization", {{"organization_id", parent.id}, {"name", "Sub"}, {"admin_id", any(coaches_)}},
               chance(70) ? parent.founder : account()};
        if (orgs_.size() >= models_.size() + 4) s.body["organization_id"] = o.id;
        return s;
      }
      case 35: {
        std::vector<std::string> family;
        for (const auto& other : orgs_) {
          if (other.id != o.id && (other.parent == o.id || other.id == o.parent || (!o.parent.empty() && other.parent == o.parent))) {
            family.push_back(other.id);
          }
        }
        return in("MoveMember", {{"to_organization_id", family.empty() ? o.id : any(family)}, {"account_id", member()}},
                  staff());
      }
      case 36: {
        Sent s = in("AddCredits", {{"amount", 1 + pick(50)}}, staff());
        s.by_operator = chance(20);
        return s;
      }
      case 37: return in("SpendCredits", {{"amount", 1 + pick(40)}}, member());
      case 38: return in("IssueInvite", {{"role", role()}}, staff());
      case 39: return in("AcceptInvite", {{"code", learned(o.invite_codes, "nope.nope")}}, account());
      case 40: return in("RevokeInvite", {{"invite_id", learned(o.invite_ids, "no-such-invite")}}, staff());
      case 41: {
        Sent s = in("RecordAction", {{"action", chance(50) ? "refund.issued" : "setup.changed"}, {"target", member()}},
                    member());
        s.is_action = true;
        return s;
      }
      case 42: {
        if (chance(50)) return Sent{"UpgradeToCoach", json::object(), any(athletes_)};
        Sent s{"DowngradeToAthlete", {{"account_id", any(coaches_)}}, ""};
        s.by_operator = true;
        return s;
      }
      case 44: return in("RecordCredential", {{"account_id", member()}, {"name", "DBS"}, {"expires_on", "2030-06-30"}}, staff());
      default: {
        if (chance(50)) {
          return in("DeclareCredential", {{"name", "First aid"}, {"expires_on", "2031-01-01"}}, member());
        }
        const std::string credential = learned(o.credential_ids, "no-such-credential");
        if (chance(50)) return in("VerifyCredential", {{"credential_id", credential}}, staff());
        return in("EditCredential", {{"credential_id", credential}, {"expires_on", "2032-01-01"}}, staff());
      }
    }
  }

  std::mt19937_64 rng_;
  projections::PermissionProjection projection_;
  CommandHarness harness_;
  std::uint64_t dry_runs_ = 0, predicted_changes_ = 0;
  model_test::ReferenceModel reference_;
  std::uint64_t position_ = 0;
  std::vector<std::string> permissions_, coaches_, athletes_, accounts_, models_;
  std::vector<Org> orgs_;
  std::uint64_t checks_ = 0, lookups_ = 0, acknowledged_ = 0, refused_ = 0;
  std::map<std::string, std::uint64_t> by_kind_;
};

TEST(AuthorizationModel, RandomCommandsAgreeWithTheReferenceAfterEveryStep) {
  const std::uint64_t steps = env_number("TOUCHLINE_MODEL_STEPS", 2000);
  const std::uint64_t seed = env_number("TOUCHLINE_MODEL_SEED", 20261130);
  std::cerr << "model test: " << steps << " steps, seed " << seed
            << " (TOUCHLINE_MODEL_STEPS, TOUCHLINE_MODEL_SEED)\n";
  ModelRun run(seed);
  run.set_up();
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t report_every = std::max<std::uint64_t>(steps / 20, 1000);
  for (std::uint64_t n = 1; n <= steps; ++n) {
    auto problems = run.step(n);
    if (!problems.empty()) {
      std::ostringstream all;
      for (const auto& p : problems) all << "\n  " << p;
      FAIL() << problems.size() << " problem(s); reproduce with TOUCHLINE_MODEL_SEED=" << seed
             << " TOUCHLINE_MODEL_STEPS=" << n << ":" << all.str();
    }
    if (n % report_every == 0 || n == steps) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::cerr << "  step " << n << "/" << steps << ": " << run.checks() << " checks and " << run.lookups()
                << " lookups agreed, " << run.acknowledged()
                << " commands acknowledged, " << run.refused() << " refused, " << run.dry_runs()
                << " dry runs matched (" << run.predicted_changes() << " permission changes), " << static_cast<int>(s) << " s ("
                << static_cast<int>(n / std::max(s, 0.001)) << " steps/s)\n";
    }
  }
  std::cerr << "  acknowledged by kind:";
  for (const auto& [kind, count] : run.acknowledged_by_kind()) std::cerr << " " << kind << "=" << count;
  std::cerr << "\n";
  // A run in which commands mostly fail would compare little: most kinds must land.
  EXPECT_GE(run.acknowledged_by_kind().size(), 25u);
  EXPECT_GT(run.predicted_changes(), 0u);
}

}  // namespace
}  // namespace touchline::testing
