#include "touchline/domain/snapshot.h"

#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "touchline/domain/privacy.h"
#include "touchline/domain/role_model.h"

namespace touchline::domain {

using nlohmann::json;

namespace {

json role_json(const Role& r) {
  json permissions = json::object();
  for (const auto& [permission, scope] : r.permissions) permissions[permission] = std::string(scope_name(scope));
  return json{{"name", r.name},
              {"label", r.label},
              {"athlete", r.athlete},
              {"addable", r.addable},
              {"add_requires", r.add_requires},
              {"unique", r.unique},
              {"coaches_athletes", r.coaches_athletes},
              {"custom", r.custom},
              {"permissions", std::move(permissions)},
              {"conditions", json(r.conditions)}};
}

json invite_json(const Invite& i) {
  return json{{"role", i.role},
              {"email", i.email},
              {"max_uses", i.max_uses},
              {"expires_at_ms", i.expires_at_ms},
              {"code_digest", i.code_digest},
              {"issued_by", i.issued_by},
              {"email_key", i.email_key},
              {"uses", i.uses},
              {"revoked", i.revoked}};
}

json offer_json(const MembershipOffer& o) { return json{{"role", o.role}, {"offered_by", o.offered_by}}; }

json credential_json(const Credential& c) {
  return json{{"holder", c.holder},
              {"name", c.name},
              {"expires_on", c.expires_on},
              {"document", c.document},
              {"verified", c.verified}};
}

template <typename V, typename ToJson>
json object_of(const std::map<std::string, V>& m, ToJson to_json) {
  json out = json::object();  // an empty map is still an object, so that decoding finds its type
  for (const auto& [key, value] : m) out[key] = to_json(value);
  return out;
}

// Reads a snapshot field by field, keeping the first error. Decoders read on after a failure (each
// read then does nothing), which keeps them one line per field; they return that error at the end.
// Every check comes before the value is taken, so no JSON makes nlohmann throw.
class Reader {
 public:
  bool ok() const { return !error_; }
  Error error() && { return std::move(*error_); }

  // The snapshot itself: an object of this build's format.
  void snapshot(const json& j) {
    if (!j.is_object()) return fail("", "is not a JSON object");
    std::uint32_t format = 0;
    field(j, "", "format", format);
    if (ok() && format != kSnapshotFormat) {
      fail("format", "is " + std::to_string(format) + "; this build reads format " +
                         std::to_string(kSnapshotFormat));
    }
  }

  // obj[key] into out; `path` names obj ("" for the snapshot itself).
  template <typename T>
  void field(const json& obj, const std::string& path, const char* key, T& out) {
    if (error_) return;
    const std::string at = path.empty() ? std::string(key) : path + "." + key;
    if (!obj.is_object()) return fail(path, "is not an object");
    auto it = obj.find(key);
    if (it == obj.end()) return fail(at, "is missing");
    read(*it, at, out);
  }

  void fail(const std::string& at, const std::string& what) {
    if (error_) return;
    const std::string subject = at.empty() ? "snapshot" : "snapshot field " + at;
    error_ = Error::make(ErrorCode::invalid_argument, subject + " " + what, at);
  }

 private:
  void read(const json& v, const std::string& at, std::string& out) {
    if (!v.is_string()) return fail(at, "is not a string");
    out = v.get<std::string>();
  }

  void read(const json& v, const std::string& at, bool& out) {
    if (!v.is_boolean()) return fail(at, "is not a boolean");
    out = v.get<bool>();
  }

  void read(const json& v, const std::string& at, int& out) { integer(v, at, out); }
  void read(const json& v, const std::string& at, std::int64_t& out) { integer(v, at, out); }
  void read(const json& v, const std::string& at, std::uint32_t& out) { integer(v, at, out); }

  // Range-checked by hand: nlohmann's get<int>() would silently wrap a value too large.
  template <typename I>
  void integer(const json& v, const std::string& at, I& out) {
    using limits = std::numeric_limits<I>;
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(limits::max())) return fail(at, "is out of range");
      out = static_cast<I>(u);
    } else if (v.is_number_integer()) {
      const auto i = v.get<std::int64_t>();
      if (i < static_cast<std::int64_t>(limits::min()) ||
          (i > 0 && static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(limits::max()))) {
        return fail(at, "is out of range");
      }
      out = static_cast<I>(i);
    } else {
      fail(at, "is not an integer");
    }
  }

  void read(const json& v, const std::string& at, Scope& out) {
    if (!v.is_string()) return fail(at, "is not a string");
    auto scope = parse_scope(v.get_ref<const std::string&>());
    if (!scope) return fail(at, "is not a scope (own, assigned or all)");
    out = *scope;
  }

  void read(const json& v, const std::string& at, std::set<std::string>& out) {
    if (!v.is_array()) return fail(at, "is not an array");
    for (std::size_t i = 0; i < v.size() && ok(); ++i) {
      std::string item;
      read(v[i], at + "." + std::to_string(i), item);
      out.insert(std::move(item));
    }
  }

  template <typename V>
  void read(const json& v, const std::string& at, std::map<std::string, V>& out) {
    if (!v.is_object()) return fail(at, "is not an object");
    for (auto it = v.begin(); it != v.end() && ok(); ++it) read(it.value(), at + "." + it.key(), out[it.key()]);
  }

  template <typename V>
  void read(const json& v, const std::string& at, IdMap<V>& out) {
    if (!v.is_object()) return fail(at, "is not an object");
    for (auto it = v.begin(); it != v.end() && ok(); ++it) read(it.value(), at + "." + it.key(), out[it.key()]);
  }

  void read(const json& v, const std::string& at, Role& out) {
    field(v, at, "name", out.name);
    field(v, at, "label", out.label);
    field(v, at, "athlete", out.athlete);
    field(v, at, "addable", out.addable);
    field(v, at, "add_requires", out.add_requires);
    field(v, at, "unique", out.unique);
    field(v, at, "coaches_athletes", out.coaches_athletes);
    field(v, at, "custom", out.custom);
    field(v, at, "permissions", out.permissions);
    field(v, at, "conditions", out.conditions);
  }

  void read(const json& v, const std::string& at, Invite& out) {
    field(v, at, "role", out.role);
    field(v, at, "email", out.email);
    field(v, at, "max_uses", out.max_uses);
    field(v, at, "expires_at_ms", out.expires_at_ms);
    field(v, at, "code_digest", out.code_digest);
    field(v, at, "issued_by", out.issued_by);
    field(v, at, "email_key", out.email_key);
    field(v, at, "uses", out.uses);
    field(v, at, "revoked", out.revoked);
  }

  void read(const json& v, const std::string& at, MembershipOffer& out) {
    field(v, at, "role", out.role);
    field(v, at, "offered_by", out.offered_by);
  }

  void read(const json& v, const std::string& at, Credential& out) {
    field(v, at, "holder", out.holder);
    field(v, at, "name", out.name);
    field(v, at, "expires_on", out.expires_on);
    field(v, at, "document", out.document);
    field(v, at, "verified", out.verified);
  }

  // Folding a setting this build does not know throws (AccountState's evolve); a snapshot holding
  // one is refused instead, so that the cache folds and the log's own error surfaces.
  void read(const json& v, const std::string& at, Privacy& out) {
    field(v, at, "changed", out.changed);
    for (const auto& [setting, on] : out.changed) {
      if (!find_privacy_setting(setting)) fail(at + ".changed." + setting, "is not a privacy setting this build knows");
    }
  }

  std::optional<Error> error_;
};

}  // namespace

json snapshot_json(const AccountState& s) {
  return json{{"format", kSnapshotFormat},
              {"exists", s.exists},
              {"erased", s.erased},
              {"id", s.id},
              {"email", s.email},
              {"display_name", s.display_name},
              {"membership_role", s.membership_role},
              {"athlete_organization_id", s.athlete_organization_id},
              {"privacy", json{{"changed", json(s.privacy.changed)}}}};
}

json snapshot_json(const OrganizationState& s) {
  return json{{"format", kSnapshotFormat},
              {"exists", s.exists},
              {"id", s.id},
              {"name", s.name},
              {"role_model", s.role_model},
              {"role_model_version", s.role_model_version},
              {"members", json(s.members)},
              {"assignments", json(s.assignments)},
              // A grant revoked from its last holder leaves an empty set behind; it is kept so
              // that the loaded state equals the folded one.
              {"grants", object_of(s.grants, [](const auto& holders) { return json(holders); })},
              {"tier", s.tier},
              {"settings", json(s.settings)},
              {"custom_roles", object_of(s.custom_roles, role_json)},
              {"credits", s.credits},
              {"invites", object_of(s.invites, invite_json)},
              {"consenting", json(s.consenting)},
              {"offers", object_of(s.offers, offer_json)},
              {"credentials", object_of(s.credentials, credential_json)},
              {"deactivated", json(s.deactivated)},
              {"parent_id", s.parent_id},
              {"children", json(s.children)}};
}

json snapshot_json(const EmailClaimState& s) {
  return json{{"format", kSnapshotFormat}, {"claimed", s.claimed}, {"account_id", s.account_id}};
}

Result<AccountState> account_from_snapshot(const json& j) {
  Reader r;
  AccountState s;
  r.snapshot(j);
  r.field(j, "", "exists", s.exists);
  r.field(j, "", "erased", s.erased);
  r.field(j, "", "id", s.id);
  r.field(j, "", "email", s.email);
  r.field(j, "", "display_name", s.display_name);
  r.field(j, "", "membership_role", s.membership_role);
  r.field(j, "", "athlete_organization_id", s.athlete_organization_id);
  r.field(j, "", "privacy", s.privacy);
  if (!r.ok()) return std::move(r).error();
  return s;
}

Result<OrganizationState> organization_from_snapshot(const json& j) {
  Reader r;
  OrganizationState s;
  r.snapshot(j);
  r.field(j, "", "exists", s.exists);
  r.field(j, "", "id", s.id);
  r.field(j, "", "name", s.name);
  r.field(j, "", "role_model", s.role_model);
  r.field(j, "", "role_model_version", s.role_model_version);
  r.field(j, "", "members", s.members);
  r.field(j, "", "assignments", s.assignments);
  r.field(j, "", "grants", s.grants);
  r.field(j, "", "tier", s.tier);
  r.field(j, "", "settings", s.settings);
  r.field(j, "", "custom_roles", s.custom_roles);
  r.field(j, "", "credits", s.credits);
  r.field(j, "", "invites", s.invites);
  r.field(j, "", "consenting", s.consenting);
  r.field(j, "", "offers", s.offers);
  r.field(j, "", "credentials", s.credentials);
  r.field(j, "", "deactivated", s.deactivated);
  r.field(j, "", "parent_id", s.parent_id);
  r.field(j, "", "children", s.children);
  // OrganizationState::model() throws on a model version this build lacks; refusing the snapshot
  // makes the cache fold instead, where the log's own events say what is wrong.
  if (r.ok() && s.exists && !find_role_model(s.role_model, s.role_model_version)) {
    r.fail("role_model", "names role model " + s.role_model + " v" + std::to_string(s.role_model_version) +
                             ", which this build does not have");
  }
  if (!r.ok()) return std::move(r).error();
  return s;
}

Result<EmailClaimState> email_claim_from_snapshot(const json& j) {
  Reader r;
  EmailClaimState s;
  r.snapshot(j);
  r.field(j, "", "claimed", s.claimed);
  r.field(j, "", "account_id", s.account_id);
  if (!r.ok()) return std::move(r).error();
  return s;
}

}  // namespace touchline::domain
