// libFuzzer target: the command body decoders and the planners behind them, without a store.
// An input is a command name on its first line, the acting account id on its second, and the
// JSON body after (tests/fuzz/corpus/commands/ has one per command). Whatever the body, a
// planner answers a plan or a typed error naming a code, never a crash or an exception; every
// event it plans writes to a payload that reads back as the same event.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "support/given_state.h"
#include "touchline/api/commands/planners.h"
#include "touchline/events/domain_events.h"

using namespace touchline;
using api::commands::Plan;
using api::commands::PlanContext;

namespace {

// Two organisations of two role models, with staff and athletes (one with consent given), so
// that planners get past "not found" to their rules.
testing::GivenState history() {
  return {events::AccountRegistered{"coach", "c@x.io", "Coach", "coach"},
          events::AccountRegistered{"ada", "ada@x.io", "Ada", "athlete"},
          events::AccountRegistered{"owen", "owen@x.io", "Owen", "coach"},
          events::AccountRegistered{"amir", "amir@x.io", "Amir", "coach"},
          events::AccountRegistered{"ben", "ben@x.io", "Ben", "athlete"},
          events::AccountRegistered{"cara", "cara@x.io", "Cara", "coach"},
          events::OrganizationCreated{"org", "Harbour", "athlete-coach", "coach", "head_coach", 3},
          events::MemberAdded{"org", "ada", "athlete"},
          events::AthleteJoinedOrganization{"ada", "org"},
          events::ConsentGiven{"org", "ada"},
          events::OrganizationCreated{"club", "Riverside", "club", "owen", "owner", 1},
          events::MemberAdded{"club", "amir", "admin"},
          events::MemberAdded{"club", "ben", "athlete"},
          events::AthleteJoinedOrganization{"ben", "club"},
          events::CreditsAdded{"club", 100, 100},
          events::MembershipOffered{"club", "cara", "coach", "owen"}};
}

std::string_view next_line(std::string_view& rest) {
  auto end = rest.find('\n');
  auto line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  return line;
}

void check_plan(const Plan& plan) {
  for (const auto& event : plan.events) {
    auto reread = events::decode_event(events::event_type(event), events::event_schema(event),
                                       events::event_payload(event));
    if (!reread.ok() || !(*reread == event)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string name(next_line(rest));
  const std::string actor(next_line(rest));
  auto planner = api::commands::find_planner(name);
  if (!planner) return 0;
  const auto body = nlohmann::json::parse(rest, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;

  auto state = history();
  int ids = 0;
  PlanContext ctx{state, actor, 1'700'000'000'000, "192.0.2.7", actor == "operator",
                  [&ids] { return "new-" + std::to_string(++ids); },
                  [] { return std::string("secret"); },
                  [](const std::string&) -> Result<std::vector<std::string>> {
                    return std::vector<std::string>{"club"};
                  },
                  "$argon2id$made-before-planning",
                  [](std::string_view email) { return "key(" + std::string(email) + ")"; },
                  [](std::string_view text) -> Result<std::optional<std::string>> {
                    return std::optional<std::string>(std::string(text));
                  }};
  auto plan = planner(ctx, body);
  if (plan.ok()) {
    check_plan(*plan);
  } else if (plan.error().message.empty()) {
    std::abort();  // every refusal says why
  }
  return 0;
}
