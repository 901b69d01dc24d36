// The OpenAPI document and the router's table, walked together: every route is documented (each
// command by name), every documented operation is routed to the route it describes, and every
// problem code the API answers is in the document's Problem schema. tests/openapi/ validates the
// document itself and sends its examples to a server.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "touchline/api/commands.h"
#include "touchline/api/commands/planners.h"
#include "touchline/api/openapi.h"
#include "touchline/api/router.h"

namespace touchline::api {
namespace {

using nlohmann::json;

const json& document() {
  static const json doc = json::parse(openapi_document());
  return doc;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool documented(std::string_view method, const std::string& path) {
  const json& paths = document()["paths"];
  return paths.contains(path) && paths[path].contains(lower(method));
}

// A documented path with each "{x}" made a concrete segment, as a client would send it.
std::string concrete(std::string path) {
  for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
    path.replace(open, path.find('}', open) - open + 1, "x1");
  }
  return path;
}

TEST(OpenApi, IsOpenApi31WithEveryPartAClientGeneratorNeeds) {
  EXPECT_EQ(document()["openapi"], "3.1.0");
  EXPECT_TRUE(document()["info"].contains("title"));
  EXPECT_TRUE(document()["components"]["securitySchemes"].contains("session"));
  EXPECT_TRUE(document()["components"]["securitySchemes"].contains("operator"));
}

TEST(OpenApi, DocumentsEveryRouteAndEveryCommandByName) {
  for (const Route& r : routes()) {
    const std::string path(r.path);
    if (r.endpoint == Endpoint::command) {
      for (const auto& [name, planner] : commands::named_planners()) {
        EXPECT_TRUE(documented(r.method, "/v1/commands/" + name)) << name;
      }
    } else if (r.endpoint == Endpoint::operator_command) {
      for (const auto& name : CommandService::operator_commands()) {
        EXPECT_TRUE(documented(r.method, "/v1/operator/commands/" + name)) << name;
      }
    } else {
      EXPECT_TRUE(documented(r.method, path)) << r.method << " " << path;
    }
  }
}

TEST(OpenApi, RoutesEveryDocumentedOperationToTheRouteItDescribes) {
  std::set<std::string> commands, operator_commands;
  for (const auto& [name, planner] : commands::named_planners()) commands.insert("/v1/commands/" + name);
  for (const auto& name : CommandService::operator_commands()) operator_commands.insert("/v1/operator/commands/" + name);
  for (const auto& [path, operations] : document()["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const RouteMatch m = route(upper, concrete(path));
      ASSERT_EQ(m.outcome, RouteMatch::Outcome::matched) << upper << " " << path;
      const Route& r = routes()[m.route_index];
      if (r.endpoint == Endpoint::command) {
        EXPECT_TRUE(commands.contains(path)) << path << " is no command the server knows";
      } else if (r.endpoint == Endpoint::operator_command) {
        EXPECT_TRUE(operator_commands.contains(path)) << path << " is no operator command";
      } else {
        EXPECT_EQ(std::string(r.path), path) << "documented as one route, routed to another";
      }
      EXPECT_TRUE(operation.contains("operationId")) << upper << " " << path;
      EXPECT_TRUE(operation.contains("responses")) << upper << " " << path;
    }
  }
}

TEST(OpenApi, NamesEveryProblemCodeTheApiAnswers) {
  const json& codes = document()["components"]["schemas"]["Problem"]["properties"]["code"]["enum"];
  for (int c = 0; c <= static_cast<int>(ErrorCode::internal); ++c) {
    const auto name = std::string(error_code_name(static_cast<ErrorCode>(c)));
    EXPECT_NE(std::find(codes.begin(), codes.end(), name), codes.end()) << name;
  }
}

}  // namespace
}  // namespace touchline::api
