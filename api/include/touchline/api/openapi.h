// The OpenAPI 3.1 document of the HTTP API (api/openapi/openapi.json, embedded at build time),
// served at GET /v1/openapi.json. tests/api/openapi_test.cc holds it and the router's table
// together; tests/openapi/ validates it and sends its examples to a server.
#pragma once

#include <string_view>

namespace touchline::api {

// The document's bytes, as the file holds them. Thread-safe (static data).
std::string_view openapi_document();

}  // namespace touchline::api
