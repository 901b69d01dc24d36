#pragma once
#include <string_view>
#include <utility>
#include <vector>

namespace touchline::domain::embedded {
// (path under domain/models/, contents) of every model file and the catalogue, compiled in.
const std::vector<std::pair<std::string_view, std::string_view>>& files();
}  // namespace touchline::domain::embedded
