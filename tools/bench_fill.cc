// touchline_bench_fill: gives an organisation a long history, as setup for tools/http_bench.sh.
//
//   touchline_bench_fill --data DIR --organization ORG --actor ACCOUNT --events N
//                        [--target ACCOUNT] [--permission P] [--batch N]
//
// Appends N ActionRecorded events to the organisation's stream ("organization-<ORG>"), each the
// one POST /v1/actions would record for ACCOUNT viewing TARGET's data (action
// athlete_data.viewed, permission athletes.view_activities unless --permission says otherwise;
// TARGET defaults to ACCOUNT). The event is decided by the domain from the organisation's state
// as folded from its stream, so it is exactly what the server records (allowed or not, with the
// check's reason); the tool refuses when the domain refuses (unknown organisation, an actor or
// target who is not a member).
//
// The server must be stopped (RocksDB's lock says so if it is not). The directory must already
// hold a Touchline log. Appends go in batches of --batch events (default 1,000), with
// ExpectedVersion::any() and without syncing each one (sync=false: this is setup, not what is
// measured); the store is closed cleanly at the end, so everything is on disk when it exits.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "touchline/domain/actions.h"
#include "touchline/domain/organization.h"
#include "touchline/events/domain_events.h"
#include "touchline/store/event_store.h"

namespace {

using namespace touchline;

int usage() {
  std::cerr << "usage: touchline_bench_fill --data DIR --organization ORG --actor ACCOUNT --events N\n"
               "                            [--target ACCOUNT] [--permission P] [--batch N]\n";
  return 2;
}

long long count(const std::string& flag, const std::string& v, long long min) {
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < min) {
    std::cerr << "touchline_bench_fill: " << flag << " must be a whole number of at least " << min << "\n";
    std::exit(2);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args{{"--permission", "athletes.view_activities"}, {"--batch", "1000"}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") return usage(), 0;
    if (i + 1 >= argc || (a != "--data" && a != "--organization" && a != "--actor" && a != "--events" &&
                          a != "--target" && a != "--permission" && a != "--batch")) {
      std::cerr << "touchline_bench_fill: unexpected argument '" << a << "'\n";
      return usage();
    }
    args[a] = argv[++i];
  }
  for (const char* required : {"--data", "--organization", "--actor", "--events"}) {
    if (!args.count(required)) {
      std::cerr << "touchline_bench_fill: " << required << " is required\n";
      return usage();
    }
  }
  const std::string dir = args["--data"];
  const std::string org_id = args["--organization"];
  const std::string actor = args["--actor"];
  const std::string target = args.count("--target") ? args["--target"] : actor;
  const long long total = count("--events", args["--events"], 0);
  const long long batch = count("--batch", args["--batch"], 1);

  store::StoreOptions o;
  o.path = dir;
  o.sync = false;               // setup, not what is measured
  o.create_if_missing = false;  // a mistyped path is an error, not a new empty log
  auto opened = store::EventStore::open(o);
  if (!opened.ok()) {
    std::cerr << "touchline_bench_fill: cannot open " << dir << ": " << opened.error().message << "\n";
    if (opened.error().code == ErrorCode::internal) {
      std::cerr << "touchline_bench_fill: stop the server using " << dir << " first\n";
    }
    return 1;
  }
  auto& log = **opened;

  // The organisation as the server would load it, and the event it would decide.
  const std::string stream = events::organization_stream(org_id);
  auto stored = log.read_stream(stream);
  if (!stored.ok()) {
    std::cerr << "touchline_bench_fill: cannot read " << stream << ": " << stored.error().message << "\n";
    return 1;
  }
  domain::OrganizationState org;
  for (const auto& env : *stored) {
    auto e = events::decode_event(env.type, env.schema_version, env.payload);
    if (!e.ok()) {
      std::cerr << "touchline_bench_fill: event " << env.position << ": " << e.error().message << "\n";
      return 1;
    }
    org = domain::evolve(std::move(org), *e);
  }
  domain::RecordAction cmd;
  cmd.organization_id = org_id;
  cmd.action = "athlete_data.viewed";
  cmd.target = target;
  cmd.permission = args["--permission"];
  cmd.client_ip = "127.0.0.1";
  auto decided = domain::decide(org, nullptr, actor, cmd);
  if (!decided.ok()) {
    std::cerr << "touchline_bench_fill: the domain refuses the action: " << decided.error().message << "\n";
    return 1;
  }
  const auto& recorded = std::get<events::ActionRecorded>(decided->at(0));
  std::cerr << "touchline_bench_fill: " << stream << " holds " << stored->size() << " events; appending "
            << total << " ActionRecorded (" << recorded.action << " by " << actor << " on " << target
            << ", allowed=" << (recorded.allowed ? "true" : "false") << ")\n";
  const store::NewEvent event{std::string(events::event_type(decided->at(0))), events::event_schema(decided->at(0)),
                              events::event_payload(decided->at(0))};

  const auto start = std::chrono::steady_clock::now();
  long long written = 0;
  long long next_report = 10000;
  while (written < total) {
    const long long n = std::min(batch, total - written);
    store::AppendRequest r;
    r.streams.push_back({stream, store::ExpectedVersion::any(), std::vector<store::NewEvent>(n, event)});
    const std::string id = "bench-fill-" + std::to_string(written);
    r.metadata = {actor, id, id, id};
    auto appended = log.append(std::move(r));
    if (!appended.ok()) {
      std::cerr << "touchline_bench_fill: append failed after " << written << " events: "
                << appended.error().message << "\n";
      return 1;
    }
    written += n;
    while (written >= next_report) {
      std::cerr << "touchline_bench_fill: " << next_report << " events appended\n";
      next_report += 10000;
    }
  }
  const std::uint64_t head = log.head_position();
  const auto version = log.stream_version(stream);
  log.stop();
  if (!version.ok()) {
    std::cerr << "touchline_bench_fill: " << version.error().message << "\n";
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "touchline_bench_fill: appended " << written << " events in " << seconds << " s; "
            << stream << " now holds " << *version << " events, log head " << head << "\n";
  return 0;
}
