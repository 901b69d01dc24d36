// Runs a command-line tool (touchline) as an operator would, for tests of what it prints.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace touchline::testing {

struct ToolRun {
  int exit_code;       // -1 when it did not exit normally
  std::string output;  // stdout and stderr
};

inline ToolRun run_tool(const std::string& binary, const std::string& args) {
  const std::string cmd = binary + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace touchline::testing
