// Many clients on one organisation get the answers a one-at-a-time run gives. 64 clients send a
// mix of commands to one club at once (credits added and spent, settings switched, athletes
// assigned, actions recorded, and one Idempotency-Key shared by all); then every command the log
// holds is sent again, one at a time and in log order, to a fresh service with the same starting
// events. The two logs must be the same events, each acknowledged command must be in the log
// where its answer said, and a refusal is only ever a rule's, never a conflict or a failure.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "support/command_harness.h"
#include "touchline/api/queries.h"

namespace touchline::testing {
namespace {

using nlohmann::json;

std::vector<events::DomainEvent> club() {
  std::vector<events::DomainEvent> out{events::AccountRegistered{"owner", "o@x.io", "Owner", "coach"},
                                       events::OrganizationCreated{"t", "Harbour FC", "club", "owner", "owner", 2},
                                       events::OrganizationTierChanged{"t", "club", "free"}};
  for (int c = 0; c < 4; ++c) {
    const std::string id = "coach" + std::to_string(c);
    out.push_back(events::AccountRegistered{id, id + "@x.io", id, "coach"});
    out.push_back(events::MemberAdded{"t", id, "coach"});
  }
  for (int a = 0; a < 8; ++a) {
    const std::string id = "athlete" + std::to_string(a);
    out.push_back(events::AccountRegistered{id, id + "@x.io", id, "athlete"});
    out.push_back(events::MemberAdded{"t", id, "athlete"});
    out.push_back(events::AthleteJoinedOrganization{id, "t"});
  }
  return out;
}

struct Sent {
  std::string name, actor, key, correlation;
  json body;
  std::optional<Result<api::CommandResponse>> answer = std::nullopt;
};

Sent command(std::string name, std::string actor, std::string correlation, json body, std::string key = "") {
  return Sent{std::move(name), std::move(actor), std::move(key), std::move(correlation), std::move(body)};
}

// One client's next command, drawn from its own seeded generator.
Sent next_command(std::mt19937& rng, int client, int seq) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::string coach = "coach" + std::to_string(pick(4));
  const std::string athlete = "athlete" + std::to_string(pick(8));
  const std::string correlation = "c" + std::to_string(client) + "-" + std::to_string(seq);
  switch (pick(6)) {
    case 0:
      return command("AddCredits", "owner", correlation, {{"organization_id", "t"}, {"amount", 1 + pick(5)}});
    case 1:
      return command("SpendCredits", coach, correlation, {{"organization_id", "t"}, {"amount", 1 + pick(8)}});
    case 2:
      return command("ChangeOrganizationSetting", "owner", correlation,
                     {{"organization_id", "t"}, {"setting", "admin_document_visibility"}, {"enabled", pick(2) == 0}});
    case 3:
      return command("AssignAthlete", "owner", correlation,
                     {{"organization_id", "t"}, {"athlete_id", athlete}, {"coach_id", coach}});
    case 4:
      return command("UnassignAthlete", "owner", correlation, {{"organization_id", "t"}, {"athlete_id", athlete}});
    default:
      return command("RecordAction", coach, correlation,
                     {{"organization_id", "t"},
                      {"action", pick(2) == 0 ? "refund.issued" : "setup.changed"},
                      {"target", athlete}});
  }
}

// The log after the starting events, as (correlation id, events) in log order.
struct Logged {
  std::string correlation;
  std::uint64_t last_position = 0;
  std::vector<json> events;  // stream, version, type, payload, actor
};

// Payloads with what they seal opened: sealing draws a random nonce, so two runs seal the same
// text differently.
std::vector<Logged> commands_in_log(CommandHarness& harness, std::uint64_t after) {
  auto all = harness.log().read_all(after, SIZE_MAX);
  EXPECT_TRUE(all.ok());
  std::vector<Logged> out;
  for (const auto& e : *all) {
    if (out.empty() || out.back().correlation != e.correlation_id) out.push_back({e.correlation_id, 0, {}});
    out.back().last_position = e.position;
    json payload = e.payload;
    EXPECT_TRUE(api::queries::open_personal_data(payload, harness.personal()).ok());
    out.back().events.push_back({{"stream", e.stream}, {"version", e.stream_version}, {"type", e.type},
                                 {"payload", payload}, {"actor", e.actor}});
  }
  return out;
}

json without_position(json body) {
  body.erase("position");
  return body;
}

TEST(CommandConcurrency, SixtyFourClientsOnOneOrganisationAnswerAsOneAtATime) {
  constexpr int kClients = 64;
  constexpr int kPerClient = 25;
  CommandHarness concurrent({}, /*sync=*/true);
  concurrent.append(club());
  const std::uint64_t start = concurrent.log().head_position();

  std::vector<std::vector<Sent>> sent(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(static_cast<unsigned>(1000 + c));
      // Every client first sends the same keyed request: it is decided once.
      Sent shared = command("AddCredits", "owner", "shared-" + std::to_string(c),
                            {{"organization_id", "t"}, {"amount", 50}}, "top-up");
      shared.answer = concurrent.run(shared.name, shared.body, shared.actor, shared.key, shared.correlation);
      sent[c].push_back(std::move(shared));
      for (int i = 0; i < kPerClient; ++i) {
        Sent s = next_command(rng, c, i);
        s.answer = concurrent.run(s.name, s.body, s.actor, s.key, s.correlation);
        sent[c].push_back(std::move(s));
      }
    });
  }
  for (auto& t : clients) t.join();

  const auto logged = commands_in_log(concurrent, start);
  std::map<std::string, const Logged*> by_correlation;
  for (const auto& l : logged) {
    EXPECT_TRUE(by_correlation.emplace(l.correlation, &l).second) << "one command's events are not contiguous";
  }
  std::map<std::string, const Sent*> sent_by_correlation;
  std::set<std::string> refusal_codes;
  int acknowledged = 0, replayed = 0, noops = 0;
  json shared_answer;
  for (const auto& client : sent) {
    for (const auto& s : client) {
      sent_by_correlation[s.correlation] = &s;
      ASSERT_TRUE(s.answer.has_value());
      const auto& r = *s.answer;
      if (!r.ok()) {
        refusal_codes.insert(std::string(error_code_name(r.error().code)));
        EXPECT_FALSE(by_correlation.contains(s.correlation)) << "a refused command is in the log";
        continue;
      }
      if (!s.key.empty()) {
        if (shared_answer.is_null()) shared_answer = r->body;
        EXPECT_EQ(r->body, shared_answer) << "a retry answered differently from the original";
        if (r->replayed) ++replayed;
        continue;
      }
      auto in_log = by_correlation.find(s.correlation);
      if (in_log == by_correlation.end()) {
        ++noops;  // the state already was what it asked for: nothing to record
        EXPECT_TRUE(s.name == "ChangeOrganizationSetting" || s.name == "UnassignAthlete") << s.correlation;
        continue;
      }
      ++acknowledged;
      EXPECT_EQ(r->body["position"].get<std::uint64_t>(), in_log->second->last_position) << s.correlation;
    }
  }
  EXPECT_EQ(replayed, kClients - 1);
  RecordProperty("acknowledged", acknowledged);
  RecordProperty("noops", noops);
  std::printf("acknowledged %d, nothing to record %d, refusals of kinds %zu, replays %d\n", acknowledged, noops,
              refusal_codes.size(), replayed);
  EXPECT_GT(acknowledged, kClients * kPerClient / 2);
  for (const auto& code : refusal_codes) {
    EXPECT_TRUE(code == "failed_precondition" || code == "permission_denied" || code == "not_found")
        << "a refusal that is not a rule's: " << code;
  }

  // The same commands, one at a time, in the order the log holds them.
  CommandHarness serial({}, /*sync=*/false);
  serial.append(club());
  for (const auto& l : logged) {
    const Sent& s = *sent_by_correlation.at(l.correlation);
    auto r = serial.run(s.name, s.body, s.actor, s.key, s.correlation);
    ASSERT_TRUE(r.ok()) << l.correlation << ": " << r.error().message;
    EXPECT_EQ(without_position(r->body), without_position(s.answer->value().body)) << l.correlation;
  }
  const auto replayed_log = commands_in_log(serial, start);
  ASSERT_EQ(replayed_log.size(), logged.size());
  for (std::size_t i = 0; i < logged.size(); ++i) {
    EXPECT_EQ(replayed_log[i].events, logged[i].events) << logged[i].correlation;
  }

  // And the rules held throughout: the credit pool never went below zero.
  auto stream = concurrent.log().read_stream("organization-t");
  ASSERT_TRUE(stream.ok());
  domain::OrganizationState org;
  for (const auto& e : *stream) {
    org = domain::evolve(std::move(org), *events::decode_event(e.type, e.schema_version, e.payload));
    EXPECT_GE(org.credits, 0);
  }
}

}  // namespace
}  // namespace touchline::testing
