// touchline_history_bench: what a read of the past costs (at_position, at_time), on a real log.
//
//   touchline_history_bench --data DIR --organization ORG --subject ACCOUNT --permission P
//                           [--target ACCOUNT] [--samples N] [--seed N]
//
// Opens DIR read-only (beside a running server, or after tools/replay_bench.sh's rebuild has
// written the permission projection's history rows), then for each of N positions drawn at
// random from 1..head (default 200, seed 1) times what POST /v1/check with at_position does
// before it renders: PermissionHistory::at for the organisation, the subject and the target, and
// the check on that view. Then the same for N random times between the first event's and the
// last's (at_time: the search for the position, then the same read). Prints the latency
// distribution of each in milliseconds, against the target of 50 ms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "touchline/projections/permission_history.h"
#include "touchline/store/event_store.h"

namespace {

using namespace touchline;
using Clock = std::chrono::steady_clock;

int usage() {
  std::cerr << "usage: touchline_history_bench --data DIR --organization ORG --subject ACCOUNT --permission P\n"
               "                               [--target ACCOUNT] [--samples N] [--seed N]\n";
  return 2;
}

void report(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&ms](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))]; };
  double sum = 0;
  for (double v : ms) sum += v;
  std::printf("%-34s %6zu samples  mean %7.2f  p50 %7.2f  p99 %7.2f  max %7.2f ms  (target < 50 ms: %s)\n", what,
              ms.size(), sum / ms.size(), at(0.5), at(0.99), ms.back(), ms.back() < 50 ? "pass" : "FAIL");
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args{{"--samples", "200"}, {"--seed", "1"}, {"--target", ""}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") return usage(), 0;
    if (i + 1 >= argc || !(a == "--data" || a == "--organization" || a == "--subject" || a == "--permission" ||
                           a == "--target" || a == "--samples" || a == "--seed")) {
      std::cerr << "touchline_history_bench: unexpected argument '" << a << "'\n";
      return usage();
    }
    args[a] = argv[++i];
  }
  for (const char* required : {"--data", "--organization", "--subject", "--permission"}) {
    if (!args.count(required)) return usage();
  }
  const long samples = std::atol(args["--samples"].c_str());
  if (samples < 1) return usage();

  store::StoreOptions o;
  o.path = args["--data"];
  o.read_only = true;
  o.create_if_missing = false;
  auto log = store::EventStore::open(o);
  if (!log.ok()) {
    std::cerr << "touchline_history_bench: cannot open " << o.path << ": " << log.error().message << "\n";
    return 1;
  }
  const std::uint64_t head = (*log)->head_position();
  if (head == 0) {
    std::cerr << "touchline_history_bench: the log is empty\n";
    return 1;
  }
  projections::PermissionHistory history(**log);
  const std::string org = args["--organization"], subject = args["--subject"], target = args["--target"];
  projections::PastRead read{.organizations = {org}, .accounts = {subject}, .members_privacy = false};
  if (!target.empty()) read.accounts.push_back(target);

  std::mt19937_64 random(std::strtoull(args["--seed"].c_str(), nullptr, 10));
  std::uniform_int_distribution<std::uint64_t> any_position(1, head);
  std::size_t allowed = 0;
  auto check_at = [&](std::uint64_t position) {
    auto view = history.at(position, read);
    if (!view.ok()) {
      std::cerr << "touchline_history_bench: at position " << position << ": " << view.error().message << "\n";
      std::exit(1);
    }
    auto decision = view->check(org, subject, args["--permission"], target);
    if (decision && decision->allowed) ++allowed;
  };
  std::vector<double> by_position;
  for (long i = 0; i < samples; ++i) {
    const std::uint64_t position = any_position(random);
    const auto start = Clock::now();
    check_at(position);
    by_position.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }

  auto time_of = [&](std::uint64_t position) { return (*log)->read_all(position - 1, 1).value().front().recorded_at_ms; };
  std::uniform_int_distribution<std::int64_t> any_time(time_of(1), time_of(head));
  std::vector<double> by_time;
  for (long i = 0; i < samples; ++i) {
    const std::int64_t t = any_time(random);
    const auto start = Clock::now();
    auto position = history.position_at_time(t);
    if (!position.ok()) {
      std::cerr << "touchline_history_bench: at time " << t << ": " << position.error().message << "\n";
      return 1;
    }
    check_at(*position);
    by_time.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::printf("a log of %llu events; %zu of %ld checks allowed\n", static_cast<unsigned long long>(head), allowed,
              2 * samples);
  report("check at a random position", by_position);
  report("check at a random time", by_time);
  return 0;
}
