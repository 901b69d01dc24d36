// The console's static files (api/console/: a page, its script and its style), embedded at build
// time and served by touchlined at /console. tests/console/ drives it in headless Chromium.
#pragma once

#include <string_view>

namespace touchline::api {

struct StaticFile {
  std::string_view path;          // as requested: /console, /console/console.js, ...
  std::string_view content_type;
  std::string_view body;
};

// The file served at `path`, or nullptr when there is none. Thread-safe (static data).
const StaticFile* console_file(std::string_view path);

}  // namespace touchline::api
