// touchlined: the Touchline server. Configuration, lowest precedence first: built-in defaults,
// a config file (--config FILE or TOUCHLINE_CONFIG; lines "key = value", # comments), environment
// variables (TOUCHLINE_PORT, ...), command-line flags (--port, ...). Stops cleanly on SIGTERM or
// SIGINT.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "touchline/api/service.h"

namespace {

// Every setting, by its config-file key; the flag is --<key with _ as ->, the environment
// variable TOUCHLINE_<KEY>.
struct Setting {
  const char* key;
  const char* help;
};
constexpr Setting kSettings[] = {
    {"data", "RocksDB data directory (created if missing) [./var/touchline]"},
    {"port", "TCP port [8080]"},
    {"address", "address to listen on [127.0.0.1]"},
    {"operator_token", "bearer token for the operator endpoints (GET /v1/events, POST /v1/operator/commands) [unset: closed]; "
                       "on the command line every user of the machine sees it (ps): prefer TOUCHLINE_OPERATOR_TOKEN, "
                       "the config file or --operator-token-file"},
    {"operator_token_file", "a file holding the operator token (its first line), instead of --operator-token"},
    {"threads", "HTTP worker threads [the number of cores, at least 2]"},
    {"max_connections", "open connections at most; one more is answered 503 and closed [the open-file limit "
                        "less 512 for the store, at most 10000]"},
    {"max_connections_per_address", "open connections from one client address at most [256]"},
    {"token_ttl_seconds", "session token lifetime [43200]"},
    {"aggregate_cache_mb", "memory for the aggregates the write side keeps folded, in MiB (an estimate; "
                           "least recently used out) [256]"},
    {"password_hashing_threads", "threads that hash passwords (sign-in, sign-up), apart from the HTTP threads [half "
                                 "the cores, at least 1]"},
    {"password_hashing_queue", "sign-ins and sign-ups waiting for a hashing thread at most; one more is answered "
                               "503 [64]"},
    {"password_attempts_per_address", "sign-ins and sign-ups from one client address, as N/s, N/min or N/hour "
                                      "(0: no limit); one more is answered 429 with Retry-After [30/min]"},
    {"sign_in_failures_per_account", "failed sign-ins on one email, from any address [20/hour]"},
    {"actions_per_member", "recorded actions (POST /v1/actions) by one member [600/min]"},
    {"relaxed_durability", "true: acknowledge appends before their WAL sync (benchmarks only; "
                           "loses acknowledged writes on power loss) [false]"},
    {"log_format", "the log on stderr: text (a line a message) or json (an object a line) [text]"},
    {"log_requests", "true: a log line for every answered request (method, route, status, latency, request id) [true]"},
};

// As many HTTP threads as cores (each serves the connections dealt to it): more would only take
// turns on the same cores; and at least two, so that one slow request holds up only the
// connections on its thread. Password hashing has threads of its own (password_hasher.h).
int default_threads() { return static_cast<int>(std::max(2u, std::thread::hardware_concurrency())); }

// Connections must leave file descriptors to the store (RocksDB keeps its table files open): past
// the limit, accept() fails and nobody can connect.
long default_max_connections() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 10000;
  return std::clamp<long>(static_cast<long>(limit.rlim_cur) - 512, 16, 10000);
}

void usage() {
  std::cerr << "usage: touchlined [--config FILE] [--<setting> VALUE ...] [--check-config]\n\n"
               "  --check-config  print the settings in effect (defaults, file, environment, flags), check\n"
               "                  them, and exit: 0 when the server would start with them, 2 otherwise\n\n"
               "settings:\n";
  for (const auto& s : kSettings) {
    std::string flag = s.key;
    for (auto& c : flag) c = c == '_' ? '-' : c;
    std::cerr << "  --" << flag << "  " << s.help << "\n";
  }
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool known(const std::string& key) {
  for (const auto& s : kSettings) {
    if (key == s.key) return true;
  }
  return false;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "touchlined: " << message << "\n";
  std::exit(2);
}

std::map<std::string, std::string> read_settings(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  std::string config_file = std::getenv("TOUCHLINE_CONFIG") ? std::getenv("TOUCHLINE_CONFIG") : "";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage();
      std::exit(0);
    }
    if (arg == "--check-config") {
      flags["check_config"] = "true";
      continue;
    }
    if (arg.rfind("--", 0) != 0 || i + 1 >= argc) {
      usage();
      fail("expected --<setting> VALUE, got '" + arg + "'");
    }
    std::string key = arg.substr(2);
    for (auto& c : key) c = c == '-' ? '_' : c;
    std::string value = argv[++i];
    if (key == "config") {
      config_file = value;
    } else if (known(key)) {
      flags[key] = value;
    } else {
      usage();
      fail("unknown setting --" + arg.substr(2));
    }
  }

  std::map<std::string, std::string> settings{{"data", "./var/touchline"},
                                              {"port", "8080"},
                                              {"address", "127.0.0.1"},
                                              {"threads", std::to_string(default_threads())},
                                              {"max_connections", std::to_string(default_max_connections())},
                                              {"max_connections_per_address", "256"},
                                              {"token_ttl_seconds", "43200"},
                                              {"aggregate_cache_mb", "256"},
                                              {"password_hashing_threads", std::to_string(default_threads() / 2)},
                                              {"password_hashing_queue", "64"},
                                              {"password_attempts_per_address", "30/min"},
                                              {"sign_in_failures_per_account", "20/hour"},
                                              {"actions_per_member", "600/min"},
                                              {"relaxed_durability", "false"},
                                              {"log_format", "text"},
                                              {"log_requests", "true"}};
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) fail("cannot read config file " + config_file);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      line = trim(line.substr(0, line.find('#')));
      if (line.empty()) continue;
      auto eq = line.find('=');
      std::string key = trim(line.substr(0, eq));
      if (eq == std::string::npos || !known(key)) {
        fail(config_file + ":" + std::to_string(n) + ": expected 'setting = value' with a known setting");
      }
      settings[key] = trim(line.substr(eq + 1));
    }
  }
  for (const auto& s : kSettings) {
    std::string env = "TOUCHLINE_";
    for (const char* c = s.key; *c; ++c) env += static_cast<char>(std::toupper(*c));
    if (const char* v = std::getenv(env.c_str())) settings[s.key] = v;
  }
  for (auto& [k, v] : flags) settings[k] = v;
  if (flags.count("operator_token")) settings["operator_token_on_command_line"] = "true";
  if (!config_file.empty()) settings["config_file"] = config_file;
  return settings;
}

long number(const std::map<std::string, std::string>& s, const char* key, long min, long max) {
  const std::string& v = s.at(key);
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < min || n > max) {
    fail(std::string(key) + " must be a number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

touchline::api::RateLimit rate_limit(const std::map<std::string, std::string>& s, const char* key) {
  auto limit = touchline::api::RateLimit::parse(s.at(key));
  if (!limit.ok()) fail(std::string(key) + ": " + limit.error().message);
  return *limit;
}

}  // namespace

int main(int argc, char** argv) {
  auto settings = read_settings(argc, argv);

  touchline::api::ServiceConfig config;
  config.data_dir = settings["data"];
  config.address = settings["address"];
  config.port = static_cast<std::uint16_t>(number(settings, "port", 0, 65535));
  config.threads = static_cast<int>(number(settings, "threads", 1, 256));
  config.max_connections = static_cast<std::size_t>(number(settings, "max_connections", 1, 1000000));
  config.max_connections_per_address =
      static_cast<std::size_t>(number(settings, "max_connections_per_address", 1, 1000000));
  config.token_ttl = std::chrono::seconds(number(settings, "token_ttl_seconds", 60, 30L * 24 * 3600));
  config.operator_token = settings.count("operator_token") ? settings["operator_token"] : "";
  if (settings.count("operator_token_file")) {
    if (!config.operator_token.empty()) fail("give the operator token once: operator_token or operator_token_file");
    std::ifstream in(settings["operator_token_file"]);
    if (!in) fail("cannot read operator_token_file " + settings["operator_token_file"]);
    std::getline(in, config.operator_token);
    config.operator_token = trim(config.operator_token);
    if (config.operator_token.empty()) fail("operator_token_file " + settings["operator_token_file"] + " is empty");
  }
  config.aggregate_cache_bytes = static_cast<std::size_t>(number(settings, "aggregate_cache_mb", 1, 1L << 20)) << 20;
  config.password_hashing.threads = static_cast<int>(number(settings, "password_hashing_threads", 1, 64));
  config.password_hashing.max_queued = static_cast<std::size_t>(number(settings, "password_hashing_queue", 1, 100000));
  config.limits.password_attempts_per_address = rate_limit(settings, "password_attempts_per_address");
  config.limits.sign_in_failures_per_account = rate_limit(settings, "sign_in_failures_per_account");
  config.limits.actions_per_member = rate_limit(settings, "actions_per_member");
  const std::string& relaxed = settings["relaxed_durability"];
  if (relaxed != "true" && relaxed != "false") fail("relaxed_durability must be true or false");
  config.sync = relaxed == "false";
  const std::string& format = settings["log_format"];
  if (format != "text" && format != "json") fail("log_format must be text or json");
  const auto log_format = format == "json" ? touchline::api::LogFormat::json : touchline::api::LogFormat::text;
  const std::string& log_requests = settings["log_requests"];
  if (log_requests != "true" && log_requests != "false") fail("log_requests must be true or false");
  // One fprintf a line: the C library writes it whole, however many threads log at once.
  config.log = [log_format](const std::string& message) {
    std::fprintf(stderr, "%s\n", touchline::api::format_message(log_format, now_ms(), message).c_str());
  };
  if (log_requests == "true") {
    config.request_log = [log_format](const touchline::api::RequestLog& r) {
      std::fprintf(stderr, "%s\n", touchline::api::format_request(log_format, now_ms(), r).c_str());
    };
  }
  if (settings.count("check_config")) {
    // What the server would run with; the token itself is never printed.
    std::cout << "# touchlined settings in effect"
              << (settings.count("config_file") ? " (config file " + settings["config_file"] + ")" : "") << "\n";
    for (const auto& s : kSettings) {
      const std::string key = s.key;
      if (key == "operator_token") {
        std::cout << "operator_token = " << (config.operator_token.empty() ? "(unset: operator endpoints closed)" : "(set)")
                  << "\n";
      } else if (settings.count(key)) {
        std::cout << key << " = " << settings[key] << "\n";
      }
    }
    return 0;
  }
  if (!config.sync) config.log("WARNING: relaxed durability: acknowledged writes may be lost on power loss");
  if (config.operator_token.empty()) config.log("no operator token set: GET /v1/events and operator commands are closed");
  if (settings.count("operator_token_on_command_line")) {
    config.log("WARNING: --operator-token on the command line is visible to every user of this machine (ps); "
               "use TOUCHLINE_OPERATOR_TOKEN, the config file or --operator-token-file");
  }

  // Block the stop signals in every thread the service starts; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) fail("cannot create data directory " + config.data_dir + ": " + ec.message());

  touchline::api::Service service;
  if (auto st = service.start(config); !st.ok()) {
    std::cerr << "touchlined: cannot start: " << st.error().message << "\n";
    return 1;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  config.log(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ", stopping");
  service.stop();
  config.log("stopped");
  return 0;
}
