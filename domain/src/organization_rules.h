// The checks the organisation's deciders share (organization.cc, joining.cc). Internal to
// domain/: each returns the error that refuses a command, or nothing when the rule holds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "touchline/domain/account.h"
#include "touchline/domain/organization.h"

namespace touchline::domain::rules {

Error org_not_found(const std::string& id);
Error not_a_member(const std::string& account_id, const char* field);

// The actor must hold `permission` in the organisation (on `target`, when given); the denial
// explains why not. Consent is consulted (it is the organisation's); privacy is not (the deciders
// have no member's settings), so no command may rest on a privacy-gated permission through this.
std::optional<Error> require(const OrganizationState& org, const std::string& actor,
                             const std::string& permission, std::string_view target = {});

// Giving a role: the permission that gives it, and for a custom role, the tier custom roles need
// and nothing beyond what the giver holds.
std::optional<Error> check_may_give(const OrganizationState& org, const std::string& actor,
                                    const Role& role);

// invalid_argument on `field`, listing the roles that can be given.
Error role_not_givable(const OrganizationState& org, const std::string& role, const char* field = "role");

// Whether account `account_id` (`joiner`, its state) may become a member holding `role`: an
// existing account, not yet a member, a coach account for a staff role, an athlete in no other
// organisation, a unique role free, and a staff seat free on the organisation's tier. `field`
// names the input that named the account.
std::optional<Error> check_may_join(const OrganizationState& org, const AccountState& joiner,
                                    const std::string& account_id, const Role& role, const char* field);

// Whether `actor` acts in the organisation: a member, or for a sub-organisation (with its parent
// attached) an owner or admin of the parent (a holder of suborgs.manage there).
bool acts_in(const OrganizationState& org, const std::string& actor);

// A staff seat free for `role` on the organisation's tier (reason "no_staff_seat" when not).
std::optional<Error> check_staff_seat(const OrganizationState& org, const Role& role);

// A member leaving (or, with `role` set, holding `role` from now on): their athletes go back where
// they no longer may coach them, their own assignment ends when leaving, and grants they may no
// longer hold are revoked. Appends those events to `out`.
void release(const OrganizationState& org, const std::string& account_id, const Role* role,
             std::vector<events::DomainEvent>& out);

// Whether `account_id` holds the model's founding role and no other member holds it actively:
// such a member stays (they are not removed, deactivated, and do not leave).
bool last_active_founder(const OrganizationState& org, const std::string& account_id);

}  // namespace touchline::domain::rules
