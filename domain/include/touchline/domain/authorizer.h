// The permission check: may `subject` use `permission` in an organisation, on `target`? Pure and
// allocation-light: it is the hot path behind POST /v1/check, answered from memory.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include <vector>

#include "touchline/domain/explain.h"
#include "touchline/domain/organization.h"
#include "touchline/domain/privacy.h"
#include "touchline/domain/role_model.h"

namespace touchline::domain {

// Why a check answered as it did, in a sentence. Most answers are sentences the built-in role
// models and the catalogue hold for the life of the program (lasting: no allocation on the hot
// path); the rest are composed for the answer and owned here.
class Reason {
 public:
  Reason() = default;
  Reason(std::string composed) : composed_(std::move(composed)) {}
  Reason(const char* composed) : composed_(composed) {}
  // `text` must outlive every copy of the reason: a literal, or a built-in model's sentence.
  static Reason lasting(std::string_view text) {
    Reason r;
    r.lasting_ = text;
    return r;
  }

  std::string_view view() const { return lasting_.data() ? lasting_ : std::string_view(composed_); }
  std::string str() const { return std::string(view()); }
  operator std::string_view() const { return view(); }
  friend bool operator==(const Reason& a, std::string_view b) { return a.view() == b; }
  friend std::ostream& operator<<(std::ostream& out, const Reason& r) { return out << r.view(); }

 private:
  std::string_view lasting_;
  std::string composed_;
};

struct Decision {
  Decision() = default;
  Decision(bool allowed, Reason reason, std::string_view grant = {}, bool from_parent = false)
      : allowed(allowed), reason(std::move(reason)), grant(grant), from_parent(from_parent) {}

  bool allowed = false;
  Reason reason;  // why, in a sentence: the role and scope that allowed, or what is missing
  // When allowed: the member grant that gave the permission (empty when the role did; it names
  // the built-in role model's grant, which lives as long as the program), and whether the
  // subject holds it from the parent organisation, which manages this one.
  std::string_view grant;
  bool from_parent = false;
};

// The privacy settings a check may consult; nullptr: that member's defaults.
struct PrivacyOf {
  const Privacy* subject = nullptr;  // for a permission with own_privacy
  const Privacy* target = nullptr;   // for a permission with privacy, used on another member
};

// `target` empty: the permission itself, regardless of whom it is used on. Otherwise the member
// it is used on, checked against the scope the subject holds it with, and, for a permission the
// catalogue gates by privacy, against the target's settings (`privacy.target`). A permission
// with `own_privacy` needs that setting of the subject's own (`privacy.subject`) on, with the
// master switch, whatever the target. Consent and privacy are checked after everything else: no
// role, grant or custom role overrides them. A permission on an athlete's data
// (PermissionInfo::athlete_data) used on an athlete member who has not accepted coaching is denied
// in models that ask for consent.
// `parent`: for a sub-organisation, its parent organisation (nullptr otherwise, or when the caller
// has not loaded it): an owner or admin of the parent holds their rights in the sub-organisation.
// `trace`: when given, each gate the check applies is appended to it, in order, the last being
// the one that decided (explain.h); the answer is the same with or without it.
Decision check(const OrganizationState& org, std::string_view subject, std::string_view permission,
               std::string_view target = {}, PrivacyOf privacy = {}, const OrganizationState* parent = nullptr,
               std::vector<Gate>* trace = nullptr);

// The subject's effective permissions with scopes, delegations included; empty for non-members.
std::map<std::string, Scope> effective_permissions(const OrganizationState& org,
                                                   std::string_view subject);

}  // namespace touchline::domain
