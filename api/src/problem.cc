#include <nlohmann/json.hpp>

#include "touchline/api/api.h"

namespace touchline::api {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return 400;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::permission_denied: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::already_exists: return 409;
    case ErrorCode::conflict: return 409;
    case ErrorCode::failed_precondition: return 409;
    case ErrorCode::payload_too_large: return 413;
    case ErrorCode::idempotency_mismatch: return 422;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::rate_limited: return 429;
    case ErrorCode::internal: return 500;
  }
  return 500;
}

namespace {
std::string_view title(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "Invalid request";
    case ErrorCode::unauthenticated: return "Not signed in";
    case ErrorCode::permission_denied: return "Not allowed";
    case ErrorCode::not_found: return "Not found";
    case ErrorCode::already_exists: return "Already exists";
    case ErrorCode::conflict: return "Concurrent change";
    case ErrorCode::failed_precondition: return "Not possible in the current state";
    case ErrorCode::payload_too_large: return "Request body too large";
    case ErrorCode::idempotency_mismatch: return "Idempotency key reused";
    case ErrorCode::unavailable: return "Temporarily unavailable";
    case ErrorCode::rate_limited: return "Too many requests";
    case ErrorCode::internal: return "Internal error";
  }
  return "Internal error";
}

HttpResponse make_problem(int status, std::string_view code, std::string_view title,
                          const std::string& detail, const std::string& field,
                          const std::string& reason = {}) {
  nlohmann::json body{{"type", "urn:touchline:problem:" + std::string(code)},
                      {"title", title},
                      {"status", status},
                      {"detail", detail},
                      {"code", code}};
  if (!field.empty()) body["field"] = field;
  if (!reason.empty()) body["reason"] = reason;
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  // Details may quote client input; never let bad UTF-8 in it turn an answer into a failure.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace

HttpResponse problem_response(const Error& error) {
  HttpResponse r = make_problem(http_status(error.code), error_code_name(error.code), title(error.code),
                                error.message, error.field, error.reason);
  if (error.code == ErrorCode::unauthenticated) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (error.retry_after_seconds > 0) r.headers.emplace_back("Retry-After", std::to_string(error.retry_after_seconds));
  return r;
}

HttpResponse http_problem(int status, std::string detail,
                          std::vector<std::pair<std::string, std::string>> headers) {
  HttpResponse r;
  switch (status) {
    case 405: r = make_problem(405, "method_not_allowed", "Method not allowed", detail, ""); break;
    case 413: r = problem_response(Error::make(ErrorCode::payload_too_large, detail)); break;
    case 400: r = problem_response(Error::make(ErrorCode::invalid_argument, detail)); break;
    default: r = make_problem(status, "internal", "Internal error", detail, ""); break;
  }
  for (auto& h : headers) r.headers.push_back(std::move(h));
  return r;
}

}  // namespace touchline::api
