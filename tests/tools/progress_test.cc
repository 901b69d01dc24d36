// The line long operator commands print as they go: count, share, rate and time left.
#include "progress.h"

#include <gtest/gtest.h>

namespace touchline::tools {
namespace {

TEST(Progress, SaysHowFarHowFastAndHowLongIsLeft) {
  EXPECT_EQ(Progress::describe("verify", "events", 250'000, 1'000'000, 0.5),
            "verify: 250,000 of 1,000,000 events (25%), 500,000/s, about 2 s left");
  EXPECT_EQ(Progress::describe("backup", "entries", 1'200'000, 90'000'000, 4.0),
            "backup: 1,200,000 of 90,000,000 entries (1%), 300,000/s, about 4 min 56 s left");
  EXPECT_EQ(Progress::describe("rebuild", "events", 10, 36'000'010, 1.0),
            "rebuild: 10 of 36,000,010 events (0%), 10/s, about 1000 h 0 min left");
}

TEST(Progress, WithoutATotalGivesTheCountAndRateOnly) {
  EXPECT_EQ(Progress::describe("verify f.export", "events", 999, 0, 1.0), "verify f.export: 999 events, 999/s");
}

TEST(Progress, BeforeAnythingIsDoneGivesNoRate) {
  EXPECT_EQ(Progress::describe("export", "events", 0, 5, 0.0), "export: 0 of 5 events (0%)");
}

TEST(Progress, DoneGivesNoTimeLeft) {
  EXPECT_EQ(Progress::describe("export", "events", 5, 5, 1.0), "export: 5 of 5 events (100%), 5/s");
}

}  // namespace
}  // namespace touchline::tools
