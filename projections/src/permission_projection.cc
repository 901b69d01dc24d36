#include "touchline/projections/permission_projection.h"

#include <charconv>
#include <mutex>
#include <stdexcept>

#include "touchline/domain/account.h"
#include "touchline/events/domain_events.h"

namespace touchline::projections {

const std::string PermissionProjection::kName = "permissions";

namespace {
constexpr std::string_view kOrgPrefix = "org/";
constexpr std::string_view kPrivacyPrefix = "privacy/";
constexpr std::string_view kSourcesPrefix = "sources/";


const std::string* organization_of(const events::DomainEvent& e) {
  return std::visit(
      [](const auto& ev) -> const std::string* {
        using E = std::decay_t<decltype(ev)>;
        if constexpr (events::kOnOrganizationStream<E>) {
          return &ev.organization_id;
        } else {
          return nullptr;
        }
      },
      e);
}
}  // namespace

nlohmann::json organization_to_json(const domain::OrganizationState& org) {
  nlohmann::json custom = nlohmann::json::object();
  for (const auto& [name, role] : org.custom_roles) {
    nlohmann::json permissions = nlohmann::json::object();
    for (const auto& [permission, scope] : role.permissions) permissions[permission] = domain::scope_name(scope);
    custom[name] = {{"label", role.label}, {"permissions", permissions}};
  }
  nlohmann::json invites = nlohmann::json::object();
  for (const auto& [id, invite] : org.invites) {
    invites[id] = {{"role", invite.role},
                   {"email", invite.email},
                   {"max_uses", invite.max_uses},
                   {"expires_at_ms", invite.expires_at_ms},
                   {"code_digest", invite.code_digest},
                   {"issued_by", invite.issued_by},
                   {"email_key", invite.email_key},
                   {"uses", invite.uses},
                   {"revoked", invite.revoked}};
  }
  nlohmann::json credentials = nlohmann::json::object();
  for (const auto& [id, c] : org.credentials) {
    credentials[id] = {{"holder", c.holder},
                       {"name", c.name},
                       {"expires_on", c.expires_on},
                       {"document", c.document},
                       {"verified", c.verified}};
  }
  nlohmann::json offers = nlohmann::json::object();
  for (const auto& [account, offer] : org.offers) offers[account] = {{"role", offer.role}, {"offered_by", offer.offered_by}};
  return nlohmann::json{{"id", org.id},
                        {"name", org.name},
                        {"role_model", org.role_model},
                        {"role_model_version", org.role_model_version},
                        {"members", org.members},
                        {"assignments", org.assignments},
                        {"grants", org.grants},
                        {"tier", org.tier},
                        {"settings", org.settings},
                        {"custom_roles", custom},
                        {"credits", org.credits},
                        {"invites", invites},
                        {"consenting", org.consenting},
                        {"offers", offers},
                        {"credentials", credentials},
                        {"deactivated", org.deactivated},
                        {"parent_id", org.parent_id},
                        {"children", org.children}};
}

domain::OrganizationState organization_from_json(const nlohmann::json& j) {
  domain::OrganizationState org;
  org.exists = true;
  org.id = j.at("id").get<std::string>();
  org.name = j.at("name").get<std::string>();
  org.role_model = j.at("role_model").get<std::string>();
  org.role_model_version = j.at("role_model_version").get<int>();
  org.members = j.at("members").get<domain::IdMap<std::string>>();
  org.assignments = j.at("assignments").get<domain::IdMap<std::string>>();
  org.grants = j.at("grants").get<std::map<std::string, std::set<std::string>>>();
  org.tier = j.at("tier").get<std::string>();
  org.settings = j.at("settings").get<std::map<std::string, bool>>();
  org.credits = j.at("credits").get<std::int64_t>();
  org.consenting = j.at("consenting").get<std::set<std::string>>();
  org.deactivated = j.at("deactivated").get<std::set<std::string>>();
  org.parent_id = j.at("parent_id").get<std::string>();
  org.children = j.at("children").get<std::set<std::string>>();
  for (const auto& [id, c] : j.at("credentials").items()) {
    org.credentials[id] = domain::Credential{c.at("holder").get<std::string>(), c.at("name").get<std::string>(),
                                             c.at("expires_on").get<std::string>(),
                                             c.at("document").get<std::string>(), c.at("verified").get<bool>()};
  }
  for (const auto& [id, invite] : j.at("invites").items()) {
    org.invites[id] = domain::Invite{invite.at("role").get<std::string>(),
                                     invite.at("email").get<std::string>(),
                                     invite.at("max_uses").get<int>(),
                                     invite.at("expires_at_ms").get<std::int64_t>(),
                                     invite.at("code_digest").get<std::string>(),
                                     invite.at("issued_by").get<std::string>(),
                                     invite.at("email_key").get<std::string>(),
                                     invite.at("uses").get<int>(),
                                     invite.at("revoked").get<bool>()};
  }
  for (const auto& [account, offer] : j.at("offers").items()) {
    org.offers[account] = domain::MembershipOffer{offer.at("role").get<std::string>(),
                                                  offer.at("offered_by").get<std::string>()};
  }
  for (const auto& [name, role] : j.at("custom_roles").items()) {
    org.custom_roles[name] = domain::custom_role(org.model(), name, role.at("label").get<std::string>(),
                                                 role.at("permissions").get<std::map<std::string, std::string>>());
  }
  return org;
}

std::string sources_to_text(const domain::Sources& sources) {
  std::string out;
  for (const auto& [fact, position] : sources) {
    out += fact;
    out += ' ';
    out += std::to_string(position);
    out += '\n';
  }
  return out;
}

domain::Sources sources_from_text(std::string_view text) {
  domain::Sources out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    const auto space = line.rfind(' ');
    std::uint64_t position = 0;
    const auto digits = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), position);
    if (space == std::string_view::npos || space == 0 || digits.empty() || ec != std::errc() ||
        ptr != digits.data() + digits.size()) {
      throw std::runtime_error("a source line is not '<fact> <position>': " + std::string(line));
    }
    out.emplace(std::string(line.substr(0, space)), position);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  return out;
}

Status PermissionProjection::load(const store::StateStore& state) {
  std::unique_lock lock(mu_);
  organizations_.clear();
  dirty_.clear();
  privacy_.clear();
  dirty_privacy_.clear();
  history_.clear();
  sources_.clear();
  privacy_sources_.clear();
  auto st = state.scan(kOrgPrefix, [this](std::string_view, std::string_view value) {
    auto org = organization_from_json(nlohmann::json::parse(value));
    organizations_.emplace(org.id, std::move(org));
    return true;
  });
  if (st.ok()) {
    st = state.scan(kSourcesPrefix, [this](std::string_view key, std::string_view value) {
      sources_[std::string(key.substr(kSourcesPrefix.size()))] = sources_from_text(value);
      return true;
    });
  }
  if (st.ok()) {
    st = state.scan(kPrivacyPrefix, [this](std::string_view key, std::string_view value) {
      const std::string account(key.substr(kPrivacyPrefix.size()));
      const auto j = nlohmann::json::parse(value);
      privacy_[account] = domain::Privacy{j.at("changed").get<std::map<std::string, bool>>()};
      privacy_sources_[account] = j.at("position").get<std::uint64_t>();
      return true;
    });
  }

  if (st.ok()) {
    auto checkpoint = state.checkpoint();
    if (!checkpoint.ok()) {
      st = checkpoint.error();
    } else {
      applied_.store(*checkpoint, std::memory_order_release);
    }
  }
  if (!st.ok()) {
    // Half a state must not be served: drop what was read.
    organizations_.clear();
    privacy_.clear();
    sources_.clear();
    privacy_sources_.clear();
  }
  return st;
}

void PermissionProjection::apply(const events::RecordedEvent& e) {
  const events::DomainEvent& event = e.event;
  if (const auto* changed = std::get_if<events::PrivacySettingsChanged>(&event)) {
    std::unique_lock lock(mu_);
    // Folded as the account aggregate folds it, so the check sees what the athlete decided.
    domain::AccountState account;
    account.privacy = privacy_[changed->account_id];
    privacy_[changed->account_id] = domain::evolve(std::move(account), event).privacy;
    privacy_sources_[changed->account_id] = e.position;
    dirty_privacy_.insert(changed->account_id);
    applied_.store(e.position, std::memory_order_release);
    return;
  }
  const std::string* org_id = organization_of(event);
  if (!org_id) {
    // Changes nothing here: a reader under the shared lock sees the same state at this position.
    applied_.store(e.position, std::memory_order_release);
    return;
  }
  std::unique_lock lock(mu_);
  auto& org = organizations_[*org_id];
  org = domain::evolve(std::move(org), event);
  auto& sources = sources_[*org_id];
  domain::record_sources(sources, event, e.position);
  dirty_.insert(*org_id);
  if (e.stream_version % kHistoryEvery == 0) {
    history_.emplace_back(history_key(*org_id, e.position),
                          nlohmann::json{{"version", e.stream_version},
                                         {"organization", organization_to_json(org)},
                                         {"sources", sources_to_text(sources)}}
                              .dump());
  }
  applied_.store(e.position, std::memory_order_release);
}

std::string PermissionProjection::history_prefix(const std::string& organization_id) {
  return "history/" + organization_id + "/";
}

std::string PermissionProjection::history_key(const std::string& organization_id, std::uint64_t position) {
  std::string key = history_prefix(organization_id);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>((position >> shift) & 0xff));
  return key;
}

void PermissionProjection::write_changes(store::StateBatch& batch) {
  std::unique_lock lock(mu_);
  for (const auto& id : dirty_) {
    batch.puts.emplace_back(std::string(kOrgPrefix) + id, organization_to_json(organizations_.at(id)).dump());
    batch.puts.emplace_back(std::string(kSourcesPrefix) + id, sources_to_text(sources_.at(id)));
  }
  dirty_.clear();
  for (const auto& account : dirty_privacy_) {
    batch.puts.emplace_back(std::string(kPrivacyPrefix) + account,
                            nlohmann::json{{"changed", privacy_.at(account).changed},
                                           {"position", privacy_sources_.at(account)}}
                                .dump());
  }
  dirty_privacy_.clear();
  for (auto& row : history_) batch.puts.push_back(std::move(row));
  history_.clear();
}

void PermissionProjection::reset() {
  std::unique_lock lock(mu_);
  applied_.store(0, std::memory_order_release);
  organizations_.clear();
  dirty_.clear();
  privacy_.clear();
  dirty_privacy_.clear();
  history_.clear();
  sources_.clear();
  privacy_sources_.clear();
}

PermissionView::PermissionView(const PermissionProjection& projection)
    : organizations_(&projection.organizations_),
      privacy_(&projection.privacy_),
      sources_(&projection.sources_),
      privacy_sources_(&projection.privacy_sources_),
      lock_(projection.mu_),
      position_(projection.applied_.load(std::memory_order_acquire)) {}

PermissionView::PermissionView(std::shared_ptr<const Owned> owned, std::uint64_t position)
    : organizations_(&owned->organizations),
      privacy_(&owned->privacy),
      sources_(&owned->sources),
      privacy_sources_(&owned->privacy_sources),
      owned_(std::move(owned)),
      position_(position) {}

const domain::OrganizationState* PermissionView::organization(const std::string& organization_id) const {
  auto it = organizations_->find(organization_id);
  return it == organizations_->end() ? nullptr : &it->second;
}

const domain::OrganizationState* PermissionView::parent_of(const domain::OrganizationState& org) const {
  return org.parent_id.empty() ? nullptr : organization(org.parent_id);
}

const domain::Sources* PermissionView::sources(const std::string& organization_id) const {
  auto it = sources_->find(organization_id);
  return it == sources_->end() ? nullptr : &it->second;
}

std::uint64_t PermissionView::privacy_source(const std::string& account_id) const {
  auto it = privacy_sources_->find(account_id);
  return it == privacy_sources_->end() ? 0 : it->second;
}

const domain::Privacy* PermissionView::privacy(const std::string& account_id) const {
  auto it = privacy_->find(account_id);
  return it == privacy_->end() ? nullptr : &it->second;
}

domain::Decision PermissionView::check(const domain::OrganizationState& org, const std::string& subject,
                                       const std::string& permission, const std::string& target,
                                       std::vector<domain::Gate>* trace) const {
  return domain::check(org, subject, permission, target,
                       {.subject = privacy(subject), .target = target.empty() ? nullptr : privacy(target)}, parent_of(org),
                       trace);
}

std::optional<domain::Decision> PermissionView::check(const std::string& organization_id, const std::string& subject,
                                                      const std::string& permission, const std::string& target) const {
  const domain::OrganizationState* org = organization(organization_id);
  if (!org) return std::nullopt;
  return check(*org, subject, permission, target);
}

std::optional<domain::Decision> PermissionProjection::check(const std::string& organization_id,
                                                            const std::string& subject,
                                                            const std::string& permission,
                                                            const std::string& target) const {
  return read().check(organization_id, subject, permission, target);
}

domain::Privacy PermissionProjection::privacy(const std::string& account_id) const {
  std::shared_lock lock(mu_);
  auto it = privacy_.find(account_id);
  return it == privacy_.end() ? domain::Privacy{} : it->second;
}

std::vector<std::string> PermissionProjection::staff_organizations(const std::string& account_id) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, org] : organizations_) {
    const domain::Role* role = org.role_of(account_id);
    if (role && !role->athlete) out.push_back(id);
  }
  return out;
}

std::optional<domain::OrganizationState> PermissionProjection::organization(
    const std::string& organization_id) const {
  std::shared_lock lock(mu_);
  auto it = organizations_.find(organization_id);
  if (it == organizations_.end()) return std::nullopt;
  return it->second;
}

nlohmann::json PermissionProjection::snapshot() const {
  std::shared_lock lock(mu_);
  nlohmann::json organizations = nlohmann::json::object();
  for (const auto& [id, org] : organizations_) organizations[id] = organization_to_json(org);
  nlohmann::json privacy = nlohmann::json::object();
  for (const auto& [account, settings] : privacy_) privacy[account] = settings.changed;
  nlohmann::json sources = nlohmann::json::object();
  for (const auto& [id, facts] : sources_) sources[id] = facts;
  nlohmann::json privacy_sources = nlohmann::json::object();
  for (const auto& [account, position] : privacy_sources_) privacy_sources[account] = position;
  return {{"organizations", organizations}, {"privacy", privacy}, {"sources", sources}, {"privacy_sources", privacy_sources}};
}

}  // namespace touchline::projections
