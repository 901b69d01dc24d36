// The data-file suites (tests/vectors, tests/scenarios) run one test per file: this finds them.
#pragma once

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

namespace touchline::testing {

// The files under `dir` whose name ends in `extension` (".vectors"), in name order.
inline std::vector<std::filesystem::path> data_files(const std::filesystem::path& dir, const std::string& extension) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == extension) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A test name gtest accepts, from a file's stem ("000_athlete-coach" -> "000_athlete_coach").
inline std::string test_name_of(const std::filesystem::path& file) {
  std::string name = file.stem().string();
  for (auto& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

}  // namespace touchline::testing
