// An exported log checked offline (touchline verify --file): an untouched export passes; a
// changed byte, a dropped event, two events swapped, a changed or missing head, another key are
// each caught, at the position they happen.
#include "touchline/store/export.h"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"
#include "touchline/store/event_store.h"

namespace touchline::store {
namespace {

using testing::ev;
using testing::one;
using testing::open_store;
using testing::options_for;
using testing::TempDir;

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = open_store(options_for(dir_.path()));
    ASSERT_TRUE(log_);
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(log_->append(one("s" + std::to_string(i % 3), ExpectedVersion::any(),
                                   {ev("Happened", {{"i", i}, {"name", "Zoë " + std::to_string(i)}})}))
                      .ok());
    }
    std::ostringstream out;
    auto head = export_log(*log_, signer_, 1'700'000'000'123, out);
    ASSERT_TRUE(head.ok()) << head.error().message;
    EXPECT_EQ(head->head.size, 30u);
    std::istringstream lines(out.str());
    for (std::string line; std::getline(lines, line);) lines_.push_back(line);
  }

  ExportReport verify(const std::vector<std::string>& lines, std::optional<Ed25519PublicKey> key = std::nullopt) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    std::istringstream in(text);
    return verify_export(in, key);
  }

  TempDir dir_;
  std::unique_ptr<EventStore> log_;
  TreeHeadSigner signer_{std::string(32, '\x42')};
  std::vector<std::string> lines_;  // header, 30 events, head
};

TEST_F(ExportTest, AnUntouchedExportPasses) {
  ASSERT_EQ(lines_.size(), 32u);
  auto r = verify(lines_, signer_.public_key());
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.events_checked, 30u);
  ASSERT_TRUE(r.head);
  EXPECT_EQ(r.head->head.root, *log_->merkle_root(30));
  EXPECT_EQ(r.head->head.timestamp_ms, 1'700'000'000'123);
  EXPECT_FALSE(r.key_from_file);
  auto with_files_key = verify(lines_);
  EXPECT_TRUE(with_files_key.ok) << with_files_key.problem;
  EXPECT_TRUE(with_files_key.key_from_file);
  EXPECT_EQ(with_files_key.public_key, signer_.public_key());
}

TEST_F(ExportTest, AnEventReEncodedWithTheSameMeaningStillPasses) {
  auto lines = lines_;
  auto j = nlohmann::json::parse(lines[5]);
  lines[5] = j.dump(2);  // indented, on several lines: joined back onto one
  std::string one_line;
  for (char c : lines[5]) one_line += c == '\n' ? ' ' : c;
  lines[5] = one_line;
  auto r = verify(lines, signer_.public_key());
  EXPECT_TRUE(r.ok) << r.problem;
}

TEST_F(ExportTest, AChangedByteIsFoundAtItsPosition) {
  auto lines = lines_;
  const auto at = lines[7].find("Zo");
  ASSERT_NE(at, std::string::npos);
  lines[7][at] = 'X';  // the event at position 7
  auto r = verify(lines, signer_.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 7u) << r.problem;
  EXPECT_EQ(r.events_checked, 6u);
}

TEST_F(ExportTest, ADroppedEventIsFoundAtItsPosition) {
  auto lines = lines_;
  lines.erase(lines.begin() + 12);  // position 12
  auto r = verify(lines, signer_.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 12u) << r.problem;

  auto last = lines_;
  last.erase(last.end() - 2);  // position 30, the last: the chain alone cannot tell
  auto t = verify(last, signer_.public_key());
  EXPECT_FALSE(t.ok);
  EXPECT_EQ(t.first_bad_position, 30u) << t.problem;
  EXPECT_NE(t.problem.find("covers 30 events but the file holds 29"), std::string::npos) << t.problem;
}

TEST_F(ExportTest, TwoSwappedEventsAreFoundAtTheFirst) {
  auto lines = lines_;
  std::swap(lines[20], lines[21]);  // positions 20 and 21
  auto r = verify(lines, signer_.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 20u) << r.problem;
}

TEST_F(ExportTest, TheHeadMustBeThereSignedByTheKeyAndOfTheseEvents) {
  auto no_head = lines_;
  no_head.pop_back();
  auto r = verify(no_head, signer_.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 31u);
  EXPECT_NE(r.problem.find("without its signed tree head"), std::string::npos) << r.problem;

  auto later = lines_;
  auto head = nlohmann::json::parse(later.back());
  head["tree_head"]["timestamp"] = head["tree_head"]["timestamp"].get<std::int64_t>() + 1;
  later.back() = head.dump();
  r = verify(later, signer_.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("signature does not verify"), std::string::npos) << r.problem;

  const TreeHeadSigner other(std::string(32, '\x43'));
  r = verify(lines_, other.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("the given public key"), std::string::npos) << r.problem;

  // A head honestly signed, but over other events (a longer log's): the root gives it away.
  ASSERT_TRUE(log_->append(one("s0", ExpectedVersion::any(), {ev("More")})).ok());
  auto longer = signer_.sign(TreeHead{30, *log_->merkle_root(31), 5});
  auto swapped_head = lines_;
  swapped_head.back() = nlohmann::json{{"tree_head", to_json(longer)}}.dump();
  r = verify(swapped_head, signer_.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("do not hash to the signed head's Merkle root"), std::string::npos) << r.problem;

  auto trailing = lines_;
  trailing.push_back("{}");
  r = verify(trailing, signer_.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("goes on after"), std::string::npos) << r.problem;
}

TEST_F(ExportTest, AFileThatIsNotAnExportIsRefusedAtItsHeader) {
  for (const std::string header : {"", "not json", R"({"format":"something-else","version":1})",
                                   R"({"format":"touchline-export","version":2,"public_key":"00"})",
                                   R"({"format":"touchline-export","version":1,"public_key":"zz"})",
                                   R"({"format":"touchline-export","version":"1"})"}) {
    auto lines = lines_;
    lines[0] = header;
    auto r = verify(lines, signer_.public_key());
    EXPECT_FALSE(r.ok) << header;
    EXPECT_EQ(r.first_bad_position, 0u) << header;
  }
}

// Files longer than one batch of the walk (4,096 events) and one read (1 MiB): lines cut by a
// read carry over, and positions count on across batches.
TEST(ExportLong, ManyBatchesVerifyAndABadLineDeepInIsFound) {
  TempDir dir;
  auto log = open_store(options_for(dir.path(), /*sync=*/false));
  ASSERT_TRUE(log);
  std::vector<NewEvent> many;
  for (int i = 0; i < 9000; ++i) many.push_back(ev("Happened", {{"i", i}, {"padding", std::string(200, 'p')}}));
  ASSERT_TRUE(log->append(one("long", ExpectedVersion::any(), std::move(many))).ok());
  const TreeHeadSigner signer(std::string(32, '\x11'));
  std::ostringstream out;
  ASSERT_TRUE(export_log(*log, signer, 1, out).ok());
  const std::string text = out.str();
  ASSERT_GT(text.size(), std::size_t{2} << 20);
  {
    std::istringstream in(text);
    auto r = verify_export(in, signer.public_key());
    EXPECT_TRUE(r.ok) << r.problem;
    EXPECT_EQ(r.events_checked, 9000u);
  }
  {
    // Without its final newline, the file reads the same.
    std::istringstream in(text.substr(0, text.size() - 1));
    auto r = verify_export(in, signer.public_key());
    EXPECT_TRUE(r.ok) << r.problem;
  }
  // Position 5,000's line dropped: the line after it sits at its place.
  std::size_t start = 0;
  for (int line = 0; line < 5000; ++line) start = text.find('\n', start) + 1;  // the header, then 4,999 events
  const std::size_t end = text.find('\n', start) + 1;
  std::istringstream in(text.substr(0, start) + text.substr(end));
  auto r = verify_export(in, signer.public_key());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_position, 5000u) << r.problem;
}

}  // namespace
}  // namespace touchline::store
