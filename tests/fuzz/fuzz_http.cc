// libFuzzer target: the HTTP request path in process, from the router through every handler and
// the command service to a real store (RocksDB in a temporary directory, writes without fsync).
// An input is a request as text: "METHOD TARGET" on the first line, "Name: value" header lines,
// an empty line, then the body (tests/fuzz/corpus/http/ has one per route). $COACH, $ATHLETE and
// $OPERATOR stand for bearer tokens of a head coach, an athlete of her organisation and the
// operator; $ORG, $COACH_ID and $ATHLETE_ID for their ids.
//
// Whatever the request, it is answered exactly once, within seconds, with a status the API
// documents; never a 500 (an internal error is a bug when the store is healthy), and every
// error is a problem document with a code.
#include <stdlib.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "touchline/api/http_server.h"
#include "touchline/api/service.h"

using namespace touchline;
using api::HttpRequest;
using api::HttpResponse;

namespace {

class Fixture {
 public:
  Fixture() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "touchline-fuzz-http-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    dir_ = tmpl;
    api::ServiceConfig config;
    config.data_dir = dir_;
    config.port = 0;
    config.threads = 2;
    config.sync = false;
    config.operator_token = "fuzz-operator-token";
    config.max_position_wait = std::chrono::milliseconds(100);
    config.max_poll_wait = std::chrono::seconds(1);  // every answer comes within the harness's 10 s
    config.password_hashing.cost = api::PasswordCost::cheapest();  // an input may sign up or in
    if (!service_.start(config).ok()) std::abort();

    auto coach = call(request("POST", "/v1/commands/SignUp",
                              R"({"email":"coach@x.io","password":"a long password","display_name":"Coach",)"
                              R"("membership_role":"coach","organization_name":"Harbour"})"));
    auto athlete = call(request("POST", "/v1/commands/SignUp",
                                R"({"email":"ada@x.io","password":"a long password","display_name":"Ada"})"));
    organization_ = field(coach, "organization_id");
    coach_id_ = field(coach, "account_id");
    athlete_id_ = field(athlete, "account_id");
    coach_token_ = sign_in("coach@x.io");
    athlete_token_ = sign_in("ada@x.io");
    auto added = request("POST", "/v1/commands/AddMember",
                         R"({"organization_id":")" + organization_ + R"(","account_id":")" + athlete_id_ +
                             R"(","role":"athlete"})");
    added.headers["authorization"] = "Bearer " + coach_token_;
    field(call(added), "position");
    auto accepted = request("POST", "/v1/commands/AcceptMembership", R"({"organization_id":")" + organization_ + R"("})");
    accepted.headers["authorization"] = "Bearer " + athlete_token_;
    field(call(accepted), "position");
  }

  ~Fixture() {
    service_.stop();
    std::filesystem::remove_all(dir_);
  }

  // The input with its placeholders filled in.
  std::string fill(std::string text) const {
    const std::pair<std::string_view, const std::string*> names[] = {
        {"$COACH_ID", &coach_id_},       {"$ATHLETE_ID", &athlete_id_}, {"$COACH", &coach_token_},
        {"$ATHLETE", &athlete_token_},   {"$OPERATOR", &operator_token_}, {"$ORG", &organization_}};
    for (const auto& [name, value] : names) {
      for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at + value->size())) {
        text.replace(at, name.size(), *value);
      }
    }
    return text;
  }

  HttpResponse call(HttpRequest req) {
    auto answer = std::make_shared<std::promise<HttpResponse>>();
    auto future = answer->get_future();
    service_.handle(std::move(req), [answer](HttpResponse r) { answer->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      std::fprintf(stderr, "fuzz_http: a request was not answered within 10 s\n");
      std::abort();
    }
    return future.get();
  }

 private:
  static HttpRequest request(std::string method, std::string target, std::string body) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.headers["content-type"] = "application/json";
    r.remote_address = "127.0.0.1";
    return r;
  }

  static std::string field(const HttpResponse& r, const char* name) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status >= 300 || j.is_discarded() || !j.contains(name)) {
      std::fprintf(stderr, "fuzz_http: fixture step failed: %d %s\n", r.status, r.body.c_str());
      std::abort();
    }
    return j[name].is_string() ? j[name].get<std::string>() : j[name].dump();
  }

  std::string sign_in(const std::string& email) {
    return field(call(request("POST", "/v1/sessions",
                              R"({"email":")" + email + R"(","password":"a long password"})")),
                 "token");
  }

  std::string dir_;
  api::Service service_;
  std::string organization_, coach_id_, athlete_id_, coach_token_, athlete_token_;
  std::string operator_token_ = "fuzz-operator-token";
};

// "METHOD TARGET\nName: value\n...\n\nbody" -> HttpRequest; header names lower-cased as the
// server does.
HttpRequest parse(std::string_view text) {
  HttpRequest req;
  req.remote_address = "127.0.0.1";
  auto line_end = text.find('\n');
  auto request_line = text.substr(0, line_end);
  auto space = request_line.find(' ');
  req.method = std::string(request_line.substr(0, space));
  if (space != std::string_view::npos) req.target = std::string(request_line.substr(space + 1));
  text = line_end == std::string_view::npos ? std::string_view{} : text.substr(line_end + 1);
  while (!text.empty()) {
    line_end = text.find('\n');
    auto line = text.substr(0, line_end);
    text = line_end == std::string_view::npos ? std::string_view{} : text.substr(line_end + 1);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    req.headers[name] = std::string(value);
  }
  req.body = std::string(text);
  return req;
}

void check(const HttpResponse& r) {
  if (r.status < 200 || r.status > 599 || r.status == 500) {
    std::fprintf(stderr, "fuzz_http: answered %d: %s\n", r.status, r.body.c_str());
    std::abort();
  }
  if (r.status >= 400) {
    auto problem = nlohmann::json::parse(r.body, nullptr, false);
    if (r.content_type != "application/problem+json" || problem.is_discarded() || !problem.contains("code")) {
      std::fprintf(stderr, "fuzz_http: an error that is not a problem document: %d %s\n", r.status, r.body.c_str());
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  std::string text(reinterpret_cast<const char*>(data), size);
  check(fixture.call(parse(fixture.fill(std::move(text)))));
  return 0;
}
