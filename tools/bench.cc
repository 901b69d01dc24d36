// touchline_bench: the hot paths, measured.
//   BM_DurableAppend   synced appends (one event each) through the group-committing writer,
//                      with 1 and 64 concurrent writers; items/s = durable appends per second
//   BM_Append          the same unsynced: what the writer itself costs per append (encoding,
//                      the hash chain and Merkle tree, the batch), without the disk's fsync
//   BM_DurableAppendTakingTurn  one writer's synced appends, each written on its own thread
//                      (EventStore::append_taking_turn), without the writer thread's hand-offs
//   BM_Check           in-memory permission checks against an organisation of 1,000 members
//   BM_Replay          events per second folded into the permission projection from position 0
//   BM_AuditRareFilter one page of an organisation's audit log whose filter (an actor) matches 10
//                      of its 100,000 entries
// Run: build/tools/touchline_bench [--benchmark_filter=...]. Data goes to a fresh temp directory.
#include <benchmark/benchmark.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>

#include "touchline/events/domain_events.h"
#include "touchline/projections/audit_projection.h"
#include "touchline/projections/permission_projection.h"
#include "touchline/projections/runner.h"
#include "touchline/store/event_store.h"
#include "touchline/store/personal_data.h"

namespace {

using namespace touchline;

std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "touchline-bench-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) std::abort();
  return tmpl;
}

std::unique_ptr<store::EventStore> open_store(const std::string& dir, bool sync) {
  store::StoreOptions o;
  o.path = dir;
  o.sync = sync;
  auto s = store::EventStore::open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "open failed: %s\n", s.error().message.c_str());
    std::abort();
  }
  return std::move(*s);
}

store::NewEvent as_new_event(const events::DomainEvent& e) {
  return {std::string(events::event_type(e)), events::event_schema(e), events::event_payload(e)};
}

store::AppendRequest one_event(const std::string& stream, const events::DomainEvent& e) {
  store::AppendRequest r;
  r.streams.push_back({stream, store::ExpectedVersion::any(), {as_new_event(e)}});
  r.metadata = {"bench", "cmd", "corr", "cmd"};
  return r;
}

// One store shared by every thread of a BM_DurableAppend or BM_Append run, so that their appends
// meet in the writer's queue and are group-committed as they would be under a server.
store::EventStore* g_append_store = nullptr;
std::string g_append_dir;

void append_one_event_each(benchmark::State& state, bool sync) {
  if (state.thread_index() == 0) {
    g_append_dir = temp_dir();
    g_append_store = open_store(g_append_dir, sync).release();
  }
  // Google Benchmark starts the timed loop on all threads together after setup.
  const std::string stream = "organization-bench-" + std::to_string(state.thread_index());
  events::DomainEvent e = events::MemberAdded{"bench", "account-x", "athlete"};
  for (auto _ : state) {
    auto r = g_append_store->append(one_event(stream, e));
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete g_append_store;
    std::filesystem::remove_all(g_append_dir);
  }
}
void BM_DurableAppend(benchmark::State& state) { append_one_event_each(state, true); }
BENCHMARK(BM_DurableAppend)->Threads(1)->Threads(64)->UseRealTime()->MinTime(3.0);

// One writer's synced appends through append_taking_turn: each written on the benchmark's own
// thread, without the hand-offs to the writer thread and back that `append` pays (a command that
// finds the writer idle takes this path). What is left is the store's own work and the sync.
void BM_DurableAppendTakingTurn(benchmark::State& state) {
  const std::string dir = temp_dir();
  auto store = open_store(dir, true);
  events::DomainEvent e = events::MemberAdded{"bench", "account-x", "athlete"};
  for (auto _ : state) {
    std::promise<Result<store::AppendResult>> answer;
    auto turn = store->append_taking_turn(one_event("organization-bench", e),
                                          [&answer](Result<store::AppendResult> r) { answer.set_value(std::move(r)); });
    turn.write();
    auto r = answer.get_future().get();
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_DurableAppendTakingTurn)->UseRealTime()->MinTime(3.0);

void BM_Append(benchmark::State& state) { append_one_event_each(state, false); }
BENCHMARK(BM_Append)->Threads(1)->Threads(64)->UseRealTime()->MinTime(3.0);

domain::OrganizationState big_organization(int members) {
  domain::OrganizationState org;
  org = domain::evolve(org, events::OrganizationCreated{"org", "Bench Club", "athlete-coach", "head", "head_coach"});
  for (int i = 0; i < members; ++i) {
    const std::string id = "member-" + std::to_string(i);
    org = domain::evolve(org, events::MemberAdded{"org", id, i % 10 == 0 ? "assistant_coach" : "athlete"});
    if (i % 10 != 0) {
      org = domain::evolve(org, events::AthleteAssigned{"org", id, "member-" + std::to_string(i / 10 * 10), ""});
    }
  }
  return org;
}

void BM_Check(benchmark::State& state) {
  const std::string dir = temp_dir();
  auto log = open_store(dir, false);
  // Fill the projection through the log, as the server does.
  const auto org = big_organization(1000);
  projections::PermissionProjection permissions;
  {
    store::AppendRequest r;
    std::vector<store::NewEvent> events;
    events.push_back(as_new_event(events::OrganizationCreated{"org", "Bench Club", "athlete-coach", "head", "head_coach"}));
    for (const auto& [id, role] : org.members) {
      if (id != "head") events.push_back(as_new_event(events::MemberAdded{"org", id, role}));
    }
    for (const auto& [athlete, coach] : org.assignments) {
      events.push_back(as_new_event(events::AthleteAssigned{"org", athlete, coach, ""}));
    }
    r.streams.push_back({"organization-org", store::ExpectedVersion::no_stream(), std::move(events)});
    r.metadata = {"bench", "cmd", "corr", "cmd"};
    if (!log->append(std::move(r)).ok()) std::abort();
    projections::ProjectionRunner runner(*log, permissions);
    if (!runner.rebuild().ok()) std::abort();
  }
  const std::string perms[] = {"plans.assign", "athletes.view_activities", "members.manage", "activities.log_own"};
  // The ids as a request carries them: made before the loop, so it measures the check alone.
  std::vector<std::string> ids;
  for (int m = 0; m < 1000; ++m) ids.push_back("member-" + std::to_string(m));
  const std::string organization = "org";
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& subject = ids[(i * 7) % 1000];
    const std::string& target = ids[(i * 13) % 1000];
    auto d = permissions.check(organization, subject, perms[i % 4], target);
    benchmark::DoNotOptimize(d);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Check);

void BM_Replay(benchmark::State& state) {
  const std::string dir = temp_dir();
  auto log = open_store(dir, false);  // the fill is setup, not what is measured
  const int organizations = 100;
  const int members_per_org = static_cast<int>(state.range(0)) / organizations;
  for (int o = 0; o < organizations; ++o) {
    const std::string org = "org-" + std::to_string(o);
    store::AppendRequest r;
    std::vector<store::NewEvent> events;
    events.push_back(as_new_event(events::OrganizationCreated{org, "Club", "athlete-coach", "head", "head_coach"}));
    for (int m = 1; m < members_per_org; ++m) {
      events.push_back(as_new_event(events::MemberAdded{org, "m" + std::to_string(m), "athlete"}));
    }
    r.streams.push_back({"organization-" + org, store::ExpectedVersion::no_stream(), std::move(events)});
    r.metadata = {"bench", "cmd", "corr", "cmd"};
    if (!log->append(std::move(r)).ok()) std::abort();
  }
  for (auto _ : state) {
    projections::PermissionProjection permissions;
    projections::ProjectionRunner runner(*log, permissions);
    if (!runner.rebuild().ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(log->head_position()));
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Replay)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

// An organisation whose audit log holds 100,000 entries, 10 of them by one rare actor (every
// 10,000th); each iteration reads the page an auditor asks for with ?actor=<the rare one>.
void BM_AuditRareFilter(benchmark::State& state) {
  const std::string dir = temp_dir();
  auto log = open_store(dir, false);  // the fill is setup, not what is measured
  const std::string org = "org";
  int entries = 0;
  auto append = [&](const std::string& actor, int count) {
    store::AppendRequest r;
    std::vector<store::NewEvent> events;
    for (int i = 0; i < count; ++i, ++entries) {
      events.push_back(entries == 0 ? as_new_event(events::OrganizationCreated{org, "Club", "athlete-coach", "head", "head_coach"})
                                    : as_new_event(events::OrganizationSettingChanged{org, "setting", entries % 2 == 0}));
    }
    r.streams.push_back({"organization-" + org, store::ExpectedVersion::any(), std::move(events)});
    r.metadata = {actor, "cmd", "corr", "cmd"};
    if (!log->append(std::move(r)).ok()) std::abort();
  };
  for (int block = 0; block < 100; ++block) {  // 100 blocks of 1,000 entries; every tenth has one rare
    if (block % 10 == 5) {
      append("rare", 1);
      append("busy", 999);
    } else {
      append("busy", 1000);
    }
  }
  store::StateStore state_store(*log, projections::AuditProjection::kName);
  projections::AuditProjection audit(state_store, *log);
  projections::ProjectionRunner runner(*log, audit);
  if (!runner.rebuild().ok()) std::abort();
  projections::AuditFilter filter;
  filter.actor = "rare";
  std::size_t found = 0;
  for (auto _ : state) {
    auto page = audit.page(org, 0, 50, filter);
    if (!page.ok()) std::abort();
    found = page->entries.size();
    benchmark::DoNotOptimize(found);
  }
  state.counters["entries_found"] = static_cast<double>(found);
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AuditRareFilter)->Unit(benchmark::kMillisecond)->UseRealTime();

// What sealing adds to a recorded athlete-access action: its client address sealed under the
// actor's key (held in memory after the first), then opened again as a read shows it.
void BM_SealClientAddress(benchmark::State& state) {
  const std::string dir = temp_dir();
  auto log = open_store(dir, false);
  store::PersonalData personal(*log, store::PersonalData::new_key());
  std::vector<store::SecretWrite> secrets;
  std::string sealed;
  for (auto _ : state) {
    auto s = personal.seal("account-7b8fa1d837b598c57358a962894d563a", "203.0.113.7", secrets);
    if (!s.ok()) std::abort();
    sealed = std::move(*s);
    benchmark::DoNotOptimize(sealed);
  }
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SealClientAddress);

void BM_OpenClientAddress(benchmark::State& state) {
  const std::string dir = temp_dir();
  auto log = open_store(dir, false);
  store::PersonalData personal(*log, store::PersonalData::new_key());
  std::vector<store::SecretWrite> secrets;
  const std::string sealed = *personal.seal("account-7b8fa1d837b598c57358a962894d563a", "203.0.113.7", secrets);
  for (auto _ : state) {
    auto opened = personal.open(sealed);
    if (!opened.ok() || !*opened) std::abort();
    benchmark::DoNotOptimize(opened);
  }
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_OpenClientAddress);

}  // namespace

BENCHMARK_MAIN();
