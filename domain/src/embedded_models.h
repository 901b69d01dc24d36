#pragma once
#include <string_view>
#include <utility>
#include <vector>

namespace touchline::domain::embedded {
// (file name, contents) of every domain/models/*.json, compiled in.
const std::vector<std::pair<std::string_view, std::string_view>>& files();
}  // namespace touchline::domain::embedded
