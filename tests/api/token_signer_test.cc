// Session tokens: what verify() accepts and refuses, the first time and from what it remembers.
#include "touchline/api/auth.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace touchline::api {
namespace {

constexpr std::int64_t kNow = 1'800'000'000'000;
const std::chrono::seconds kTtl{3600};
const std::int64_t kTtlMs = 3'600'000;

// The token with one character of its MAC changed.
std::string forged(std::string token) {
  token.back() = token.back() == '0' ? '1' : '0';
  return token;
}

TEST(TokenSigner, AnIssuedTokenVerifiesToItsAccountEveryTime) {
  TokenSigner signer(random_key(), kTtl);
  const auto issued = signer.issue("coach-1", kNow);
  EXPECT_EQ(issued.expires_at_ms, kNow + kTtlMs);
  for (int i = 0; i < 3; ++i) {
    auto account = signer.verify(issued.token, kNow + i);
    ASSERT_TRUE(account.ok()) << account.error().message;
    EXPECT_EQ(*account, "coach-1");
  }
}

TEST(TokenSigner, AForgedTokenIsRefusedAlsoOnceTheGenuineOneIsRemembered) {
  TokenSigner signer(random_key(), kTtl);
  const auto issued = signer.issue("coach-1", kNow);
  ASSERT_TRUE(signer.verify(issued.token, kNow).ok());
  for (const std::string& token : {forged(issued.token), issued.token + "0", issued.token.substr(1),
                                   std::string("tl1.coach-2.") + std::to_string(kNow + kTtlMs) + "." +
                                       issued.token.substr(issued.token.rfind('.') + 1)}) {
    auto account = signer.verify(token, kNow);
    ASSERT_FALSE(account.ok()) << token;
    EXPECT_EQ(account.error().code, ErrorCode::unauthenticated);
    EXPECT_EQ(account.error().message, "the bearer token is malformed or invalid");
  }
}

TEST(TokenSigner, ARememberedTokenStillExpires) {
  TokenSigner signer(random_key(), kTtl);
  const auto issued = signer.issue("coach-1", kNow);
  ASSERT_TRUE(signer.verify(issued.token, kNow + kTtlMs - 1).ok());
  auto account = signer.verify(issued.token, kNow + kTtlMs);
  ASSERT_FALSE(account.ok());
  EXPECT_EQ(account.error().message, "the bearer token has expired; sign in again");
  // And one never seen before its expiry is refused just the same.
  const auto late = signer.issue("coach-2", kNow);
  EXPECT_FALSE(signer.verify(late.token, kNow + kTtlMs + 1).ok());
}

TEST(TokenSigner, AnotherSignersTokenIsRefused) {
  TokenSigner ours(random_key(), kTtl);
  TokenSigner theirs(random_key(), kTtl);
  const auto issued = theirs.issue("coach-1", kNow);
  ASSERT_TRUE(theirs.verify(issued.token, kNow).ok());
  EXPECT_FALSE(ours.verify(issued.token, kNow).ok());
}

TEST(TokenSigner, MoreTokensThanItRemembersAllStillVerify) {
  TokenSigner signer(random_key(), kTtl);
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < TokenSigner::kVerifiedTokens + 100; ++i) {
    tokens.push_back(signer.issue("account-" + std::to_string(i), kNow).token);
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < tokens.size(); i += 97) {
      auto account = signer.verify(tokens[i], kNow);
      ASSERT_TRUE(account.ok()) << i;
      EXPECT_EQ(*account, "account-" + std::to_string(i));
    }
    for (const auto& token : tokens) ASSERT_TRUE(signer.verify(token, kNow).ok());
  }
}

}  // namespace
}  // namespace touchline::api
