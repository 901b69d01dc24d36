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
    case ErrorCode::internal: return "Internal error";
  }
  return "Internal error";
}
}  // namespace

HttpResponse problem_response(const Error& error) {
  const int status = http_status(error.code);
  nlohmann::json body{{"type", "urn:touchline:problem:" + std::string(error_code_name(error.code))},
                      {"title", title(error.code)},
                      {"status", status},
                      {"detail", error.message},
                      {"code", error_code_name(error.code)}};
  if (!error.field.empty()) body["field"] = error.field;
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = body.dump();
  if (error.code == ErrorCode::unauthenticated) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace touchline::api
