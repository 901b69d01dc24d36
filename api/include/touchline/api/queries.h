// The read side's rules: who may ask what of the permission projection, and what they are
// answered. Each function answers from one PermissionView (one lock, one position of the log), so
// that one request never mixes two positions; the HTTP layer decodes a request, takes a view,
// calls one of these and renders the result. Pure functions of the view and their arguments: no
// I/O, no clock (the compliance dashboard is given its day). Thread-safe as the view is: one view
// per request, on one thread.
//
// Errors are typed, as everywhere: not_found for an organisation (or member) the view does not
// know, permission_denied for a caller the organisation's rules do not let ask, invalid_argument
// for a filter that names nothing (an unknown role or audit category).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "touchline/domain/account.h"
#include "touchline/domain/authorizer.h"
#include "touchline/domain/credentials.h"
#include "touchline/domain/explain.h"
#include "touchline/events/result.h"
#include "touchline/projections/audit_projection.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/store/personal_data.h"

namespace touchline::api::queries {

using projections::PermissionView;

// ---- Checks ----------------------------------------------------------------------------------

struct CheckQuery {
  std::string organization_id, subject, permission, target;  // target empty: no target
};

// May `caller` use `permission` ... as /v1/check answers it: the decision for the subject. A
// caller may check anyone's permissions in an organisation whose members they may view
// (members.view), and only their own elsewhere (permission_denied). not_found when the view does
// not know the organisation. The permission must be a catalogue name (the HTTP layer checks that
// first: it is bad input, not a denial).
Result<domain::Decision> check(const PermissionView& view, const std::string& caller, const CheckQuery& q);

// A gate of an explained check (domain/explain.h), with the position of the latest event to
// establish or change any of the facts it looked at; 0 when none did (a grant never given).
struct ExplainedGate {
  domain::Gate gate;
  std::uint64_t established_at = 0;
};

struct Explained {
  domain::Decision decision;
  std::vector<ExplainedGate> gates;  // in the order the check applied them
};

// check(), explained: the same decision, with each gate the check applied and the source of its
// facts from the view (the organisation's, its parent's, or an account's privacy settings').
// Explanations name who did what, so they are for callers who may view the organisation's
// members (members.view), whoever the subject: permission_denied otherwise; not_found as check().
Result<Explained> explain(const PermissionView& view, const std::string& caller, const CheckQuery& q);

// A command a suggestion sends: its name (POST /v1/commands/{name}), its body, and the accounts
// who may send it, by id, as the organisation will stand when its turn comes.
struct SuggestedCommand {
  std::string name;
  nlohmann::json body;
  std::vector<std::string> senders;
};

// Commands that, sent in order, turn a denied check allowed.
struct Suggestion {
  std::vector<SuggestedCommand> commands;
};

// For a check the view denies: the smallest changes that would allow it, each one to three
// commands, fewest first (all the suggestions of the fewest commands found), empty when allowed
// or when none is found. Found by deciding candidate commands with the domain's own deciders on
// the organisation as it stands (each sender is a member for whom the decider accepts the
// command), applying their events to a copy and checking again. Candidates follow the gate that
// denied: deactivation (ReactivateMember), tier (ChangeTier), role (ChangeMemberRole to each role
// that holds the permission; the member grants that give it: GrantBillingDelegation,
// GrantToMember), setting (ChangeOrganizationSetting), scope (AssignAthlete; ChangeMemberRole),
// consent (GiveConsent, sent by the athlete), privacy and own_privacy (UpdatePrivacySettings, sent
// by the account). None for the other gates: joining needs the account's own acceptance, and
// nothing makes a permission grantable or lets it be used on oneself. Suggestions name who may
// send what: for callers with members.view only, as explain(); failed_precondition for an
// organisation of more than kMaxSuggestionMembers members (the search decides candidates from
// each member).
Result<std::vector<Suggestion>> suggest(const PermissionView& view, const std::string& caller, const CheckQuery& q);
inline constexpr std::size_t kMaxSuggestionMembers = 1000;

// Whether `caller` may see who did what in the organisation and who may do what (explanations,
// suggestions): with members.view there, as check() answers it. permission_denied otherwise.
std::optional<Error> may_see_who(const PermissionView& view, const domain::OrganizationState& org,
                                 const std::string& caller);

// One answer of a batch: the decision, or why it was not asked.
struct BatchAnswer {
  domain::Decision decision;
  // Empty when asked; "denied_to_caller" when check() would refuse the caller this item;
  // "organization_not_found" when the view does not know its organisation.
  std::string not_asked;
};

// Every query answered as check() would, in order, all from the one view: an item check() would
// refuse is an answer saying why (not_asked), never a failure of the batch.
std::vector<BatchAnswer> check_many(const PermissionView& view, const std::string& caller,
                                    const std::vector<CheckQuery>& queries);

// ---- Lookups ---------------------------------------------------------------------------------

// Pages of account ids: `after` (exclusive, empty: from the first) and at most `limit` items;
// `next` is the last id given when more follow, else empty.
struct PageRequest {
  std::string after;
  std::size_t limit = 100;
};

struct SubjectHolder {
  std::string account_id;
  std::string role;   // the role they hold it with (in the parent organisation when from_parent)
  std::string grant;  // the member grant that gives it, when the role alone does not
  bool from_parent = false;
  domain::Reason reason;  // the check's own reason
};

struct SubjectsPage {
  std::vector<SubjectHolder> subjects;  // by account id
  std::string next;
};

// Everyone check() allows to use `permission` (on `target`, when given) in the organisation:
// its active members, and for a sub-organisation the parent's members who manage it. Agrees with
// check() on every account: an account is listed exactly when check(org, it, permission, target)
// allows. For callers who may view the organisation's members (members.view); else
// permission_denied. not_found when the organisation is unknown.
Result<SubjectsPage> lookup_subjects(const PermissionView& view, const std::string& caller,
                                     const std::string& organization_id, const std::string& permission,
                                     const std::string& target, const PageRequest& page);

struct TargetAnswer {
  std::string account_id;
  domain::Reason reason;
};

struct TargetsPage {
  domain::Decision without_target;  // the check with no target
  bool all = false;                 // every member of the organisation is a target
  std::vector<TargetAnswer> targets;  // by account id: those check() allows it on
  std::string next;
};

// Whom `subject` may use `permission` on: exactly the accounts for which check(org, subject,
// permission, account) allows, the organisation's members and the subject themself (who, managing
// a sub-organisation from its parent, is not one of them). A caller asks about themself freely, about others only with
// members.view (permission_denied otherwise). not_found when the organisation is unknown.
Result<TargetsPage> lookup_targets(const PermissionView& view, const std::string& caller,
                                   const std::string& organization_id, const std::string& subject,
                                   const std::string& permission, const PageRequest& page);

// ---- The organisation and its members --------------------------------------------------------

// The organisation, for its members and the parent's managers (suborgs.manage there);
// permission_denied for anyone else, not_found when unknown. Valid while the view lives.
Result<const domain::OrganizationState*> organization(const PermissionView& view, const std::string& caller,
                                                      const std::string& organization_id);

struct MemberFilter {
  std::string role;   // only members holding this role (a model or custom role), when not empty
  std::string coach;  // only athletes assigned to this account, when not empty
  std::optional<bool> deactivated;  // only (not) deactivated members, when set
};

struct MemberRow {
  std::string account_id;
  std::string role;
  bool custom_role = false;
  bool deactivated = false;
  std::string coach;  // the member's assigned coach, for assigned athletes
  bool athlete = false;     // holds the model's athlete role
  bool consenting = false;  // athletes: has accepted coaching by this organisation
};

struct MembersPage {
  std::vector<MemberRow> members;  // by account id
  std::string next;
};

// The organisation's members matching `filter`. For callers who may view its members
// (members.view); any active member may list the athletes assigned to themself (coach = caller),
// which is how a coach without members.view sees their own athletes. permission_denied otherwise,
// not_found when unknown, invalid_argument for a role the organisation does not have.
Result<MembersPage> members(const PermissionView& view, const std::string& caller, const std::string& organization_id,
                            const MemberFilter& filter, const PageRequest& page);

struct MemberPermissions {
  const domain::OrganizationState* organization = nullptr;  // valid while the view lives
  const domain::Role* role = nullptr;
  bool deactivated = false;
  std::vector<std::string> grants;
  std::map<std::string, domain::Scope> permissions;  // effective, with scopes
};

// A member's role, grants and effective permissions: their own for anyone, anyone's for callers
// with members.view (permission_denied otherwise). not_found for an unknown organisation or an
// account that is not a member.
Result<MemberPermissions> member_permissions(const PermissionView& view, const std::string& caller,
                                             const std::string& organization_id, const std::string& account_id);

struct ComplianceCredential {
  const domain::Credential* credential = nullptr;
  std::string credential_id;
  domain::CredentialStatus status = domain::CredentialStatus::none;
};

struct ComplianceStaff {
  std::string account_id, role;
  domain::CredentialStatus status = domain::CredentialStatus::none;
  std::vector<ComplianceCredential> credentials;
};

struct Compliance {
  const domain::OrganizationState* organization = nullptr;
  bool documents_shown = false;  // where each document is kept, for readers of credential documents
  std::vector<ComplianceStaff> staff;
};

// The compliance dashboard on `today` (days since 1970-01-01): for holders of
// safeguarding.view_dashboard (permission_denied with the check's reason otherwise); each
// credential's document only for holders of credentials.view_documents. not_found when unknown.
Result<Compliance> compliance(const PermissionView& view, const std::string& caller, const std::string& organization_id,
                              std::int64_t today);

// ---- The audit log ---------------------------------------------------------------------------

// Narrows `requested` to what the caller may read of the organisation's audit log: every
// category with audit_log.view; with a model's activity log (activity_log.view) all but athlete
// access and consent, which need activity_log.view_restricted. A request for one category the
// caller may not read is permission_denied, as is a caller with neither; not_found when unknown.
Result<projections::AuditFilter> audit_filter(const PermissionView& view, const std::string& caller,
                                              const std::string& organization_id,
                                              projections::AuditFilter requested);

// ---- Accounts --------------------------------------------------------------------------------

// An account's privacy settings, for that account alone (permission_denied for anyone else: no
// role, coach or owner reads them).
Result<domain::Privacy> own_privacy(const PermissionView& view, const std::string& caller,
                                    const std::string& account_id);

}  // namespace touchline::api::queries

namespace touchline::store {
class EventStore;
}

namespace touchline::api::queries {

// ---- Health and readiness --------------------------------------------------------------------

struct ProjectionStatus {
  std::string name;
  std::uint64_t position = 0;            // the last event it has folded
  std::optional<std::string> failure;    // why it stopped, when it did
};

struct Readiness {
  bool ready = false;
  std::string reason;  // when not ready: which projection, and why
};

// GET /readyz: whether this server should be sent traffic. Ready once every projection has folded
// the log up to `head_at_start` (the log's head when the server started: a restart, or a projection
// rebuilding after a format change, answers nothing stale while it replays) and while none has
// failed. Once ready it stays so as the log grows (a projection a few events behind is normal, and
// min_position covers a client's own writes). Pure. (Liveness, GET /healthz, is the process
// answering at all.)
Readiness readiness(std::uint64_t head_at_start, const std::vector<ProjectionStatus>& projections);

// ---- From the log: what sign-in reads ---------------------------------------------------------
// Unlike the functions above, this reads the event store (an email's claim is not in the
// permission projection), folding the stream with the domain's own evolve(). The store's error
// (internal) when a read failed or an event cannot be decoded. Thread-safe.

// The account holding the (normalised) email, or empty when no account has it: the claim under
// the address's claim key, or else (a log from before claim keys) the claim under the address.
Result<std::string> account_of_email(const store::EventStore& log, const std::string& claim_key,
                                     const std::string& normalized_email);

// What reads show in place of an erased person's data.
inline constexpr std::string_view kErased = "[erased]";

// Replaces, in place, every sealed string in `body` (store/personal_data.h) with its plain text,
// or with kErased once its owner was erased. Text that looks sealed but names a key it does not
// open under is left as it is (a client may type anything into a free-text field). Returns
// internal when a key cannot be read. Thread-safe.
Status open_personal_data(nlohmann::json& body, const store::PersonalData& personal);

}  // namespace touchline::api::queries
