#include <gtest/gtest.h>

#include "given.h"
#include "touchline/domain/account.h"
#include "touchline/domain/role_model.h"

namespace touchline::domain {
namespace {

using testing::given;

SignUp valid_sign_up() {
  SignUp s;
  s.email = "Ana@Example.com";
  s.password = "correct horse";
  s.display_name = "Ana";
  s.new_account_id = "acc-1";
  s.new_organization_id = "org-1";
  s.email_key = "claim-key-of-ana";  // the server's keyed digest of "ana@example.com"
  return s;
}

TEST(SignUp, DefaultsToAthleteAndClaimsTheEmailByItsClaimKey) {
  auto result = decide(EmailClaimState{}, valid_sign_up());
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->size(), 2u);
  EXPECT_EQ(std::get<events::AccountRegistered>((*result)[0]),
            (events::AccountRegistered{"acc-1", "Ana@Example.com", "Ana", "athlete"}));
  EXPECT_EQ(std::get<events::EmailClaimed>((*result)[1]),
            (events::EmailClaimed{"claim-key-of-ana", "acc-1"}));
}

TEST(SignUp, CoachWithOrganizationNameFoundsItAsHeadCoach) {
  auto cmd = valid_sign_up();
  cmd.membership_role = "coach";
  cmd.organization_name = "Harbour Runners";
  auto result = decide(EmailClaimState{}, cmd);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->size(), 3u);
  EXPECT_EQ(std::get<events::OrganizationCreated>((*result)[2]),
            (events::OrganizationCreated{"org-1", "Harbour Runners", "athlete-coach", "acc-1",
                                         "head_coach", find_role_model("athlete-coach")->version}));
}

TEST(SignUp, SubRolesAreRejectedWithTheValidValues) {
  for (const char* role : {"head_coach", "assistant_coach"}) {
    auto cmd = valid_sign_up();
    cmd.membership_role = role;
    auto result = decide(EmailClaimState{}, cmd);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(result.error().field, "membership_role");
    EXPECT_NE(result.error().message.find("assigned by the platform after sign-up"), std::string::npos);
    EXPECT_NE(result.error().message.find("athlete and coach"), std::string::npos);
  }
}

TEST(SignUp, UnknownRoleIsRejected) {
  auto cmd = valid_sign_up();
  cmd.membership_role = "owner";
  auto result = decide(EmailClaimState{}, cmd);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, "membership_role");
}

TEST(SignUp, FieldRulesNameTheField) {
  struct Case {
    void (*mutate)(SignUp&);
    const char* field;
  };
  const Case cases[] = {
      {[](SignUp& s) { s.email = "not-an-email"; }, "email"},
      {[](SignUp& s) { s.email = "a@b"; }, "email"},
      {[](SignUp& s) { s.email = "two@@example.com"; }, "email"},
      {[](SignUp& s) { s.password = "123456789"; }, "password"},
      {[](SignUp& s) { s.display_name = ""; }, "display_name"},
      {[](SignUp& s) { s.display_name = std::string("Ana\0Admin", 9); }, "display_name"},
      {[](SignUp& s) { s.display_name = "Ana\nPassword reset by operator"; }, "display_name"},
      {[](SignUp& s) { s.display_name = "Ana\x1b[2J"; }, "display_name"},
      {[](SignUp& s) { s.display_name = "Ana\x7f"; }, "display_name"},
      {[](SignUp& s) { s.display_name = "Ana\xc2\x85"; }, "display_name"},  // U+0085, NEXT LINE
      {[](SignUp& s) {
         s.membership_role = "coach";
         s.organization_name = "Club\r\nX";
       },
       "organization_name"},
      {[](SignUp& s) { s.organization_name = "Club"; }, "organization_name"},  // athlete
      {[](SignUp& s) { s.role_model = "no-such-model"; }, "role_model"},
  };
  for (const auto& c : cases) {
    auto cmd = valid_sign_up();
    c.mutate(cmd);
    auto result = decide(EmailClaimState{}, cmd);
    ASSERT_FALSE(result.ok()) << c.field;
    EXPECT_EQ(result.error().code, ErrorCode::invalid_argument) << c.field;
    EXPECT_EQ(result.error().field, c.field);
  }
}

TEST(SignUp, NamesMayHoldAnyPrintableCharacter) {
  auto cmd = valid_sign_up();
  cmd.display_name = "Zoë Ñúñez-O'Brien \xc2\xa0 \xe2\x80\x94 \xf0\x9f\x8f\x83";  // NBSP, em dash, runner
  EXPECT_TRUE(decide(EmailClaimState{}, cmd).ok());
}

TEST(SignUp, PasswordLengthCountsCharactersNotBytes) {
  auto cmd = valid_sign_up();
  cmd.password = "ééééééééé";  // 9 characters, 18 bytes
  EXPECT_FALSE(decide(EmailClaimState{}, cmd).ok());
  cmd.password = "éééééééééé";  // 10 characters
  EXPECT_TRUE(decide(EmailClaimState{}, cmd).ok());
}

TEST(SignUp, TakenEmailIsAlreadyExists) {
  auto claim = given<EmailClaimState>({events::EmailClaimed{"ana@example.com", "acc-0"}});
  auto result = decide(claim, valid_sign_up());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::already_exists);
}

TEST(NormalizeEmail, LowerCasesAsciiOnly) {
  EXPECT_EQ(normalize_email("Ana.B@EXAMPLE.Com"), "ana.b@example.com");
}

TEST(UpgradeToCoach, AthleteBecomesCoach) {
  auto account = given<AccountState>({events::AccountRegistered{"acc-1", "a@x.io", "A", "athlete"}});
  auto result = decide(account, UpgradeToCoach{});
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ(std::get<events::AccountUpgradedToCoach>((*result)[0]).account_id, "acc-1");
  EXPECT_EQ(evolve(account, (*result)[0]).membership_role, "coach");
}

TEST(UpgradeToCoach, WithAnOrganisationNameTheCoachFoundsItInTheSameStep) {
  auto account = given<AccountState>({events::AccountRegistered{"a1", "a@x.io", "Ana", "athlete"}});
  auto result = decide(account, UpgradeToCoach{"Ana's organisation", "", "org-7"});
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->size(), 2u);
  EXPECT_TRUE(std::holds_alternative<events::AccountUpgradedToCoach>(result->at(0)));
  const auto& founded = std::get<events::OrganizationCreated>(result->at(1));
  EXPECT_EQ(founded.organization_id, "org-7");
  EXPECT_EQ(founded.created_by, "a1");
  EXPECT_EQ(founded.founder_role, "head_coach");
  EXPECT_EQ(decide(account, UpgradeToCoach{"Club", "no-such-model", "org-7"}).error().field, "role_model");
  EXPECT_EQ(decide(account, UpgradeToCoach{std::string(101, 'x'), "", "org-7"}).error().field,
            "organization_name");
  // A coach already has what the upgrade gives, and founds nothing here.
  auto coach = evolve(account, result->at(0));
  auto again = decide(coach, UpgradeToCoach{"Second", "", "org-8"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST(UpgradeToCoach, AlreadyCoachSucceedsWithNoEvents) {
  auto account = given<AccountState>({events::AccountRegistered{"acc-1", "a@x.io", "A", "athlete"},
                                      events::AccountUpgradedToCoach{"acc-1"}});
  auto result = decide(account, UpgradeToCoach{});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->empty());
}

TEST(UpgradeToCoach, UnknownAccountIsNotFound) {
  auto result = decide(AccountState{}, UpgradeToCoach{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::not_found);
}


TEST(DowngradeToAthlete, AnOperatorTurnsACoachBackOnceTheyAreOnNoStaff) {
  const AccountState coach = given<AccountState>({events::AccountRegistered{"c", "c@x.io", "C", "coach"}});
  auto still_staff = decide(coach, std::vector<std::string>{"org-1", "org-2"}, DowngradeToAthlete{"c"});
  ASSERT_FALSE(still_staff.ok());
  EXPECT_EQ(still_staff.error().code, ErrorCode::failed_precondition);
  EXPECT_NE(still_staff.error().message.find("org-1, org-2"), std::string::npos) << still_staff.error().message;

  auto r = decide(coach, std::vector<std::string>{}, DowngradeToAthlete{"c"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const AccountState athlete = evolve(coach, r->at(0));
  EXPECT_EQ(athlete.membership_role, "athlete");
  // An athlete account is already there; an unknown one is not found.
  EXPECT_TRUE(decide(athlete, std::vector<std::string>{}, DowngradeToAthlete{"c"})->empty());
  EXPECT_EQ(decide(AccountState{}, std::vector<std::string>{}, DowngradeToAthlete{"x"}).error().code,
            ErrorCode::not_found);
}

TEST(EraseAccount, TheAccountItselfOrAnOperatorErasesItAndReleasesItsClaim) {
  const AccountState ana = given<AccountState>({events::AccountRegistered{"ana", "sealed:1:account-ana:x", "sealed:1:account-ana:y", "athlete"}});
  const EmailClaimState claim = given<EmailClaimState>({events::EmailClaimed{"key-a", "ana"}});
  const EraseAccount cmd{"ana", "key-a"};

  auto by_someone_else = decide(ana, claim, "bob", false, cmd);
  ASSERT_FALSE(by_someone_else.ok());
  EXPECT_EQ(by_someone_else.error().code, ErrorCode::permission_denied);
  EXPECT_EQ(decide(AccountState{}, claim, "ana", false, cmd).error().code, ErrorCode::not_found);

  for (bool by_operator : {false, true}) {
    auto r = decide(ana, claim, by_operator ? "operator" : "ana", by_operator, cmd);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, (std::vector<events::DomainEvent>{events::AccountErased{"ana"}, events::EmailReleased{"key-a", "ana"}}));
    // Erased, the account keeps its id and forgets what it held of the person; the address is free.
    const AccountState erased = evolve(ana, r->at(0));
    EXPECT_TRUE(erased.exists && erased.erased);
    EXPECT_EQ(erased.id, "ana");
    EXPECT_TRUE(erased.email.empty() && erased.display_name.empty());
    EXPECT_FALSE(evolve(claim, r->at(1)).claimed);
    EXPECT_TRUE(decide(erased, claim, "ana", false, cmd)->empty());  // an explicit no-op
  }
  // A claim that is not the account's (or none: an address of an older log) is not released.
  const EmailClaimState others = given<EmailClaimState>({events::EmailClaimed{"key-a", "someone"}});
  EXPECT_EQ(decide(ana, others, "ana", false, cmd)->size(), 1u);
  EXPECT_EQ(decide(ana, EmailClaimState{}, "ana", false, EraseAccount{"ana", ""})->size(), 1u);
}

TEST(SignUp, AReleasedEmailSignsUpAgain) {
  auto claim = given<EmailClaimState>({events::EmailClaimed{"claim-key-of-ana", "acc-0"},
                                       events::EmailReleased{"claim-key-of-ana", "acc-0"}});
  EXPECT_TRUE(decide(claim, valid_sign_up()).ok());
}

}  // namespace
}  // namespace touchline::domain
