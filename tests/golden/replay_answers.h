// Answers replayed from a golden log's dump: after each event of an organisation's stream, the
// organisation's state, and from it every check's answer. Header-only and using only the domain's
// oldest public API (decode_event, evolve, check), so the same code computes the answers with the
// build that wrote a log and with every later build.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "touchline/domain/authorizer.h"
#include "touchline/domain/organization.h"
#include "touchline/events/domain_events.h"

namespace touchline::golden {

struct Snapshot {
  std::uint64_t position = 0;
  domain::OrganizationState org;
};

// One snapshot per event on an organisation stream, in log order.
inline std::vector<Snapshot> organisation_snapshots(std::istream& ndjson) {
  std::vector<Snapshot> out;
  std::map<std::string, domain::OrganizationState> orgs;
  for (std::string line; std::getline(ndjson, line);) {
    if (line.empty()) continue;
    const auto e = nlohmann::json::parse(line);
    const std::string stream = e.at("stream").get<std::string>();
    if (stream.rfind("organization-", 0) != 0) continue;
    auto decoded = events::decode_event(e.at("type").get<std::string>(),
                                        e.at("schema_version").get<std::uint32_t>(), e.at("payload"));
    if (!decoded.ok()) throw std::runtime_error(decoded.error().message);
    auto& org = orgs[stream];
    org = domain::evolve(std::move(org), *decoded);
    out.push_back({e.at("position").get<std::uint64_t>(), org});
  }
  return out;
}

// "<position> <organization> <subject> <permission> <target or -> <allow|deny>", one line per
// member x permission x target (none, or any member), for every snapshot.
inline void write_answers(const std::vector<Snapshot>& snapshots, std::ostream& out) {
  for (const auto& s : snapshots) {
    for (const auto& [subject, role] : s.org.members) {
      for (const auto& [permission, info] : domain::permission_catalogue()) {
        std::vector<std::string> targets{""};
        for (const auto& [member, r] : s.org.members) targets.push_back(member);
        for (const auto& target : targets) {
          const bool allowed = domain::check(s.org, subject, permission, target).allowed;
          out << s.position << ' ' << s.org.id << ' ' << subject << ' ' << permission << ' '
              << (target.empty() ? "-" : target) << ' ' << (allowed ? "allow" : "deny") << '\n';
        }
      }
    }
  }
}

}  // namespace touchline::golden
