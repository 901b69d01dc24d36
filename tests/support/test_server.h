// An in-process touchlined on a free loopback port with a fresh data directory, plus the calls
// most HTTP tests make. Real server, real RocksDB, real sockets.
#pragma once

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/http_client.h"
#include "touchline/api/service.h"

namespace touchline::testing {

inline std::string make_temp_dir(const std::string& name) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (name + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

inline constexpr const char* kOperatorToken = "operator-secret-for-tests";

class TestServer {
 public:
  // `before_start` may write into the data directory before the server opens it; `configure`
  // may change the server's settings. The request limits are off unless `configure` sets them:
  // every test signs its people up and in from one address (tests/api/limits_test.cc tests them).
  explicit TestServer(std::chrono::milliseconds max_position_wait = std::chrono::milliseconds(2000),
                      const std::function<void(const std::string&)>& before_start = {},
                      const std::function<void(api::ServiceConfig&)>& configure = {})
      : dir_(make_temp_dir("touchline-api")) {
    if (before_start) before_start(dir_);
    config_.limits = api::LimitSettings{api::RateLimit{}, api::RateLimit{}, api::RateLimit{}};
    config_.data_dir = dir_;
    config_.port = 0;
    config_.threads = 4;
    // Hundreds of sign-ups and sign-ins per suite: at the service's own cost, hashing was half
    // of a seed scenario's time.
    config_.password_hashing.cost = api::PasswordCost::cheapest();
    config_.operator_token = kOperatorToken;
    config_.max_position_wait = max_position_wait;
    config_.clock = [offset = clock_offset_] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count() +
             offset->load();
    };
    if (configure) configure(config_);
    start();
  }
  ~TestServer() {
    service_.stop();
    std::filesystem::remove_all(dir_);
  }

  void start() {
    auto st = service_.start(config_);
    if (!st.ok()) throw std::runtime_error("server did not start: " + st.error().message);
    client_ = std::make_unique<HttpClient>(service_.port());
  }
  void restart() {
    service_.stop();
    start();
  }
  void stop() { service_.stop(); }

  // Moves the server's clock forward (tokens issued before may expire with it).
  void advance_clock(std::chrono::milliseconds by) { *clock_offset_ += by.count(); }

  HttpClient& http() { return *client_; }
  // The loopback port, for tests that open their own connections (one HttpClient per thread).
  std::uint16_t port() { return service_.port(); }

  HttpResult command(const std::string& name, const nlohmann::json& body, const std::string& token = "",
                     std::map<std::string, std::string> headers = {}) {
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return client_->post("/v1/commands/" + name, body.dump(), headers);
  }

  // `member` (as account() returns it) joins the organisation with `role`: offered by the account
  // of `by_token` (AddMember), then accepting (AcceptMembership). Returns the offer's answer when
  // it is not 201, else the acceptance's.
  HttpResult join(const std::string& organization_id, const nlohmann::json& member, const std::string& role,
                  const std::string& by_token) {
    auto offer = command("AddMember", {{"organization_id", organization_id}, {"account_id", member["account_id"]}, {"role", role}},
                         by_token);
    if (offer.status != 201) return offer;
    return command("AcceptMembership", {{"organization_id", organization_id}}, member["token"].get<std::string>());
  }

  // Signs up and signs in; returns {account_id, token, organization_id?}.
  nlohmann::json account(const std::string& email, const std::string& role = "athlete",
                         const std::string& organization_name = "") {
    nlohmann::json body{{"email", email}, {"password", "a long password"}, {"display_name", email},
                        {"membership_role", role}};
    if (!organization_name.empty()) body["organization_name"] = organization_name;
    auto r = command("SignUp", body);
    EXPECT_EQ(r.status, 201) << r.body;
    auto out = r.json();
    auto s = client_->post("/v1/sessions",
                           nlohmann::json{{"email", email}, {"password", "a long password"}}.dump());
    EXPECT_EQ(s.status, 201) << s.body;
    out["token"] = s.json()["token"];
    return out;
  }

  // The log's head position, read through the operator endpoint.
  std::uint64_t head() {
    auto r = client_->get("/v1/events?after=0&limit=1",
                          {{"Authorization", std::string("Bearer ") + kOperatorToken}});
    return r.json()["head"].get<std::uint64_t>();
  }

  HttpResult check(const std::string& token, const nlohmann::json& body) {
    return client_->post("/v1/check", body.dump(), {{"Authorization", "Bearer " + token}});
  }

  // A read that takes a body: /v1/checks, /v1/lookup/subjects, /v1/lookup/targets.
  HttpResult post_read(const std::string& path, const std::string& token, const nlohmann::json& body) {
    return client_->post(path, body.dump(), {{"Authorization", "Bearer " + token}});
  }

  const std::string& data_dir() const { return dir_; }

 private:
  std::string dir_;
  api::ServiceConfig config_;
  std::shared_ptr<std::atomic<std::int64_t>> clock_offset_ = std::make_shared<std::atomic<std::int64_t>>(0);
  api::Service service_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace touchline::testing
