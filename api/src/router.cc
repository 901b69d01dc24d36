#include "touchline/api/router.h"

#include <vector>

namespace touchline::api {

namespace {

constexpr Route kRoutes[] = {
    {"GET", "/healthz", Endpoint::health},
    {"GET", "/readyz", Endpoint::ready},
    {"GET", "/metrics", Endpoint::metrics},
    {"POST", "/v1/commands/{name}", Endpoint::command},
    {"POST", "/v1/operator/commands/{name}", Endpoint::operator_command},
    {"POST", "/v1/sessions", Endpoint::sign_in},
    {"POST", "/v1/check", Endpoint::check},
    {"POST", "/v1/checks", Endpoint::checks},
    {"POST", "/v1/lookup/subjects", Endpoint::lookup_subjects},
    {"POST", "/v1/lookup/targets", Endpoint::lookup_targets},
    {"POST", "/v1/actions", Endpoint::action},
    {"GET", "/v1/organizations/{organization_id}/members/{account_id}/permissions",
     Endpoint::member_permissions},
    {"GET", "/v1/organizations/{organization_id}/members", Endpoint::members},
    {"GET", "/v1/organizations/{organization_id}/audit", Endpoint::audit},
    {"GET", "/v1/organizations/{organization_id}/audit/stream", Endpoint::audit_stream},
    {"GET", "/v1/organizations/{organization_id}/compliance", Endpoint::compliance},
    {"GET", "/v1/organizations/{organization_id}", Endpoint::organization},
    {"GET", "/v1/events", Endpoint::events},
    {"GET", "/v1/events/stream", Endpoint::event_stream},
    {"GET", "/v1/log/head", Endpoint::log_head},
    {"GET", "/v1/log/public-key", Endpoint::log_public_key},
    {"GET", "/v1/log/proof/inclusion", Endpoint::log_inclusion},
    {"GET", "/v1/log/proof/consistency", Endpoint::log_consistency},
    {"GET", "/v1/accounts/{account_id}/privacy", Endpoint::account_privacy},
    {"GET", "/v1/permissions", Endpoint::permissions},
    {"GET", "/v1/role-models", Endpoint::role_models},
    {"GET", "/v1/role-models/{id}", Endpoint::role_model},
    {"GET", "/v1/openapi.json", Endpoint::openapi},
    {"GET", "/console", Endpoint::console},
    {"GET", "/console/console.js", Endpoint::console},
    {"GET", "/console/console.css", Endpoint::console},
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool match(std::string_view pattern, const std::vector<std::string_view>& segments,
           std::map<std::string, std::string>& params) {
  auto parts = split_path(pattern);
  if (parts.size() != segments.size()) return false;
  std::map<std::string, std::string> captured;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].size() > 2 && parts[i].front() == '{') {
      if (segments[i].empty()) return false;
      captured[std::string(parts[i].substr(1, parts[i].size() - 2))] =
          percent_decode(segments[i], false);
    } else if (parts[i] != segments[i]) {
      return false;
    }
  }
  params = std::move(captured);
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
    out.emplace(std::move(key), std::move(value));  // the first occurrence wins
  }
  return out;
}

}  // namespace

std::span<const Route> routes() { return kRoutes; }

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

RouteMatch route(std::string_view method, std::string_view target) {
  RouteMatch m;
  auto qmark = target.find('?');
  std::string_view path = target.substr(0, qmark);
  if (qmark != std::string_view::npos) m.query = parse_query(target.substr(qmark + 1));
  if (path.empty() || path.front() != '/') return m;
  auto segments = split_path(path);

  std::string allow;
  for (std::size_t i = 0; i < std::size(kRoutes); ++i) {
    const Route& p = kRoutes[i];
    std::map<std::string, std::string> params;
    if (!match(p.path, segments, params)) continue;
    if (p.method == method) {
      m.outcome = RouteMatch::Outcome::matched;
      m.endpoint = p.endpoint;
      m.route_index = i;
      m.params = std::move(params);
      return m;
    }
    allow += (allow.empty() ? "" : ", ") + std::string(p.method);
  }
  if (!allow.empty()) {
    m.outcome = RouteMatch::Outcome::method_not_allowed;
    m.allow = allow;
  }
  return m;
}

}  // namespace touchline::api
